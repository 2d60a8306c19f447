"""Widgets keep two box models, not sixteen: a column growing every frame while a reply streams
made each of its widgets cache one per frame (tracked objects the collector scans after a reply)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from liaobots_tui.ui.textual_compat import BOX_MODELS_KEPT, small_box_model_caches


class _Growing(App[None]):
    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("first", id="first")


def test_applied_once_on_this_textual() -> None:
    assert small_box_model_caches()
    assert small_box_model_caches()  # idempotent
    assert Static("x")._box_model_cache.maxsize == BOX_MODELS_KEPT


async def test_a_widget_keeps_a_few_box_models_and_is_laid_out_as_before() -> None:
    assert small_box_model_caches()
    app = _Growing()
    async with app.run_test(size=(40, 10)) as pilot:
        first = app.query_one("#first", Static)
        scroll = app.query_one(VerticalScroll)
        for number in range(12):  # the container grows: a new box model key each time
            await scroll.mount(Static(f"line {number}\nmore"))
            await pilot.pause()
        await pilot.resize_terminal(30, 12)
        await pilot.pause()
        assert 0 < len(first._box_model_cache) <= BOX_MODELS_KEPT
        assert first.region.width == scroll.scrollable_content_region.width and first.region.height == 1
        assert [s.region.y for s in scroll.query(Static)][:3] == [0, 1, 3]
