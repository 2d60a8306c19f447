"""ChatScreen: the conversation, the prompt, the chats sidebar; owns the stream worker.

One async ``@work(exclusive=True, group="stream")`` worker consumes the events
of a turn from the chat service and drives the widgets; widgets never make
network calls. Esc cancels the worker, which the chat service turns into a
cancelled reply with its partial text saved. Expected failures arrive as an
``ErrorEvent``: the reply keeps its text and shows the reason in place, the
prompt comes back into the input and a toast says what happened. Anything
unexpected opens :class:`ErrorModal` with the traceback; the app keeps running.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import sqlite3
import time
import traceback
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Static

from liaobots_tui.api.account import Credits, UsagePage, fetch_credits, fetch_usage_page
from liaobots_tui.api.messages import (
    FORMATS,
    DomainEvent,
    ErrorEvent,
    FinishEvent,
    Format,
    ImageEvent,
    ImageOptions,
    ImagePart,
    Message,
    ReasoningDelta,
    RequestOptions,
    RetryEvent,
    SourcesEvent,
    TextDelta,
    TextPart,
    UsageEvent,
    format_for_model,
    is_image_model,
)
from liaobots_tui.api.transport import GatewayClient, host_of
from liaobots_tui.attachments import load_attachment
from liaobots_tui.chat import ChatEvent, TurnEnded, TurnStarted
from liaobots_tui.errors import LiaobotsError
from liaobots_tui.ui import gc_pause
from liaobots_tui.ui.actions import chat_bindings
from liaobots_tui.ui.markdown_tools import code_blocks, conversation_markdown
from liaobots_tui.ui.screens.chat_settings import ChatSettings, ChatSettingsModal
from liaobots_tui.ui.screens.dialogs import ConfirmModal, ListPickerModal, TextInputModal, expand_path
from liaobots_tui.ui.screens.error import ErrorModal
from liaobots_tui.ui.screens.help import HelpScreen
from liaobots_tui.ui.screens.model_picker import ModelChoice, ModelPickerModal
from liaobots_tui.ui.screens.usage import UsageScreen
from liaobots_tui.ui.widgets.conversation import ConversationView
from liaobots_tui.ui.widgets.conversation_list import ConversationList
from liaobots_tui.ui.widgets.credits_panel import CreditsPanel
from liaobots_tui.ui.widgets.image_options import ImageOptionsBar
from liaobots_tui.ui.widgets.message_box import MessageBox, MessageHeader
from liaobots_tui.ui.widgets.prompt_input import AttachmentBar, PromptHistory, PromptInput
from liaobots_tui.ui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from liaobots_tui.ui.app import LiaobotsApp

#: Conversations fetched per page for the sidebar.
LIST_PAGE = 100
#: Below this terminal width the chats sidebar starts hidden.
NARROW = 100
#: Below this terminal width the credits sidebar starts hidden (the chat column needs the room).
NARROW_CREDITS = 80
#: The stream worker yields to the event loop at least this often (seconds), however fast events come.
YIELD_EVERY = 0.02


def _slug(text: str) -> str:
    slug = re.sub(r"[^\w-]+", "-", text.lower(), flags=re.UNICODE).strip("-")
    return slug[:50] or "conversation"


def _image_options_from(saved: object) -> ImageOptions:
    """Image options stored in a conversation's settings; unknown keys or types fall back to defaults."""
    if not isinstance(saved, dict):
        return ImageOptions()
    aspect, size = saved.get("aspect_ratio"), saved.get("image_size")
    search, text = saved.get("google_search"), saved.get("want_text")
    return ImageOptions(
        aspect_ratio=aspect if isinstance(aspect, str) else None,
        image_size=size if isinstance(size, str) else None,
        google_search=search if isinstance(search, bool) else False,
        want_text=text if isinstance(text, bool) else True,
    )


class ChatScreen(Screen[None]):
    """The main screen."""

    BINDINGS = [*chat_bindings(), Binding("question_mark", "help", "Help", show=False)]

    def __init__(self) -> None:
        super().__init__(id="chat")
        self.conversation_id: int | None = None
        self.conversation_title = ""
        self.model = ""
        self.format: Format | None = None
        self.system = ""
        self.temperature: float | None = None
        self.history = PromptHistory()
        self._editing: MessageBox | None = None
        self._streaming_box: MessageBox | None = None
        self._stream_started = 0.0
        self._ticker: Timer | None = None
        self._usage_tokens: int | None = None
        self._list_search = ""
        self._draft: tuple[str, list[tuple[ImagePart, str]]] = ("", [])
        #: The messages the credits panel prices (see _reply_finished).
        self._cost_messages: list[Message] = []

    # ------------------------------------------------------------------ plumbing

    @property
    def lapp(self) -> LiaobotsApp:
        return cast("LiaobotsApp", self.app)

    @property
    def view(self) -> ConversationView:
        return self.query_one("#conversation", ConversationView)

    @property
    def prompt(self) -> PromptInput:
        return self.query_one("#prompt", PromptInput)

    @property
    def attachments(self) -> AttachmentBar:
        return self.query_one("#attachments", AttachmentBar)

    @property
    def chats(self) -> ConversationList:
        return self.query_one("#conversations", ConversationList)

    @property
    def status(self) -> StatusBar:
        return self.query_one("#status", StatusBar)

    @property
    def sidebar(self) -> Vertical:
        """The right-hand panel (credits and usage mount here); hidden until something shows it."""
        return self.query_one("#sidebar", Vertical)

    def set_sidebar_visible(self, visible: bool) -> None:
        self.sidebar.set_class(visible, "-visible")

    @property
    def credits(self) -> CreditsPanel:
        return self.query_one("#credits-panel", CreditsPanel)

    async def _fetch_credits(self) -> Credits:
        # Read the client at call time: setup may rebuild it with a new auth code.
        return await fetch_credits(self._client())

    async def _fetch_usage_page(self, next_id: str) -> UsagePage:
        return await fetch_usage_page(self._client(), next_id=next_id)

    def _client(self) -> GatewayClient:
        client = self.lapp.client
        if client is None:
            raise LiaobotsError("Not connected: set the auth code first (ctrl+p → Set auth code).")
        return client

    @property
    def streaming(self) -> bool:
        return self._streaming_box is not None or any(
            w.is_running for w in self.workers if w.group == "stream"
        )

    def compose(self) -> ComposeResult:
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
            with Vertical(id="sidebar"):
                yield CreditsPanel(
                    self._fetch_credits, self._fetch_usage_page, self.lapp.settings.low_balance
                )
        yield StatusBar(id="status")
        yield Footer()

    def on_mount(self) -> None:
        settings = self.lapp.settings
        self.model = settings.model
        self.format = cast("Format | None", settings.format)
        self.system = settings.system_prompt
        self.temperature = settings.temperature
        self.query_one("#edit-banner").display = False
        if self.app.size.width < NARROW:
            self.chats.display = False
        self.set_sidebar_visible(self.app.size.width >= NARROW_CREDITS)
        self._update_status()
        self.refresh_chats()
        latest = self.lapp.store.latest_conversation_id() if self.lapp.open_latest else None
        if latest is not None:
            self.run_worker(self.open_conversation(latest), group="open", exclusive=True)
        else:
            self._update_title()
        self.prompt.focus()

    def _update_title(self) -> None:
        name = self.conversation_title or ("New chat" if self.conversation_id is None else "(untitled)")
        demo = "  [demo gateway]" if self.lapp.demo else ""
        bar = Content.assemble(Content.styled("liaobots", "bold $primary"), "  ", Content(name))
        self.query_one("#title-bar", Static).update(bar + Content.styled(demo, "$warning"))

    def _resolved_format(self) -> Format:
        return self.format or format_for_model(self.model)

    def _update_status(self) -> None:
        # Every model change ends here, so this is where the image options appear or go.
        self.query_one("#image-options").display = is_image_model(self.model)
        status = self.status
        status.model = self.model
        status.format = self._resolved_format() + ("" if self.format else " (auto)")
        status.domain = host_of(self.lapp.active_base_url) if self.lapp.active_base_url else ""

    def show_error(self, title: str, message: str, exc: BaseException | None = None) -> None:
        """An unexpected failure: a dialog with the traceback to copy."""
        detail = "".join(traceback.format_exception(exc)) if exc is not None else ""
        self.app.push_screen(ErrorModal(title, message, detail))

    @contextmanager
    def guard(self, what: str) -> Iterator[None]:
        """Turn a store or file failure in the block into a toast ("Could not rename chat")."""
        try:
            yield
        except (LiaobotsError, sqlite3.Error, OSError) as exc:
            self.notify(str(exc) or type(exc).__name__, title=f"Could not {what}", severity="error")

    # ------------------------------------------------------------------ conversations

    def refresh_chats(self, *, append: bool = False) -> None:
        store = self.lapp.store
        search = self._list_search or None
        offset = len(self.chats.ids) if append else 0
        with self.guard("list the chats"):
            summaries = store.list_conversations(limit=LIST_PAGE, offset=offset, search=search)
            total = store.count_conversations(search)
            self.chats.current_id = self.conversation_id
            self.chats.set_conversations(summaries, total=total, append=append)

    async def open_conversation(self, conversation_id: int) -> None:
        """Show a stored conversation and take over its model, format and settings."""
        if self.streaming:
            await self._stop_stream()
        try:
            conversation = self.lapp.store.load_conversation(conversation_id)
            settings = self.lapp.store.conversation_settings(conversation_id)
        except (LiaobotsError, sqlite3.Error) as exc:
            self.notify(str(exc), title="Cannot open chat", severity="error")
            return
        self._end_edit()
        self.conversation_id = conversation_id
        self.conversation_title = conversation.title
        self.system = conversation.system or ""
        self.model = str(settings.get("model") or self.lapp.settings.model)
        # "format_choice" is what the user picked (None = follow the model); "format" is what the
        # chat service last used. Without a choice, a format that matches the model counts as auto.
        fmt = settings["format_choice"] if "format_choice" in settings else settings.get("format")
        if "format_choice" not in settings and fmt == format_for_model(self.model):
            fmt = None
        self.format = cast("Format | None", fmt) if fmt in FORMATS else None
        temperature = settings.get("temperature", self.lapp.settings.temperature)
        self.temperature = float(temperature) if isinstance(temperature, int | float) else None
        self.image_options_bar.set_options(_image_options_from(settings.get("image_options")))
        self.history.entries = []
        for message in conversation.messages:
            if message.role == "user":
                self.history.add(message.text)
        await self.view.show_messages(conversation.messages)
        self._cost_messages = list(conversation.messages)
        self.credits.set_conversation(conversation.messages)
        self.call_after_refresh(gc_pause.settle)
        self.chats.mark_current(conversation_id)
        self._update_title()
        self._update_status()

    @on(ConversationList.Opened)
    async def _opened(self, event: ConversationList.Opened) -> None:
        await self.open_conversation(event.conversation_id)
        self.prompt.focus()

    @on(ConversationList.SearchChanged)
    def _searched(self, event: ConversationList.SearchChanged) -> None:
        self._list_search = event.query.strip()
        self.refresh_chats()

    @on(ConversationList.MoreWanted)
    def _more(self, event: ConversationList.MoreWanted) -> None:
        self.refresh_chats(append=True)

    async def action_new_chat(self) -> None:
        if self.streaming:
            await self._stop_stream()
        self._end_edit()
        self.conversation_id = None
        self.conversation_title = ""
        settings = self.lapp.settings
        self.system = settings.system_prompt
        self.temperature = settings.temperature
        self.image_options_bar.set_options(ImageOptions())
        self.history.entries = []
        await self.view.show_messages([])
        self._cost_messages = []
        self.credits.set_conversation([])
        self.call_after_refresh(gc_pause.settle)
        self.chats.mark_current(None)
        self.chats.option_list.highlighted = None
        self._update_title()
        self._update_status()
        self.prompt.focus()

    def _target_conversation(self) -> int | None:
        """The chat an action is about: the highlighted one when the list has focus, else the open one."""
        if self.chats.has_focus_within and self.chats.highlighted_id is not None:
            return self.chats.highlighted_id
        return self.conversation_id

    def action_rename_conversation(self) -> None:
        target = self._target_conversation()
        if target is None:
            self.notify(
                "Send a message first: a new chat is saved with its first message.", severity="warning"
            )
            return
        title = (
            self.conversation_title
            if target == self.conversation_id
            else self.lapp.conversation_title(target)
        )

        def done(value: str | None) -> None:
            if value is None or not value.strip():
                return
            with self.guard("rename the chat"):
                self.lapp.store.rename_conversation(target, value.strip())
            if target == self.conversation_id:
                self.conversation_title = value.strip()
                self._update_title()
            self.refresh_chats()

        self.app.push_screen(TextInputModal("Rename chat", value=title, ok_label="Rename"), done)

    def action_delete_conversation(self) -> None:
        target = self._target_conversation()
        if target is None:
            self.notify("There is no saved chat to delete.", severity="warning")
            return

        async def done(confirmed: bool | None) -> None:
            if not confirmed:
                return
            if target == self.conversation_id:
                await self.action_new_chat()
            with self.guard("delete the chat"):
                self.lapp.store.delete_conversation(target)
                self.notify("Chat deleted", timeout=3)
            self.refresh_chats()

        self.app.push_screen(
            ConfirmModal("Delete chat?", "The conversation and its images are deleted for good."), done
        )

    def action_focus_chats(self) -> None:
        self.chats.display = True
        options = self.chats.option_list
        if options.highlighted is None and self.chats.ids:
            options.highlighted = 0
        options.focus()

    def action_toggle_credits(self) -> None:
        self.set_sidebar_visible(not self.sidebar.has_class("-visible"))
        if not self.sidebar.has_class("-visible") and self.sidebar.has_focus_within:
            self.prompt.focus()

    def action_refresh_credits(self) -> None:
        self.credits.refresh_credits()

    def action_usage_history(self) -> None:
        self.app.push_screen(UsageScreen(self._fetch_usage_page))

    def action_toggle_chats(self) -> None:
        self.chats.display = not self.chats.display
        if not self.chats.display and self.chats.has_focus_within:
            self.prompt.focus()

    # ------------------------------------------------------------------ model and settings

    def action_pick_model(self) -> None:
        def done(choice: ModelChoice | None) -> None:
            if choice is None:
                return
            self.model, self.format = choice.model, choice.format
            if self.conversation_id is not None:
                self._save_conversation_settings()
            self._update_status()
            self.notify(f"Next message: {self.model} ({self._resolved_format()})", timeout=3)
            self.prompt.focus()

        self.app.push_screen(
            ModelPickerModal(
                self.lapp.models,
                current_model=self.model,
                current_format=self.format,
                from_gateway=self.lapp.models_from_gateway,
            ),
            done,
        )

    def select_model(self, model: str, fmt: Format | None = None) -> None:
        """Use ``model`` for the next message (palette provider and tests)."""
        self.model, self.format = model, fmt
        if self.conversation_id is not None:
            self._save_conversation_settings()
        self._update_status()

    def _save_conversation_settings(self) -> None:
        assert self.conversation_id is not None
        store = self.lapp.store
        with self.guard("save the chat settings"):
            settings: dict[str, Any] = {
                **store.conversation_settings(self.conversation_id),
                "model": self.model,
            }
            settings["format_choice"] = self.format
            settings["temperature"] = self.temperature
            settings["image_options"] = dataclasses.asdict(self.image_options_bar.options)
            store.update_conversation(self.conversation_id, settings=settings)

    def action_chat_settings(self) -> None:
        def done(result: ChatSettings | None) -> None:
            if result is None:
                return
            self.system, self.temperature = result.system, result.temperature
            if self.conversation_id is not None:
                with self.guard("save the system prompt"):
                    self.lapp.store.update_conversation(self.conversation_id, system=self.system or None)
                self._save_conversation_settings()
            self.notify("Chat settings saved", timeout=3)

        self.app.push_screen(ChatSettingsModal(self.system, self.temperature), done)

    def action_pick_theme(self) -> None:
        self.app.action_change_theme()

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen())

    def action_change_auth_code(self) -> None:
        self.lapp.open_setup(can_cancel=True)

    # ------------------------------------------------------------------ focus and scrolling

    def action_focus_prompt(self) -> None:
        self.prompt.focus()

    def action_stop(self) -> None:
        """Esc: stop the stream; else leave edit mode; else back to the prompt."""
        if self.streaming:
            self.workers.cancel_group(self, "stream")
        elif self._editing is not None:
            self._end_edit(restore_draft=True)
        else:
            self.prompt.focus()

    def focused_box(self) -> MessageBox | None:
        """The selected message (its header has focus), if any."""
        focused = self.focused
        return focused.box if isinstance(focused, MessageHeader) else None

    def action_focus_messages(self) -> None:
        boxes = self.view.boxes()
        if not boxes:
            self.notify("No messages yet", timeout=2)
            return
        boxes[-1].select()

    def action_focus_message(self, delta: int) -> None:
        boxes = self.view.boxes()
        focused = self.focused_box()
        if not boxes or focused is None or focused not in boxes:
            return
        index = max(0, min(len(boxes) - 1, boxes.index(focused) + delta))
        if delta < 0 and boxes.index(focused) == 0 and self.view.hidden_count:
            self.run_worker(self.view.load_earlier(), group="earlier")
            return
        boxes[index].select()

    def action_scroll_conversation(self, direction: int) -> None:
        view = self.view
        if direction < 0:
            view.scroll_page_up(animate=False)
        else:
            view.scroll_page_down(animate=False)

    def action_scroll_latest(self) -> None:
        self.view.scroll_to_latest()

    # ------------------------------------------------------------------ copy, export

    def _selected_box(self, *, role: str | None = None) -> MessageBox | None:
        focused = self.focused_box()
        if focused is not None and (role is None or focused.message.role == role):
            return focused
        for box in reversed(self.view.boxes()):
            if role is None or box.message.role == role:
                return box
        return None

    def _copy(self, text: str, what: str) -> None:
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied {what} ({len(text):,} characters)", timeout=3)

    def action_copy_message(self) -> None:
        box = self._selected_box()
        if box is None or not box.copy_text:
            self.notify("Nothing to copy", severity="warning", timeout=3)
            return
        self._copy(box.copy_text, "the message")

    def action_copy_last(self) -> None:
        box = self._selected_box(role="assistant") if self.focused_box() is None else None
        box = box or self._selected_box(role="assistant")
        if box is None or not box.copy_text:
            self.notify("There is no reply to copy yet", severity="warning", timeout=3)
            return
        self._copy(box.copy_text, "the reply")

    def action_copy_code(self) -> None:
        box = self._selected_box() if self.focused_box() is not None else self._selected_box(role="assistant")
        blocks = code_blocks(box.copy_text) if box is not None else []
        if not blocks:
            self.notify("No code block in this message", severity="warning", timeout=3)
            return
        if len(blocks) == 1:
            self._copy(blocks[0].code, "the code block")
            return
        labels = [f"{i + 1}. {b.language or 'text'}: {b.preview}" for i, b in enumerate(blocks)]

        def done(index: int | None) -> None:
            if index is not None:
                self._copy(blocks[index].code, f"code block {index + 1}")

        self.app.push_screen(ListPickerModal("Copy which code block?", labels), done)

    def action_export(self) -> None:
        if self.conversation_id is None:
            self.notify("Nothing to export yet", severity="warning", timeout=3)
            return
        conversation_id = self.conversation_id
        default = str(Path.cwd() / f"{_slug(self.conversation_title)}.md")

        def done(value: str | None) -> None:
            if not value or not value.strip():
                return
            path = expand_path(value)
            try:
                text = conversation_markdown(self.lapp.store.load_conversation(conversation_id))
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
            except (OSError, LiaobotsError, sqlite3.Error) as exc:
                self.notify(str(exc), title="Export failed", severity="error")
                return
            self.notify(f"Saved to {path}", title="Exported", timeout=5)

        self.app.push_screen(
            TextInputModal("Export to Markdown", value=default, complete_paths=True, ok_label="Save"), done
        )

    # ------------------------------------------------------------------ attachments

    def action_attach(self) -> None:
        def done(value: str | None) -> None:
            if value and value.strip():
                self.run_worker(self.attach_path(expand_path(value)), group="attach")

        self.app.push_screen(
            TextInputModal(
                "Attach image",
                placeholder="~/Pictures/photo.png",
                help_text="Path of a PNG, JPEG, GIF or WebP file (Tab completes). You can also paste a path.",
                complete_paths=True,
                ok_label="Attach",
            ),
            done,
        )

    async def attach_path(self, path: Path) -> None:
        try:
            part = load_attachment(path)
        except LiaobotsError as exc:
            self.notify(exc.message, title="Cannot attach", severity="error")
            return
        await self.attachments.add(part, path.name)
        self.prompt.focus()

    @on(PromptInput.PathPasted)
    async def _path_pasted(self, event: PromptInput.PathPasted) -> None:
        await self.attach_path(event.path)

    async def action_clear_attachments(self) -> None:
        await self.attachments.clear()

    # ------------------------------------------------------------------ sending

    @property
    def image_options_bar(self) -> ImageOptionsBar:
        return self.query_one("#image-options-bar", ImageOptionsBar)

    def image_options(self) -> ImageOptions | None:
        """Image generation options for the next request: the bar's, for image models only."""
        return self.image_options_bar.options if is_image_model(self.model) else None

    @on(ImageOptionsBar.Changed)
    def _image_options_changed(self, event: ImageOptionsBar.Changed) -> None:
        event.stop()
        if self.conversation_id is not None:
            self._save_conversation_settings()

    def request_options(self) -> RequestOptions:
        return RequestOptions(model=self.model, temperature=self.temperature, image=self.image_options())

    async def action_send(self) -> None:
        await self._submit(self.prompt.text)

    @on(PromptInput.Submitted)
    async def _submitted(self, event: PromptInput.Submitted) -> None:
        event.stop()
        await self._submit(event.text)

    async def _submit(self, text: str) -> None:
        images = self.attachments.parts
        if not text.strip() and not images:
            return
        if self.streaming:
            self.notify("A reply is still streaming: Esc stops it.", severity="warning", timeout=3)
            return
        named = self.attachments.named_parts
        parts: list[TextPart | ImagePart] = [TextPart(text)] if text.strip() else []
        parts += [ImagePart(p.load(), mime_type=p.mime_type) for p in images]
        user = Message("user", parts=list(parts))
        options = self.request_options()
        fmt = self.format
        self.history.add(text)
        self.prompt.load_text("")
        await self.attachments.clear()
        restore = (text, named)
        backend = self.lapp.session
        editing = self._editing
        if editing is not None and self.conversation_id is not None and editing.message.id is not None:
            conversation_id, message_id = self.conversation_id, editing.message.id
            self._end_edit()
            await self.view.remove_from(editing)
            self._run_turn(
                lambda: backend.edit(conversation_id, message_id, user, options, format=fmt), restore
            )
        else:
            self._end_edit()
            conversation_id_or_none = self.conversation_id
            system = self.system if conversation_id_or_none is None else None
            self._run_turn(
                lambda: backend.send(
                    conversation_id_or_none, user, options, format=fmt, system=system or None
                ),
                restore,
            )

    async def action_regenerate(self) -> None:
        if self.streaming:
            self.notify("A reply is still streaming: Esc stops it.", severity="warning", timeout=3)
            return
        boxes = self.view.boxes()
        last_user = next((b for b in reversed(boxes) if b.message.role == "user"), None)
        if self.conversation_id is None or last_user is None:
            self.notify("Nothing to regenerate yet", severity="warning", timeout=3)
            return
        after = boxes[boxes.index(last_user) + 1 :]
        if after:
            await self.view.remove_from(after[0])
        conversation_id, options, fmt = self.conversation_id, self.request_options(), self.format
        backend = self.lapp.session
        self._run_turn(lambda: backend.regenerate(conversation_id, options, format=fmt), None)

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
        box = self._selected_box(role="user")
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
        await self.attachments.set_parts(
            [(ImagePart(p.load(), mime_type=p.mime_type), Path(p.path).name if p.path else "image")
             for p in box.message.images]
        )  # fmt: skip
        banner = self.query_one("#edit-banner", Static)
        banner.update(
            Content("Editing a message: Enter resends it and drops everything after it · Esc cancels")
        )
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

    # ------------------------------------------------------------------ the stream worker

    async def _stop_stream(self) -> None:
        self.workers.cancel_group(self, "stream")
        await self.app.workers.wait_for_complete([w for w in self.workers if w.group == "stream"])

    def _set_streaming(self, on_: bool) -> None:
        status = self.status
        status.streaming = on_
        status.notice = ""
        if on_:
            gc_pause.stream_started()
            self._stream_started = time.monotonic()
            self._usage_tokens = None
            status.tokens, status.elapsed, status.estimated = 0, 0.0, True
            self._ticker = self.set_interval(0.25, self._tick)
        else:
            gc_pause.stream_ended()
            if self._ticker is not None:
                self._ticker.stop()
                self._ticker = None

    def _tick(self) -> None:
        status = self.status
        status.elapsed = time.monotonic() - self._stream_started
        box = self._streaming_box
        if self._usage_tokens is not None:
            status.tokens, status.estimated = self._usage_tokens, False
        elif box is not None:
            # About four characters per token: a live estimate until the usage report arrives.
            status.tokens = (box.streamed_chars + 3) // 4

    @work(exclusive=True, group="stream", exit_on_error=False)
    async def _run_turn(
        self,
        events: Callable[[], AsyncIterator[ChatEvent]],
        restore: tuple[str, list[tuple[ImagePart, str]]] | None,
    ) -> None:
        """Consume one turn's events and drive the widgets; see the module docstring."""
        box: MessageBox | None = None
        error: ErrorEvent | None = None
        self._set_streaming(True)
        last_yield = time.monotonic()
        try:
            async for event in events():
                if isinstance(event, TextDelta):
                    if box is not None:
                        box.append_text(event.text)
                        if self.status.notice:
                            self.status.notice = ""
                            box.set_notice(None)
                elif isinstance(event, ReasoningDelta):
                    if box is not None:
                        box.append_reasoning(event.text)
                elif isinstance(event, TurnStarted):
                    box = await self._turn_started(event)
                elif isinstance(event, ImageEvent):
                    if box is not None:
                        await box.add_image(event.image)
                elif isinstance(event, UsageEvent):
                    self._usage_tokens = event.usage.output_tokens or None
                elif isinstance(event, RetryEvent):
                    notice = f"{event.reason}, retrying in {event.delay:.0f} s (attempt {event.attempt})"
                    self.status.notice = notice
                    if box is not None:
                        box.set_notice(notice)
                elif isinstance(event, DomainEvent):
                    self.status.domain = host_of(event.base_url)
                    self.notify(f"Now using {host_of(event.base_url)}", title="Switched domain", timeout=4)
                elif isinstance(event, ErrorEvent):
                    error = event
                elif isinstance(event, FinishEvent):
                    if event.reason in ("length", "safety") and box is not None:
                        self.notify(
                            "The reply hit the length limit"
                            if event.reason == "length"
                            else "Stopped by safety filter",
                            severity="warning",
                            timeout=5,
                        )
                elif isinstance(event, TurnEnded):
                    if box is not None:
                        self._tick()
                        await box.finish(event.reply)
                        box = None
                    self._reply_finished(event.reply)
                elif isinstance(event, SourcesEvent):
                    if box is not None:
                        box.set_sources(event.sources)
                now = time.monotonic()
                if now - last_yield > YIELD_EVERY:
                    # A fast local stream must not starve input handling and the throttled flushes.
                    await asyncio.sleep(0)
                    last_yield = now
        except asyncio.CancelledError:
            if box is not None:
                await box.finish(None)
            self._stream_ended()
            self.notify("Stopped: the partial reply is kept", timeout=3)
            raise
        except LiaobotsError as exc:
            if box is not None:
                box.message.status, box.message.error = "failed", exc.one_line()
                await box.finish(None)
            self._stream_ended()
            self._restore_prompt(restore)
            self.notify(exc.message, title=exc.title, severity="error")
            return
        except Exception as exc:
            if box is not None:
                box.message.status, box.message.error = "failed", f"Internal error: {type(exc).__name__}"
                try:
                    await box.finish(None)
                except Exception:  # already failing: the dialog below matters more than this box
                    pass
            self._stream_ended()
            self._restore_prompt(restore)
            self.show_error("Unexpected error", f"{type(exc).__name__}: {exc}", exc)
            return
        if box is not None:  # the stream ended without TurnEnded (should not happen): settle the box
            await box.finish(None)
        self._stream_ended()
        if error is not None:
            self._restore_prompt(restore)
            self.notify(error.message or error.title, title=error.title, severity="error", timeout=8)

    async def _turn_started(self, event: TurnStarted) -> MessageBox:
        new = self.conversation_id != event.conversation_id
        self.conversation_id = event.conversation_id
        if event.user_message is not None:
            await self.view.add_message(event.user_message)
        box = await self.view.add_message(event.reply, streaming=True)
        self.view.scroll_to_latest()  # a new turn is what the user wants to watch
        self._streaming_box = box
        if new:
            self._save_conversation_settings()  # temperature and format choice of the new chat
            self.conversation_title = self.lapp.conversation_title(event.conversation_id)
            self._update_title()
            self.refresh_chats()
        return box

    def _reply_finished(self, reply: Message) -> None:
        """Refresh the credits with the reply's cost and the conversation's total so far."""
        stored: list[Message] = []
        if self.conversation_id is not None:
            with self.guard("load the chat"):
                stored = self.lapp.store.load_conversation(self.conversation_id).messages
        # The panel remembers when each reply ended by object identity: hand it the same
        # objects as last time, so earlier replies keep their exact end times.
        known = {m.id: m for m in self._cost_messages if m.id is not None}
        merged = [
            reply if m.id is not None and m.id == reply.id else known.get(m.id, m) if m.id else m
            for m in stored
        ]
        if all(m is not reply for m in merged):
            merged.append(reply)
        self._cost_messages = merged
        self.credits.reply_finished(reply, merged)

    def _stream_ended(self) -> None:
        self._streaming_box = None
        self._set_streaming(False)
        self._update_status()  # the domain that answered may have changed
        if self.conversation_id is not None:
            self.refresh_chats()
            if not self.conversation_title:
                self.conversation_title = self.lapp.conversation_title(self.conversation_id)
                self._update_title()

    def _restore_prompt(self, restore: tuple[str, list[tuple[ImagePart, str]]] | None) -> None:
        """Put the failed prompt back, unless the user already typed something new."""
        if restore is None:
            return
        text, named = restore
        if self.prompt.text.strip() or self.attachments.parts:
            self.notify("Your prompt is in the history (↑ in the prompt).", timeout=4)
            return
        self.prompt.restore(text)
        if named:
            self.run_worker(self.attachments.set_parts(named), group="attach")
        self.prompt.focus()
