"""A screen with draw_after_layout_apart draws each frame in a loop turn after its layout's.

Compare's write frames were a layout and a draw in one callback (50-65 ms of CPU together);
apart, a key or a delta that fell due runs between them. The draw must still come, once
for what several layouts changed, and draw everything they marked.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import textual._time
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Static

from liaobots_tui.ui.textual_compat import (
    draw_after_layout_apart,
    keep_full_map_after_reflow,
    layout_once_per_change,
)
from tests.ui.driving import until
from tests.ui.test_compare_draws_apart import Terminal, watch_display


class OneLine(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("one", id="line")


async def test_the_draw_follows_the_layout_in_a_turn_of_its_own() -> None:
    app = OneLine()
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        screen: Any = app.screen
        laying_out = False
        refresh_layout = screen._refresh_layout

        def traced_layout(*args: Any, **kwargs: Any) -> Any:
            nonlocal laying_out
            laying_out = True
            try:
                return refresh_layout(*args, **kwargs)
            finally:
                laying_out = False

        screen._refresh_layout = traced_layout
        assert draw_after_layout_apart(screen)
        draw = screen._compositor_refresh
        draws: list[bool] = []  # per draw: was it inside a layout?

        def counted() -> None:
            draws.append(laying_out)
            draw()

        screen._compositor_refresh = counted
        line = app.query_one("#line", Static)
        line.update("two\nlines")  # a new height: a layout, then a draw
        while not draws or screen._compositor._dirty_regions:
            await pilot.pause()
        assert draws and not any(draws)
        assert line.size.height == 2
        # The screen's own draw is back after each layout (a held frame's would be kept too).
        assert screen._compositor_refresh is counted


async def test_layouts_before_their_draw_are_drawn_once_together() -> None:
    app = OneLine()
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        screen: Any = app.screen
        assert draw_after_layout_apart(screen)
        draws: list[int] = []
        draw = screen._compositor_refresh

        def counted() -> None:
            draws.append(1)
            draw()

        screen._compositor_refresh = counted
        line = app.query_one("#line", Static)
        drawn_apart = screen._draws_apart.count
        line.update("two\nlines")
        screen._refresh_layout()  # laid out now, its draw put off
        line.update("three\nlines\nnow")
        screen._refresh_layout()  # a second layout joins the pending draw
        assert screen._draws_apart.pending and not draws  # one draw pending for both, none yet
        while screen._draws_apart.pending:
            await pilot.pause()
        # Both layouts were drawn by the draw put off (a frame the updates asked for may add its own).
        assert screen._draws_apart.count > drawn_apart
        assert draws and not screen._compositor._dirty_regions
        assert line.size.height == 3


def late_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Textual's timers see every look at the clock come 2 ms after the last, as a loop preempted
    between two looks does: its one-shot timer of a millisecond then skips its only tick."""
    real, looks = textual._time.get_time, itertools.count()
    monkeypatch.setattr(textual._time, "get_time", lambda: real() + next(looks) * 0.002)


async def test_the_put_off_draw_comes_when_the_loop_gets_to_it_late(monkeypatch: pytest.MonkeyPatch) -> None:
    # Put off on set_timer, this draw never came: the screen kept it pending for good, and no
    # later layout was drawn again (a chat test never went quiet at load ~7).
    app = OneLine()
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        screen: Any = app.screen
        assert draw_after_layout_apart(screen)
        late_loop(monkeypatch)
        line = app.query_one("#line", Static)
        for text in ("two\nlines", "three\nlines\nnow"):
            drawn = screen._draws_apart.count
            line.update(text)
            screen._refresh_layout()  # laid out now, its draw put off
            assert screen._draws_apart.pending
            await until(pilot, lambda: not screen._draws_apart.pending, "the put-off draw")
            assert screen._draws_apart.count > drawn  # (the update may lay out and draw again)
            assert not screen._compositor._dirty_regions  # what the layout changed was drawn
        assert line.size.height == 3


class TwoColumns(App[None]):
    CSS = "Horizontal > Vertical { width: 1fr; } #hidden { display: none; }"

    def compose(self) -> ComposeResult:
        with Horizontal():
            with Vertical(id="left"):
                yield Static("one", id="line")
                yield Static("below", id="below")
            with Vertical(id="right"):
                yield Static("hidden", id="hidden")


@pytest.mark.draws_frames
async def test_a_layout_after_a_look_up_rebuilt_the_map_still_draws_what_it_moved() -> None:
    # The put-off draw's update_widgets met a widget mounted since the layout and marked the full
    # map stale; a look-up of a region (a lane's parking) rebuilt it with the new places before
    # the next layout, which found nothing changed: a Compare column's last frames never showed.
    app = TwoColumns()
    terminal = Terminal(40, 10)
    watch_display(app, Screen, terminal)
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        screen: Any = app.screen
        # As Compare's columns: a layout pass does not echo into another (which marked it all again).
        assert keep_full_map_after_reflow(screen) and layout_once_per_change(screen)
        assert draw_after_layout_apart(screen)
        line, below = app.query_one("#line", Static), app.query_one("#below", Static)
        compositor = screen._compositor
        with app.batch_update():  # the screen's own frames wait: the steps below come in this order
            line.update("two\nlines")  # 'below' moves down a row at the next layout
            await until(pilot, lambda: screen._layout_required, "the line asking for a layout")
            # As the put-off draw's update_widgets does with a block mounted since the layout: a
            # widget not on screen (here one not displayed) marks the full map stale.
            compositor.update_widgets({app.query_one("#hidden", Static)})
            assert compositor._full_map_invalidated
            # A look-up (a lane's parking, a scroll) rebuilds the map: 'below' is on row 2 there.
            assert compositor.find_widget(below).region.y == 2
            screen._refresh_layout()  # the layout, as the screen's frame runs it: its draw put off
            screen._layout_required = False
        await until(pilot, lambda: not screen._draws_apart.pending, "the put-off draw")
        await pilot.pause()
        assert below.region.y == 2
        assert terminal.matches(screen._compositor.render_strips()) == []
