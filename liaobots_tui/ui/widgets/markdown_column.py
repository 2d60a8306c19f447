"""MarkdownColumn: a Markdown text shown (and streamed) as a column of bounded pieces.

A streaming text grows through Textual's Markdown streaming API: deltas are
buffered and written to a :class:`~textual.widgets.markdown.MarkdownStream` at
most every :attr:`MarkdownColumn.THROTTLE` seconds, so each write re-parses only
the last block. The text is a column of Markdown *pieces* cut where
:mod:`~liaobots_tui.ui.widgets.markdown_pieces` says (after a number of top-level
blocks, or inside a paragraph or code fence that grew long), so the live piece
stays small and a delta costs the same at the end of a 1 MB paragraph as at its
start. When the live piece fills up, the rest of its text is streamed in (no
remount), it is sealed and a new piece takes over; when the text ends the live
piece gets one full render, so the finished text is what a reload shows. Per
flush the work is bounded (:attr:`MarkdownColumn.FLUSH_CHARS`), so a model that
outruns the renderer is drawn in slices, never in one freeze.

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
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Markdown, Static
from textual.widgets.markdown import MarkdownStream

from liaobots_tui.api.sanitize import clean_text
from liaobots_tui.ui.textual_compat import stop_stream
from liaobots_tui.ui.widgets.markdown_pieces import Cut, Piece, chat_parser, next_cut, split_pieces


class PieceMarkdown(Markdown):
    """One piece of a column. When a block was cut in two between this piece and a
    neighbour, its halves are drawn joined (no margin or padding between them).

    The joining is done by a class on the edge block, set after every update or append:
    CSS ``:first-child``/``:last-child`` rules made every block mount restyle its siblings
    (measured: a fifth more time for a whole streamed reply).
    """

    def __init__(
        self, text: str = "", *, classes: str = "body", cut: bool = False, continued: bool = False
    ) -> None:
        # open_links=False: a click must never launch a browser from inside a chat.
        super().__init__(text, classes=classes, open_links=False, parser_factory=chat_parser)
        #: Ends inside a block the next piece continues.
        self.cut = cut
        #: Starts inside a block the previous piece began.
        self.continued = continued
        self._joined: dict[str, Widget] = {}

    def update(self, markdown: str) -> AwaitComplete:
        return AwaitComplete(self._then_join(super().update(markdown)))

    def append(self, markdown: str) -> AwaitComplete:
        return AwaitComplete(self._then_join(super().append(markdown)))

    async def _then_join(self, work: AwaitComplete) -> None:
        await work
        self.join_edges()

    def join_edges(self) -> None:
        """Mark the first and last blocks that continue into a neighbouring piece."""
        children = list(self.children)
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


class _Segment:
    """A piece of the column: its widget, stream and the text written so far."""

    def __init__(self, markdown: PieceMarkdown, lead: str = "") -> None:
        self.markdown = markdown
        self.stream: MarkdownStream | None = None
        #: Message text written to the widget (the lead and close are not part of it).
        self.chunks: list[str] = []
        self.pending: list[str] = []
        #: Fence line that reopens a code block cut before this piece (not message text).
        self.lead = lead
        self.lead_written = False
        #: Finished: its blocks are final and it is never written again (it may be parked).
        self.sealed = False
        #: Rows it took when it was parked (0: shown). See MarkdownColumn.park_offscreen.
        self.parked_height = 0

    def text(self) -> str:
        return "".join(self.chunks)

    def source(self) -> str:
        return self.lead + self.text()


class ParkedRun(Static):
    """A blank as tall as the adjacent parked pieces it stands in for (``members``, in order)."""

    def __init__(self) -> None:
        super().__init__("", classes="parked")
        self.members: list[_Segment] = []


class MarkdownColumn(Vertical):
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

    #: Minimum seconds between writes to a Markdown stream (a write re-parses the last
    #: block; 100-250 ms keeps a fast model from using a whole core).
    THROTTLE = 0.1
    #: Most characters handed to the live piece per flush (a backlog drains over several).
    FLUSH_CHARS = 4000
    #: Seconds between slices when a finished text's backlog is drained.
    DRAIN_PAUSE = 0.02

    class Grew(TextualMessage):
        """A piece was sealed: the view may park pieces that are off screen."""

    def __init__(self, text: str = "", *, streaming: bool = False, classes: str = "body") -> None:
        super().__init__()
        self.streaming = streaming
        self._piece_classes = classes
        self._segments: list[_Segment] = []
        self._timer: Timer | None = None
        self._flush_lock = asyncio.Lock()
        #: Characters handed to the Markdown widgets so far (benchmarks watch it).
        self.shown_chars = 0
        self._initial = clean_text(text)

    def compose(self) -> ComposeResult:
        if self.streaming:
            segment = _Segment(PieceMarkdown(classes=self._piece_classes))
            self._segments.append(segment)
            yield segment.markdown
            return
        pieces = split_pieces(self._initial) if self._initial.strip() else []
        for index, piece in enumerate(pieces):
            markdown = PieceMarkdown(
                piece.source,
                classes=self._piece_classes,
                cut=piece.inside,
                continued=index > 0 and pieces[index - 1].inside,
            )
            segment = _Segment(markdown, piece.lead)
            segment.chunks.append(piece.text)
            segment.sealed = True
            segment.lead_written = True
            self._segments.append(segment)
            yield markdown

    # ------------------------------------------------------------------ queries

    @property
    def text(self) -> str:
        """The message text received so far, including what is queued but not drawn yet."""
        return "".join(s.text() + "".join(s.pending) for s in self._segments)

    @property
    def pieces(self) -> list[Markdown]:
        """The Markdown widgets, in order."""
        return [s.markdown for s in self._segments]

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
        if self._timer is None:
            self._timer = self.set_timer(self.THROTTLE, self.flush)

    def has_pending(self) -> bool:
        return bool(self._segments and self._segments[-1].pending)

    async def flush(self) -> None:
        """Hand queued text to the live piece: a bounded amount of work, the rest on the next tick."""
        self._timer = None
        # One flush at a time: the timer and finish() both flush, and a flush awaits.
        async with self._flush_lock:
            if self.has_pending():
                await self._flush_live(self._segments[-1])
        if self.has_pending() and self._timer is None:
            self._timer = self.set_timer(self.THROTTLE, self.flush)

    async def _write(self, segment: _Segment, text: str) -> None:
        segment.chunks.append(text)
        if segment.stream is None:
            segment.stream = Markdown.get_stream(segment.markdown)
        if not segment.lead_written:
            segment.lead_written = True
            text = segment.lead + text
        await segment.stream.write(text)
        self.shown_chars += len(text)

    async def _flush_live(self, live: _Segment) -> None:
        text = "".join(live.pending)
        live.pending.clear()
        take, rest = text, ""
        if len(text) > self.FLUSH_CHARS:
            # Cut after a newline where there is one, so a slice ends on a whole line.
            cut_at = text.rfind("\n", 0, self.FLUSH_CHARS) + 1 or self.FLUSH_CHARS
            take, rest = text[:cut_at], text[cut_at:]
        streamed = live.text()
        cut = next_cut(Piece(streamed + take, live.lead), final=False)
        if cut is None or cut.at <= 0:
            if rest:
                live.pending.insert(0, rest)  # before any delta that arrives while we write
            await self._write(live, take)
            return
        await self._seal(live, streamed, streamed + take, cut, rest)

    async def _seal(self, live: _Segment, streamed: str, whole: str, cut: Cut, rest: str) -> None:
        """The live piece ends at ``cut``: finish it and start the next piece with the rest."""
        head, tail = whole[: cut.at], whole[cut.at :]
        live.markdown.cut = cut.inside  # before the last writes: they join the edge
        if live.stream is not None and head.startswith(streamed):
            # The piece's blocks are what a full parse gives: stream the rest of its last
            # blocks (and a closing fence) rather than remount all of them, which re-laid
            # and re-drew the whole piece in one long frame.
            if len(head) > len(streamed) or cut.close:
                await live.stream.write(head[len(streamed) :] + cut.close)
            await stop_stream(live.stream)
            live.stream = None
        else:
            if live.stream is not None:
                await stop_stream(live.stream)
                live.stream = None
            # One full render of the finished blocks: exactly what a reload shows.
            await live.markdown.update(live.lead + head + cut.close)
        self.shown_chars += len(head) - len(streamed)
        live.chunks = [head]
        live.sealed = True
        live.markdown.join_edges()
        markdown = PieceMarkdown(classes=self._piece_classes, continued=cut.inside)
        segment = _Segment(markdown, cut.lead)
        # The cut-off tail, the unflushed rest and whatever arrived during the awaits above.
        segment.pending = [x for x in (tail + rest, *live.pending) if x]
        live.pending.clear()
        self._segments.append(segment)
        await self.mount(segment.markdown, after=live.markdown)
        self.post_message(self.Grew())

    async def finish(self) -> None:
        """End the stream: drain the backlog, stop the streams, one full render of the live piece."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        # A timer flush may be half-way (its text taken, not yet written): wait for it too.
        while self._flush_lock.locked() or self.has_pending():
            await self.flush()
            if self._timer is not None:
                self._timer.stop()
                self._timer = None
            await asyncio.sleep(self.DRAIN_PAUSE)  # input and screen updates get a turn between slices
        for segment in self._segments:
            if segment.stream is not None:
                await stop_stream(segment.stream)
                segment.stream = None
        self.streaming = False
        live = self._segments[-1] if self._segments else None
        if live is not None and not live.sealed and live.text():
            # One final full render, so the finished text is exactly what a reload shows.
            await live.markdown.update(live.source())
        if live is not None and not live.text() and len(self._segments) > 1:
            # The text ended exactly at a cut: no empty piece (a reload would not have one).
            self._segments.pop()
            await live.markdown.remove()

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
        for segment in self._segments:
            markdown = segment.markdown
            if not segment.sealed or segment.parked_height or not markdown.display or segment in shown:
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
        parked = [s for s in self._segments if s.parked_height]
        for segment in parked:
            self._show(segment)
        if parked:
            self._rebuild_runs()

    @property
    def parked_count(self) -> int:
        return sum(1 for s in self._segments if s.parked_height)

    def _show(self, segment: _Segment) -> None:
        segment.parked_height = 0
        segment.markdown.display = True

    def _rebuild_runs(self) -> None:
        """One ParkedRun before each run of adjacent parked pieces, reusing those in place."""
        runs: list[list[_Segment]] = []
        pieces: dict[Widget, _Segment] = {s.markdown: s for s in self._segments}
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
                open_run = False
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
