"""ChatScreen: lays out the conversation, the prompt and the sidebars, and binds the keys.

The rules of a conversation live in the headless
:class:`~liaobots_tui.conversations.ConversationController`: which format a turn
goes out in, what is saved, how a streaming reply is stopped when the user
starts a new chat, opens or deletes one. This screen asks it to act, shows what
it refuses as a toast, and lets :class:`~liaobots_tui.ui.turn_view.TurnView`
draw the turn's events. Actions on the shown messages (copy, export, select)
come from :class:`~liaobots_tui.ui.screens.message_actions.MessageActions`, the widgets by
name and the switching between chats from :class:`~liaobots_tui.ui.screens.chat_base.ChatScreenBase`,
versions and forks from :class:`~liaobots_tui.ui.screens.version_actions.VersionActions`, and
the chat's settings (model, preset, thinking, image options) from
:class:`~liaobots_tui.ui.screens.settings_actions.SettingsActions`.
"""

from __future__ import annotations

from pathlib import Path

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Static
from textual.worker import Worker

from liaobots_tui.api.messages import Attachment
from liaobots_tui.attached import attachments_of, fresh_copy
from liaobots_tui.attachment_sizes import check_fits
from liaobots_tui.attachments import attachment_limit, load_attachment
from liaobots_tui.conversations import ConversationController, defaults_from
from liaobots_tui.errors import LiaobotsError
from liaobots_tui.ui.actions import chat_bindings
from liaobots_tui.ui.compose import compose_in_editor
from liaobots_tui.ui.first_open import FirstOpen
from liaobots_tui.ui.screens.dialogs import TextInputModal, expand_path
from liaobots_tui.ui.screens.settings_actions import SettingsActions
from liaobots_tui.ui.sidebars import Sidebar, SidebarPolicy, chats_width, remembered_sidebars, save_sidebar
from liaobots_tui.ui.textual_compat import (
    after_refresh_work_apart,
    draw_after_layout_apart,
    draw_changed_regions_apart,
    keep_full_map_after_reflow,
)
from liaobots_tui.ui.turn_view import TurnView
from liaobots_tui.ui.widgets.conversation import ConversationView
from liaobots_tui.ui.widgets.conversation_list import ConversationList
from liaobots_tui.ui.widgets.credits_panel import CreditsPanel
from liaobots_tui.ui.widgets.image_options import ImageOptionsBar
from liaobots_tui.ui.widgets.keys_footer import KeysFooter
from liaobots_tui.ui.widgets.message_box import MessageBox
from liaobots_tui.ui.widgets.prompt_input import AttachmentBar, PromptHistory, PromptInput
from liaobots_tui.ui.widgets.status_bar import StatusBar

EDIT_BANNER = "Editing a message: Enter resends it (the earlier version is kept: ‹ ›) · Esc cancels"


class ChatScreen(SettingsActions):
    """The main screen."""

    BINDINGS = [
        *chat_bindings(),
        # Esc when no reply streams: the footer's "esc Stop" is only there while one does
        # (check_action), and Textual then tries this next binding of the key.
        Binding("escape", "leave", "Back", show=False),
        Binding("question_mark", "help", "Help", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(id="chat")
        self.history = PromptHistory()
        self.turn = TurnView(self)
        self._editing: MessageBox | None = None
        self._draft: tuple[str, list[tuple[Attachment, str]]] = ("", [])
        self._list_search = ""
        #: The models the last comparison used (the compare picker starts with them ticked).
        self.compare_models: list[str] = []
        self.sidebars = SidebarPolicy()
        self.controller: ConversationController  # built in compose, once the app's services exist
        self._resumed_before = False
        self._first_open = FirstOpen(self, then=self._after_first_paint)

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        # Runs before Screen's own handler. Shown the first time, the screen and every widget
        # in it were styled as they mounted, a moment ago: restyling them all again cost
        # ~0.05 s of CPU before the first paint. Later resumes (after a dialog) restyle as usual.
        if not self._resumed_before:
            self._resumed_before = True
            event.refresh_styles = False

    def _turn_active(self) -> bool:
        return self.turn.active

    def compose(self) -> ComposeResult:
        self.controller = ConversationController(
            self.lapp.store, lambda: self.lapp.session, defaults_from(self.lapp.settings), client=self._client
        )
        self.sidebars = SidebarPolicy(remembered_sidebars(self.lapp.settings), self._remember_sidebar)
        yield Static("", id="title-bar")
        with Horizontal(id="main"):
            yield ConversationList(id="conversations")
            with Vertical(id="chat-column"):
                yield ConversationView(id="conversation")
                with Vertical(id="input-area"):
                    yield Static("", id="edit-banner")
                    yield AttachmentBar(id="attachments")
                    # Aspect ratio, size, search: shown only for image models (_update_status).
                    with Horizontal(id="image-options"):
                        yield ImageOptionsBar(id="image-options-bar")
                    yield PromptInput(id="prompt", history=self.history)
            # Shown or not from the start (set on mount, the class restyled the whole sidebar again).
            credits_shown = self.sidebars.visible("credits", self.app.size.width)
            with Vertical(id="sidebar", classes="-visible" if credits_shown else ""):
                first_paint = self.lapp.first_paint  # the balance is asked for once the chat is shown
                yield CreditsPanel(
                    first_paint.gate(self.controller.fetch_credits),
                    first_paint.gate(self.controller.fetch_usage_page),
                    self.lapp.settings.low_balance,
                )
        yield StatusBar(id="status")
        yield KeysFooter()

    def on_mount(self) -> None:
        keep_full_map_after_reflow(self)  # a frame lays the screen out once, not twice
        draw_changed_regions_apart(self)  # the status line's change does not redraw the reply between
        # The column's fold and parking after a frame run in a loop turn of their own, not back
        # to back with the frame (the longest stalls of a paced reply were such pairs).
        after_refresh_work_apart(self)
        draw_after_layout_apart(self)  # a frame's drawing in a loop turn after its layout's
        if self.lapp.demo_data_dir is not None:
            where = f"Demo chats are kept in {self.lapp.demo_data_dir}, apart from your own history."
            self.notify(where, title="Demo", timeout=8)
        self.query_one("#edit-banner").display = False
        self._fit_sidebars(self.app.size.width)
        self._update_status()
        self.refresh_chats()
        latest = self.lapp.store.latest_conversation_id() if self.lapp.open_latest else None
        if latest is not None:
            self._first_open.start(lambda: self.open_conversation(latest))
        else:
            self._update_title()
            self._after_first_paint()
        self.prompt.focus()

    @on(Worker.StateChanged)
    def _first_open_ended(self, event: Worker.StateChanged) -> None:
        self._first_open.worker_changed(event)

    def _after_first_paint(self) -> None:
        # The held requests go once the chat is painted (ui/first_paint.py).
        if not self.call_after_refresh(self._painted):  # the screen is closing: nothing left to paint first
            self._painted()

    def _painted(self) -> None:
        self.lapp.first_paint.mark()
        # ↑ recalls the prompts of every chat: read once the chat is shown, not before (a query
        # over all messages, ~0.01 s with a 1,000-chat history).
        with self.guard("read the prompt history"):
            self.history.load(self.lapp.store.recent_prompts(self.history.limit))

    def _remember_sidebar(self, sidebar: Sidebar, visible: bool) -> None:
        try:
            save_sidebar(self.lapp.settings, self.lapp.config_path, sidebar, visible)
        except (LiaobotsError, OSError) as exc:
            self.notify(str(exc), title="Sidebar state not saved", severity="warning", timeout=5)

    def on_resize(self, event: events.Resize) -> None:
        self._fit_sidebars(event.size.width)

    def _fit_sidebars(self, width: int) -> None:
        self.chats.set_width(chats_width(width))
        self.chats.display = self.sidebars.visible("chats", width)
        self.set_sidebar_visible(self.sidebars.visible("credits", width))
        if not self.chats.display and self.chats.has_focus_within:
            self.prompt.focus()

    # ------------------------------------------------------------------ other screens

    def action_compare(self) -> None:
        from liaobots_tui.ui.screens.compare import compare_from_chat

        compare_from_chat(self)

    @on(CreditsPanel.CostsChanged)
    def _costs_changed(self, event: CreditsPanel.CostsChanged) -> None:
        event.stop()
        self.view.set_costs(event.costs)  # the line under each reply: exact once its record is found

    def action_pick_theme(self) -> None:
        self.app.action_change_theme()

    def action_help(self) -> None:
        from liaobots_tui.ui.screens.help import HelpScreen

        self.app.push_screen(HelpScreen())

    def action_change_auth_code(self) -> None:
        self.lapp.open_setup(can_cancel=True)

    # ------------------------------------------------------------------ attachments

    def action_attach(self) -> None:
        def done(value: str | None) -> None:
            if value and value.strip():
                self.run_worker(self.attach_path(expand_path(value)), group="attach")

        help_text = (
            "Path of an image (PNG, JPEG, GIF, WebP), a text file or a PDF (Tab completes)."
            " You can also paste a path."
        )
        self.app.push_screen(TextInputModal(
            "Attach file", placeholder="~/Documents/report.pdf", help_text=help_text,
            complete_paths=True, ok_label="Attach",
        ), done)  # fmt: skip

    async def attach_path(self, path: Path) -> None:
        try:
            part = load_attachment(path, attachment_limit(self.lapp.settings))
            check_fits(self.controller.settings.model, [part])  # the chip would only be refused at send
        except LiaobotsError as exc:
            self.notify(exc.message, title="Cannot attach", severity="error")
            return
        attached_as = self.attachments.holding(part)
        if attached_as is not None:
            same = "" if attached_as == path.name else f" (the same image as {attached_as})"
            self.notify(f"{path.name} is attached already{same}", title="Not attached twice", timeout=4)
            self.prompt.focus()
            return
        await self.attachments.add(part, path.name)
        self.prompt.focus()

    def action_compose_in_editor(self) -> None:
        """ctrl+e: the draft goes to the user's editor with the app suspended; the saved text comes back."""
        compose_in_editor(self.app, self.prompt)

    @on(PromptInput.PathPasted)
    async def _path_pasted(self, event: PromptInput.PathPasted) -> None:
        await self.attach_path(event.path)

    async def action_clear_attachments(self) -> None:
        await self.attachments.clear()

    # ------------------------------------------------------------------ turns

    async def action_send(self) -> None:
        await self._submit(self.prompt.text)

    @on(PromptInput.Submitted)
    async def _submitted(self, event: PromptInput.Submitted) -> None:
        event.stop()
        await self._submit(event.text)

    async def _submit(self, text: str) -> None:
        images = [fresh_copy(p) for p in self.attachments.parts]
        if not text.strip() and not images:
            return
        restore = (text, self.attachments.named_parts)
        editing = self._editing
        with self.guard("send"), self.turn.crash_dialog():
            self.controller.check_turn()  # refused turns leave the view and the prompt as they are
            self._end_edit()
            if editing is not None and editing.message.id is not None:
                await self.view.remove_from(editing)  # before the turn's own boxes can appear
                turn = self.controller.edit(editing.message.id, text, images, self.turn.on_event)
            else:
                turn = self.controller.send(text, images, self.turn.on_event)
            self.history.add(text)
            self.prompt.load_text("")
            await self.attachments.clear()
            self.turn.follow(turn, restore)

    async def action_regenerate(self) -> None:
        boxes = self.view.boxes()
        last_user = next((b for b in reversed(boxes) if b.message.role == "user"), None)
        with self.guard("regenerate"), self.turn.crash_dialog():
            self.controller.check_turn()
            after = boxes[boxes.index(last_user) + 1 :] if last_user is not None else []
            if after:
                await self.view.remove_from(after[0])
            self.turn.follow(self.controller.regenerate(self.turn.on_event), None)

    def turn_started(self) -> None:
        """The turn's messages are saved: a new chat now has an id and a title."""
        self.chats.mark_current(self.conversation_id)
        self._update_title()
        self.refresh_chats()

    def turn_finished(self) -> None:
        self.view.set_versions(self.controller.versions)  # a regenerate or edit made one more
        self.refresh_bindings()  # "esc Stop" leaves the footer
        self._update_status()  # the domain that answered may have changed
        self._update_title()
        if self.conversation_id is not None:
            self.refresh_chats()

    def restore_prompt(self, text: str, named: list[tuple[Attachment, str]]) -> None:
        """Put a failed prompt back, unless the user already typed something new."""
        if self.prompt.text.strip() or self.attachments.parts:
            self.notify("Your prompt is in the history (↑ in the prompt).", timeout=4)
            return
        self.prompt.restore(text)
        if named:
            self.run_worker(self.attachments.set_parts(named), group="attach")
        self.prompt.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "stop":
            return self.streaming
        return True

    def action_focus_prompt(self) -> None:
        """``i`` on a selected message: back to the prompt (Esc does it too, once nothing streams)."""
        self.prompt.focus()

    def action_leave(self) -> None:
        self.action_stop()

    def action_stop(self) -> None:
        """Esc: stop the stream; else leave edit mode; else back to the prompt."""
        if self.controller.request_cancel():
            return
        if self._editing is not None:
            self._end_edit(restore_draft=True)
        else:
            self.prompt.focus()

    # ------------------------------------------------------------------ editing

    async def action_edit_message(self) -> None:
        box = self.focused_box()
        if box is None or box.message.role != "user":
            self.notify(
                "Select one of your messages to edit (ctrl+g, then ↑).", severity="warning", timeout=3
            )
            return
        await self._begin_edit(box)

    async def action_edit_last(self) -> None:
        box = self.selected_box(role="user")
        if box is None:
            self.notify("No message to edit yet", severity="warning", timeout=3)
            return
        await self._begin_edit(box)

    async def _begin_edit(self, box: MessageBox) -> None:
        if self.streaming:
            self.notify("A reply is still streaming: Esc stops it.", severity="warning", timeout=3)
            return
        if box.message.id is None:
            self.notify("This message is not saved yet", severity="warning", timeout=3)
            return
        self._draft = (self.prompt.text, self.attachments.named_parts)
        self._editing = box
        self.prompt.restore(box.message.text)
        await self.attachments.set_parts(attachments_of(box.message.message))
        banner = self.query_one("#edit-banner", Static)
        banner.update(Content(EDIT_BANNER))
        banner.display = True
        box.add_class("-editing")
        self.prompt.focus()

    def _end_edit(self, *, restore_draft: bool = False) -> None:
        if self._editing is not None:
            self._editing.remove_class("-editing")
        self._editing = None
        self.query_one("#edit-banner").display = False
        if restore_draft:
            text, named = self._draft
            self.prompt.restore(text)
            self.run_worker(self.attachments.set_parts(named), group="attach")
