"""MarkdownColumn: a Markdown text shown (and streamed) as a column of bounded pieces.

A streaming text grows through ``Markdown.append``: deltas are buffered and
appended at most every :attr:`MarkdownColumn.THROTTLE` seconds, so each write
re-parses only the last block; a write is started at once and the next waits until
it is drawn (see :meth:`PieceMarkdown.appended`). The text is a column of Markdown
*pieces* cut where
:mod:`~liaobots_tui.ui.widgets.markdown_pieces` says (after a number of top-level
blocks, or inside a paragraph or code fence that grew long), so the live piece
stays small and a delta costs the same at the end of a 1 MB paragraph as at its
start. When the live piece fills up, the rest of its text is streamed in (no
remount), it is sealed and a new piece takes over; when the text ends the live
piece gets one full render, so the finished text is what a reload shows. Per
flush the work is bounded (:attr:`MarkdownColumn.FRAME_CHARS`, each slice written
before the next is handed over), so text that piled up (during a seal, or from a model
that outruns the renderer) is drawn in slices a frame apart, never in one freeze.

Within the live piece, the blocks above the growing one are final: after each append
they are folded into lines rendered once (:mod:`~liaobots_tui.ui.widgets.flat_blocks`),
and a list that is the growing block keeps the widgets of its earlier items
(``textual_compat.growing_list_blocks``), so a frame lays out and draws the growing
block and a few widgets, not the whole piece.

Sealed pieces far off screen can be *parked* (see :meth:`MarkdownColumn.park_offscreen`).
Text given to the column is made terminal-safe here (a last guard: the api layer
cleans it at the boundary; stored replies of older versions were not). Markdown is
never Textual markup: ``[b]`` or ``[@click=…]`` in a reply is shown as written.
"""

from __future__ import annotations

import asyncio

from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.containers import Vertical
from textual.message import Message as TextualMessage
from textual.widget import Widget
from textual.widgets import Markdown, Static

from liaobots_tui.api.sanitize import clean_text
from liaobots_tui.ui.markdown_turns import markdown_turn
from liaobots_tui.ui.textual_compat import (
    call_next_after,
    growing_list_blocks,
    one_widget_table_block,
)
from liaobots_tui.ui.widgets.flat_blocks import FlatBlocks, flat_blocks_of, fold_a_step, fold_finished, unfold
from liaobots_tui.ui.widgets.flat_markdown import FlatMarkdown
from liaobots_tui.ui.widgets.height_free import HeightFree
from liaobots_tui.ui.widgets.markdown_pieces import (
    Cut,
    Piece,
    cut_ahead,
    estimate_rows,
    next_cut,
    split_pieces,
)
from liaobots_tui.ui.widgets.markdown_slices import widgets_cut
from liaobots_tui.ui.widgets.markdown_table import TableLines
from liaobots_tui.ui.widgets.thread_parser import thread_chat_parser
from liaobots_tui.ui.widgets.uniform_rows import UniformRows

#: Tables drawn as one widget each (see markdown_table), where this Textual allows it.
_TABLE_BLOCK = one_widget_table_block(TableLines)


class PieceMarkdown(HeightFree, UniformRows, FlatMarkdown):
    """One piece of a column. When a block was cut in two between this piece and a
    neighbour, its halves are drawn joined (no margin or padding between them).

    The joining is done by a class on the edge block, set after every update or append:
    CSS ``:first-child``/``:last-child`` rules made every block mount restyle its siblings
    (measured: a fifth more time for a whole streamed reply).
    """

    BLOCKS = {
        **Markdown.BLOCKS,
        **({"table_open": _TABLE_BLOCK} if _TABLE_BLOCK is not None else {}),
        # A streamed list grows by its last items, not replaced whole at each append.
        **growing_list_blocks(),
    }

    def __init__(
        self, text: str = "", *, classes: str = "body", cut: bool = False, continued: bool = False
    ) -> None:
        # open_links=False: a click must never launch a browser from inside a chat.
        super().__init__(text, classes=classes, open_links=False, parser_factory=thread_chat_parser)
        #: Ends inside a block the next piece continues.
        self.cut = cut
        #: Starts inside a block the previous piece began.
        self.continued = continued
        self._joined: dict[str, Widget] = {}
        #: Appends called and not written yet (see append), and an event set when there are none.
        self._appends = 0
        self._appended = asyncio.Event()
        self._appended.set()
        self._fold_scheduled = False

    def update(self, markdown: str) -> AwaitComplete:
        unfold(self)  # every block is replaced: the lines of the old ones go too
        return AwaitComplete(self._then_join(super().update(markdown)))

    def append(self, markdown: str) -> AwaitComplete:
        # Streamed writes take turns app-wide (see markdown_turns: overlapping appends starve screen updates).
        self._appends += 1
        self._appended.clear()
        return AwaitComplete(self._append_in_turn(markdown))

    async def _append_in_turn(self, markdown: str) -> None:
        try:
            async with markdown_turn(self):
                if self.is_attached:
                    # Called here, not before: Textual starts the append as soon as it is called.
                    await self._then_join(super().append(markdown))
                    self._schedule_fold()
        finally:
            self._appends -= 1
            if not self._appends:
                self._appended.set()

    def _schedule_fold(self) -> None:
        """Once the screen has laid out what was appended: fold the finished blocks (see flat_blocks)."""
        if not self._fold_scheduled:
            self._fold_scheduled = True
            self.call_after_refresh(self._fold)

    def _fold(self) -> None:
        self._fold_scheduled = False
        if self.foldable() and not self.is_flat:
            fold_finished(self)

    def foldable(self) -> bool:
        """Are its blocks final, none being written? (Mid-append or update they are in flux;
        that append's end schedules a fold again.)"""
        return not (self.lock.is_locked or self.redrawing or not self.is_attached)

    @property
    def writing(self) -> bool:
        """Is an append called and not written yet (waiting for its turn or being mounted)?"""
        return self._appends > 0

    async def appended(self) -> None:
        """Wait until every append called so far is written (each waits for its turn first)."""
        await self._appended.wait()

    def post_message(self, message: TextualMessage) -> bool:
        # Textual posts a table of contents after every update (and append with a heading);
        # nothing here shows one. Bubbling, it waited in the column's busy queue holding the
        # piece: a piece parked meanwhile stayed alive with all its blocks (measured: up to
        # ~100,000 objects, rescanned by every full collection while the reply streamed).
        if isinstance(message, Markdown.TableOfContentsUpdated):
            return False
        return super().post_message(message)

    def flatten(self) -> bool:
        folded = flat_blocks_of(self)
        if folded is not None and folded.stale:
            # Its finished blocks were drawn at another width or in another theme (off screen
            # since): show them again, flatten from what they draw now.
            unfold(self)
            return False
        return super().flatten()

    def uniform_rows(self) -> bool:
        return not self.is_flat and super().uniform_rows()  # flat: it draws its lines itself

    async def _then_join(self, work: AwaitComplete) -> None:
        await work
        self.join_edges()

    def join_edges(self) -> None:
        """Mark the first and last blocks that continue into a neighbouring piece."""
        children = [child for child in self.children if not isinstance(child, FlatBlocks)]
        wanted = {
            "-joined-above": children[0] if self.continued and children else None,
            "-joined-below": children[-1] if self.cut and children else None,
        }
        for name, block in wanted.items():
            old = self._joined.get(name)
            if old is block:
                continue
            if old is not None:
                old.remove_class(name)
                del self._joined[name]
            if block is not None:
                block.add_class(name)
                self._joined[name] = block


async def _written(segment: _Segment) -> None:
    """Wait until what was written to ``segment`` is mounted in its widget and drawn.

    Each write is an append called at once (see MarkdownColumn._write), so the widget
    says it is writing from that moment: one event to wait on. (Written through Textual's
    MarkdownStream, the text waited in the stream's queue for its task's next step, and the
    column spun on loop turns until the task took it.)
    """
    if segment.markdown is not None:
        await segment.markdown.appended()


class _Segment:
    """A piece of the column: its widget (None while parked) and the text written so far.

    Slotted: a long reply has hundreds of pieces, each kept for as long as the chat is open.
    """

    __slots__ = (
        "markdown",
        "streamed",
        "chunks",
        "_shared",
        "_start",
        "_end",
        "pending",
        "lead",
        "lead_written",
        "close",
        "cut",
        "continued",
        "sealed",
        "parked_height",
        "pinned",
    )

    def __init__(self, markdown: PieceMarkdown | None, lead: str = "", *, continued: bool = False) -> None:
        self.markdown = markdown
        #: Its widget shows what was appended to it (the lead and chunks so far), not a full render.
        self.streamed = False
        #: Message text written to the widget (the lead and close are not part of it); empty
        #: once it reads its text from a string held elsewhere (see share).
        self.chunks: list[str] = []
        #: The string its text is a slice of (``_start``..``_end``), or None: see share.
        self._shared: str | None = None
        self._start = self._end = 0
        self.pending: list[str] = []
        #: Fence line that reopens a code block cut before this piece (not message text).
        self.lead = lead
        self.lead_written = False
        #: Fence line that closes a code block cut after this piece (not message text).
        self.close = ""
        #: It ends inside a block the next piece continues / starts inside one the previous began.
        self.cut = False
        self.continued = continued
        #: Finished: its blocks are final and it is never written again (it may be parked).
        self.sealed = False
        #: Rows it stands in for while parked (0: shown). See MarkdownColumn.park_offscreen.
        self.parked_height = 0
        #: Its widget's height is pinned to what it measured (sealed, shown): see _pin.
        self.pinned = False

    def text(self) -> str:
        if self._shared is not None:
            return self._shared[self._start : self._end]
        return "".join(self.chunks)

    @property
    def length(self) -> int:
        """Characters of message text it holds (as ``len(self.text())``, without joining)."""
        if self._shared is not None:
            return self._end - self._start
        return sum(map(len, self.chunks))

    @property
    def own_chars(self) -> int:
        """Characters of text held by this piece alone (its chunks; none once shared)."""
        return sum(map(len, self.chunks)) + sum(map(len, self.pending))

    def share(self, whole: str, start: int, end: int) -> None:
        """Read its text from ``whole[start:end]`` (the same characters) and let its own copy go.

        A finished piece is never written again, and the saved reply (or the column's text)
        holds every character already: kept as chunks too, each reply was held twice.
        """
        self._shared, self._start, self._end = whole, start, end
        self.chunks = []

    def source(self) -> str:
        """What its Markdown widget shows (the lead and close fence lines included once sealed)."""
        return self.lead + self.text() + self.close


class ParkedRun(Static):
    """A blank as tall as the adjacent parked pieces it stands in for (``members``, in order)."""

    #: Drawn line by line as blanks (Textual's BLANK): its empty content rendered once kept a
    #: list of as many lines as it is tall (thousands) for as long as the chat was open.
    BLANK = True

    def __init__(self) -> None:
        super().__init__("", classes="parked")
        self.members: list[_Segment] = []


class PiecesAside:
    """A finished column's pieces, all parked (their text and rows kept, no widget), while the
    message box that showed them has let its widgets go (see ``turn_park``).

    ``offset`` is the row of the column's top within its box, so the box can tell which pieces
    will be near the view before it composes them again (:meth:`MarkdownColumn.from_aside`).
    """

    __slots__ = ("segments", "offset", "classes")

    def __init__(self, segments: list[_Segment], offset: int, classes: str) -> None:
        self.segments = segments
        self.offset = offset
        self.classes = classes

    @property
    def rows(self) -> int:
        return sum(segment.parked_height for segment in self.segments)

    def text(self) -> str:
        return "".join(segment.text() for segment in self.segments)

    def rescale(self, old_width: int, new_width: int) -> None:
        """The width changed: re-estimate the heights as parked pieces do (measured once drawn)."""
        for segment in self.segments:
            segment.parked_height = max(1, round(segment.parked_height * old_width / new_width))


class MarkdownColumn(HeightFree, UniformRows, Vertical):
    """A Markdown text as a column of pieces; ``streaming`` columns grow with :meth:`append`."""

    DEFAULT_CSS = """
    MarkdownColumn { height: auto; }
    MarkdownColumn > .parked { width: 1fr; }
    /* A block cut in two shows as one: no gap between its halves (see PieceMarkdown). */
    MarkdownColumn MarkdownParagraph.-joined-below { margin-bottom: 0; }
    MarkdownColumn MarkdownFence.-joined-below { margin-bottom: 0; }
    MarkdownColumn MarkdownFence.-joined-below > Label { padding-bottom: 0; }
    MarkdownColumn MarkdownFence.-joined-above { margin-top: 0; }
    MarkdownColumn MarkdownFence.-joined-above > Label { padding-top: 0; }
    """

    #: Minimum seconds between writes to the live piece (a write re-parses the last
    #: block; 100-250 ms keeps a fast model from using a whole core).
    THROTTLE = 0.1
    #: Most characters handed to the live piece per flush (a backlog drains over several).
    FLUSH_CHARS = 4000
    #: Most characters one flush hands over when more is queued (a reply that keeps up brings
    #: ~200 per flush): what one frame then lays out and draws for the first time. Text piles
    #: up while a piece is sealed (its streams are stopped and a new piece mounted: ~0.3 s
    #: on a busy machine) and was handed over in one flush, 1,000+ characters, 10+ new blocks
    #: in one frame: the longest frames of a paced stream. A backlog is now drawn in slices
    #: :attr:`DRAIN_PAUSE` apart. (A lower :attr:`FLUSH_CHARS`, as the Compare lanes set, wins.)
    FRAME_CHARS = 600
    #: Most widgets (estimated from its lines: see markdown_slices) one flush adds to the live
    #: piece; what would add more waits until the screen has laid out this slice, then
    #: :attr:`DRAIN_PAUSE`. The longest frames of a paced stream mounted 15-25 widgets (a
    #: dozen lines of list items, four widgets each) at about a millisecond each. Measured
    #: (paced chat, alternated, load 7-9): a budget of 12 gave 41-48 ms longest CPU stalls,
    #: 8 gave 34-41, 5 gave 22-39 (p99 19-22 against 24-33 for 8), the run's CPU alike.
    #: None: no widget budget, and a backlog's next slice follows on a timer alone.
    FRAME_WIDGETS: int | None = 5
    #: A slice waits for the last one to be drawn while the backlog is at most this many
    #: characters: a stream at a model's pace (the backlog a sealed piece leaves is up to
    #: ~1,200). A stream further ahead than that is drained on the timer alone: paced by
    #: frames too, an unpaced 20,000-delta reply took twice as long (11.2x the stream
    #: without a UI against 5.8x).
    BUDGET_CHARS = 1_500
    #: Past :attr:`BUDGET_CHARS` the widget budget is not dropped but grows: :attr:`FRAME_WIDGETS`
    #: for each this many characters queued (see :meth:`_widget_budget`). Dropped, a fixed
    #: budget that fell behind a model's pace in a run of list items (four widgets each: one a
    #: slice) let the backlog pass BUDGET_CHARS, and then one 600-character slice mounted
    #: 20-25 widgets in a frame: the longest frames of a paced stream (traced at load 9:
    #: 35-42 ms CPU against 22-33 for budgeted slices).
    RAMP_CHARS = 750
    #: Seconds between slices when a finished text's backlog is drained.
    DRAIN_PAUSE = 0.02
    #: A backlog longer than this (characters queued for an empty live piece) is cut into
    #: pieces that are parked at once, never drawn unless scrolled to; the last
    #: :attr:`KEEP_CHARS` of it (about a screenful) are drawn as usual, and at most
    #: :attr:`SKIP_MOST` are cut per flush (bounded work). See :meth:`_skip_ahead`.
    #: A model at 400 deltas/s (about 2,000 characters/s) never builds such a backlog.
    SKIP_CHARS = 6_000
    KEEP_CHARS = 2_500
    SKIP_MOST = 20_000

    class Grew(TextualMessage):
        """A piece was sealed: the view may park pieces that are off screen."""

    def __init__(self, text: str = "", *, streaming: bool = False, classes: str = "body") -> None:
        super().__init__()
        self.streaming = streaming
        self._piece_classes = classes
        self._segments: list[_Segment] = []
        #: The next flush, on the loop's timer: Textual's one-shot timer may skip its only tick
        #: (textual_compat.call_next_after), and a flush that never came stalled the reply.
        self._timer: asyncio.TimerHandle | None = None
        #: The next slice of a backlog waits for the screen to draw the last one (see flush).
        self._drain_after_refresh = False
        self._flush_lock = asyncio.Lock()
        #: Characters handed to the Markdown widgets (or parked unread) so far (benchmarks watch it).
        self.shown_chars = 0
        self._initial = clean_text(text)
        #: Composed from these pieces (each drawn, or parked behind a blank), not from a text.
        self._restored = False

    @classmethod
    def from_aside(cls, aside: PiecesAside, y: int, top: int, bottom: int) -> MarkdownColumn:
        """A column of the pieces set aside, at screen row ``y``: those within rows ``top``..``bottom``
        are drawn afresh from their text, the others stay parked at the heights they had."""
        column = cls(classes=aside.classes)
        for segment in aside.segments:
            if y + segment.parked_height >= top and y <= bottom:
                y += segment.parked_height
                segment.parked_height = 0
            else:
                y += segment.parked_height
        column._segments = aside.segments
        column.shown_chars = sum(segment.length for segment in aside.segments)
        column._restored = True
        return column

    def _aside_heights(self) -> list[int] | None:
        """Each piece's rows (parked or measured); None while one is not final or not laid out."""
        if self.streaming or any(s.pending or not s.sealed for s in self._segments):
            return None
        heights: list[int] = []
        for segment in self._segments:
            markdown = segment.markdown
            if segment.parked_height:
                heights.append(segment.parked_height)
            elif markdown is not None and (markdown.region.height or not segment.length):
                heights.append(markdown.outer_size.height)  # (an empty piece: 0, drawn when back)
            else:
                return None
        return heights

    @property
    def can_set_aside(self) -> bool:
        return self._aside_heights() is not None

    def set_aside(self, offset: int) -> PiecesAside | None:
        """Park every piece (its height kept, its widget let go with the column's) for a box that
        folds away; None while a piece is not final or not laid out (nothing changes then)."""
        heights = self._aside_heights()
        if heights is None:
            return None
        for segment, height in zip(self._segments, heights, strict=True):
            segment.parked_height = height
            segment.pinned = False
            segment.markdown = None  # removed with the column: drawn afresh when it comes back
        segments, self._segments = self._segments, []
        return PiecesAside(segments, offset, self._piece_classes)

    def compose(self) -> ComposeResult:
        if self._restored:
            yield from self._compose_restored()
            return
        if self.streaming:
            segment = _Segment(self._widget_for(None))
            self._segments.append(segment)
            assert segment.markdown is not None
            yield segment.markdown
            return
        whole = self._initial
        pieces = split_pieces(whole) if whole.strip() else []
        at = 0
        for index, piece in enumerate(pieces):
            segment = _Segment(None, piece.lead, continued=index > 0 and pieces[index - 1].inside)
            # The pieces are consecutive slices of the text: each reads its own from the text.
            segment.share(whole, at, at + len(piece.text))
            at += len(piece.text)
            segment.close, segment.cut = piece.close, piece.inside
            segment.sealed = True
            segment.lead_written = True
            segment.markdown = self._widget_for(segment)
            self._segments.append(segment)
            yield segment.markdown
        del pieces  # their slices: the segments read the text itself
        self._initial = ""

    def _compose_restored(self) -> ComposeResult:
        """Each shown piece's widget, one ParkedRun per run of parked ones (as _sync_children)."""
        segments = self._segments
        index = 0
        while index < len(segments):
            segment = segments[index]
            if not segment.parked_height:
                segment.markdown = self._widget_for(segment)
                yield segment.markdown
                index += 1
                continue
            run = ParkedRun()
            while index < len(segments) and segments[index].parked_height:
                run.members.append(segments[index])
                index += 1
            run.styles.height = sum(s.parked_height for s in run.members)
            yield run

    def _widget_for(self, segment: _Segment | None) -> PieceMarkdown:
        """A fresh Markdown widget for ``segment`` (its whole source), or an empty live one."""
        if segment is None:
            return PieceMarkdown(classes=self._piece_classes)
        return PieceMarkdown(
            segment.source(), classes=self._piece_classes, cut=segment.cut, continued=segment.continued
        )

    # ------------------------------------------------------------------ queries

    @property
    def text(self) -> str:
        """The message text received so far, including what is queued but not drawn yet."""
        return "".join(s.text() + "".join(s.pending) for s in self._segments)

    @property
    def pieces(self) -> list[Markdown]:
        """The Markdown widgets of the pieces that are shown (not parked), in order."""
        return [s.markdown for s in self._segments if s.markdown is not None]

    @property
    def piece_sources(self) -> list[str]:
        """What each piece shows (or would, once unparked), in order."""
        return [s.source() for s in self._segments]

    @property
    def parked_flags(self) -> list[bool]:
        """For each piece, in order: is it parked (no widget, a blank stands in)?"""
        return [bool(s.parked_height) for s in self._segments]

    @property
    def own_chars(self) -> int:
        """Characters of text the pieces hold themselves, not read from a shared string (see share_text)."""
        return sum(s.own_chars for s in self._segments)

    def share_text(self, text: str) -> bool:
        """Let a finished column's pieces read their text from ``text`` by offsets: the text held once.

        ``text`` is the saved reply's own string (the message box keeps it: copy, edit,
        export). What the pieces hold must be exactly ``text`` (checked without copying it);
        if it is not, or the column still streams, nothing changes and False is returned.
        """
        if self.streaming or any(s.pending for s in self._segments):
            return False
        at = 0
        for segment in self._segments:
            pieces = segment.chunks if segment._shared is None else [segment.text()]
            for chunk in pieces:
                if not text.startswith(chunk, at):
                    return False
                at += len(chunk)
        if at != len(text):
            return False
        at = 0
        for segment in self._segments:
            length = segment.length
            segment.share(text, at, at + length)
            at += length
        return True

    @property
    def sealed_count(self) -> int:
        return sum(1 for s in self._segments if s.sealed)

    @property
    def first_markdown(self) -> Markdown | None:
        return self._segments[0].markdown if self._segments else None

    # ------------------------------------------------------------------ streaming

    def append(self, text: str) -> None:
        """Queue a delta (made terminal-safe); it appears at the next throttled flush."""
        text = clean_text(text)
        if not text or not self._segments:
            return
        self._segments[-1].pending.append(text)
        if self._timer is None and not self._drain_after_refresh:
            self._timer = call_next_after(self, self.THROTTLE, self.flush)

    def has_pending(self) -> bool:
        return bool(self._segments and self._segments[-1].pending)

    @property
    def written_out(self) -> bool:
        """Is all the text received written to the pieces (none queued, no slice or append under way)?"""
        if self.has_pending() or self._flush_lock.locked() or self._drain_after_refresh:
            return False
        return not any(s.markdown is not None and s.markdown.writing for s in self._segments)

    async def flush(self) -> None:
        """Hand queued text to the live piece: a bounded amount of work, the rest on the next tick."""
        self._timer = None
        soon = False
        written: _Segment | None = None
        # One flush at a time: the timer and finish() both flush, and a flush awaits.
        async with self._flush_lock:
            live = self._segments[-1] if self._segments else None
            if live is not None and live.markdown is not None:
                # The last slice is not drawn yet: what is written now would be drawn in the
                # same frame.
                await _written(live)
            if self.has_pending():
                assert live is not None
                if not live.chunks and sum(map(len, live.pending)) > self.SKIP_CHARS:
                    self._skip_ahead(live)
                    # Still far behind: draw nothing yet (what would be drawn now is parked
                    # at the next turn anyway); go on skipping soon, not a throttle later.
                    soon = sum(map(len, live.pending)) > self.SKIP_CHARS
                if not soon:
                    # A slice of a backlog: the rest soon, not a throttle later.
                    written = live
                    soon = await self._flush_live(live)
        if self.has_pending() and self._timer is None and not self._drain_after_refresh:
            if soon and written is not None and self._budgeted():
                # The next slice once this one is drawn: on a timer alone, two slices often
                # landed in one frame (a busy loop draws late), which is what slicing avoids.
                self._drain_after_refresh = True
                await _written(written)  # mounted: the next refresh draws it
                self._drain_after_refresh = self.call_after_refresh(self._drain_next)
            if not self._drain_after_refresh:
                self._timer = call_next_after(self, self.DRAIN_PAUSE if soon else self.THROTTLE, self.flush)

    def _widget_budget(self, queued: int) -> int:
        """Most widgets (estimated) a slice adds with ``queued`` characters waiting (this slice's
        included): :attr:`FRAME_WIDGETS` up to :attr:`BUDGET_CHARS`, then more the further
        behind (see :attr:`RAMP_CHARS`): the slices catch up, and never in one huge frame."""
        return (self.FRAME_WIDGETS or 0) * max(1, queued // self.RAMP_CHARS)

    def _budgeted(self) -> bool:
        """Does the next slice wait for the last one to be drawn (see :attr:`BUDGET_CHARS`)?"""
        if self.FRAME_WIDGETS is None or not self._segments:
            return False
        return sum(map(len, self._segments[-1].pending)) <= self.BUDGET_CHARS

    def _drain_next(self) -> None:
        """The screen drew the last slice: the next one a moment later (input gets a turn first)."""
        self._drain_after_refresh = False
        if self.has_pending() and self._timer is None:
            self._timer = call_next_after(self, self.DRAIN_PAUSE, self.flush)

    def _skip_ahead(self, live: _Segment) -> None:
        """A model outran the renderer: park the backlog's finished pieces without drawing them.

        They are far above the end the user watches; each stands in as a blank of an
        estimated height until scrolled near (then drawn and measured), so keeping up
        with any backlog costs about one screenful of rendering, not the whole text.
        """
        ahead = cut_ahead("".join(live.pending), live.lead, self.KEEP_CHARS, self.SKIP_MOST)
        if not ahead.pieces:
            return
        width = self.size.width or 80
        at = self._segments.index(live)
        skipped: list[_Segment] = []
        continued = live.continued
        for piece in ahead.pieces:
            segment = _Segment(None, piece.lead, continued=continued)
            continued = piece.inside
            segment.chunks.append(piece.text)
            segment.close, segment.cut = piece.close, piece.inside
            segment.sealed = segment.lead_written = True
            segment.parked_height = estimate_rows(segment.source(), width)
            skipped.append(segment)
            self.shown_chars += len(piece.text)
        self._segments[at:at] = skipped
        # The live piece goes on after the last skipped one (it has not been written to yet).
        live.pending = [ahead.rest] if ahead.rest else []
        live.lead, live.continued = ahead.lead, ahead.continued
        assert live.markdown is not None
        live.markdown.continued = ahead.continued
        self._sync_children()

    async def _write(self, segment: _Segment, text: str) -> None:
        segment.chunks.append(text)
        if not segment.lead_written:
            segment.lead_written = True
            text = segment.lead + text
        assert segment.markdown is not None
        # Started now, not awaited: the next write (or the seal, or finish) waits for it.
        segment.markdown.append(text)
        segment.streamed = True
        self.shown_chars += len(text)

    async def _flush_live(self, live: _Segment) -> bool:
        """Hand the live piece what is queued, at most a slice of it; True when some is left for later."""
        if not live.pending:
            return False
        text = "".join(live.pending)
        live.pending.clear()
        take, rest = text, ""
        most = min(self.FLUSH_CHARS, self.FRAME_CHARS)
        if len(text) > most:
            # Cut after a newline where there is one, so a slice ends on a whole line.
            cut_at = text.rfind("\n", 0, most) + 1 or most
            take, rest = text[:cut_at], text[cut_at:]
        streamed = live.text()
        if self.FRAME_WIDGETS is not None and take.count("\n") >= 2:
            # Many short lines (list items) mount many widgets in one frame: the rest a frame later.
            cut_at = widgets_cut(take, after=live.lead + streamed, most=self._widget_budget(len(text)))
            take, rest = take[:cut_at], take[cut_at:] + rest
        cut = next_cut(Piece(streamed + take, live.lead), final=False)
        if cut is None or cut.at <= 0:
            if rest:
                live.pending.insert(0, rest)  # before any delta that arrives while we write
            await self._write(live, take)
            return bool(rest)
        await self._seal(live, streamed, streamed + take, cut, rest)
        return bool(rest)

    async def _seal(self, live: _Segment, streamed: str, whole: str, cut: Cut, rest: str) -> None:
        """The live piece ends at ``cut``: finish it and start the next piece with the rest."""
        head, tail = whole[: cut.at], whole[cut.at :]
        markdown = live.markdown
        assert markdown is not None
        live.cut = markdown.cut = cut.inside  # before the last writes: they join the edge
        live.close = cut.close
        if live.streamed and head.startswith(streamed):
            # The piece's blocks are what a full parse gives: append the rest of its last
            # blocks (and a closing fence) rather than remount all of them, which re-laid
            # and re-drew the whole piece in one long frame.
            if len(head) > len(streamed) or cut.close:
                markdown.append(head[len(streamed) :] + cut.close)
            await markdown.appended()
        else:
            await markdown.appended()
            # One full render of the finished blocks: exactly what a reload shows.
            await markdown.update(live.lead + head + cut.close)
        live.streamed = False
        self.shown_chars += len(head) - len(streamed)
        live.chunks = [head]
        live.sealed = True
        markdown.join_edges()
        segment = _Segment(PieceMarkdown(classes=self._piece_classes, continued=cut.inside), cut.lead)
        segment.continued = cut.inside
        # The cut-off tail, the unflushed rest and whatever arrived during the awaits above.
        segment.pending = [x for x in (tail + rest, *live.pending) if x]
        live.pending.clear()
        self._segments.append(segment)
        assert segment.markdown is not None
        await self.mount(segment.markdown, after=markdown)
        # Posted on the parent: this flush runs on the column's own message queue, which a
        # busy loop keeps behind (three columns at once: seconds), so the view parked late.
        target = self.parent if self.parent is not None else self
        target.post_message(self.Grew())

    async def finish(self) -> None:
        """End the stream: drain the backlog, wait for the last writes (a full render of the live
        piece only if an append lost text)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        # A timer flush may be half-way (its text taken, not yet written): wait for it too.
        while self._flush_lock.locked() or self.has_pending():
            await self.flush()
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            await asyncio.sleep(self.DRAIN_PAUSE)  # input and screen updates get a turn between slices
        for segment in self._segments:
            if segment.markdown is not None:
                await segment.markdown.appended()
            segment.streamed = False
        self.streaming = False
        live = self._segments[-1] if self._segments else None
        if (
            live is not None
            and not live.sealed
            and live.text()
            and live.markdown is not None
            and live.markdown.source != live.source()
        ):
            # An append lost text (its piece was detached meanwhile): one full render of the
            # piece, so the finished text is exactly what a reload shows. Otherwise the streamed blocks are
            # what a full parse gives (as when a piece is sealed) and re-mounting them all
            # would only cost the longest frame of the reply.
            await live.markdown.update(live.source())
        if live is not None and not live.text() and len(self._segments) > 1:
            # The text ended exactly at a cut: no empty piece (a reload would not have one).
            self._segments.pop()
            if live.markdown is not None:
                await live.markdown.remove()
            self._sync_children()
        elif live is not None:
            live.sealed = True  # final: it may be pinned and parked like the others

    # ------------------------------------------------------------------ parking

    def park_offscreen(self, top: int, bottom: int) -> bool:
        """Park sealed pieces entirely outside screen rows ``top``..``bottom`` and bring
        back parked ones that came near.

        A parked piece's widgets are removed: what is kept is its text and the rows
        it took, so a parked piece costs its text and no widget, however many blocks
        it held. Each run of adjacent parked pieces is stood in for by one blank
        :class:`ParkedRun` of their total height, so a layout pass costs the same
        whether ten or a thousand pieces sit above the view. A parked piece that
        comes near is drawn again from its text (as a reload draws it). True when
        something was parked or brought back (the caller looks again after the next layout).
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
            segment.parked_height = 0
        changed = bool(shown)
        resync = changed
        for segment in self._segments:
            markdown = segment.markdown
            if not segment.sealed or segment.parked_height or markdown is None or segment in shown:
                continue
            region = markdown.region
            height = markdown.outer_size.height
            if not height or not region.height:
                # Not laid out yet: look again after the next layout, unless the whole column is
                # out of the layout (a folded thinking block), where it never will be.
                changed = changed or bool(self.region.height)
                continue
            if region.bottom < top or region.y > bottom:
                segment.parked_height = height
                changed = resync = True
            elif markdown.is_flat:
                continue
            elif markdown.redrawing:
                changed = True  # its blocks are being mounted afresh: pin and flatten once laid out
            elif not segment.pinned:
                self._pin(segment, markdown)
                changed = True  # flattened at the next look, once laid out at its pinned height
            elif markdown.foldable() and fold_a_step(markdown):
                changed = True  # a few blocks a frame into lines drawn once: the flatten after draws few
            elif not markdown.flatten() and markdown.stale_height:
                segment.pinned = False
                markdown.styles.height = None
                changed = True
        if resync:
            self._sync_children()
        return changed

    @staticmethod
    def _pin(segment: _Segment, markdown: PieceMarkdown) -> None:
        """Fix a sealed, measured piece's height at what it measured.

        Its blocks never change again, but an auto height makes every layout pass of
        the screen (one per frame while a reply streams) measure it again through all
        its blocks; a fixed height is read, not measured. A width change unpins it.
        """
        segment.pinned = True
        markdown.styles.height = markdown.region.height

    def unpin(self) -> None:
        """The width changed: let shown pieces measure themselves again (see _pin)."""
        for segment in self._segments:
            if segment.pinned:
                segment.pinned = False
                if segment.markdown is not None:
                    segment.markdown.styles.height = None
                    if segment.markdown.is_flat:
                        segment.markdown.unflatten()  # its lines were drawn at the old width

    def rescale_parked(self, old_width: int, new_width: int) -> None:
        """The width changed: parked heights were measured at the old one; re-estimate them.

        Prose reflows about in proportion to the width; a piece is measured exactly
        again when it is scrolled near and drawn.
        """
        if not old_width or not new_width or old_width == new_width:
            return
        changed = False
        for segment in self._segments:
            if segment.parked_height:
                segment.parked_height = max(1, round(segment.parked_height * old_width / new_width))
                changed = True
        if changed:
            self._sync_children()

    @property
    def parked_count(self) -> int:
        return sum(1 for s in self._segments if s.parked_height)

    def _sync_children(self) -> None:
        """Make the children match the segments: each shown piece's widget (drawn afresh from
        its text when it was parked), one ParkedRun per run of adjacent parked pieces, in order.

        Runs are reused by their first member, so a run whose first piece is unchanged stays
        where it is (only its height changes).
        """
        old_runs = {run.members[0]: run for run in self.query_children(ParkedRun) if run.members}
        anchor: Widget | None = None
        index = 0
        segments = self._segments
        while index < len(segments):
            segment = segments[index]
            if not segment.parked_height:
                if segment.markdown is None:
                    segment.markdown = self._widget_for(segment)
                    self._mount_after(segment.markdown, anchor)
                anchor = segment.markdown
                index += 1
                continue
            members: list[_Segment] = []
            while index < len(segments) and segments[index].parked_height:
                member = segments[index]
                member.pinned = False  # drawn afresh when it comes back
                if member.markdown is not None:
                    member.markdown.remove()  # its widgets go; the text and height stay
                    member.markdown = None
                members.append(member)
                index += 1
            run = old_runs.pop(members[0], None)
            if run is None:
                run = ParkedRun()
                self._mount_after(run, anchor)
            run.members = members
            run.styles.height = sum(s.parked_height for s in members)
            anchor = run
        for run in old_runs.values():
            run.members = []  # it may linger until the removal is processed: never reuse it
            run.remove()

    def _mount_after(self, widget: Widget, anchor: Widget | None) -> None:
        if anchor is not None:
            self.mount(widget, after=anchor)
        elif self.children:
            self.mount(widget, before=0)
        else:
            self.mount(widget)
