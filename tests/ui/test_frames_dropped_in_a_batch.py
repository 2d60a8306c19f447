"""A screen pushed while an update batch is held is drawn, whole, once the batch ends.

Textual throws away a frame rendered during ``App.batch_update`` (``App._display``) and nothing
draws it again when the batch ends. Streamed Markdown holds a batch for each write: the image
viewer opened from Compare while a reply streamed stayed undrawn (the compare screen still
showing) while the keys went to it (x, Left, Esc "did nothing"). See
``textual_compat.frames_dropped_in_a_batch_drawn_after_it``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from textual._compositor import ChopsUpdate, LayoutUpdate
from textual.app import App, ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from liaobots_tui.ui.textual_compat import frames_dropped_in_a_batch_drawn_after_it

from .conftest import AppFactory, offline_client, offline_settings
from .driving import HANG_GUARD, until

pytestmark = pytest.mark.ui


class Still(Screen[None]):
    """A screen that changes nothing once shown (as the image viewer, or a dialog)."""

    def compose(self) -> ComposeResult:
        yield Static("pushed while a batch was held")


class Below(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("the screen below")


def whole(renderable: Any, height: int) -> bool:
    if isinstance(renderable, LayoutUpdate):
        return True
    return isinstance(renderable, ChopsUpdate) and {y for y, _, _ in renderable.spans} == set(range(height))


@pytest.mark.draws_frames
async def test_a_still_screen_pushed_during_a_batch_is_drawn_whole_when_it_ends() -> None:
    app = Below()
    async with app.run_test(size=(50, 12)) as pilot:
        assert frames_dropped_in_a_batch_drawn_after_it(app)
        still = Still()
        dropped: list[Any] = []
        drawn = asyncio.Event()
        display = app._display

        def recorded(screen: Any, renderable: Any) -> None:
            if screen is still and renderable is not None:
                if app._batch_count:
                    dropped.append(renderable)
                elif whole(renderable, app.size.height):
                    drawn.set()
            display(screen, renderable)

        app._display = recorded  # type: ignore[method-assign]
        with app.batch_update():  # as a streamed Markdown write holds it
            app.push_screen(still)
            await until(pilot, lambda: bool(dropped), "the pushed screen's frame, dropped")
        # No pause from here (a pause's messages would prompt the screen themselves): only the
        # end of the batch may get the screen drawn.
        try:
            await asyncio.wait_for(drawn.wait(), HANG_GUARD)
        except TimeoutError:
            raise AssertionError("the screen pushed during the batch was never drawn after it") from None


async def test_the_app_draws_dropped_frames_after_their_batch(make_app: AppFactory) -> None:
    app = make_app(offline_settings(), client_factory=offline_client)
    assert getattr(app, "_draws_after_batches", False)
    assert frames_dropped_in_a_batch_drawn_after_it(app)  # once only: applied already
    assert isinstance(app, App)
