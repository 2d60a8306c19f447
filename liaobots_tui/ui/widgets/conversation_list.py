"""ConversationList: the sidebar of saved conversations (newest first), with search.

It only shows what the screen gives it and reports what the user asked for
(open, rename, delete, search, load more); the screen talks to the store.
Each chat shows when it was last used beside its title (``14:05``, ``Yesterday``,
``Mon``, ``12 Mar``: :mod:`liaobots_tui.chat_dates`); the screen sets the list's
width from the terminal's (:meth:`ConversationList.set_width`) and the titles use it.
"""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message as TextualMessage
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from liaobots_tui.api.sanitize import clean_line
from liaobots_tui.chat_dates import list_date
from liaobots_tui.store import ConversationSummary, SearchHit
from liaobots_tui.ui.widgets.ordered_input import OrderedInput

#: Characters of a row that fit the sidebar at its usual width (32) on one line.
TITLE_WIDTH = 25
#: Columns of the list that are not row text: its border, the rows' padding, the scrollbar.
CHROME = 7


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def summary_label(
    summary: ConversationSummary, width: int = TITLE_WIDTH, now: float | None = None
) -> Content:
    """Two lines: the title (cut to fit) with when it was last used, then model and message count, dimmed."""
    # Titles are typed by the user or taken from a prompt, model ids come from the gateway.
    lines = summary.title.strip().splitlines()
    title = clean_line(lines[0] if lines else "", 200) or "(untitled)"
    when = list_date(summary.updated_at, time.time() if now is None else now)
    title = _fit(title, width - len(when) - 1) if when else _fit(title, width)
    gap = " " * max(1, width - len(title) - len(when))
    count = summary.message_count
    details = " · ".join(
        x
        for x in (clean_line(summary.model or "", 80), f"{count} msg" if count == 1 else f"{count} msgs")
        if x
    )
    return Content.assemble(
        Content(title), Content.styled(gap + when, "dim") if when else "", "\n",
        Content.styled(_fit(details, width), "dim"),
    )  # fmt: skip


def hit_label(hit: SearchHit, width: int = TITLE_WIDTH) -> Content:
    """Two lines: the chat's title, then the words around the match, the matched ones bold."""
    # The snippet is already one clean line (the store cleans it); the highlights index into it.
    snippet_width = 2 * width
    first = hit.highlights[0][0] if hit.highlights else 0
    start = max(0, min(first - 8, len(hit.snippet) - snippet_width))
    end = start + snippet_width
    pieces: list[Content] = []
    at = start
    for span_start, span_end in hit.highlights:
        span_start, span_end = max(span_start, start), min(span_end, end)
        if span_start >= span_end:
            continue
        pieces += [
            Content(hit.snippet[at:span_start]),
            Content.styled(hit.snippet[span_start:span_end], "bold $accent"),
        ]
        at = span_end
    pieces.append(Content(hit.snippet[at:end]))
    snippet = Content.assemble(Content("…" if start > 0 else ""), *pieces)
    who = "you: " if hit.role == "user" else ""
    title = clean_line(hit.title, 200) or "(untitled)"
    return Content.assemble(Content(_fit(title, width)), "\n", Content.styled(who, "dim"), snippet)


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
        """Open a chat; at ``message_id`` (a search hit) when given."""

        def __init__(self, conversation_id: int, message_id: int | None = None) -> None:
            super().__init__()
            self.conversation_id = conversation_id
            self.message_id = message_id

    class SearchChanged(TextualMessage):
        def __init__(self, query: str) -> None:
            super().__init__()
            self.query = query

    class MoreWanted(TextualMessage):
        """The highlight reached the end of a partial list."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        #: Characters of row text per line (the list's width less its chrome).
        self.label_width = TITLE_WIDTH
        #: What each row shows, beside ``ids``: relabelled when the width changes.
        self._rows: list[ConversationSummary | SearchHit] = []
        self.ids: list[int] = []
        #: Beside ``ids``: the message a search hit opens its chat at (None for a plain row).
        self.message_ids: list[int | None] = []
        #: Rows at the top of a search that matched a chat's title rather than a message.
        self.titled = 0
        self.total = 0
        self.current_id: int | None = None

    def _label(self, row: ConversationSummary | SearchHit) -> Content:
        if isinstance(row, SearchHit):
            return hit_label(row, self.label_width)
        return summary_label(row, self.label_width)

    def set_width(self, columns: int) -> None:
        """Make the list ``columns`` wide; the rows are cut to the new width."""
        self.styles.width = columns
        width = max(12, columns - CHROME)
        if width == self.label_width:
            return
        self.label_width = width
        options = self.option_list
        for index, row in enumerate(self._rows):
            if index < options.option_count:
                options.replace_option_prompt_at_index(index, self._label(row))

    def compose(self) -> ComposeResult:
        yield Static(Content("Chats"), classes="sidebar-title")
        # Each key reruns the search on the screen: its editing keys must not wait behind that.
        yield OrderedInput(placeholder="Search chats…", id="chat-search", compact=True)
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
            self.ids, self.message_ids, self.titled, self._rows = [], [], 0, []
        options.add_options([Option(self._label(s), id=f"c{s.id}") for s in summaries])
        self._rows += summaries
        self.ids += [s.id for s in summaries]
        self.message_ids += [None] * len(summaries)
        self.total = total
        if keep is not None:
            options.highlighted = keep
        else:
            self.mark_current(self.current_id)

    def set_hits(
        self,
        hits: list[SearchHit],
        *,
        more: bool,
        append: bool = False,
        titled: list[ConversationSummary] | None = None,
    ) -> None:
        """Show search ``hits`` (or add them) below the chats ``titled`` with the words.

        ``more``: a further page of hits exists.
        """
        options = self.option_list
        keep = options.highlighted if append else None
        if not append:
            options.clear_options()
            self.ids, self.message_ids, self._rows = [], [], []
            titled = titled or []
            options.add_options([Option(self._label(s), id=f"c{s.id}") for s in titled])
            self._rows += titled
            self.ids += [s.id for s in titled]
            self.message_ids += [None] * len(titled)
            self.titled = len(titled)
        start = len(self.ids)
        options.add_options([Option(self._label(h), id=f"h{start + i}") for i, h in enumerate(hits)])
        self._rows += hits
        self.ids += [h.conversation_id for h in hits]
        self.message_ids += [h.message_id for h in hits]
        self.total = len(self.ids) + (1 if more else 0)
        if keep is not None:
            options.highlighted = keep
        elif not self.ids:
            options.add_option(Option(Content.styled("No message matches", "dim"), disabled=True))

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
            index = event.option_index
            self.post_message(self.Opened(self.ids[index], self.message_ids[index]))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option_index >= len(self.ids) - 5 and len(self.ids) < self.total:
            self.post_message(self.MoreWanted())
