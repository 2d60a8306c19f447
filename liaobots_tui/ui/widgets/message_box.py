"""MessageBox: one message of the conversation (user prompt, assistant reply, failure).

A streaming reply grows through Textual's Markdown streaming API: deltas are
buffered and written to a :class:`~textual.widgets.markdown.MarkdownStream` at
most every :attr:`MessageBox.THROTTLE` seconds, so each write re-parses only the
last block and a long reply costs the same per delta at the end as at the start.
A long reply is a column of Markdown *pieces* of :attr:`MessageBox.SEAL_BLOCKS`
top-level blocks each, cut only between top-level blocks (so each piece parses
exactly as it would inside the whole text). When the live piece fills up, the rest
of its last blocks is streamed in (no remount of the whole piece), it is sealed
and a new piece takes over; when the reply ends the live piece gets one full
render, so the finished message is what a reload shows. Per flush the work is bounded (:attr:`FLUSH_CHARS`),
so a model that outruns the renderer is drawn in slices, never in one freeze.

Reasoning goes into a collapsed :class:`ThinkingBlock` above the answer,
streamed the same way. A generated image closes the current text piece; later
text opens a new one, so text and images keep the order the model sent them in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import replace

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message as TextualMessage
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Collapsible, Markdown, Static
from textual.widgets.markdown import MarkdownStream

from liaobots_tui.api.messages import ImagePart, Message, ReasoningPart, Source, TextPart
from liaobots_tui.ui.widgets.attachment_thumbs import AttachmentThumbs
from liaobots_tui.ui.widgets.image_preview import ImagePreview
from liaobots_tui.ui.widgets.sources import SourcesList


def _hard_breaks(state: StateCore) -> None:
    for token in state.tokens:
        if token.type == "inline" and token.children:
            for child in token.children:
                if child.type == "softbreak":
                    child.type = "hardbreak"


def chat_parser() -> MarkdownIt:
    """GFM, but a single newline stays a line break: models write poems, addresses and
    step lists that way, and chat UIs show them as written."""
    parser = MarkdownIt("gfm-like")
    parser.core.ruler.push("chat_hard_breaks", _hard_breaks)
    return parser


def block_starts(text: str) -> list[int]:
    """Line numbers where the top-level Markdown blocks of ``text`` start."""
    return [
        t.map[0] for t in chat_parser().parse(text) if t.level == 0 and t.map is not None and t.nesting >= 0
    ]


def split_blocks(text: str, size: int) -> list[str]:
    """``text`` cut between top-level blocks into pieces of about ``size`` blocks each.

    Each piece parses exactly as it did inside the whole text (cuts fall only
    between top-level blocks), so one Markdown widget per piece shows the same.
    """
    starts = block_starts(text)
    if len(starts) <= size:
        return [text]
    lines = text.splitlines(keepends=True)
    cuts = starts[size::size]
    pieces, previous = [], 0
    for cut in [*cuts, len(lines)]:
        piece = "".join(lines[previous:cut])
        if piece:
            pieces.append(piece)
        previous = cut
    return pieces


async def stop_stream(stream: MarkdownStream) -> None:
    """``stream.stop()``, tolerating Textual's stop of a stream task that never ran.

    Cancelling a task before its first step makes ``await task`` raise
    CancelledError in the caller (and drops the queued text). Only a cancel aimed
    at the caller itself propagates; the queued text is appended here instead.
    """
    try:
        await stream.stop()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
        pending = "".join(stream._pending)
        stream._pending.clear()
        stream._stopped = True
        if pending:
            await stream.markdown_widget.append(pending)


def _new_markdown(text: str = "", classes: str = "body") -> Markdown:
    # open_links=False: a click must never launch a browser from inside a chat.
    return Markdown(text, classes=classes, open_links=False, parser_factory=chat_parser)


class ThinkingBlock(Collapsible):
    """Collapsed reasoning above the answer; the title tells whether it is still arriving."""

    DEFAULT_CSS = """
    ThinkingBlock { height: auto; }
    """

    def __init__(self, text: str = "", *, live: bool = False) -> None:
        self.markdown = _new_markdown(text, classes="thinking")
        self._chars = len(text)
        super().__init__(self.markdown, title=self._label(live), collapsed=True)

    def _label(self, live: bool) -> str:
        words = f"{self._chars:,} chars"
        return f"Thinking… ({words})" if live else f"Thinking ({words})"

    def grew(self, chars: int, *, live: bool) -> None:
        self._chars += chars
        self.title = self._label(live)

    def settle(self) -> None:
        self.title = self._label(False)


class _Segment:
    """A text segment being streamed: its widget, stream and the text written so far."""

    def __init__(self, markdown: Markdown) -> None:
        self.markdown = markdown
        self.stream: MarkdownStream | None = None
        self.chunks: list[str] = []
        self.pending: list[str] = []
        #: Finished: its blocks are final and it is never written again (it may be parked).
        self.sealed = False
        #: Rows it took when it was parked (0: shown). See MessageBox.park_offscreen.
        self.parked_height = 0

    def text(self) -> str:
        return "".join(self.chunks)


class ParkedRun(Static):
    """A blank as tall as the adjacent parked pieces it stands in for (``members``, in order)."""

    def __init__(self) -> None:
        super().__init__("", classes="parked")
        self.members: list[_Segment] = []


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
        Binding("up,k", "screen.focus_message(-1)", "Previous", show=False),
        Binding("down,j", "screen.focus_message(1)", "Next", show=False),
        Binding("i", "screen.focus_prompt", "Back to prompt"),
        # Esc stops a streaming reply first (as everywhere), else goes back to the prompt.
        Binding("escape", "screen.stop", "Back to prompt", show=False),
    ]

    @property
    def box(self) -> MessageBox:
        parent = self.parent
        assert isinstance(parent, MessageBox)
        return parent


class MessageBox(Vertical):
    """A message in the conversation. Focus its header (ctrl+g) to copy, edit or regenerate."""

    #: Minimum seconds between writes to a Markdown stream (textual.md §1: 100-250 ms).
    THROTTLE = 0.1
    #: Top-level blocks per Markdown widget. A long reply is a column of such pieces:
    #: a stream append re-parses and re-lays only the last piece, and pieces far off
    #: screen can be parked (see ConversationView), so the cost of new output stays
    #: flat however long the reply grows.
    SEAL_BLOCKS = 12
    #: Most characters handed to the live piece per flush (a backlog drains over several).
    FLUSH_CHARS = 4000
    #: Seconds between slices when a finished reply's backlog is drained.
    DRAIN_PAUSE = 0.02

    class Grew(TextualMessage):
        """A piece of the reply was sealed: the view may park pieces that are off screen."""

    def __init__(self, message: Message, *, streaming: bool = False, id: str | None = None) -> None:
        role_class = "-user" if message.role == "user" else "-assistant"
        super().__init__(id=id, classes=role_class)
        self.message = message
        self.streaming = streaming
        self._segments: list[_Segment] = []
        #: Pieces of text whose blocks are final, in order (the view parks those off screen).
        self._sealed: list[_Segment] = []
        self._thinking: ThinkingBlock | None = None
        self._thinking_segment: _Segment | None = None
        self._timer: Timer | None = None
        self._text_seen = False
        self._stream_chars = 0
        self._status_class_pending = True
        #: Characters handed to the Markdown widgets so far (benchmarks watch it).
        self.shown_chars = 0
        self._flush_lock = asyncio.Lock()

    # ------------------------------------------------------------------ composition

    def compose(self) -> ComposeResult:
        yield MessageHeader(self._header(), classes="header")
        if self.message.role == "user":
            if self.message.text:
                yield Static(Content(self.message.text), classes="body user-text")
            if self.message.images:
                yield AttachmentThumbs(self.message.images, self._image_mode())
        elif self.streaming:
            self._thinking = ThinkingBlock(live=True)
            self._thinking.display = False
            yield self._thinking
            segment = _Segment(_new_markdown())
            self._segments.append(segment)
            yield segment.markdown
        else:
            yield from self._static_parts()
        if self.message.role != "user":
            # Grounding links (Gemini Google Search); hidden while there are none.
            yield SourcesList(self.message.sources)
        yield Static(self._notice(), classes="notice", markup=False)

    def _image_mode(self) -> str | None:
        """The app's ``image_mode`` setting (auto/halfcell/unicode/off); None outside the chat app."""
        settings = getattr(self.app, "settings", None)
        mode = getattr(settings, "image_mode", None)
        return mode if isinstance(mode, str) else None

    def _tail(self) -> Widget:
        """What new content goes above: the sources list of a reply, else the notice line."""
        sources = self.query_children(SourcesList)
        return sources.first() if sources else self.query_one(".notice", Static)

    def set_sources(self, sources: Iterable[Source]) -> None:
        """Show the reply's grounding links (SourcesEvent while streaming)."""
        self.message = replace(self.message, sources=list(sources))  # the box's own copy, not the caller's
        for widget in self.query_children(SourcesList):
            widget.sources = list(self.message.sources)

    def _static_parts(self) -> ComposeResult:
        reasoning = "".join(p.text for p in self.message.parts if isinstance(p, ReasoningPart))
        if reasoning.strip():
            self._thinking = ThinkingBlock(reasoning)
            yield self._thinking
        text: list[str] = []
        for part in self.message.parts:
            if isinstance(part, TextPart):
                text.append(part.text)
            elif isinstance(part, ImagePart):
                yield from self._static_text("".join(text))
                text = []
                yield ImagePreview(part, self._image_mode())
        yield from self._static_text("".join(text))

    def _static_text(self, text: str) -> ComposeResult:
        if not text.strip():
            return
        for piece in split_blocks(text, self.SEAL_BLOCKS):
            segment = _Segment(_new_markdown(piece))
            segment.chunks.append(piece)
            segment.sealed = True
            self._sealed.append(segment)
            yield segment.markdown

    def _header(self) -> Content:
        if self.message.role == "user":
            return Content.from_markup("[b]You[/]")
        label = Content.from_markup("[b]Assistant[/]")
        details = " · ".join(x for x in (self.message.model, self.message.format) if x)
        if details:
            label = label + Content.styled(f"  {details}", "dim")
        return label

    def _notice(self) -> str:
        status = self.message.status
        if status == "failed":
            return f"✗ {self.message.error or 'Failed'}"
        if status == "cancelled":
            return "■ Cancelled: the partial reply is kept"
        if self.streaming and not self._stream_chars:
            return "…"
        return ""

    def _apply_status_class(self) -> None:
        # On the header and notice only (see MessageHeader): cheap however long the reply.
        for widget in self.query_children(".header, .notice"):
            for status in ("streaming", "complete", "failed", "cancelled"):
                widget.set_class(self.message.status == status, f"-{status}")

    @property
    def header(self) -> MessageHeader:
        return self.query_one(MessageHeader)

    def select(self) -> None:
        """Focus this message (its header) and scroll it into view."""
        self.header.focus()
        self.header.scroll_visible(animate=False)

    def _refresh_notice(self, override: str | None = None) -> None:
        notice = self.query_one(".notice", Static)
        text = override if override is not None else self._notice()
        notice.update(Content(text))
        notice.display = bool(text)

    def on_mount(self) -> None:
        self._refresh_notice()
        self._apply_status_class()

    # ------------------------------------------------------------------ streaming

    @property
    def streamed_text(self) -> str:
        """The visible text received so far (what copy copies while streaming)."""
        sealed = [s for s in self._sealed if s not in self._segments]
        return "".join(s.text() + "".join(s.pending) for s in [*sealed, *self._segments])

    @property
    def streamed_chars(self) -> int:
        return self._stream_chars

    def append_text(self, text: str) -> None:
        """Queue a text delta; it appears at the next throttled flush."""
        if not text:
            return
        if not self._text_seen:
            self._text_seen = True
            if self._thinking is not None:
                self._thinking.settle()
        if not self._stream_chars:
            self._stream_chars += len(text)
            self._refresh_notice()
        else:
            self._stream_chars += len(text)
        self._segments[-1].pending.append(text)
        self._schedule()

    def append_reasoning(self, text: str) -> None:
        """Queue a reasoning delta for the thinking block."""
        if not text or self._thinking is None:
            return
        if self._thinking_segment is None:
            self._thinking.display = True
            self._thinking_segment = _Segment(self._thinking.markdown)
        if not self._stream_chars:
            self._stream_chars += len(text)
            self._refresh_notice()
        else:
            self._stream_chars += len(text)
        self._thinking.grew(len(text), live=not self._text_seen)
        self._thinking_segment.pending.append(text)
        self._schedule()

    async def add_image(self, part: ImagePart) -> None:
        """Show a generated image after the text so far; later text goes below it."""
        await self._flush()
        self._stream_chars += 1
        self._refresh_notice()
        preview = ImagePreview(part, self._image_mode())
        segment = _Segment(_new_markdown())
        tail = self._tail()
        await self.mount(preview, before=tail)
        await self.mount(segment.markdown, before=tail)
        self._segments.append(segment)

    def set_notice(self, text: str | None) -> None:
        """A transient line under the reply ("Rate limited, retrying in 2 s"); None restores the status."""
        self._refresh_notice(text)

    def _has_pending(self) -> bool:
        thinking = self._thinking_segment
        return bool((self._segments and self._segments[-1].pending) or (thinking and thinking.pending))

    def _schedule(self) -> None:
        if self._timer is None:
            self._timer = self.set_timer(self.THROTTLE, self._flush)

    async def _flush(self) -> None:
        """Hand queued text to the widgets: a bounded amount of work, the rest on the next tick.

        When the model outruns the renderer the backlog is drained one slice per
        tick, so no single refresh ever has to lay out an unbounded amount of text.
        """
        self._timer = None
        # One flush at a time: the timer and finish() both flush, and a flush awaits.
        async with self._flush_lock:
            thinking = self._thinking_segment
            if thinking is not None and thinking.pending:
                text = "".join(thinking.pending)
                thinking.pending.clear()
                await self._write(thinking, text)
            if self._segments and self._segments[-1].pending:
                await self._flush_text(self._segments[-1])
        if self._has_pending():
            self._schedule()

    async def _write(self, segment: _Segment, text: str) -> None:
        segment.chunks.append(text)
        if segment.stream is None:
            segment.stream = Markdown.get_stream(segment.markdown)
        await segment.stream.write(text)
        self.shown_chars += len(text)

    async def _flush_text(self, live: _Segment) -> None:
        text = "".join(live.pending)
        live.pending.clear()
        take, rest = text, ""
        if len(text) > self.FLUSH_CHARS:
            # Cut after a newline where there is one, so a slice ends on a whole line.
            cut = text.rfind("\n", 0, self.FLUSH_CHARS) + 1 or self.FLUSH_CHARS
            take, rest = text[:cut], text[cut:]
        whole = live.text() + take
        starts = block_starts(whole)
        if len(starts) <= self.SEAL_BLOCKS:
            if rest:
                live.pending.insert(0, rest)  # before any delta that arrives while we write
            await self._write(live, take)
            return
        # The live piece is full: it keeps its first SEAL_BLOCKS blocks, the rest starts a new piece.
        lines = whole.splitlines(keepends=True)
        head, tail = "".join(lines[: starts[self.SEAL_BLOCKS]]), "".join(lines[starts[self.SEAL_BLOCKS] :])
        streamed = live.text()
        if live.stream is not None and head.startswith(streamed):
            # The piece's blocks are what a full parse gives (cuts fall between top-level
            # blocks): stream the rest of its last blocks rather than remount all of them,
            # which re-laid and re-drew the whole piece in one long frame.
            if len(head) > len(streamed):
                await live.stream.write(head[len(streamed) :])
            await stop_stream(live.stream)
            live.stream = None
        else:
            if live.stream is not None:
                await stop_stream(live.stream)
                live.stream = None
            # One full render of the finished blocks: exactly what a reload shows.
            await live.markdown.update(head)
        self.shown_chars += len(head) - len(streamed)
        live.chunks = [head]
        live.sealed = True
        self._sealed.append(live)
        segment = _Segment(_new_markdown())
        # The cut-off tail, the unflushed rest and whatever arrived during the awaits above.
        segment.pending = [x for x in (tail + rest, *live.pending) if x]
        live.pending.clear()
        self._segments.append(segment)
        await self.mount(segment.markdown, after=live.markdown)
        self.post_message(self.Grew())

    async def finish(self, message: Message | None = None) -> None:
        """End the stream: flush, stop the streams, one full render of the final text.

        ``message`` is the saved reply (TurnEnded); None when the stream was
        cancelled, in which case the text received so far is kept as is.
        """
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        # A timer flush may be half-way (its text taken, not yet written): wait for it too.
        while self._flush_lock.locked() or self._has_pending():
            await self._flush()
            if self._timer is not None:
                self._timer.stop()
                self._timer = None
            await asyncio.sleep(self.DRAIN_PAUSE)  # input and screen updates get a turn between slices
        segments = list(self._segments)
        if self._thinking_segment is not None:
            segments.append(self._thinking_segment)
        for segment in segments:
            if segment.stream is not None:
                await stop_stream(segment.stream)
                segment.stream = None
        if message is not None:
            self.message = message
        elif self.message.status == "streaming":
            self.message = replace(
                self.message, status="cancelled", error="Cancelled", finish_reason="cancelled"
            )
        self.streaming = False
        if self._thinking is not None:
            self._thinking.settle()
            if self._thinking_segment is None and not self.message.reasoning:
                await self._thinking.remove()
                self._thinking = None
        # One final full render, so the finished message is exactly what a reload shows.
        for segment in segments:
            text = segment.text()
            if text and not segment.sealed:
                await segment.markdown.update(text)
        if message is not None and message.sources:
            self.set_sources(message.sources)
        if message is not None and message.parts and not self._stream_chars:
            # Nothing streamed (a non-streaming reply): render the parts whole.
            await self._render_parts_now()
        self._apply_status_class()
        self.header.update(self._header())
        self._refresh_notice()

    async def _render_parts_now(self) -> None:
        notice = self.query_one(".notice", Static)
        tail = self._tail()
        for child in list(self.children):
            if child is not notice and child is not tail and not child.has_class("header"):
                await child.remove()
        self._segments = []
        self._sealed = []
        self._thinking = None
        widgets: list[Widget] = list(self._static_parts())
        if widgets:
            await self.mount_all(widgets, before=tail)

    # ------------------------------------------------------------------ parking

    def park_offscreen(self, top: int, bottom: int) -> None:
        """Park sealed pieces entirely outside screen rows ``top``..``bottom`` and bring
        back parked ones that came near.

        A parked piece leaves the layout (display: none) and each run of adjacent
        parked pieces is stood in for by one blank :class:`ParkedRun` of their total
        height, so a layout pass costs the same whether ten or a thousand pieces sit
        above the view.
        """
        shown: list[_Segment] = []
        for run in self.query_children(ParkedRun):
            region = run.region
            if not region.height:
                continue  # not laid out yet: its members' places are unknown
            y = region.y
            for segment in list(run.members):
                if y + segment.parked_height >= top and y <= bottom:
                    shown.append(segment)
                y += segment.parked_height
        for segment in shown:
            self._show(segment)
        changed = bool(shown)
        for segment in self._sealed:
            markdown = segment.markdown
            if segment.parked_height or not markdown.display or segment in shown:
                continue  # a piece shown just now still has the place it had before it was parked
            region = markdown.region
            height = markdown.outer_size.height
            if height and region.height and (region.bottom < top or region.y > bottom):
                segment.parked_height = height
                markdown.display = False
                changed = True
        if changed:
            self._rebuild_runs()

    def unpark(self) -> None:
        """Show every parked piece again (heights change with the width)."""
        parked = [s for s in self._sealed if s.parked_height]
        for segment in parked:
            self._show(segment)
        if parked:
            self._rebuild_runs()

    def _show(self, segment: _Segment) -> None:
        segment.parked_height = 0
        segment.markdown.display = True

    def _rebuild_runs(self) -> None:
        """One ParkedRun before each run of adjacent parked pieces, reusing those in place."""
        runs: list[list[_Segment]] = []
        pieces: dict[Widget, _Segment] = {s.markdown: s for s in self._sealed}
        open_run = False
        for child in self.children:
            if isinstance(child, ParkedRun):
                continue
            segment = pieces.get(child)
            if segment is not None and segment.parked_height:
                if not open_run:
                    runs.append([])
                runs[-1].append(segment)
                open_run = True
            elif child.display:
                open_run = False  # a shown widget ends the run; hidden non-pieces do not
        # A run whose first piece is unchanged stays where it is (only its height changes).
        old = {run.members[0].markdown: run for run in self.query_children(ParkedRun) if run.members}
        for members in runs:
            run = old.pop(members[0].markdown, None)
            if run is None:
                run = ParkedRun()
                self.mount(run, before=members[0].markdown)
            run.members = members
            run.styles.height = sum(s.parked_height for s in members)
        for run in old.values():
            run.members = []  # it may linger until the removal is processed: never reuse it
            run.remove()

    @property
    def parked_count(self) -> int:
        return sum(1 for s in self._sealed if s.parked_height)

    # ------------------------------------------------------------------ queries

    @property
    def copy_text(self) -> str:
        """What "copy" puts on the clipboard: the text shown in this box."""
        if self.streaming:
            return self.streamed_text
        return self.message.text or self.streamed_text
