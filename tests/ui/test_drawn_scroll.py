"""rows_scrolled_since_drawn: how far a view scrolled since the frame its widgets' regions come from."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from liaobots_tui.ui.widgets.drawn_scroll import rows_scrolled_since_drawn

from .driving import settle, until


class _Rows(App[None]):
    CSS = "#pinned { dock: top; height: 1; }"

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("pinned", id="pinned")
            for n in range(60):
                yield Static(f"row {n}", id=f"row-{n}")


async def test_a_scroll_not_drawn_yet_is_counted_until_its_frame() -> None:
    app = _Rows()
    async with app.run_test(size=(30, 10)) as pilot:
        await settle(app, pilot)
        view = app.query_one(VerticalScroll)
        row = app.query_one("#row-0")
        assert rows_scrolled_since_drawn(view, row) == 0  # the frame shows the scroll there is
        drawn_y = row.region.y
        view.scroll_to(y=7, animate=False, immediate=True)
        # No frame could come in between: the region is the last frame's, 7 rows behind.
        assert row.region.y == drawn_y
        assert rows_scrolled_since_drawn(view, row) == 7
        view.scroll_to(y=2, animate=False, immediate=True)
        assert rows_scrolled_since_drawn(view, row) == 2
        await until(pilot, lambda: rows_scrolled_since_drawn(view, row) == 0, "the frame of the scroll")
        assert row.region.y == drawn_y - 2
        assert view.scroll_offset.y == 2


async def test_a_docked_or_new_child_tells_nothing() -> None:
    app = _Rows()
    async with app.run_test(size=(30, 10)) as pilot:
        await settle(app, pilot)
        view = app.query_one(VerticalScroll)
        assert rows_scrolled_since_drawn(view, app.query_one("#row-0")) == 0  # (reads the frame's map)
        view.scroll_to(y=5, animate=False, immediate=True)
        assert rows_scrolled_since_drawn(view, app.query_one("#pinned")) == 0  # it does not scroll
        assert rows_scrolled_since_drawn(view, app.query_one("#row-0")) == 5
        # Not laid out (here: not even mounted): no position to correct.
        assert rows_scrolled_since_drawn(view, Static("not laid out")) == 0
