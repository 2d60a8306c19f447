"""CompareScreen: one prompt's replies from two to four models, side by side, each streaming on its own.

The comparison itself is headless (:mod:`liaobots_tui.conversations.compare`);
this screen only draws it. Each model gets a :class:`LaneColumn`: its name and
format, a figures line (status, time to first token, total time, tokens,
credits: ``≈ … estimate`` until the gateway's usage record matches) and the
reply as a streaming :class:`~liaobots_tui.ui.widgets.message_box.MessageBox`
(a failed model shows its error there). Columns sit next to each other when the
terminal is wide enough (:data:`COLUMN_WIDTH` cells each); on a narrower one
each model gets a tab. The layout is chosen when the screen opens.

Keys: ←/→ (or Tab) move between models, ``x`` stops the current one, Esc stops
all (and, once nothing streams, closes: after asking, unless a reply was kept),
``k`` or Enter keeps the current reply, which continues the chat (the models
still replying are stopped first). The screen is dismissed with the kept lane's
index, or None. Every reply was charged, so none is dropped: the others become
the kept reply's versions, and closing with none kept sets them all aside in the
chat (:meth:`~liaobots_tui.conversations.compare.Comparison.keep_none`); quitting
while replies stream sets them aside too, cut short as cancelled
(:meth:`~liaobots_tui.conversations.compare.Comparison.close`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static, TabbedContent, TabPane

from liaobots_tui.api.messages import (
    Attachment,
    ErrorEvent,
    ImageEvent,
    ImagePart,
    ReasoningDelta,
    RetryEvent,
    SourcesEvent,
    TextDelta,
)
from liaobots_tui.conversations.compare import CompareEvent, Comparison, Lane, LaneEnded, start_compare
from liaobots_tui.errors import LiaobotsError
from liaobots_tui.image_files import UnsafeImage, verify
from liaobots_tui.ui import gc_pause, memory_release
from liaobots_tui.ui.plain import plain_line
from liaobots_tui.ui.screens.compare_picker import ComparePickerModal
from liaobots_tui.ui.screens.dialogs import ConfirmModal
from liaobots_tui.ui.textual_compat import (
    after_refresh_work_apart,
    draw_after_layout_apart,
    draw_changed_regions_apart,
    keep_full_map_after_reflow,
    layout_once_per_change,
)
from liaobots_tui.ui.widgets.conversation import ConversationView
from liaobots_tui.ui.widgets.keys_footer import KeysFooter
from liaobots_tui.ui.widgets.markdown_column import MarkdownColumn
from liaobots_tui.ui.widgets.message_box import MessageBox

if TYPE_CHECKING:
    from liaobots_tui.conversations import ConversationController
    from liaobots_tui.ui.screens.chat import ChatScreen

#: Cells a model's column needs; narrower terminals get tabs instead.
COLUMN_WIDTH = 38
#: Seconds between refreshes of the figures lines while replies stream.
TICK = 0.25
#: Most characters the lanes' writes bring, shared among them (a lane's write: this / lanes).
#: A write's new blocks are mounted, laid out and drawn in one frame: with 1,333 characters a
#: lane (the chat's 4,000 / 3) the longest frames of three lanes were 400-570 ms of CPU, with
#: 500 about 200-240 ms; smaller writes gave no shorter frames (seals and tables then dominate).
LANES_FLUSH_CHARS = 1500
#: Tries (and seconds between them) to find the usage records that make the credits exact.
COST_TRIES, COST_RETRY_S = 3, 3.0
STATUS_STYLES = {"failed": "$text-error", "cancelled": "$text-warning", "complete": "$text-success"}


def lane_figures(lane: Lane) -> Content:
    """``streaming · first token 0.42 s · 3.1 s · ~120 tokens · ≈ 0.01 estimate``."""
    status = lane.reply.status
    ttft = "first token –" if lane.ttft is None else f"first token {lane.ttft:.2f} s"
    tokens, exact = lane.tokens
    label = lane.credits_label()
    charged = f"credits {label}" if label == "?" else label
    style = STATUS_STYLES.get(status, "")
    return Content.assemble(
        Content.styled(status, style) if style else status,
        f" · {ttft} · {lane.elapsed():.1f} s · {'' if exact else '~'}{tokens:,} tokens · {charged}",
    )


class LaneView(ConversationView):
    """A lane's reply view: it parks Markdown pieces closer to its edges than the chat does.

    Every frame lays out and draws every widget mounted on the screen, and three
    columns side by side mount three times what one reply does: the rows kept live
    beyond the view (half its height in the chat) were most of each column's widgets.
    """

    PARK_MARGIN = 0.1
    #: Its rows are drawn as blank lines (it has no border and no content of its own): see LaneRow.
    BLANK = True

    # The chat's welcome lines are not for a lane: shown until the reply's box mounted, they were
    # laid out and drawn three times in the screen's first frame, and hidden again in the next.
    DEFAULT_CSS = """
    LaneView > #welcome { display: none; }
    """


class LaneRow(Horizontal):
    """The columns side by side.

    ``BLANK``: Textual draws the rows of a blank container as blank lines. A container
    that is not blank renders its whole height afresh when its size changes (each column
    of a streaming reply, every write) and again when its background is drawn over the
    frame's region, all of it hidden under its children.
    """

    BLANK = True


class LaneColumn(Vertical):
    """One model's reply in the comparison, with its figures.

    The reply lives in a :class:`LaneView` of its own, which parks Markdown pieces
    off screen: three long replies side by side then cost a layout of what is on
    the screen, about as much as one does in the chat.
    """

    DEFAULT_CSS = """
    LaneColumn { width: 1fr; height: 1fr; padding: 0 1; }
    LaneColumn > .lane-head { text-style: bold; background: $panel; padding: 0 1; }
    LaneColumn > .lane-head.-current { background: $primary 40%; }
    LaneColumn > .lane-figures { color: $text-muted; padding: 0 1; }
    LaneColumn > ConversationView { height: 1fr; scrollbar-gutter: stable; }
    """

    BLANK = True  # see LaneRow

    def __init__(self, lane: Lane, sharing: int = 1) -> None:
        super().__init__(id=f"lane-{lane.index}")
        self.lane = lane
        #: How many replies stream side by side (they share the screen's writes: see slow_down).
        self.sharing = max(1, sharing)
        self.view = LaneView()
        #: The reply's box, once mounted (:attr:`ready`); events wait for it.
        self.box: MessageBox | None = None
        self.ready = asyncio.Event()
        #: A retry notice is showing: the next text clears it.
        self.noticed = False

    def compose(self) -> ComposeResult:
        yield Static(plain_line(f"{self.lane.model} · {self.lane.format}"), classes="lane-head")
        yield Static(lane_figures(self.lane), classes="lane-figures")
        yield self.view

    def on_mount(self) -> None:
        # The screen's first frame paints the columns (title, heads, figures); each reply box is
        # mounted after it, one lane a frame: the open was one loop turn composing, styling,
        # laying out and drawing all three boxes too (50-80 ms of CPU, among the longest stalls).
        self._mount_box_after(self.lane.index + 1)

    def _mount_box_after(self, refreshes: int) -> None:
        if refreshes > 0:
            self.call_after_refresh(self._mount_box_after, refreshes - 1)
        else:
            self.call_next(self._mount_box)

    async def _mount_box(self) -> None:
        if not self.is_attached:
            return
        self.box = await self.view.add_message(self.lane.reply, streaming=True)
        self.box.header.can_focus = False  # the chat's message keys mean nothing here
        self.slow_down()
        self.ready.set()

    def slow_down(self) -> None:
        """Write the reply to its Markdown less often, in proportion to the models streaming at once.

        Each write costs a layout and a draw of the screen: three columns at the chat's
        pace asked for three times the work of one reply, more than the loop could do, and
        the backlog came out as long stalls. So the screen gets about as many writes per
        second as while one reply streams in the chat, and a write (a backlog is drained in
        several) brings a share of :data:`LANES_FLUSH_CHARS`: what one frame lays out and
        draws is bounded by what one write brings, and a lane that falls behind catches up
        by parking its backlog unread (MarkdownColumn's skip-ahead), not by bigger writes.
        """
        if self.box is None:
            return
        for column in self.box.columns:
            if column.streaming:
                column.THROTTLE = MarkdownColumn.THROTTLE * self.sharing
                column.FLUSH_CHARS = min(MarkdownColumn.FLUSH_CHARS, LANES_FLUSH_CHARS) // self.sharing
                # Not sliced by widgets too: three lanes' slices a frame apart each were ~2x the
                # frames and CPU, and the lanes fell behind (measured, 3 x 3,000 deltas).
                column.FRAME_WIDGETS = None

    def on_descendant_focus(self) -> None:
        # On the one-line head only: a pseudo-class on the column would restyle every block below it.
        self.query_one(".lane-head").add_class("-current")

    def on_descendant_blur(self) -> None:
        self.query_one(".lane-head").remove_class("-current")

    def refresh_figures(self) -> None:
        figures = self.query_one(".lane-figures", Static)
        # Four times a second per lane: a layout would re-arrange the whole screen (every
        # column), so the line asks for one only when its new text takes a different number of rows.
        figures.update(lane_figures(self.lane), layout=False)
        size = figures.content_size
        if not size.width or figures.get_content_height(size, size, size.width) != size.height:
            figures.refresh(layout=True)


class CompareScreen(Screen[int | None]):
    """See the module docstring."""

    DEFAULT_CSS = """
    CompareScreen #compare-title { height: 1; padding: 0 1; background: $panel; }
    CompareScreen #compare-columns { height: 1fr; }
    CompareScreen TabbedContent { height: 1fr; }
    CompareScreen TabPane { height: 1fr; padding: 0; }
    """

    BINDINGS = [
        Binding("escape", "stop", "Stop all / close"),
        Binding("x", "stop_one", "Stop this one"),
        Binding("k,enter", "keep", "Keep this one"),
        Binding("left", "move(-1)", "Previous", show=False),
        Binding("right", "move(1)", "Next", show=False),
    ]

    def __init__(
        self,
        controller: ConversationController,
        models: Sequence[str],
        text: str,
        images: Sequence[Attachment] = (),
    ) -> None:
        super().__init__(id="compare")
        self.controller = controller
        self.models = list(models)
        self.text = text
        self.images = list(images)
        self.comparison: Comparison | None = None
        self.columns: list[LaneColumn] = []
        self.tabbed = False
        self._ticker: Timer | None = None
        #: gc_pause.stream_started() was called (its stream_ended comes when all ended or the screen closes).
        self._gc_paused = False
        self._closed = False

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        first_line = self.text.strip().splitlines()[0] if self.text.strip() else "(images)"
        yield Static(
            Content.assemble(Content.styled("Compare", "bold $primary"), "  ", plain_line(first_line, 120)),
            id="compare-title",
        )
        try:
            self.comparison = start_compare(
                self.controller, self.models, self.text, self.images, self._on_event
            )
        except LiaobotsError as exc:
            self.notify(exc.message, title=exc.title, severity="error")
            self.call_after_refresh(self.dismiss, None)
            return
        lanes = self.comparison.lanes
        self.columns = [LaneColumn(lane, len(lanes)) for lane in lanes]
        # The lanes' tasks run from the next await on; the columns are mounted with this screen.
        self.tabbed = self.app.size.width < COLUMN_WIDTH * len(self.columns)
        if self.tabbed:
            with TabbedContent(id="compare-tabs"):
                for column in self.columns:
                    with TabPane(plain_line(column.lane.model, 30), id=f"tab-{column.lane.index}"):
                        yield column
        else:
            with LaneRow(id="compare-columns"):
                yield from self.columns
        yield KeysFooter()

    def on_mount(self) -> None:
        keep_full_map_after_reflow(self)  # a frame lays the screen out once, not twice
        draw_changed_regions_apart(self)  # a column's changes do not redraw the columns beside it
        layout_once_per_change(self)  # a write is laid out in one frame, not echoed into the next
        after_refresh_work_apart(self)  # a frame's after-work (folds, parking) in loop turns of its own
        draw_after_layout_apart(self)  # a frame's drawing in a loop turn after its layout's
        if self.comparison is None:
            return
        self.columns[0].view.focus()
        if not self._lanes_streaming():
            return  # short replies ended before this (_all_ended ran): nothing to tick or release
        gc_pause.stream_started()  # no full collection inside the frames while replies stream
        self._gc_paused = True
        self._ticker = self.set_interval(TICK, self._tick)

    def on_unmount(self) -> None:
        self._closed = True
        comparison = self.comparison
        if comparison is not None:
            # The app quits under a comparison: the requests stop, and with none kept every reply
            # that arrived (complete, or cut short: cancelled) is set aside in the chat.
            with contextlib.suppress(LiaobotsError, sqlite3.Error, OSError):
                comparison.close()
        self._stop_ticker()
        self._end_gc_pause()  # closed while replies streamed

    def _end_gc_pause(self) -> None:
        """Replies no longer stream here: their garbage is collected a moment later, as a chat reply's."""
        if self._gc_paused:
            self._gc_paused = False
            gc_pause.stream_ended()
            memory_release.release_when_quiet(self.app)

    def _stop_ticker(self) -> None:
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None

    def _tick(self) -> None:
        gc_pause.between_frames()
        for column in self.columns:
            if column.lane.streaming:
                column.refresh_figures()

    # ------------------------------------------------------------------ events

    async def _on_event(self, lane: Lane, event: CompareEvent) -> None:
        """The comparison's listener: one event of one lane, in that lane's order."""
        if self._closed:
            return
        column = self.columns[lane.index]
        box = column.box
        if box is None:
            await column.ready.wait()  # the stream answered before the column was mounted
            box = column.box
            assert box is not None
        if type(event) is TextDelta:  # the hot path first
            box.append_text(event.text)
            if column.noticed:
                column.noticed = False
                box.set_notice(None)
        elif isinstance(event, ReasoningDelta):
            box.append_reasoning(event.text)
        elif isinstance(event, ImageEvent):
            await self._show_image(box, event.image)
        elif isinstance(event, RetryEvent):
            column.noticed = True
            box.set_notice(f"{event.reason}, retrying in {event.delay:.0f} s (attempt {event.attempt})")
        elif isinstance(event, SourcesEvent):
            box.set_sources(event.sources)
        elif isinstance(event, ErrorEvent):
            pass  # the lane holds the error; the box shows it when the lane ends
        elif isinstance(event, LaneEnded):
            await box.finish(lane.reply)
            column.refresh_figures()
            if not self._lanes_streaming():
                self._all_ended()

    async def _show_image(self, box: MessageBox, part: ImagePart) -> None:
        """A generated image, shown only once its bytes decode as a safe image."""
        try:
            await asyncio.to_thread(verify, part.data)
        except UnsafeImage as exc:
            box.append_text(f"\n\n[image not shown: {exc.reason}]\n\n")
            return
        await box.add_image(part)
        column = next((c for c in self.columns if c.box is box), None)
        if column is not None:
            column.slow_down()  # the text after the image goes into a new Markdown column

    def _lanes_streaming(self) -> bool:
        """Is a reply still arriving, or still being drawn (a column drains its backlog after its
        lane ended: on a busy machine for seconds)? By the lanes' status: the last lane's task is
        still running while it reports its end (Comparison.streaming was True there, unseen)."""
        if self.comparison is None:
            return False
        arriving = any(lane.streaming for lane in self.comparison.lanes)
        return arriving or any(column.box is None or column.box.streaming for column in self.columns)

    def _all_ended(self) -> None:
        self._stop_ticker()
        self._end_gc_pause()
        self._settle_costs()

    # A worker made by @work creates its coroutine when it starts: one the closing screen
    # never starts leaves no "never awaited" warning.
    @work(group="compare-costs", exclusive=True, exit_on_error=False)
    async def _settle_costs(self) -> None:
        """Look the replies up in the usage records until each cost is exact (a few tries)."""
        comparison = self.comparison
        if comparison is None:
            return
        for attempt in range(COST_TRIES):
            try:
                page = await self.controller.fetch_usage_page("")
            except LiaobotsError:
                return  # the figures keep their estimates, labelled as such
            comparison.settle_costs(page.records)
            for column in self.columns:
                column.refresh_figures()
            charged = [
                x for x in comparison.lanes if x.reply.usage is not None or x.reply.status == "complete"
            ]
            if all(x.record is not None for x in charged) or attempt == COST_TRIES - 1:
                return
            await asyncio.sleep(COST_RETRY_S)  # the gateway writes its records a moment after the reply

    # ------------------------------------------------------------------ actions

    def current_index(self) -> int:
        """The model the keys act on: the active tab, else the column holding the focus."""
        if self.tabbed:
            active = self.query_one(TabbedContent).active
            return int(active.removeprefix("tab-")) if active.startswith("tab-") else 0
        node = self.focused
        while node is not None:
            if isinstance(node, LaneColumn):
                return node.lane.index
            node = node.parent  # type: ignore[assignment]
        return 0

    def action_move(self, step: int) -> None:
        index = (self.current_index() + step) % max(1, len(self.columns))
        if self.tabbed:
            self.query_one(TabbedContent).active = f"tab-{index}"
        # At once, not after the queued messages (``focus()``): a "k" typed right after "right"
        # is already queued, and kept the previous model's reply on a busy machine.
        self.set_focus(self.columns[index].view)

    def action_stop_one(self) -> None:
        if self.comparison is not None and not self.comparison.cancel(self.current_index()):
            self.notify("That reply has ended already", timeout=3)

    def action_stop(self) -> None:
        """Esc: stop every model still replying; when none is, close (asking before replies are lost)."""
        comparison = self.comparison
        if comparison is None:
            self.dismiss(None)
            return
        if comparison.cancel_all():
            return

        def answered(close: bool | None) -> None:
            if close:
                self._close_keeping_none()

        if any(lane.reply.parts for lane in comparison.lanes):
            self.app.push_screen(
                ConfirmModal(
                    "Close the comparison?",
                    "No reply kept: the chat keeps them aside, as an earlier version of your next"
                    " prompt (‹ ›), and counts what they cost. (k keeps the one you are on.)",
                    confirm_label="Close",
                    danger=False,
                ),
                answered,
            )
        else:
            self._close_keeping_none()

    def _close_keeping_none(self) -> None:
        """Close with no reply kept: the charged replies are set aside in the chat first."""
        if self.comparison is not None:
            try:
                self.comparison.keep_none()
            except (LiaobotsError, sqlite3.Error, OSError) as exc:
                # Closing goes on: the replies are in the usage history, the prompt comes back.
                self.notify(str(exc), title="Could not set the replies aside", severity="error")
        self.dismiss(None)

    def action_keep(self) -> None:
        comparison = self.comparison
        if comparison is None:
            return
        index = self.current_index()
        lane = comparison.lanes[index]
        if comparison.streaming and not lane.streaming and lane.reply.parts:
            # Kept while others still reply: they are stopped, then stored beside it as its versions.
            comparison.cancel_all()
            self.run_worker(self._keep_once_ended(index), group="compare-keep", exclusive=True)
            return
        self._keep(index)

    async def _keep_once_ended(self, index: int) -> None:
        if self.comparison is not None:
            await self.comparison.wait()
            self._keep(index)

    def _keep(self, index: int) -> None:
        comparison = self.comparison
        if comparison is None or self._closed:
            return
        try:
            comparison.keep(index)
        except (LiaobotsError, sqlite3.Error, OSError) as exc:
            title = exc.title if isinstance(exc, LiaobotsError) else "Could not keep the reply"
            self.notify(str(exc), title=title, severity="error")
            return
        self.dismiss(index)


# ---------------------------------------------------------------- from the chat screen


def compare_from_chat(chat: ChatScreen) -> None:
    """Compare (alt+c): pick the models, then compare the prompt being typed across them.

    The prompt and its attachments leave the prompt box when the comparison
    starts (the text goes into the prompt history); they come back when it is
    closed with no reply kept. A kept reply shows as the chat's newest turn.
    """
    text = chat.prompt.text
    named = chat.attachments.named_parts
    if not text.strip() and not named:
        chat.notify("Type the prompt first; Compare sends it to the models you pick.", severity="warning",
                    timeout=5)  # fmt: skip
        return
    if chat.streaming:
        chat.notify("A reply is still streaming: Esc stops it.", severity="warning", timeout=3)
        return

    def picked(models: list[str] | None) -> None:
        if models is None:
            chat.prompt.focus()
            return
        chat.compare_models = list(models)
        images = [dataclasses.replace(part, data=part.load()) for part, _ in named]
        chat.history.add(text)
        chat.prompt.load_text("")
        chat.run_worker(chat.attachments.clear(), group="attach")

        def done(kept: int | None) -> None:
            chat.run_worker(_after_compare(chat, kept, text, named), group="compare")

        chat.app.push_screen(CompareScreen(chat.controller, models, text, images), done)

    chosen = chat.compare_models or [chat.model]
    chat.app.push_screen(ComparePickerModal(chat.lapp.models, chosen), picked)


async def _after_compare(
    chat: ChatScreen, kept: int | None, text: str, named: list[tuple[Attachment, str]]
) -> None:
    if kept is None:
        chat.restore_prompt(text, named)
        # Replies set aside in this chat count in its total (a chat not saved yet: once it is).
        chat.credits.set_conversation(chat.controller.messages, chat.controller.replies_set_aside())
        return
    messages = chat.controller.messages
    await chat._show(messages)  # the kept turn, its model and settings, as opening the chat shows them
    chat.refresh_chats()
    if messages:
        chat.credits.reply_finished(messages[-1], messages, chat.controller.replies_set_aside())
        chat.notify(f"Kept the reply of {messages[-1].model}: the chat goes on with it", timeout=4)
    chat.view.scroll_to_latest()
    chat.prompt.focus()
