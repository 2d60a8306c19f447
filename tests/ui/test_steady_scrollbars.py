"""The conversation's scrollbar is drawn again only when what it shows changes (``ui/steady_scrollbars.py``).

- ``thumb_eighths`` is Textual's own arithmetic: two bars with the same thumb ends draw the
  same glyphs, two with different ends draw different ones.
- While a reply streams, the view's scrollbar is a SteadyScrollBar; of the repaints asked of
  it most are skipped, no draw repeats the one before it, and once the reply has ended the
  bar shows exactly what a fresh draw of it shows (no skipped repaint left it stale).
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from rich.color import Color
from textual.geometry import Region
from textual.scrollbar import ScrollBarRender
from textual.widget import Widget

from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.ui.steady_scrollbars import SteadyScrollBar, thumb_eighths
from tests.ui.conftest import AppFactory, demo_settings
from tests.ui.driving import chat, send, settle


def drawn(size: int, virtual_size: int, window_size: int, position: float) -> list[tuple[str, Any]]:
    bar = ScrollBarRender.render_bar(size, virtual_size, window_size, position, back_color=Color.parse("red"))
    return [(segment.text, segment.style) for segment in bar.segments]


def test_the_same_thumb_ends_draw_the_same_bar_and_other_ends_another() -> None:
    size = 12
    by_thumb: dict[tuple[int, int] | None, list[tuple[str, Any]]] = {}
    for virtual_size, window_size in itertools.product((12, 13, 40, 97, 400), (0, 5, 12)):
        if window_size >= virtual_size:
            continue
        for eighths in range(0, (virtual_size - window_size) * 8 + 1, 3):
            position = eighths / 8
            thumb = thumb_eighths(size, virtual_size, window_size, position)
            glyphs = drawn(size, virtual_size, window_size, position)
            if thumb in by_thumb:
                assert by_thumb[thumb] == glyphs, (virtual_size, window_size, position)
            else:
                assert glyphs not in by_thumb.values(), (virtual_size, window_size, position)
                by_thumb[thumb] = glyphs
    assert len(by_thumb) > 20  # the inputs covered many different bars


@pytest.mark.ui
@pytest.mark.draws_frames  # it counts the bar's draws
async def test_the_views_scrollbar_is_drawn_only_when_its_thumb_moves(
    gateway: FakeGateway, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = 0
    draws: list[Any] = []
    refresh, render = SteadyScrollBar.refresh, SteadyScrollBar.render

    def counted_refresh(bar: SteadyScrollBar, *args: Any, **kwargs: Any) -> Any:
        nonlocal asked
        asked += 1
        return refresh(bar, *args, **kwargs)

    def counted_render(bar: SteadyScrollBar) -> Any:
        drawn = render(bar)
        draws.append(bar.drawn)
        return drawn

    monkeypatch.setattr(SteadyScrollBar, "refresh", counted_refresh)
    monkeypatch.setattr(SteadyScrollBar, "render", counted_render)
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=(100, 24)) as pilot:
        await send(app, pilot, "[[deltas=400]] a long answer with a list and a table")
        await settle(app, pilot)
        bar = chat(app).view.vertical_scrollbar
        assert isinstance(bar, SteadyScrollBar) and bar.display
        assert draws and asked > 2 * len(draws)  # most repaints asked would have drawn the same bar
        assert all(before != after for before, after in itertools.pairwise(draws))
        shown = bar.render_lines(Region(0, 0, *bar.size))
        Widget.refresh(bar)  # a repaint no check skips: a fresh draw
        assert bar.render_lines(Region(0, 0, *bar.size)) == shown
