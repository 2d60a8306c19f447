"""ConversationList: the sidebar of saved conversations (newest first), with search.

It only shows what the screen gives it and reports what the user asked for
(open, rename, delete, search, load more); the screen talks to the store.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message as TextualMessage
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from liaobots_tui.api.sanitize import clean_line
from liaobots_tui.store import ConversationSummary

#: Characters of a title that fit the sidebar on one line.
TITLE_WIDTH = 25


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def summary_label(summary: ConversationSummary) -> Content:
    """Two lines: the title (cut to fit), then model and message count, dimmed."""
    # Titles are typed by the user or taken from a prompt, model ids come from the gateway.
    lines = summary.title.strip().splitlines()
    title = clean_line(lines[0] if lines else "", 200) or "(untitled)"
    count = summary.message_count
    details = " · ".join(
        x
        for x in (clean_line(summary.model or "", 80), f"{count} msg" if count == 1 else f"{count} msgs")
        if x
    )
    return Content.assemble(
        Content(_fit(title, TITLE_WIDTH)), "\n", Content.styled(_fit(details, TITLE_WIDTH), "dim")
    )


class ChatOptionList(OptionList):
    BINDINGS = [
        Binding("f2,r", "screen.rename_conversation", "Rename"),
        Binding("delete,d", "screen.delete_conversation", "Delete"),
        Binding("n", "screen.new_chat", "New chat", show=False),
        Binding("slash", "focus_search", "Search", show=False),
        # Esc stops a streaming reply first (as everywhere), else goes back to the prompt.
        Binding("escape", "screen.leave", "Back to prompt"),
    ]

    def action_focus_search(self) -> None:
        self.screen.query_one("#chat-search", Input).focus()


class ConversationList(Vertical):
    """Search box + list. ``ids`` are conversation ids in display order."""

    class Opened(TextualMessage):
        def __init__(self, conversation_id: int) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    class SearchChanged(TextualMessage):
        def __init__(self, query: str) -> None:
            super().__init__()
            self.query = query

    class MoreWanted(TextualMessage):
        """The highlight reached the end of a partial list."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ids: list[int] = []
        self.total = 0
        self.current_id: int | None = None

    def compose(self) -> ComposeResult:
        yield Static(Content("Chats"), classes="sidebar-title")
        yield Input(placeholder="Search chats…", id="chat-search", compact=True)
        yield ChatOptionList(id="chat-list")

    @property
    def option_list(self) -> ChatOptionList:
        return self.query_one(ChatOptionList)

    @property
    def highlighted_id(self) -> int | None:
        index = self.option_list.highlighted
        if index is None or not 0 <= index < len(self.ids):
            return None
        return self.ids[index]

    def set_conversations(
        self, summaries: list[ConversationSummary], *, total: int, append: bool = False
    ) -> None:
        """Show ``summaries`` (or add them after the ones shown); ``total`` counts all matches."""
        options = self.option_list
        keep = options.highlighted if append else None
        if not append:
            options.clear_options()
            self.ids = []
        options.add_options([Option(summary_label(s), id=f"c{s.id}") for s in summaries])
        self.ids += [s.id for s in summaries]
        self.total = total
        if keep is not None:
            options.highlighted = keep
        else:
            self.mark_current(self.current_id)

    def mark_current(self, conversation_id: int | None) -> None:
        self.current_id = conversation_id
        if conversation_id is not None and conversation_id in self.ids:
            self.option_list.highlighted = self.ids.index(conversation_id)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "chat-search":
            event.stop()
            self.post_message(self.SearchChanged(event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "chat-search":
            event.stop()
            if self.option_list.highlighted is None and self.ids:
                self.option_list.highlighted = 0
            self.option_list.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self.ids):
            self.post_message(self.Opened(self.ids[event.option_index]))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option_index >= len(self.ids) - 5 and len(self.ids) < self.total:
            self.post_message(self.MoreWanted())
