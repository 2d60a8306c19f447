"""Compare draws each column's changes apart: what reaches the terminal is what a full render shows.

- Textual's partial update draws one rectangle around all of a frame's changed regions;
  ``textual_compat.draw_changed_regions_apart`` draws each group of nearby regions on its
  own. Columns on both sides change in one frame: the column between them is not rendered,
  and a terminal that received the updates shows exactly what a full render of the screen
  shows.
- Three replies streamed into the compare screen, every update applied to a terminal of
  the test's own: at the end that terminal shows what a full render of the screen shows.
  The lanes' containers drawn as blank rows (``BLANK``) look as Textual renders them.
- Drawing apart failing (a private API changed within textual 8.x) falls back to Textual's
  own update: the terminal is still right.
- Its grouping: regions of one column join, far apart ones stay apart, and the groups
  cover every region.
"""

from __future__ import annotations

from typing import Any

import pytest
from rich.cells import cell_len
from rich.console import Console
from rich.segment import ControlType, Segment
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.geometry import Region
from textual.screen import Screen
from textual.strip import Strip
from textual.widgets import Static

from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.ui import textual_compat
from liaobots_tui.ui.screens.compare import COLUMN_WIDTH, CompareScreen, LaneColumn, LaneRow, LaneView
from liaobots_tui.ui.textual_compat import draw_changed_regions_apart
from tests.ui.conftest import AppFactory, demo_settings
from tests.ui.driving import settle, until
from tests.ui.test_compare_screen import all_ended, open_compare

Cell = tuple[str, object, object, bool, bool]


# These tests watch what every frame draws (tests/headless_frames.py).
pytestmark = pytest.mark.draws_frames


def cells(segments: list[Segment]) -> list[Cell]:
    """A line's cells as a terminal shows them: the character, colours, bold, reverse (a blank
    cell's foreground colour shows nowhere, so it is left out)."""
    out: list[Cell] = []
    for segment in segments:
        style = segment.style
        color, bgcolor = (style.color, style.bgcolor) if style else (None, None)
        bold, reverse = (bool(style.bold), bool(style.reverse)) if style else (False, False)
        blank_shown = color if reverse or (style and style.underline) else None
        text = segment.text
        if text.isascii():  # one column per character: the style worked out once per segment
            out.extend(
                [(char, blank_shown if char == " " else color, bgcolor, bold, reverse) for char in text]
            )
            continue
        for char in text:
            shown = blank_shown if char == " " else color
            out.append((char, shown, bgcolor, bold, reverse))
            out.extend(
                [("", shown, bgcolor, bold, reverse)] * (cell_len(char) - 1)
            )  # a wide character's second column
    return out


class Terminal:
    """A terminal of the test's own: applies each screen update as a real one would."""

    def __init__(self, width: int, height: int) -> None:
        self.console = Console(width=width, height=height, color_system="truecolor", legacy_windows=False)
        blank: Cell = (" ", None, None, False, False)
        self.rows: list[list[Cell]] = [[blank] * width for _ in range(height)]
        self.updates = 0

    def apply(self, update: Any) -> None:
        self.updates += 1
        x = y = 0
        for segment in update.__rich_console__(self.console, self.console.options):
            if segment.control:
                for control in segment.control:
                    if control[0] == ControlType.CURSOR_MOVE_TO:
                        x, y = control[1], control[2]
                continue
            if segment.text == "\n":
                continue
            drawn = cells([segment])
            if 0 <= y < len(self.rows):
                row = self.rows[y]
                start, end = max(x, 0), min(x + len(drawn), len(row))
                if start < end:  # the cells that fall on the screen, as one slice
                    row[start:end] = drawn[start - x : end - x]
            x += len(drawn)

    def matches(self, strips: list[Strip]) -> list[int]:
        """The rows where this terminal differs from ``strips`` (a full render)."""
        return [y for y, strip in enumerate(strips) if cells(list(strip)) != self.rows[y]]


def watch_display(app: App[Any], screen_type: type, terminal: Terminal) -> None:
    """Apply every update the app sends for a screen of ``screen_type`` to ``terminal``."""
    display = app._display

    def recording(screen: Any, renderable: Any) -> None:
        if isinstance(screen, screen_type) and renderable is not None:
            terminal.apply(renderable)
        display(screen, renderable)

    app._display = recording  # type: ignore[method-assign]


class Columns(App[None]):
    CSS = "Horizontal > Static { width: 1fr; height: 1fr; padding: 0 1; }"

    def compose(self) -> ComposeResult:
        with Horizontal():
            for name in ("left", "middle", "right"):
                yield Static(f"{name} column", id=name)

    def on_mount(self) -> None:
        assert draw_changed_regions_apart(self.screen)


@pytest.mark.ui
async def test_columns_changed_on_both_sides_draw_without_the_middle_and_the_terminal_is_right() -> None:
    app = Columns()
    terminal = Terminal(90, 12)
    watch_display(app, Screen, terminal)
    async with app.run_test(size=(90, 12)) as pilot:
        await pilot.pause()
        rendered: list[str] = []
        middle = app.query_one("#middle", Static)
        render_lines = middle.render_lines

        def counting(crop: Region) -> list[Strip]:
            rendered.append("middle")
            return render_lines(crop)

        middle.render_lines = counting  # type: ignore[method-assign]
        before = terminal.updates
        app.query_one("#left", Static).update("the left column\nhas a second line")
        app.query_one("#right", Static).update("and the right one changed too")
        await until(pilot, lambda: terminal.updates > before, "the frame with both changes")
        await pilot.pause()
        assert rendered == []  # the middle column did not change, and was not drawn
        assert terminal.matches(app.screen._compositor.render_strips()) == []
        assert "second line" in "".join(c[0] for c in terminal.rows[1])


@pytest.mark.ui
async def test_three_streamed_replies_reach_the_terminal_as_a_full_render_shows_them(
    gateway: FakeGateway, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn_apart: list[int] = []
    draw_apart = textual_compat._draw_apart

    def counting(compositor: Any, crops: list[Region], dirty_lines: set[int]) -> Any:
        drawn_apart.append(len(crops))
        return draw_apart(compositor, crops, dirty_lines)

    monkeypatch.setattr(textual_compat, "_draw_apart", counting)
    app = make_app(demo_settings(gateway))
    size = (3 * COLUMN_WIDTH + 12, 30)
    terminal = Terminal(*size)
    watch_display(app, CompareScreen, terminal)
    async with app.run_test(size=size) as pilot:
        models = ["gpt-5.4", "claude-sonnet-4-6", "gemini-3-pro-preview"]
        screen = await open_compare(app, pilot, models, "[[deltas=400]] a long answer")
        assert not screen.tabbed
        await until(pilot, lambda: all_ended(app), "all replies ended")
        await settle(app, pilot)
        assert terminal.updates > 3
        assert drawn_apart  # frames that changed regions far apart were drawn apart
        strips = screen._compositor.render_strips()
        assert terminal.matches(strips) == []
        # The row of columns, each column and its view are drawn as blank rows (BLANK): the
        # screen looks exactly as when Textual renders their rows.
        blank = [w for w in screen.query("*") if isinstance(w, (LaneRow, LaneColumn, LaneView))]
        assert len(blank) == 7 and all(w.BLANK for w in blank)
        for widget in blank:
            widget.BLANK = False  # type: ignore[misc]
        assert [cells(list(s)) for s in screen._compositor.render_strips()] == [
            cells(list(s)) for s in strips
        ]


def test_regions_of_one_column_join_and_far_apart_ones_stay_apart() -> None:
    left = [Region(1, 4, 48, 40), Region(3, 10, 40, 5), Region(2, 2, 44, 1)]
    right = [Region(107, 4, 50, 40), Region(108, 43, 49, 1)]
    title = [Region(0, 0, 160, 1)]
    boxes = textual_compat._apart([*left, *right, *title])
    assert len(boxes) == 3
    for region in [*left, *right, *title]:
        assert any(box.contains_region(region) for box in boxes)
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    assert textual_compat._apart([Region(0, 0, 10, 10), Region(5, 5, 10, 10)]) == [Region(0, 0, 15, 15)]


@pytest.mark.ui
async def test_a_failure_drawing_apart_falls_back_to_textuals_own_update(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object) -> None:
        raise AttributeError("a private name that changed")

    monkeypatch.setattr(textual_compat, "_draw_apart", broken)
    app = Columns()
    terminal = Terminal(90, 12)
    watch_display(app, Screen, terminal)
    async with app.run_test(size=(90, 12)) as pilot:
        await pilot.pause()
        before = terminal.updates
        app.query_one("#left", Static).update("still drawn")
        app.query_one("#right", Static).update("both sides")
        await until(pilot, lambda: terminal.updates > before, "the frame with both changes")
        await pilot.pause()
        assert terminal.matches(app.screen._compositor.render_strips()) == []
        assert "still drawn" in "".join(c[0] for c in terminal.rows[0])
