"""ConversationView: the scrolling list of MessageBoxes.

It follows new output only while the view is at the bottom: the container is
anchored once (``Widget.anchor``), any user scroll releases the anchor and
scrolling back to the end re-engages it (Textual's ``Widget.anchor`` and
``release_anchor``). While a reply streams below a user who scrolled up, a
"new output below · F3" line at the bottom says so (F3 or a click jumps there);
it goes away once the view is back at the end. Long histories mount
only the last :attr:`ConversationView.PAGE` messages; earlier pages are mounted
when the user scrolls to the top or presses the "earlier messages" line, so a
1,000-message conversation opens as fast as a short one.

Long replies are columns of Markdown pieces (see MarkdownColumn). Pieces far above
or below the view are *parked*: hidden, each run of them behind one blank of
their total height, so every refresh lays out only what is near the screen. A finished
message further away still *folds*: its box keeps no children, only its height (see
turn_park). Parking is re-checked after scrolling and whenever a reply grows a piece; a
width change re-estimates the parked heights.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual import events
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message as TextualMessage
from textual.scrollbar import ScrollBar
from textual.widgets import Static

from liaobots_tui.store import MessageRecord, Version
from liaobots_tui.ui.textual_compat import anchor_released, steady_vertical_scrollbar
from liaobots_tui.ui.widgets.drawn_scroll import rows_scrolled_since_drawn
from liaobots_tui.ui.widgets.markdown_column import MarkdownColumn
from liaobots_tui.ui.widgets.message_box import MessageBox
from liaobots_tui.ui.widgets.uniform_rows import UniformRows
from liaobots_tui.usage_stats import ReplyCost

WELCOME = (
    "Type a message below and press Enter to send.\n"
    "ctrl+j adds a new line · ctrl+o picks the model and format · ctrl+p → Use a preset\n"
    "ctrl+e composes in your editor · ctrl+f attaches files · ctrl+p lists every action · F1 help"
)


class EarlierMessages(Static):
    """The "N earlier messages" line at the top of a long conversation."""

    class Pressed(TextualMessage):
        pass

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.post_message(self.Pressed())


class OutputBelow(Static):
    """The "new output below" line, pinned to the bottom of the view; a click jumps there."""

    TEXT = "▼ new output below · F3 jumps there"

    class Pressed(TextualMessage):
        pass

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.post_message(self.Pressed())


class ConversationView(UniformRows, VerticalScroll):
    """Messages of the open conversation, newest at the bottom."""

    #: Messages mounted at a time when a stored conversation opens or grows upward.
    PAGE = 40
    #: Messages mounted before the first paint of a stored conversation.
    FIRST = 8
    #: Rows kept live above and below the view, as a fraction of its height.
    PARK_MARGIN = 0.5

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._pending: list[MessageRecord] = []  # older messages not mounted yet, oldest first
        #: Message id → which of its versions it is, for messages that have others (see set_versions).
        self.versions: dict[int, Version] = {}
        #: Reply id → what it cost (see set_costs).
        self.costs: dict[int, ReplyCost] = {}
        self._loading_earlier = False
        self._parking_scheduled = False
        self._width = 0

    @property
    def vertical_scrollbar(self) -> ScrollBar:
        # Drawn again only when its thumb moves: the view grows in every frame of a reply, and
        # each growth repainted the whole bar (ui/steady_scrollbars.py).
        return steady_vertical_scrollbar(self)

    def compose(self):  # type: ignore[no-untyped-def]
        yield EarlierMessages("", id="earlier")
        yield Static(Content(WELCOME), id="welcome")
        # Fills the view while the messages are shorter than it (height 1fr): an anchored
        # container shorter than its view is drawn bottom-aligned with a negative offset.
        yield Static("", id="tail")
        yield OutputBelow(Content(OutputBelow.TEXT), id="output-below")

    def on_mount(self) -> None:
        self.query_one("#earlier").display = False
        self.query_one("#output-below").display = False
        self.follow()

    # ------------------------------------------------------------------ content

    def boxes(self) -> list[MessageBox]:
        return list(self.query_children(MessageBox))

    @property
    def last_box(self) -> MessageBox | None:
        boxes = self.boxes()
        return boxes[-1] if boxes else None

    @property
    def hidden_count(self) -> int:
        """Older messages not mounted yet."""
        return len(self._pending)

    async def show_messages(self, messages: Sequence[MessageRecord]) -> None:
        """Replace the view with ``messages``.

        The last :attr:`FIRST` messages (about a screenful) are mounted at once; the
        rest of the last page is mounted above them after that first paint, and
        older pages on demand.
        """
        await self.remove_children(MessageBox)
        self.query_one("#output-below").display = False  # another chat: nothing new below
        self._pending = list(messages)
        first = self._pending[-self.FIRST :]
        del self._pending[-self.FIRST :]
        if first:
            with self.app.batch_update():
                await self.mount_all([self._box(m) for m in first], before="#tail")
        self._update_chrome()
        self.follow()
        self.schedule_parking()
        if self._pending:
            self.call_after_refresh(self._fill_page, self.PAGE - len(first))

    async def _fill_page(self, count: int) -> None:
        if count <= 0 or not self._pending:
            return
        boxes = self.boxes()
        page, self._pending = self._pending[-count:], self._pending[:-count]
        await self.mount_all([self._box(m) for m in page], before=boxes[0] if boxes else "#tail")
        self._update_chrome()
        self.schedule_parking()

    async def add_message(self, message: MessageRecord, *, streaming: bool = False) -> MessageBox:
        box = self._box(message, streaming=streaming)
        await self.mount(box, before="#tail")
        self._update_chrome()
        return box

    def _box(self, message: MessageRecord, *, streaming: bool = False) -> MessageBox:
        version = self.versions.get(message.id) if message.id is not None else None
        cost = self.costs.get(message.id) if message.id is not None else None
        return MessageBox(message, streaming=streaming, version=version, cost=cost)

    def set_versions(self, versions: Mapping[int, Version]) -> None:
        """Which messages have versions (message id → n of m): shown now and on every box mounted later."""
        self.versions = dict(versions)
        for box in self.boxes():
            box.set_version(self.versions.get(box.message.id) if box.message.id is not None else None)

    def set_costs(self, costs: Mapping[int, ReplyCost]) -> None:
        """What each reply cost (reply id → cost): shown in its reply line, now and when mounted later."""
        self.costs = dict(costs)
        for box in self.boxes():
            if box.message.role != "user":
                box.set_cost(self.costs.get(box.message.id) if box.message.id is not None else None)

    def box_of(self, message_id: int) -> MessageBox | None:
        """The mounted box of message ``message_id``."""
        return next((b for b in self.boxes() if b.message.id == message_id), None)

    async def reveal(self, message_id: int) -> MessageBox | None:
        """The box of ``message_id``, mounting older pages until it is there; None if not in the chat."""
        while (box := self.box_of(message_id)) is None and self._pending:
            left = len(self._pending)
            if not any(m.id == message_id for m in self._pending):
                return None
            await self.load_earlier()
            if len(self._pending) == left:  # another load is under way: no progress to wait for here
                return None
        return box

    async def remove_from(self, box: MessageBox) -> None:
        """Remove ``box`` and every message after it (edit and regenerate rewrite the tail)."""
        boxes = self.boxes()
        if box in boxes:
            await self.remove_children(boxes[boxes.index(box) :])
        self._update_chrome()

    async def load_earlier(self) -> None:
        """Mount the previous page of older messages above the first shown one."""
        if not self._pending or self._loading_earlier:
            return
        self._loading_earlier = True
        try:
            page, self._pending = self._pending[-self.PAGE :], self._pending[: -self.PAGE]
            boxes = self.boxes()
            first = boxes[0] if boxes else None
            new = [self._box(m) for m in page]
            if first is not None:
                await self.mount_all(new, before=first)
                # Keep what the user was looking at in place rather than jumping to the new top.
                self.call_after_refresh(self.scroll_to_widget, first, top=True, animate=False)
            else:
                await self.mount_all(new, before="#tail")
            self._update_chrome()
        finally:
            self._loading_earlier = False

    def _update_chrome(self) -> None:
        earlier = self.query_one("#earlier", EarlierMessages)
        count = len(self._pending)
        earlier.display = count > 0
        if count:
            noun = "message" if count == 1 else "messages"
            earlier.update(Content(f"▲ {count} earlier {noun}: scroll up or click to load"))
        self.query_one("#welcome").display = not self.boxes() and not count

    # ------------------------------------------------------------------ scrolling

    @property
    def following(self) -> bool:
        """True while new output keeps the view at the bottom."""
        return self.scroll_y >= self.max_scroll_y

    @property
    def at_end(self) -> bool:
        """The last row is in view (with a row of slack: anchoring lags a growing reply by one)."""
        return self.scroll_y >= self.max_scroll_y - 1

    @property
    def output_below_shown(self) -> bool:
        # query, not query_one: a scroll animation may still tick while the app tears the view down.
        return any(hint.display for hint in self.query("#output-below"))

    def check_output_below(self) -> None:
        """A reply is streaming: say so when the user scrolled away from the end to read."""
        if not self.output_below_shown and not self.at_end and anchor_released(self):
            self.query_one("#output-below").display = True

    def on_output_below_pressed(self, event: OutputBelow.Pressed) -> None:
        event.stop()
        self.scroll_to_latest()

    def scroll_to_latest(self) -> None:
        """Jump to the newest message and follow output again."""
        self.scroll_end(animate=False, immediate=True)
        self.follow()
        self.query_one("#output-below").display = False

    def follow(self) -> None:
        """Follow new output from now on (until the user scrolls away)."""
        self.anchor()

    # ------------------------------------------------------------------ parking

    def schedule_parking(self) -> None:
        """After the next refresh, park pieces of long replies that are far off screen."""
        if not self._parking_scheduled:
            self._parking_scheduled = True
            self.call_after_refresh(self._update_parking)

    def _update_parking(self) -> None:
        self._parking_scheduled = False
        region = self.region
        if not region.height:
            return
        # Some rows above and below stay live, so ordinary scrolling never meets a blank.
        margin = round(region.height * self.PARK_MARGIN)
        boxes = self.boxes()
        # Run before the frame of a scroll made since it was queued (End on a loaded machine),
        # this pass sees the boxes where that frame has not moved them yet, and the scroll's own
        # request for a pass was folded into this one: look where the view is now.
        drift = rows_scrolled_since_drawn(self, boxes[0]) if boxes else 0
        top, bottom = region.y - margin + drift, region.bottom + margin + drift
        changed = False
        for box in boxes:
            if box.park_offscreen(top, bottom):
                changed = True
            else:  # settled: a whole turn further off than the margin again folds away (turn_park)
                box.fold_beyond(top - margin, bottom + margin)
        if changed:
            # Pieces drawn or parked just now change heights (an estimate becomes a measure)
            # and so what is near: look again once they are laid out, until nothing moves.
            self.schedule_parking()

    def on_markdown_column_grew(self, event: MarkdownColumn.Grew) -> None:
        event.stop()
        # Park now, from the last layout: the changes join the refresh the new piece causes
        # anyway, instead of costing a layout of their own after it.
        self._update_parking()

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._width:
            # Parked heights were measured at the old width: re-estimate them (a parked piece
            # is measured again when it comes near); drawing them all would cost the whole text.
            old, self._width = self._width, event.size.width
            for box in self.boxes():
                box.rescale_parked(old, self._width)
        self.schedule_parking()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) != round(new_value):
            self.schedule_parking()
        if self.output_below_shown and self.at_end:
            self.query_one("#output-below").display = False
        if new_value <= 0 and old_value > 0 and self._pending and anchor_released(self):
            self.call_later(self.load_earlier)

    def on_earlier_messages_pressed(self, event: EarlierMessages.Pressed) -> None:
        event.stop()
        self.call_later(self.load_earlier)
