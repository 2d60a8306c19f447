"""The chat screen draws a frame's changed regions apart, and the terminal shows what a full render does.

While a reply streams, the status line and the sidebar's figures change in the same
frames as the reply: Textual's partial update drew the one rectangle around them all,
so the chrome between was redrawn at every frame. The chat screen draws each group on
its own (``textual_compat.draw_changed_regions_apart``); a terminal fed every update
ends showing exactly what a full render of the screen shows.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.geometry import Region

from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.ui import textual_compat
from liaobots_tui.ui.screens.chat import ChatScreen
from tests.ui.conftest import AppFactory, demo_settings
from tests.ui.driving import chat, send, settle
from tests.ui.test_compare_draws_apart import Terminal, watch_display

# These tests watch what every frame draws (tests/headless_frames.py).
pytestmark = pytest.mark.draws_frames


@pytest.mark.ui
async def test_a_streamed_reply_reaches_the_terminal_as_a_full_render_shows_it(
    gateway: FakeGateway, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    groups: list[int] = []
    draw_apart = textual_compat._draw_apart

    def counting(compositor: Any, crops: list[Region], dirty_lines: set[int]) -> Any:
        groups.append(len(crops))
        return draw_apart(compositor, crops, dirty_lines)

    monkeypatch.setattr(textual_compat, "_draw_apart", counting)
    app = make_app(demo_settings(gateway))
    size = (140, 36)
    terminal = Terminal(*size)
    watch_display(app, ChatScreen, terminal)
    async with app.run_test(size=size) as pilot:
        await send(app, pilot, "[[deltas=400]] a long answer with a table")
        await settle(app, pilot)
        assert groups and max(groups) > 1  # some frames changed regions far apart
        assert terminal.matches(chat(app)._compositor.render_strips()) == []
