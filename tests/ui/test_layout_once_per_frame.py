"""A screen given keep_full_map_after_reflow lays itself out once per frame, with the same result.

Textual's layout pass leaves the full map marked stale when the frame began with a widget
that was not on screen yet (one just mounted), so the first region look-up after it arranged
the whole screen again. With the workaround, mounting widgets costs one arrangement per
layout, and every widget's region is what a fresh arrangement of the screen gives.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pytest
from textual._compositor import Compositor
from textual.app import App, ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static

from liaobots_tui.ui.textual_compat import keep_full_map_after_reflow
from tests.ui.driving import settle, until


class Columns(App[None]):
    def compose(self) -> ComposeResult:
        with Horizontal():
            for index in range(3):
                with VerticalScroll(id=f"column-{index}"):
                    yield Static(f"first line of column {index}")


@pytest.mark.ui
async def test_mounting_lays_the_screen_out_once_per_layout_with_the_same_regions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = Columns()
    async with app.run_test(size=(90, 20)) as pilot:
        await settle(app, pilot)
        layouts = 0
        #: Arrangements of the whole screen outside a layout pass (look-ups of a stale full map).
        again = 0
        in_layout = False
        arrange_root = Compositor._arrange_root
        reflow = Compositor.reflow

        def counting_arrange_root(self: Compositor, *args: Any, **kwargs: Any) -> Any:
            nonlocal again
            full = not kwargs.get("visible_only", True)
            again += full and not in_layout
            return arrange_root(self, *args, **kwargs)

        def counting_reflow(self: Compositor, *args: Any, **kwargs: Any) -> Any:
            nonlocal layouts, in_layout
            layouts += 1
            in_layout = True
            try:
                return reflow(self, *args, **kwargs)
            finally:
                in_layout = False

        monkeypatch.setattr(Compositor, "_arrange_root", counting_arrange_root)
        monkeypatch.setattr(Compositor, "reflow", counting_reflow)
        assert keep_full_map_after_reflow(app.screen)  # wraps the (counting) reflow of this screen
        added: list[Static] = []
        for round_number in range(4):
            column = app.query_one(f"#column-{round_number % 3}", VerticalScroll)
            blocks = [Static(f"block {round_number}.{n} " * 8) for n in range(5)]
            await column.mount_all(blocks)
            added.extend(blocks)
            await until(pilot, partial(laid_out, blocks[-1]), "new blocks laid out")
        await settle(app, pilot)
        monkeypatch.undo()
        assert layouts >= 1 and again == 0
        compositor = app.screen._compositor
        fresh, _widgets = compositor._arrange_root(app.screen, compositor.size, visible_only=False)
        for widget in added:
            assert widget.region == fresh[widget].region


def laid_out(widget: Static) -> bool:
    return bool(widget.region)
