"""A screen that opts in (``textual_compat.layout_once_per_change``) lays a change out once, not twice.

- Textual's layout pass sets each resized widget's virtual size, which asked for another layout
  pass of the same arrangement (the echo): on an opted-in screen a growing widget asks for none,
  and its virtual size is still set to what the pass measured.
- What the second pass was good for still happens: an anchored scrolling view that outgrows its
  height shows its scrollbar and stays at its end, and a widget shrinking again is measured anew.
- A screen that did not opt in keeps Textual's behaviour (the echo is asked for there).
- The compare screen opts in.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Static

from liaobots_tui.ui.textual_compat import layout_once_per_change
from tests.ui.driving import settle, until

pytestmark = pytest.mark.ui


class EchoCount:
    """Layouts asked for from inside ``Widget._size_updated`` (the echo of a layout pass), by widget id."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.asked: list[str | None] = []
        refresh = Widget.refresh

        def counting_refresh(widget: Widget, *args: Any, layout: bool = False, **kwargs: Any) -> Widget:
            if layout and self._from_size_updated():
                self.asked.append(widget.id)
            return refresh(widget, *args, layout=layout, **kwargs)

        monkeypatch.setattr(Widget, "refresh", counting_refresh)

    @staticmethod
    def _from_size_updated() -> bool:
        """Asked by the virtual size set in ``_size_updated`` (not by scrollbars it showed or hid,
        through ``_scroll_update``: those change the arrangement and ask for their own pass)."""
        frame = sys._getframe(2)
        for _ in range(10):
            if frame is None:
                return False
            if frame.f_code.co_name == "_scroll_update":
                return False
            if frame.f_code.co_name == "_size_updated":
                return True
            frame = frame.f_back
        return False


class Growing(Screen[None]):
    def __init__(self, opt_in: bool) -> None:
        super().__init__()
        self.opt_in = opt_in

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="view"):
            yield Static("one line", id="text")

    def on_mount(self) -> None:
        self.query_one("#view").anchor()
        if self.opt_in:
            assert layout_once_per_change(self)


class GrowingApp(App[None]):
    CSS = "#view { height: 10; } #text { height: auto; }"

    def __init__(self, opt_in: bool) -> None:
        super().__init__()
        self.opt_in = opt_in

    def on_mount(self) -> None:
        self.push_screen(Growing(self.opt_in))


async def test_an_opted_in_screen_lays_a_growth_out_once_and_keeps_scrollbars_and_anchor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = GrowingApp(opt_in=True)
    async with app.run_test(size=(40, 20)) as pilot:
        await settle(app, pilot)
        echoes = EchoCount(monkeypatch)
        view = app.screen.query_one("#view", VerticalScroll)
        text = app.screen.query_one("#text", Static)
        assert not view.show_vertical_scrollbar
        text.update("\n".join(f"line {n}" for n in range(30)))
        await until(pilot, lambda: text.size.height == 30, "the text grew")
        await settle(app, pilot)
        assert echoes.asked == []
        assert text.virtual_size.height == 30  # set by the pass, without asking for another
        # The view outgrew its height: its scrollbar shows, and it stays at the end (anchored).
        assert view.show_vertical_scrollbar
        assert view.virtual_size.height == 30
        await until(pilot, lambda: view.scroll_y == view.max_scroll_y > 0, "view at its end")
        # Shrinking again is measured anew: the scrollbar goes.
        text.update("short")
        await until(pilot, lambda: text.size.height == 1 and not view.show_vertical_scrollbar, "shrank")
        assert echoes.asked == []


async def test_a_screen_that_did_not_opt_in_keeps_textuals_second_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = GrowingApp(opt_in=False)
    async with app.run_test(size=(40, 20)) as pilot:
        await settle(app, pilot)
        echoes = EchoCount(monkeypatch)
        text = app.screen.query_one("#text", Static)
        text.update("\n".join(f"line {n}" for n in range(30)))
        await until(pilot, lambda: text.size.height == 30, "the text grew")
        await settle(app, pilot)
        assert "text" in echoes.asked


async def test_the_compare_screen_opts_in(monkeypatch: pytest.MonkeyPatch) -> None:
    from liaobots_tui.ui.screens import compare

    opted: list[object] = []

    def recording(screen: object) -> bool:
        opted.append(screen)
        return True

    monkeypatch.setattr(compare, "layout_once_per_change", recording)
    app = App[None]()
    async with app.run_test(size=(40, 20)):
        screen = compare.CompareScreen.__new__(compare.CompareScreen)
        # on_mount only: the opt-ins come before anything the comparison needs.
        monkeypatch.setattr(compare, "keep_full_map_after_reflow", lambda s: True)
        monkeypatch.setattr(compare, "draw_changed_regions_apart", lambda s: True)
        screen.comparison = None
        compare.CompareScreen.on_mount(screen)
    assert opted == [screen]
