"""ChatScreenBase: the chat screen's plumbing and its conversation switching.

The widgets by name, the toast guard, the title and status lines, and the
actions that change which conversation is open (new, open, rename, delete, the
chats list). Switching is the controller's: it stops a streaming reply (kept,
saved as cancelled) before anything changes, and this class then shows the new
state. :class:`~liaobots_tui.ui.screens.chat.ChatScreen` adds the layout, the
settings and the turns.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, cast

from textual import on
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from liaobots_tui.api.messages import RequestOptions, is_image_model
from liaobots_tui.api.sanitize import clean_line
from liaobots_tui.api.transport import GatewayClient, host_of
from liaobots_tui.conversations import ConversationController
from liaobots_tui.errors import LiaobotsError
from liaobots_tui.store import FORKED_FROM, MessageRecord
from liaobots_tui.ui import gc_pause
from liaobots_tui.ui.export_actions import app_export_dir
from liaobots_tui.ui.plain import plain_line
from liaobots_tui.ui.screens.dialogs import ConfirmModal, TextInputModal
from liaobots_tui.ui.screens.message_actions import MessageActions
from liaobots_tui.ui.sidebars import SidebarPolicy
from liaobots_tui.ui.widgets.conversation_list import ConversationList
from liaobots_tui.ui.widgets.credits_panel import CreditsPanel
from liaobots_tui.ui.widgets.image_options import ImageOptionsBar
from liaobots_tui.ui.widgets.message_box import MessageBox
from liaobots_tui.ui.widgets.prompt_input import AttachmentBar, PromptHistory, PromptInput
from liaobots_tui.ui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from liaobots_tui.ui.app import LiaobotsApp

#: Conversations fetched per page for the sidebar.
LIST_PAGE = 100


class ChatScreenBase(MessageActions):
    """See the module docstring; not used on its own."""

    controller: ConversationController
    history: PromptHistory
    _editing: MessageBox | None
    _list_search: str
    sidebars: SidebarPolicy

    def _end_edit(self, *, restore_draft: bool = False) -> None:
        raise NotImplementedError  # ChatScreen's editing mode

    # ------------------------------------------------------------------ plumbing

    @property
    def lapp(self) -> LiaobotsApp:
        return cast("LiaobotsApp", self.app)

    def _client(self) -> GatewayClient:
        if self.lapp.client is None:  # read at call time: setup may rebuild it with a new auth code
            raise LiaobotsError("Not connected: set the auth code first (ctrl+p → Set auth code).")
        return self.lapp.client

    # What the controller holds, for the palette, the status bar and tests.

    @property
    def conversation_id(self) -> int | None:
        return self.controller.conversation_id

    @property
    def conversation_title(self) -> str:
        return self.controller.title

    @property
    def model(self) -> str:
        return self.controller.settings.model

    @property
    def format(self) -> str | None:
        """The format chosen by hand; None for auto."""
        return self.controller.settings.format_choice

    @property
    def system(self) -> str:
        return self.controller.settings.system

    @property
    def temperature(self) -> float | None:
        return self.controller.settings.temperature

    def request_options(self) -> RequestOptions:
        return self.controller.request_options()

    @property
    def streaming(self) -> bool:
        return self.controller.streaming or self._turn_active()

    def _turn_active(self) -> bool:
        return False

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

    @property
    def credits(self) -> CreditsPanel:
        return self.query_one("#credits-panel", CreditsPanel)

    @property
    def image_options_bar(self) -> ImageOptionsBar:
        return self.query_one("#image-options-bar", ImageOptionsBar)

    def set_sidebar_visible(self, visible: bool) -> None:
        self.sidebar.set_class(visible, "-visible")

    @contextmanager
    def guard(self, what: str) -> Iterator[None]:
        """Turn a refusal, store or file failure in the block into a toast ("Could not rename chat")."""
        try:
            yield
        except (LiaobotsError, sqlite3.Error, OSError) as exc:
            title = (
                exc.title if isinstance(exc, LiaobotsError) and exc.title != "Error" else f"Could not {what}"
            )
            self.notify(str(exc) or type(exc).__name__, title=title, severity="error")

    def _update_title(self) -> None:
        name = self.controller.title or ("New chat" if self.conversation_id is None else "(untitled)")
        bar = Content.assemble(Content.styled("liaobots", "bold $primary"), "  ", plain_line(name))
        if self.conversation_id is not None:
            # The id `liaobots ask --cid N` continues, where a user can read it off.
            bar += Content.styled(f"  · chat {self.conversation_id}", "dim")
            origin = self._forked_from()
            if origin is not None:  # the title says "Fork of <title>"; the id stays true after a rename
                bar += Content.styled(f" · fork of chat {origin}", "dim")
        if self.lapp.demo:
            apart = " · demo history, apart from yours" if self.lapp.demo_data_dir is not None else ""
            bar += Content.styled(f"  [demo gateway{apart}]", "$warning")
        self.query_one("#title-bar", Static).update(bar)

    def _forked_from(self) -> int | None:
        """The chat this one was forked from (the store's :data:`FORKED_FROM` setting), if any."""
        if self.conversation_id is None:
            return None
        try:
            origin = self.lapp.store.conversation_settings(self.conversation_id).get(FORKED_FROM)
        except (LiaobotsError, sqlite3.Error):
            return None
        chat_id = origin.get("conversation") if isinstance(origin, dict) else None
        return chat_id if isinstance(chat_id, int) and not isinstance(chat_id, bool) else None

    def _update_status(self) -> None:
        # Every settings change ends here, so this is where the image options appear or go.
        settings = self.controller.settings
        self.query_one("#image-options").display = is_image_model(settings.model)
        status = self.status
        status.model = settings.model
        status.format = settings.format_label()
        status.thinking = settings.thinking.label() if settings.thinking is not None else ""
        status.domain = host_of(self.lapp.active_base_url) if self.lapp.active_base_url else ""

    # ------------------------------------------------------------------ conversations

    def refresh_chats(self, *, append: bool = False) -> None:
        store, search = self.lapp.store, self._list_search or None
        offset = len(self.chats.ids) if append else 0
        with self.guard("list the chats"):
            self.chats.current_id = self.conversation_id
            if search:  # the messages that hold the words, each opening its chat there
                titled = [] if append else store.conversations_titled(search)
                hits = store.search_messages(search, limit=LIST_PAGE + 1, offset=offset - self.chats.titled)
                self.chats.set_hits(
                    hits[:LIST_PAGE], more=len(hits) > LIST_PAGE, append=append, titled=titled
                )
                return
            summaries = store.list_conversations(limit=LIST_PAGE, offset=offset, search=search)
            self.chats.current_id = self.conversation_id
            self.chats.set_conversations(summaries, total=store.count_conversations(search), append=append)

    async def _show(self, messages: list[MessageRecord]) -> None:
        """Show another conversation (or none): the controller has already switched."""
        self._end_edit()
        self.history.reset()  # ↑ walks every chat's prompts (loaded at start), from the newest again
        self.image_options_bar.set_options(self.controller.settings.image)
        self.view.set_versions(self.controller.versions)
        await self.view.show_messages(messages)
        self.credits.set_conversation(messages, self.controller.replies_set_aside())
        self.call_after_refresh(gc_pause.settle)
        self.chats.mark_current(self.conversation_id)
        self._update_title()
        self._update_status()

    async def open_conversation(self, conversation_id: int) -> None:
        """Show a stored conversation with its saved settings (a streaming reply is stopped first)."""
        left = self.conversation_id
        try:
            messages = await self.controller.open(conversation_id)
        except (LiaobotsError, sqlite3.Error) as exc:
            self.notify(str(exc), title="Cannot open chat", severity="error")
            return
        await self._show(messages)
        self._drop_discarded(left)

    @on(ConversationList.Opened)
    async def _opened(self, event: ConversationList.Opened) -> None:
        if event.message_id is not None:
            await self.open_at_message(event.conversation_id, event.message_id)
            return
        await self.open_conversation(event.conversation_id)
        self.prompt.focus()

    async def open_at_message(self, conversation_id: int, message_id: int) -> None:
        raise NotImplementedError  # VersionActions: a search hit opens its chat there

    @on(ConversationList.SearchChanged)
    def _searched(self, event: ConversationList.SearchChanged) -> None:
        self._list_search = event.query.strip()
        self.refresh_chats()

    @on(ConversationList.MoreWanted)
    def _more(self, event: ConversationList.MoreWanted) -> None:
        self.refresh_chats(append=True)

    def on_unmount(self) -> None:
        # Quitting in a chat whose only turn failed before any reply byte leaves nothing behind either.
        try:
            self.controller.discard_if_never_answered()
        except (LiaobotsError, sqlite3.Error):
            pass  # the store is closing with the app: the next start shows the chat, nothing worse

    def _drop_discarded(self, left: int | None) -> None:
        """The chat just left never got a reply byte and was deleted: the list drops it too."""
        if left is not None and self.controller.discarded == left:
            self.refresh_chats()

    async def action_new_chat(self) -> None:
        left = self.conversation_id
        await self.controller.new_chat()
        await self._show([])
        self._drop_discarded(left)
        self.chats.option_list.highlighted = None
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
            self.controller.title if target == self.conversation_id else self.lapp.conversation_title(target)
        )

        def done(value: str | None) -> None:
            if value and value.strip():
                with self.guard("rename the chat"):
                    self.controller.rename(target, value)
                self._update_title()
                self.refresh_chats()

        self.app.push_screen(TextInputModal("Rename chat", value=title, ok_label="Rename"), done)

    def action_delete_conversation(self) -> None:
        target = self._target_conversation()
        if target is None:
            self.notify("There is no saved chat to delete.", severity="warning")
            return

        title = (
            self.controller.title if target == self.conversation_id else self.lapp.conversation_title(target)
        )
        name = clean_line(title, 60) or "(untitled)"
        # Where to land when the open chat goes: the chat below it in the list, else the one above.
        listed = [i for i in dict.fromkeys(self.chats.ids) if i != target]
        at = self.chats.ids.index(target) if target in self.chats.ids else len(listed)
        neighbour = listed[min(at, len(listed) - 1)] if listed else None

        async def done(confirmed: bool | None) -> None:
            if not confirmed:
                return
            went = False
            with self.guard("delete the chat"):
                went = await self.controller.delete(target)
                self.notify(f"Deleted “{name}”", timeout=3)
            if went:
                if neighbour is not None:
                    await self.open_conversation(neighbour)
                else:
                    await self._show([])
            self.refresh_chats()

        self.app.push_screen(
            ConfirmModal(
                f"Delete “{name}” (chat {target})?",
                "The conversation and its images are deleted for good.",
                focus_cancel=True,  # Enter on a destructive question should not destroy
            ),
            done,
        )

    def action_focus_chats(self) -> None:
        self.chats.display = True
        self.sidebars.choose("chats", True)
        options = self.chats.option_list
        if options.highlighted is None and self.chats.ids:
            options.highlighted = 0
        options.focus()

    def action_toggle_chats(self) -> None:
        self.chats.display = not self.chats.display
        self.sidebars.choose("chats", self.chats.display)
        if not self.chats.display and self.chats.has_focus_within:
            self.prompt.focus()

    def action_toggle_credits(self) -> None:
        self.set_sidebar_visible(not self.sidebar.has_class("-visible"))
        self.sidebars.choose("credits", self.sidebar.has_class("-visible"))
        if not self.sidebar.has_class("-visible") and self.sidebar.has_focus_within:
            self.prompt.focus()

    def action_refresh_credits(self) -> None:
        self.credits.refresh_credits()

    def action_usage_history(self) -> None:
        from liaobots_tui.ui.screens.usage import UsageScreen  # on first use: not part of the start-up

        folder = app_export_dir(self.app)
        self.app.push_screen(UsageScreen(self.controller.fetch_usage_page, export_dir=folder))

    def action_export(self) -> None:
        self.export_conversation(self.conversation_id, self.controller.title)
