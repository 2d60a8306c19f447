"""A tall container keeps one blank line for its content, not one per row, and draws the same.

Textual renders a container's (blank) content at its full height and keeps the lines: a long
reply's box and column kept ~125 kB of them each reply (see
textual_compat.blank_containers_render_one_row).
"""

from __future__ import annotations

import sys

import pytest
from textual.app import App, ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from liaobots_tui.ui import textual_compat

HEIGHT = 5_000


class TallBox(App[None]):
    CSS = """
    #tall { height: 5000; background: darkred; padding: 0 2; border-left: outer blue; }
    #tall > Static { height: 3; background: green; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll(), Vertical(id="tall"):
            yield Static("top")
            yield Static("middle", classes="middle")


async def test_a_tall_container_keeps_one_line_and_draws_as_textual_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert textual_compat.blank_containers_render_one_row()
    assert textual_compat.blank_containers_render_one_row()
    app = TallBox()
    async with app.run_test(size=(50, 16)) as pilot:
        tall = app.query_one("#tall", Vertical)
        app.query_one(VerticalScroll).scroll_to(y=HEIGHT // 2, animate=False)
        await pilot.pause()
        assert tall.region.height == HEIGHT
        patched = app.export_screenshot()
        lines = tall._render_cache.lines
        assert len(lines) == HEIGHT and sys.getsizeof(lines) < 1_000  # no list of 5,000 lines
        # Textual's own rendering of the same screen.
        original = Widget.__dict__["_render_content"]._original
        monkeypatch.setattr(Widget, "_render_content", original)
        tall.refresh()
        await pilot.pause()
        screenshot = app.export_screenshot()
        assert isinstance(tall._render_cache.lines, list) and len(tall._render_cache.lines) == HEIGHT
        assert screenshot == patched
