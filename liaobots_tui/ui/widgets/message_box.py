"""MessageBox: one message of the conversation (user prompt, assistant reply, failure): its chrome.

The chrome is the header ("Assistant · model · format", focusable to copy, edit or
regenerate), a collapsed :class:`ThinkingBlock` for reasoning, the sources list and
the notice line (streaming, failed with the reason, cancelled, a retry in progress).
The text itself is one or more :class:`~liaobots_tui.ui.widgets.markdown_column.MarkdownColumn`
(which owns streaming, bounded pieces and parking): a generated image closes the
current column and later text opens a new one, so text and images keep the order
the model sent them in.

A finished box far off screen *folds*: it lets its children go and stands as a blank of
its height until it comes near again, then composes them from its record (see
:mod:`~liaobots_tui.ui.widgets.turn_park`); ask for :attr:`MessageBox.header`, not a query.

Everything shown here that came from outside (reply and thinking text, model ids,
the error line, the user's own pasted text) is plain text, never markup, and
terminal-safe (see :mod:`liaobots_tui.ui.plain`).
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Collapsible, Static

from liaobots_tui.api.messages import ImagePart, ReasoningPart, Source, TextPart
from liaobots_tui.api.sanitize import clean_line, clean_text
from liaobots_tui.attachment_sizes import human_size
from liaobots_tui.reply_line import reply_line
from liaobots_tui.store import MessageRecord, Version
from liaobots_tui.store.big_text import unread_text
from liaobots_tui.ui.plain import plain, plain_line
from liaobots_tui.ui.widgets.attachment_thumbs import AttachmentThumbs
from liaobots_tui.ui.widgets.height_free import HeightFree
from liaobots_tui.ui.widgets.image_preview import ImagePreview
from liaobots_tui.ui.widgets.lazy_text import LAZY_CHARS, LazyText
from liaobots_tui.ui.widgets.markdown_column import MarkdownColumn, PiecesAside
from liaobots_tui.ui.widgets.sources import SourcesList
from liaobots_tui.ui.widgets.turn_park import NOWHERE, Folded, within
from liaobots_tui.ui.widgets.uniform_rows import UniformRows
from liaobots_tui.usage_stats import ReplyCost

#: Longest error line under a failed reply (the full text is in the toast and the log).
NOTICE_CHARS = 500
#: The message statuses shown as a class (``-complete``…) on its header and notice line.
_STATUSES = ("streaming", "complete", "failed", "cancelled")


class ThinkingBlock(Collapsible):
    """Collapsed reasoning above the answer; the title tells whether it is still arriving."""

    DEFAULT_CSS = """
    ThinkingBlock { height: auto; }
    """

    def __init__(self, text: str = "", *, live: bool = False, collapsed: bool = True) -> None:
        #: Long reasoning from history is drawn lazily (and only once expanded).
        self.lazy = LazyText(text, classes="thinking") if not live and len(text) > LAZY_CHARS else None
        self.column = MarkdownColumn("" if self.lazy else text, streaming=live, classes="thinking")
        self._chars = len(text)
        super().__init__(self.lazy or self.column, title=self._label(live), collapsed=collapsed)

    @property
    def text(self) -> str:
        """The reasoning received so far."""
        return self.lazy.text if self.lazy is not None else self.column.text

    def _label(self, live: bool) -> str:
        words = f"{self._chars:,} chars"
        return f"Thinking… ({words})" if live else f"Thinking ({words})"

    def grew(self, chars: int, *, live: bool) -> None:
        self._chars += chars
        self.title = self._label(live)

    def settle(self) -> None:
        self.title = self._label(False)


class MessageHeader(Static, can_focus=True):
    """The first line of a message ("You", "Assistant · model · format"); focusing it selects the message.

    Selection and status live on this one-line widget, not on the MessageBox: a class
    or pseudo-class change restyles the node and every descendant, and a long reply
    has thousands of them.
    """

    BINDINGS = [
        Binding("c", "screen.copy_message", "Copy"),
        Binding("b", "screen.copy_code", "Copy code"),
        Binding("e", "screen.edit_message", "Edit & resend"),
        Binding("r", "screen.regenerate", "Regenerate"),
        Binding("left,less_than_sign", "screen.version(-1)", "‹ Version", show=False),
        Binding("right,greater_than_sign", "screen.version(1)", "Version ›", show=False),
        Binding("f", "screen.fork", "Fork from here"),
        Binding("s", "focus_sources", "Sources", show=False),
        Binding("up,k", "screen.focus_message(-1)", "Previous", show=False),
        Binding("down,j", "screen.focus_message(1)", "Next", show=False),
        Binding("i", "screen.focus_prompt", "Back to prompt"),
        # Esc stops a streaming reply first (as everywhere), else goes back to the prompt.
        Binding("escape", "screen.leave", "Back to prompt", show=False),
    ]

    @property
    def box(self) -> MessageBox:
        parent = self.parent
        assert isinstance(parent, MessageBox)
        return parent

    def action_focus_sources(self) -> None:
        """Go to the reply's source links (↑/↓ pick, Enter opens, c copies)."""
        lists = self.box.query_children(SourcesList)
        if lists and lists.first().sources:
            lists.first().focus()
        else:
            self.notify("This message cites no sources", severity="warning", timeout=3)


class MessageBox(HeightFree, UniformRows, Vertical):
    """A message in the conversation. Focus its header (ctrl+g) to copy, edit or regenerate."""

    def __init__(
        self,
        message: MessageRecord,
        *,
        streaming: bool = False,
        version: Version | None = None,
        cost: ReplyCost | None = None,
        id: str | None = None,
    ) -> None:
        role_class = "-user" if message.role == "user" else "-assistant"
        super().__init__(id=id, classes=role_class)
        #: The message as stored (a frozen record): replaced, never changed, when the reply changes.
        self.message = message
        #: Which of its versions this message is, when it has others (shown as ‹ 2/3 ›).
        self.version = version
        #: What the reply cost (exact from its usage record, or an estimate), for its reply line.
        self.cost = cost
        self.streaming = streaming
        #: The text columns of the reply, in order (images sit between them).
        self._columns: list[MarkdownColumn] = []
        #: Long finished texts (from history), drawn a screenful at a time.
        self._lazy: list[LazyText] = []
        self._thinking: ThinkingBlock | None = None
        self._thinking_seen = False
        self._text_seen = False
        self._stream_chars = 0
        #: The notice line while it has something to say (see _refresh_notice).
        self._notice_line: Static | None = None
        self._header_widget: MessageHeader | None = None
        #: Set while it stands as a blank with no children (see turn_park).
        self._folded: Folded | None = None
        #: While composing again: the pieces set aside, each with its screen row, and the rows
        #: near the view (see unfold).
        self._restoring: list[tuple[PiecesAside, int]] = []
        self._window = NOWHERE
        #: Unfolded on request (its header asked for): stays until the view has come near it.
        self._hold = False
        #: The record whose text its columns were found not to show (see _shows_its_record).
        self._differs_from: MessageRecord | None = None

    # ------------------------------------------------------------------ composition

    def compose(self) -> ComposeResult:
        # The status classes from the start: set after mounting, each restyled its widget again.
        self._header_widget = MessageHeader(self._header(), classes=f"header {self._status_class()}")
        yield self._header_widget
        if self.message.role == "user":
            text = self.message.text
            if len(text) > LAZY_CHARS:
                lazy = LazyText(text, markdown=False, classes="body user-text")
                self._lazy.append(lazy)
                yield lazy
            elif text:
                yield Static(plain(text), classes="body user-text")
            for file in self.message.files:
                # The size only: a page count would read every stored PDF when a chat opens.
                kind = "PDF" if file.file_kind == "pdf" else "text"
                chip = f"▤ {file.name} · {kind} · {human_size(file.size)}"
                yield Static(plain_line(chip), classes="file-chip")
            if self.message.images:
                yield AttachmentThumbs(self.message.images, self._image_mode())
        elif self.streaming:
            self._thinking = ThinkingBlock(live=True)
            self._thinking.display = False
            yield self._thinking
            column = MarkdownColumn(streaming=True)
            self._columns.append(column)
            yield column
        else:
            yield from self._static_parts()
        if self.message.role != "user":
            if self.message.sources:
                # Grounding links (Gemini Google Search); mounted when there are some (set_sources).
                yield SourcesList(self.message.sources)
            # Tokens, time and credits once the reply has ended (hidden while it streams).
            yield Static(Content(""), classes="reply-line")
        # The notice line is mounted while it has something to say (_refresh_notice): a widget is
        # ~22 kB (its message queue, task, styles and caches), and a chat keeps every message's.
        notice = self._notice()
        if notice:  # composed, not mounted after (a failed reply from history, a reply starting)
            self._notice_line = Static(Content(notice), classes=f"notice {self._status_class()}")
            yield self._notice_line

    def _status_class(self) -> str:
        return f"-{self.message.status}" if self.message.status in _STATUSES else ""

    def _image_mode(self) -> str | None:
        """The app's ``image_mode`` setting (auto/halfcell/unicode/off); None outside the chat app."""
        settings = getattr(self.app, "settings", None)
        mode = getattr(settings, "image_mode", None)
        return mode if isinstance(mode, str) else None

    def _tail(self) -> Widget | None:
        """What new content goes above: the sources list of a reply, else its reply line, else the
        notice line; None (the end) when there is none of them."""
        for selector in ("SourcesList", ".reply-line"):
            found = self.query_children(selector)
            if found:
                return found.first()
        return self._notice_line

    def set_sources(self, sources: Iterable[Source]) -> None:
        """Show the reply's grounding links (SourcesEvent while streaming)."""
        self.message = self.message.revised(sources=tuple(sources))
        if self._folded is not None:
            return  # composed with them when it unfolds
        lists = self.query_children(SourcesList)
        if lists:
            lists.first().sources = list(self.message.sources)
        elif self.message.sources and self.message.role != "user":
            lines = self.query_children(".reply-line")
            self.mount(SourcesList(self.message.sources), before=lines.first() if lines else None)

    def _static_parts(self) -> ComposeResult:
        reasoning = "".join(p.text for p in self.message.parts if isinstance(p, ReasoningPart))
        if reasoning and not reasoning.isspace():
            folded = self._folded
            self._thinking = ThinkingBlock(reasoning, collapsed=not (folded and folded.thinking_open))
            if self._thinking.lazy is not None:
                self._lazy.append(self._thinking.lazy)
            yield self._thinking
        text: list[TextPart] = []
        for part in self.message.parts:
            if isinstance(part, TextPart):
                text.append(part)
            elif isinstance(part, ImagePart):
                yield from self._static_text(text)
                text = []
                yield ImagePreview(part, self._image_mode())
        yield from self._static_text(text)

    def _static_text(self, parts: list[TextPart]) -> ComposeResult:
        unread = unread_text(parts)
        if unread is not None:  # a huge reply not read from the store yet: its end is shown first
            lazy = LazyText(unread)
            self._lazy.append(lazy)
            yield lazy
            return
        text = "".join(part.text for part in parts)
        if self._restoring and self._restoring[0][0].text() == text:
            # Folded and coming back: its pieces as they were (see turn_park).
            aside, y = self._restoring.pop(0)
            column = MarkdownColumn.from_aside(aside, y, *self._window)
            self._columns.append(column)
            yield column
            return
        # isspace, not strip: strip would copy a 50 MB text to test it.
        if len(text) > LAZY_CHARS and not text.isspace():
            lazy = LazyText(text)
            self._lazy.append(lazy)
            yield lazy
        elif text.strip():
            column = MarkdownColumn(text)
            self._columns.append(column)
            yield column

    def _header(self) -> Content:
        label = Content.from_markup("[b]You[/]" if self.message.role == "user" else "[b]Assistant[/]")
        if self.version is not None:
            # Before the model: a narrow column (100 columns with the chats list open) cuts the
            # header's end, and it cut the only sign that the reply has other versions.
            label = label + Content.styled(
                f"  ‹ {self.version.number}/{self.version.count} ›", "bold $accent"
            )
        if self.message.role != "user":
            # Model ids and format names come from the gateway and the store: plain, one line.
            details = " · ".join(clean_line(x, 80) for x in (self.message.model, self.message.format) if x)
            if details:
                label = label + Content.styled(f"  {details}", "dim")
        return label

    def set_version(self, version: Version | None) -> None:
        """Show which of its versions this message is (None: it has no others)."""
        if version != self.version:
            self.version = version
            if self.is_mounted and self._folded is None:
                self.header.update(self._header())

    def _notice(self) -> str:
        status = self.message.status
        if status == "failed":
            return "✗ " + (clean_line(self.message.error or "", NOTICE_CHARS) or "Failed")
        if status == "cancelled":
            return "■ Cancelled: the partial reply is kept"
        if self.streaming and not self._stream_chars:
            return "…"
        return ""

    def _apply_status_class(self) -> None:
        # On the header and notice only (see MessageHeader): cheap however long the reply.
        for widget in self.query_children(".header, .notice"):
            for status in _STATUSES:
                widget.set_class(self.message.status == status, f"-{status}")

    @property
    def header(self) -> MessageHeader:
        """Its header (a folded box composes itself again first: see turn_park)."""
        self._unfold_to_show()
        if self._header_widget is None:  # not composed yet
            return self.query_one(MessageHeader)
        return self._header_widget

    def sources_list(self) -> SourcesList | None:
        """The reply's sources list, if it shows one (a folded box composes itself again first)."""
        if self.message.sources:
            self._unfold_to_show()
        lists = self.query_children(SourcesList).results(SourcesList)
        return next((found for found in lists if not found._pruning), None)

    def select(self) -> None:
        """Focus this message (its header) and scroll it into view."""
        self.header.focus()
        self.header.scroll_visible(animate=False)

    def _refresh_notice(self, override: str | None = None) -> None:
        """Show the notice line (mounted last, when first needed), or remove it when it has nothing to say."""
        if self._folded is not None:
            return  # composed from the record when it unfolds
        text = clean_line(override, NOTICE_CHARS) if override is not None else self._notice()
        notice = self._notice_line
        if not text:
            if notice is not None:
                self._notice_line = None  # (it stays a child until its removal is processed)
                notice.remove()
        elif notice is None:
            self._notice_line = Static(Content(text), classes=f"notice {self._status_class()}")
            self.mount(self._notice_line)
        else:
            notice.update(Content(text))

    def on_mount(self) -> None:
        self._refresh_notice()
        self._refresh_reply_line()
        self._apply_status_class()

    def set_cost(self, cost: ReplyCost | None) -> None:
        """What the reply cost, for its reply line (the credits panel matches usage records)."""
        if cost != self.cost:
            self.cost = cost
            if self.is_mounted:
                self._refresh_reply_line()

    @property
    def reply_line_text(self) -> str:
        """The line under a finished reply ("" for prompts, streaming or unknown replies)."""
        if self.message.role == "user" or self.streaming:
            return ""
        return reply_line(self.message, self.cost)

    def _refresh_reply_line(self) -> None:
        for line in self.query_children(".reply-line").results(Static):
            text = self.reply_line_text
            line.update(plain_line(text))
            line.display = bool(text)

    # ------------------------------------------------------------------ streaming

    @property
    def columns(self) -> list[MarkdownColumn]:
        """The reply's text columns, in order."""
        return list(self._columns)

    @property
    def streamed_text(self) -> str:
        """The visible text received so far (what copy copies while streaming)."""
        return "".join(column.text for column in self._columns)

    @property
    def streamed_chars(self) -> int:
        return self._stream_chars

    @property
    def shown_chars(self) -> int:
        """Characters handed to the Markdown widgets so far (benchmarks watch it)."""
        thinking = self._thinking.column.shown_chars if self._thinking is not None else 0
        return thinking + sum(column.shown_chars for column in self._columns)

    def _received(self, chars: int) -> None:
        first = not self._stream_chars
        self._stream_chars += chars
        if first:
            self._refresh_notice()

    def append_text(self, text: str) -> None:
        """Queue a text delta; it appears at the next throttled flush."""
        if not text or not self._columns:
            return
        if not self._text_seen:
            self._text_seen = True
            if self._thinking is not None:
                self._thinking.settle()
        self._received(len(text))
        self._columns[-1].append(text)

    def append_reasoning(self, text: str) -> None:
        """Queue a reasoning delta for the thinking block."""
        if not text or self._thinking is None:
            return
        if not self._thinking_seen:
            self._thinking_seen = True
            self._thinking.display = True
        self._received(len(text))
        self._thinking.grew(len(text), live=not self._text_seen)
        self._thinking.column.append(text)

    async def add_image(self, part: ImagePart) -> None:
        """Show a generated image after the text so far; later text goes below it."""
        if self._columns:
            await self._columns[-1].finish()
        self._received(1)
        preview = ImagePreview(part, self._image_mode())
        column = MarkdownColumn(streaming=True)
        tail = self._tail()
        await self.mount(preview, before=tail)
        await self.mount(column, before=tail)
        self._columns.append(column)

    def set_notice(self, text: str | None) -> None:
        """A transient line under the reply ("Rate limited, retrying in 2 s"); None restores the status."""
        self._refresh_notice(text)

    async def finish(self, message: MessageRecord | None = None) -> None:
        """End the stream: drain, stop the streams, one full render of the final text.

        ``message`` is the saved reply (TurnEnded); None when the stream was
        cancelled, in which case the text received so far is kept as is.
        """
        if self._thinking is not None:
            await self._thinking.column.finish()
        for column in self._columns:
            if column.streaming:
                await column.finish()
        if message is not None:
            self.message = message
        elif self.message.status == "streaming":
            self.message = self.message.ended("cancelled", None, error="Cancelled", finish_reason="cancelled")
        self.streaming = False
        if self._thinking is not None:
            self._thinking.settle()
            if not self._thinking_seen and not self.message.reasoning:
                await self._thinking.remove()
                self._thinking = None
        if message is not None and message.sources:
            self.set_sources(message.sources)
        if message is not None and message.parts and not self._stream_chars:
            # Nothing streamed (a non-streaming reply): render the parts whole.
            await self._render_parts_now()
        elif message is not None:
            self._share_texts()
        self._apply_status_class()
        self.header.update(self._header())
        self._refresh_notice()
        self._refresh_reply_line()

    def _share_texts(self) -> None:
        """Let the finished columns read their pieces from the saved reply's strings (held once).

        A column is the text parts between two images (see add_image); one whose run is a
        single part reads from that part's string, which the record keeps anyway. A run of
        several parts would need a joined copy: such a column keeps its own text.
        """
        runs: list[list[str]] = [[]]
        for part in self.message.parts:
            if isinstance(part, TextPart):
                runs[-1].append(part.text)
            elif isinstance(part, ImagePart):
                runs.append([])
        if len(runs) == len(self._columns):
            for column, run in zip(self._columns, runs, strict=True):
                if len(run) == 1:
                    column.share_text(run[0])
        reasoning = [part.text for part in self.message.parts if isinstance(part, ReasoningPart)]
        if self._thinking is not None and len(reasoning) == 1:
            self._thinking.column.share_text(reasoning[0])

    @property
    def own_chars(self) -> int:
        """Characters of reply text its columns hold beside the record's own strings (see _share_texts)."""
        thinking = self._thinking.column.own_chars if self._thinking is not None else 0
        return thinking + sum(column.own_chars for column in self._columns)

    async def _render_parts_now(self) -> None:
        tail = self._tail()
        for child in list(self.children):
            kept = child is tail or isinstance(child, SourcesList)
            if not (kept or any(child.has_class(name) for name in ("header", "reply-line", "notice"))):
                await child.remove()
        self._columns = []
        self._lazy = []
        self._thinking = None
        widgets: list[Widget] = list(self._static_parts())
        if widgets:
            await self.mount_all(widgets, before=tail)

    # ------------------------------------------------------------------ parking

    def park_offscreen(self, top: int, bottom: int) -> bool:
        """Park the reply's sealed pieces outside screen rows ``top``..``bottom`` (see MarkdownColumn)
        and draw the sections of its long texts within them (see LazyText); True when the caller
        should look again after the next layout. A folded box within those rows composes itself
        again (see turn_park)."""
        region = self.region
        near = bool(region.height) and within(region.y, region.height, top, bottom)
        if self._folded is not None:
            if near:
                self.unfold(top, bottom)
                return True
            return False
        if near:
            self._hold = False
        changed = False
        for column in self._columns:
            changed = column.park_offscreen(top, bottom) or changed
        for lazy in self._lazy:
            changed = lazy.show_rows(top, bottom) or changed
        return changed

    def fold_beyond(self, top: int, bottom: int) -> bool:
        """Fold (see turn_park) if it lies wholly outside screen rows ``top``..``bottom``."""
        region = self.region
        if not region.height or within(region.y, region.height, top, bottom):
            return False
        return self.fold()

    # ------------------------------------------------------------------ folding (turn_park)

    @property
    def folded(self) -> bool:
        """It stands as a blank with no children (see turn_park)."""
        return self._folded is not None

    def _can_fold(self) -> bool:
        message = self.message
        return (
            self._folded is None
            and not self._hold
            and self.is_mounted
            and not self.streaming
            and message.status != "streaming"
            and not self._lazy  # long texts from history: their sections' heights live in them
            and not message.images
            and not any(isinstance(part, ImagePart) for part in message.parts)
            and not self.has_class("-editing")
            and not self.has_focus_within
            and all(column.can_set_aside for column in self._columns)
            and self._shows_its_record()
        )

    def _shows_its_record(self) -> bool:
        """Do its columns show exactly its record's text runs (so it can be composed again from it)?

        A reply cut short without its saved record (a turn that ended without one) shows text the
        record lacks; such a box never folds. Checked once per record.
        """
        if self.message.role == "user":
            return True  # its text is a plain Static made from the record
        if self._differs_from is self.message:
            return False
        runs: list[str] = [""]
        for part in self.message.parts:
            if isinstance(part, TextPart):
                runs[-1] += part.text
            elif isinstance(part, ImagePart):
                runs.append("")
        shown = [column.text for column in self._columns]
        if [run for run in runs if run.strip()] != [text for text in shown if text.strip()]:
            self._differs_from = self.message
            return False
        return True

    def fold(self) -> bool:
        """Let every child go and stand as a blank of the same height; False when it may not
        (streaming, selected, edited, images, a long lazy text, not laid out yet)."""
        region = self.region
        if not region.height or not self._can_fold():
            return False
        asides: list[PiecesAside] = []
        for column in self._columns:
            aside = column.set_aside(column.region.y - region.y)
            if aside is not None and aside.segments and not aside.text().isspace():
                asides.append(aside)
        header = self._header_widget
        self._folded = Folded(
            height=region.height,
            asides=asides,
            text_rows=sum(child.outer_size.height for child in self.query_children(".user-text")),
            header_classes=tuple(header.classes) if header is not None else (),
            thinking_open=self._thinking is not None and not self._thinking.collapsed,
        )
        self.remove_children()
        self.styles.height = region.height
        self._columns, self._lazy, self._thinking = [], [], None
        self._notice_line = self._header_widget = None
        return True

    def _unfold_to_show(self) -> None:
        """Unfold for a caller about to show it (select, a search hit, its sources): its first
        screenful drawn at once, and it stays unfolded until the view has come near it."""
        if self._folded is not None:
            y = self.region.y
            self.unfold(y, y + self.screen.size.height, hold=True)

    def unfold(self, top: int | None = None, bottom: int | None = None, *, hold: bool = False) -> None:
        """Compose the children again from the record, the pieces near screen rows ``top``..``bottom``
        drawn and the others parked at the heights they had (without rows, all parked). ``hold``:
        it stays unfolded until the view has come near it."""
        folded = self._folded
        if folded is None:
            return
        y = self.region.y
        self._restoring = [(aside, y + aside.offset) for aside in folded.asides]
        self._window = (top, bottom) if top is not None and bottom is not None else NOWHERE
        self._hold = hold
        try:
            widgets = list(self.compose())
        finally:
            self._restoring = []
            self._window = NOWHERE
            self._folded = None
        if self._header_widget is not None:
            self._header_widget.add_class(*folded.header_classes)
        self.styles.height = None
        self.mount_all(widgets)
        self._refresh_reply_line()

    def rescale_parked(self, old_width: int, new_width: int) -> None:
        """The width changed: shown pieces measure themselves again, parked ones are re-estimated."""
        if self._folded is not None:
            self._folded.rescale(old_width, new_width)
            self.styles.height = self._folded.height
            return
        for column in self._columns:
            column.unpin()
            column.rescale_parked(old_width, new_width)
        for lazy in self._lazy:
            lazy.width_changed()

    @property
    def parked_count(self) -> int:
        if self._folded is not None:
            return sum(len(aside.segments) for aside in self._folded.asides)
        return sum(column.parked_count for column in self._columns)

    # ------------------------------------------------------------------ queries

    @property
    def copy_text(self) -> str:
        """What "copy" puts on the clipboard: the text shown in this box (terminal-safe, as shown)."""
        if self.streaming:
            return self.streamed_text
        return clean_text(self.message.text) or self.streamed_text
