"""A screen that opts in (``textual_compat.layout_one_group_per_frame``) lays out one group's changes a pass.

- Widgets of three groups (lanes) that grow in one go are laid out one group a layout pass,
  every group in the end; a widget outside the groups is laid out in the first pass.
- The groups take turns: a group that was laid out waits while another group waits already.
- A held group is not held for good: with another screen on top (no layout passes), and after
  it is dismissed, every group's widgets are laid out.
- The gate goes with its screen. (The compare screen opts in, its lanes being the groups:
  test_compare_screen.py.)
"""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Static

from liaobots_tui.ui import textual_compat
from liaobots_tui.ui.textual_compat import layout_groups_ended, layout_one_group_per_frame
from tests.ui.driving import settle, until

pytestmark = pytest.mark.ui


class Lane(Vertical):
    DEFAULT_CSS = "Lane { width: 1fr; height: 1fr; }"

    def __init__(self, index: int) -> None:
        super().__init__(id=f"lane-{index}")
        self.index = index


def group_of(widget: Widget) -> int | None:
    node: Widget | None = widget
    while node is not None:
        if isinstance(node, Lane):
            return node.index
        node = node.parent if isinstance(node.parent, Widget) else None
    return None


class Lanes(Screen[None]):
    """Three lanes of one line each and a line outside them; records what each layout pass placed."""

    def __init__(self) -> None:
        super().__init__()
        #: Per layout pass: the names of the watched lines laid out at their new height so far.
        self.passes: list[set[str]] = []
        self.watched: list[Static] = []

    def compose(self) -> ComposeResult:
        # Side by side, as Compare's columns: a line growing in one never resizes the others.
        with Horizontal(id="row"):
            for index in range(3):
                with Lane(index):
                    yield Static(f"lane {index}", name=f"lane-{index}")
            with Vertical(id="aside"):
                yield Static("outside", name="outside")

    def on_mount(self) -> None:
        layout_one_group_per_frame(self, group_of)
        self.screen_layout_refresh_signal.subscribe(self, self._laid_out, immediate=True)
        self.watched = [*self.query(Static)]

    def on_unmount(self) -> None:
        layout_groups_ended(self)

    def _laid_out(self, _screen: Screen[None]) -> None:
        self.passes.append({w.name or "" for w in self.watched if w.region.height == GROWN})

    def grow(self, widgets: list[Static]) -> None:
        """Each of ``widgets`` grows to GROWN lines, in one go (no await between)."""
        self.passes.clear()
        for widget in widgets:
            widget.update("\n".join(["more"] * GROWN))  # a new height: a layout request


#: Lines each watched widget grows to.
GROWN = 3


def grown(widgets: list[Static]) -> bool:
    return all(widget.region.height == GROWN for widget in widgets)


class LanesApp(App[None]):
    def on_mount(self) -> None:
        self.push_screen(Lanes())


def lanes_in(passes: list[set[str]]) -> list[set[str]]:
    return [{name for name in laid if name.startswith("lane-")} for laid in passes]


async def test_widgets_of_three_lanes_are_laid_out_one_lane_a_pass() -> None:
    app = LanesApp()
    async with app.run_test(size=(90, 20)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, Lanes)
        screen.grow(screen.watched)
        await until(pilot, lambda: grown(screen.watched), "every line laid out at its new height")
        passes = lanes_in(screen.passes)
        # Each pass adds one lane at most, and all three come, each in a pass of its own.
        added = [now - before for before, now in zip([set[str](), *passes], passes, strict=False)]
        assert all(len(new) <= 1 for new in added), passes
        assert sum(1 for new in added if new) == 3, passes
        # Outside the lanes nothing waits: that line grew in the first pass.
        assert "outside" in screen.passes[0], screen.passes


async def test_a_lane_laid_out_waits_while_another_lane_waits() -> None:
    app = LanesApp()
    async with app.run_test(size=(90, 20)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, Lanes)
        lanes = screen.watched[1:]
        screen.grow(lanes)
        await until(pilot, lambda: any(w.region.height == GROWN for w in lanes), "a lane laid out")
        leader = next(w for w in lanes if w.region.height == GROWN)
        # The leader's lane asks again at once: the two lanes waiting already go first.
        leader.update("\n".join(["again"] * (GROWN + 1)))
        await until(pilot, lambda: leader.region.height == GROWN + 1, "the leader laid out again")
        assert all(w.region.height >= GROWN for w in lanes), [w.name for w in lanes]


class OnTop(ModalScreen[None]):
    def compose(self) -> ComposeResult:
        yield Static("on top")


async def test_lanes_held_under_another_screen_are_laid_out_once_it_goes() -> None:
    app = LanesApp()
    async with app.run_test(size=(90, 20)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, Lanes)
        screen.grow(screen.watched)
        await app.push_screen(OnTop())
        await settle(app, pilot)
        app.pop_screen()
        await until(pilot, lambda: grown(screen.watched), "every line laid out at its new height")


async def test_the_gate_goes_with_its_screen() -> None:
    app = LanesApp()
    async with app.run_test(size=(90, 20)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, Lanes) and id(screen) in textual_compat._layout_gates
        app.pop_screen()
        await settle(app, pilot)
        assert id(screen) not in textual_compat._layout_gates
