"""The suite's headless frames (``tests/headless_frames.py``): Pilot frames are laid out, not drawn; the
last screen is drawn once when the app ends, so a render that raises still fails the test that caused it."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from tests.headless_frames import textual_fits

pytestmark = pytest.mark.skipif(not textual_fits(), reason="switch off on this Textual")


class Gauge(Static):
    """Counts its renders; raises from render once told to (as markup parsed from untrusted text would)."""

    def __init__(self, text: str, **kwargs: Any) -> None:
        super().__init__(text, **kwargs)
        self.renders = 0
        self.explode = False

    def render(self) -> Any:
        self.renders += 1
        if self.explode:
            raise RuntimeError("render failed")
        return super().render()


class Dialog(ModalScreen[None]):
    def compose(self) -> ComposeResult:
        yield Static("a dialog", id="dialog-text")


class Panel(App[None]):
    CSS = "Gauge { height: 3; } Button { height: 3; }"

    def __init__(self) -> None:
        super().__init__()
        self.pressed = 0

    def compose(self) -> ComposeResult:
        yield Gauge("first", id="first")
        yield Button("press", id="press")
        yield Gauge("second", id="second")

    def on_button_pressed(self) -> None:
        self.pressed += 1


async def show_changes(app: Panel, pilot: Any, gauge: Gauge) -> None:
    """Change the gauge's text a few times, a frame each: each would have been drawn."""
    for number in range(3):
        gauge.update(f"changed-{number}")
        await pilot.pause()


async def test_frames_are_laid_out_but_not_drawn_until_the_app_ends() -> None:
    app = Panel()
    async with app.run_test(size=(40, 12)) as pilot:
        gauge = app.query_one("#second", Gauge)
        await show_changes(app, pilot, gauge)
        assert gauge.renders == 0  # no frame drew it
        # The layout is real: regions, sizes, and a click lands on the widget there.
        assert gauge.region.y == 6 and gauge.size.height == 3
        assert await pilot.click("#press")
        await pilot.pause()
        assert app.pressed == 1
        # An explicit render still draws (screenshots, snapshots).
        assert "changed-2" in app.export_screenshot()
        assert gauge.renders == 1
        gauge.update("last")
        await pilot.pause()
        assert gauge.renders == 1
    assert gauge.renders == 2  # the last screen, drawn once at the end


@pytest.mark.draws_frames
async def test_a_test_marked_draws_frames_gets_every_frame_drawn() -> None:
    app = Panel()
    async with app.run_test(size=(40, 12)) as pilot:
        gauge = app.query_one("#second", Gauge)
        drawn = gauge.renders
        await show_changes(app, pilot, gauge)
        assert gauge.renders > drawn


async def test_a_render_that_raises_fails_the_test_that_caused_it() -> None:
    app = Panel()
    with pytest.raises(RuntimeError, match="render failed"):
        async with app.run_test(size=(40, 12)) as pilot:
            gauge = app.query_one("#second", Gauge)
            gauge.explode = True
            await show_changes(app, pilot, gauge)  # the frames are not drawn: nothing raises yet
    assert gauge.renders == 1


async def test_a_render_that_raises_under_a_dialog_fails_the_test_too() -> None:
    app = Panel()
    with pytest.raises(RuntimeError, match="render failed"):
        async with app.run_test(size=(40, 12)) as pilot:
            gauge = app.query_one("#first", Gauge)
            await app.push_screen(Dialog())
            await pilot.pause()
            gauge.explode = True
            gauge.refresh()
            await pilot.pause()


async def test_a_render_that_raises_fails_an_app_that_exited_by_itself() -> None:
    app = Panel()
    with pytest.raises(RuntimeError, match="render failed"):
        async with app.run_test(size=(40, 12)) as pilot:
            gauge = app.query_one("#second", Gauge)
            gauge.explode = True
            await show_changes(app, pilot, gauge)
            app.exit()
            await pilot.pause()


async def test_a_test_that_failed_keeps_its_own_error() -> None:
    app = Panel()
    with pytest.raises(KeyError, match="the test's own"):
        async with app.run_test(size=(40, 12)):
            app.query_one("#second", Gauge).explode = True
            raise KeyError("the test's own")
