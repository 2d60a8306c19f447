"""Compare keeps the app responsive: long replies side by side park what is off screen, nothing is lost.

- Three long replies in the compare screen end with only the pieces near each column's view
  drawn; a column scrolled back shows its first piece from its text; "Keep this one" stores
  the whole reply; each lane writes its Markdown less often, as three share the screen. On the
  same replies, test_compare_lanes.py's points: each lane's figures line is current and fits,
  asking for a layout only when it wraps onto more rows, and lanes park within their margin.
- A sealed piece reaches the view (which parks what is off screen) even while the column's own
  message queue is busy: it used to wait behind it, seconds late with three columns streaming.
- Streamed Markdown writes take turns: two never hold Textual's batch (no screen updates) at once.
"""

from __future__ import annotations

import asyncio
import functools
import sys
import time
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Static

from liaobots_tui.api.messages import Message
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.demo.replies import reply_text
from liaobots_tui.store import MessageRecord, Store
from liaobots_tui.ui.screens import compare
from liaobots_tui.ui.screens.compare import (
    COLUMN_WIDTH,
    LANES_FLUSH_CHARS,
    CompareScreen,
    LaneView,
    lane_figures,
)
from liaobots_tui.ui.widgets import markdown_pieces
from liaobots_tui.ui.widgets.conversation import ConversationView
from liaobots_tui.ui.widgets.markdown_column import MarkdownColumn, PieceMarkdown
from tests.ui.conftest import AppFactory, demo_settings
from tests.ui.driving import HANG_GUARD, chat, settle, until
from tests.ui.test_compare_screen import all_ended, open_compare

APP_CSS = Path(__file__).parents[2] / "liaobots_tui" / "ui" / "app.tcss"
MODELS = ["gpt-5.4", "claude-sonnet-4-6", "gemini-3-pro-preview"]
#: About 1.8 kB of the demo's Markdown per model (headings, lists, fences, tables): seven pieces
#: once a piece seals after SEAL_BLOCKS_HERE blocks (the test's cost is the text it lays out and
#: draws; 3 kB and five blocks a piece made six pieces, the same cuts and parking on 60% more text).
PROMPT = "[[deltas=400]] a long answer"
SEAL_BLOCKS_HERE = 3


@pytest.mark.ui
async def test_long_replies_side_by_side_park_what_is_off_screen_and_keep_stores_the_whole_reply(
    gateway: FakeGateway, make_app: AppFactory, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Also the lanes' figures and parking margin (test_compare_lanes.py's
    test_lanes_show_current_figures_that_fit_and_park_close_to_the_view, which streamed the same
    three replies in an app of its own): see check_lane_figures_and_margins."""
    monkeypatch.setattr(markdown_pieces, "SEAL_BLOCKS", SEAL_BLOCKS_HERE)
    layouts = count_figure_layouts(monkeypatch)
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=(3 * COLUMN_WIDTH + 6, 24)) as pilot:
        screen = await open_compare(app, pilot, MODELS, PROMPT)
        assert isinstance(screen, CompareScreen) and not screen.tabbed
        await until(pilot, lambda: all(c.box is not None for c in screen.columns), "columns mounted")
        for column in screen.columns:  # three replies share the screen's Markdown writes
            assert isinstance(column.view, LaneView)
            assert column.box is not None
            assert [c.THROTTLE for c in column.box.columns] == [MarkdownColumn.THROTTLE * 3]
            assert [c.FLUSH_CHARS for c in column.box.columns] == [
                min(MarkdownColumn.FLUSH_CHARS, LANES_FLUSH_CHARS) // 3
            ]
            # A lane's write brings its share of what the screen gets per round of writes.
            assert all(c.FLUSH_CHARS * 3 <= LANES_FLUSH_CHARS for c in column.box.columns)
        await until(pilot, lambda: all_ended(app), "all replies ended")
        await settle(app, pilot)
        await check_lane_figures_and_margins(pilot, screen, gateway, layouts, monkeypatch)
        for column in screen.columns:
            box = column.box
            assert box is not None and box.message.status == "complete"
            text = gateway.reply_text_for(column.lane.model, PROMPT)
            assert box.copy_text == text
            (markdown,) = box.columns
            assert len(markdown.piece_sources) >= 5
            # Only the pieces near the end (where the view follows the reply) have widgets.
            await until(pilot, lambda m=markdown: len(m.pieces) <= 3, f"{column.lane.model} parked")
            assert markdown.parked_flags[0] and not markdown.parked_flags[-1]
        # A column scrolled back to the top draws its first piece again, from its text.
        first = screen.columns[1]
        assert first.box is not None
        markdown = first.box.columns[0]
        first.view.scroll_home(animate=False)
        await until(pilot, lambda: not markdown.parked_flags[0], "first piece drawn")
        assert markdown.pieces[0].source == markdown.piece_sources[0]
        await until(pilot, lambda: markdown.parked_flags[-1], "last piece parked in its turn")
        assert first.box.copy_text == gateway.reply_text_for(MODELS[1], PROMPT)

        await pilot.press("right", "k")  # keep the second model's reply
        await until(pilot, lambda: not isinstance(app.screen, CompareScreen), "compare closed")
        await settle(app, pilot)
        assert chat(app).model == MODELS[1]
    conversation_id = store.latest_conversation_id()
    assert conversation_id is not None
    stored = store.load_conversation(conversation_id).messages
    assert [m.role for m in stored] == ["user", "assistant"]
    assert stored[1].text == gateway.reply_text_for(MODELS[1], PROMPT)


def figures_fit(figures: Static) -> bool:
    size = figures.content_size
    return bool(size.width) and figures.get_content_height(size, size, size.width) == size.height


def count_figure_layouts(monkeypatch: pytest.MonkeyPatch) -> list[Static]:
    """Every layout a lane's figures line asks for, from now on."""
    layouts: list[Static] = []
    refresh = Static.refresh

    def counting_refresh(self: Static, *args: object, layout: bool = False, **kwargs: object) -> Static:
        if layout and "lane-figures" in self.classes:
            layouts.append(self)
        return refresh(self, *args, layout=layout, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Static, "refresh", counting_refresh)
    return layouts


async def check_lane_figures_and_margins(
    pilot: Pilot[None],
    screen: CompareScreen,
    gateway: FakeGateway,
    layouts: list[Static],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The figures line updates without a layout of the screen while its text takes the same rows,
    asks for one and grows when it wraps onto more; at the end every shown sealed piece is within
    the lane's view or its (small) margin, and the reply text is whole."""
    for column in screen.columns:
        figures = column.query_one(".lane-figures", Static)
        await until(pilot, functools.partial(figures_fit, figures), "figures line fits its text")
        assert str(figures.render()) == str(lane_figures(column.lane))  # the latest figures
    # Figures that take the rows they took: no layout of the screen.
    column = screen.columns[0]
    figures = column.query_one(".lane-figures", Static)
    asked = len(layouts)
    column.refresh_figures()
    assert len(layouts) == asked
    # Figures that wrap onto more rows: a layout, and the line grows to fit them.
    rows = figures.size.height
    longer = Content(str(lane_figures(column.lane)) + " · a much longer figures line" * 3)

    def longer_figures(lane: object) -> Content:
        return longer

    monkeypatch.setattr(compare, "lane_figures", longer_figures)
    column.refresh_figures()
    assert len(layouts) == asked + 1
    await until(pilot, lambda: figures.size.height > rows and figures_fit(figures), "line grew")
    assert str(figures.render()) == str(longer)

    for column in screen.columns:
        box = column.box
        assert box is not None
        assert box.copy_text == gateway.reply_text_for(column.lane.model, PROMPT)
        (markdown,) = box.columns
        view = column.view.region
        margin = round(view.height * LaneView.PARK_MARGIN)
        top, bottom = view.y - margin, view.bottom + margin

        def shown_near(m: MarkdownColumn = markdown, top: int = top, bottom: int = bottom) -> bool:
            return all(p.region.bottom >= top and p.region.y <= bottom for p in m.pieces[:-1])

        await until(pilot, shown_near, f"{column.lane.model}: only pieces near the view drawn")
        assert markdown.parked_flags[0]


class GrewCounter(ConversationView):
    """The conversation view, counting the sealed pieces it hears of."""

    def __init__(self) -> None:
        super().__init__()
        self.grew = 0

    def on_markdown_column_grew(self, event: MarkdownColumn.Grew) -> None:
        self.grew += 1
        super().on_markdown_column_grew(event)


class Pane(App[None]):
    CSS_PATH = APP_CSS

    def compose(self) -> ComposeResult:
        yield GrewCounter()


@pytest.mark.ui
async def test_a_sealed_piece_reaches_the_view_while_the_column_queue_is_busy() -> None:
    app = Pane()
    async with app.run_test(size=(60, 20)):
        view = app.query_one(GrewCounter)
        reply = MessageRecord(
            Message("assistant", model="gpt-5.4", format="openai"), id=1, status="streaming"
        )
        box = await view.add_message(reply, streaming=True)
        (column,) = box.columns
        released = asyncio.Event()
        column.call_later(released.wait)  # the column's own queue is busy until released
        try:
            text = reply_text("gpt-5.4", "[[deltas=2000]] a long answer")
            for start in range(0, len(text), 2_000):
                column.append(text[start : start + 2_000])
                while column.has_pending() and not column.sealed_count:
                    await column.flush()  # as its timers would (in slices); the piece is sealed here
                if column.sealed_count:
                    break
            assert column.sealed_count >= 1
            # Not pilot.pause(): it waits for every queue, and the column's is held on purpose.
            deadline = time.monotonic() + HANG_GUARD
            while not view.grew:
                assert time.monotonic() < deadline, "the view never heard of the sealed piece"
                await asyncio.sleep(0)
        finally:
            released.set()
        await box.finish(None)
        assert box.copy_text == text[: len(box.copy_text)] and box.copy_text


@pytest.mark.ui
async def test_streamed_markdown_writes_never_hold_the_screen_batch_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Two(App[None]):
        def compose(self) -> ComposeResult:
            yield PieceMarkdown()
            yield PieceMarkdown()

    app = Two()
    async with app.run_test(size=(60, 20)) as pilot:
        first, second = app.query(PieceMarkdown)
        # Which widget's append opened the batch (no screen updates until it closes), and any
        # other widget's append that joined it before it closed: Textual's private counter and
        # its append coroutine, watched from the outside.
        opened_by: list[object] = [None]
        joined: list[object] = []
        begin, end = app._begin_batch, app._end_batch

        def appending() -> object:
            frame = sys._getframe(1)
            while frame is not None:
                if frame.f_code.co_name == "await_append":
                    return frame.f_locals.get("self")
                frame = frame.f_back  # type: ignore[assignment]
            return None

        def watched_begin() -> None:
            widget = appending()
            if not app._batch_count:
                opened_by[0] = widget
            elif widget is not None and opened_by[0] not in (None, widget):
                joined.append(widget)
            begin()

        def watched_end() -> None:
            end()
            if not app._batch_count:
                opened_by[0] = None

        monkeypatch.setattr(app, "_begin_batch", watched_begin)
        monkeypatch.setattr(app, "_end_batch", watched_end)
        table = "| a | b |\n|---|---|\n" + "".join(f"| {n} | {n * n} |\n" for n in range(30))
        writes = [first.append(f"# one\n\n{table}"), second.append(f"# two\n\n{table}")]
        await asyncio.gather(*writes)
        await pilot.pause()
        assert opened_by[0] is None and joined == []  # one write at a time
        assert first.source.startswith("# one") and second.source.startswith("# two")
        assert len(first.query("MarkdownTable")) == len(second.query("MarkdownTable")) == 1
