"""A tall widget remembers as dirty only the rows it holds rendered, not a row per line of its height.

Textual marked every row of a widget dirty at each full refresh and only rows drawn since
left the set: a finished 160 kB reply (~7,800 rows) kept three such sets, ~2 MB for good.
Rows not rendered are drawn afresh anyway, so marking only cached rows draws the same.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from liaobots_tui.ui.textual_compat import dirty_lines_only_cached
from tests.ui.driving import until

ROWS = 3_000


class _Tall(Widget):
    """ROWS rows, each saying its number and the current word."""

    DEFAULT_CSS = "_Tall { height: auto; }"

    def __init__(self) -> None:
        super().__init__()
        self.word = "old"

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return ROWS

    def render_line(self, y: int) -> Strip:
        return Strip([Segment(f"{self.word} {y}")])


class _Host(App[None]):
    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield _Tall()


def _row(widget: _Tall, y: int) -> str:
    return widget.render_lines(Region(0, y, widget.size.width, 1))[0].text.rstrip()


def test_applied_once_on_this_textual() -> None:
    assert dirty_lines_only_cached()
    assert dirty_lines_only_cached()  # idempotent


async def test_a_tall_widget_keeps_no_dirty_row_per_line_of_its_height() -> None:
    assert dirty_lines_only_cached()
    app = _Host()
    async with app.run_test(size=(40, 10)) as pilot:
        tall = app.query_one(_Tall)
        await until(pilot, lambda: tall.size.height == ROWS, "the tall widget laid out")
        tall.refresh()  # a full refresh: every row would be marked
        tall.refresh(Region(0, 0, 40, ROWS))  # and a region as tall as the widget
        await pilot.pause()
        cache = tall._styles_cache
        assert len(cache._dirty_lines) <= len(cache._cache) <= 10


async def test_rows_are_drawn_afresh_exactly_as_before() -> None:
    assert dirty_lines_only_cached()
    app = _Host()
    async with app.run_test(size=(40, 10)) as pilot:
        tall = app.query_one(_Tall)
        await until(pilot, lambda: tall.size.height == ROWS, "the tall widget laid out")
        assert [_row(tall, y) for y in (1, 2)] == ["old 1", "old 2"]  # now rendered and cached
        tall.word = "new"
        tall.refresh(Region(0, 1, 40, 1), Region(0, 2_500, 40, 1))
        assert 1 in tall._styles_cache._dirty_lines and 2 not in tall._styles_cache._dirty_lines
        assert _row(tall, 1) == "new 1"  # marked: drawn again
        assert _row(tall, 2) == "old 2"  # not marked: its cached line, as Textual keeps it
        assert _row(tall, 2_500) == "new 2500"  # never rendered: drawn afresh, marked or not
        assert _row(tall, 2_900) == "new 2900"
        tall.word = "newer"
        tall.refresh()  # a full refresh draws every row again
        assert [_row(tall, y) for y in (1, 2, 2_500)] == ["newer 1", "newer 2", "newer 2500"]
