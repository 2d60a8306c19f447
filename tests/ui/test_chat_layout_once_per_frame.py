"""The chat screen lays itself out once per frame while a reply streams, with the same regions.

Every frame of a streaming reply mounts blocks that are not on screen yet, which left
Textual's full map marked stale after the layout pass: the first region look-up after it
arranged the whole screen again (bench/stream_stalls.py measured 1.63 arrangements per
layout pass). The chat screen applies ``keep_full_map_after_reflow`` (tested on its own in
test_layout_once_per_frame.py); here the real app streams a long reply from the fake gateway.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual._compositor import Compositor
from textual.widget import Widget

from liaobots_tui.demo.gateway import FakeGateway
from tests.ui.conftest import SIZE, AppFactory, demo_settings
from tests.ui.driving import chat, send, settle

pytestmark = pytest.mark.ui

PROMPT = "[[deltas=500]] a long answer"


class ArrangementCount:
    """Layout passes, and whole-screen arrangements made outside one (look-ups of a stale full map)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.layouts = 0
        self.again = 0
        self._in_layout = False
        arrange_root = Compositor._arrange_root
        reflow = Compositor.reflow

        def counting_arrange_root(compositor: Compositor, *args: Any, **kwargs: Any) -> Any:
            full = not kwargs.get("visible_only", True)
            self.again += full and not self._in_layout
            return arrange_root(compositor, *args, **kwargs)

        def counting_reflow(compositor: Compositor, *args: Any, **kwargs: Any) -> Any:
            self.layouts += 1
            self._in_layout = True
            try:
                return reflow(compositor, *args, **kwargs)
            finally:
                self._in_layout = False

        # Patched before the app starts: the chat screen wraps the reflow it finds when mounted.
        monkeypatch.setattr(Compositor, "_arrange_root", counting_arrange_root)
        monkeypatch.setattr(Compositor, "reflow", counting_reflow)


async def test_a_streaming_reply_lays_the_chat_screen_out_once_per_frame(
    gateway: FakeGateway, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    count = ArrangementCount(monkeypatch)
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        layouts_before, again_before = count.layouts, count.again
        await send(app, pilot, PROMPT)
        user, reply = chat(app).view.boxes()
        assert reply.message.status == "complete"
        assert reply.copy_text == gateway.reply_text_for("gpt-5.4", PROMPT)
        # Blocks were mounted frame after frame, each time with one arrangement only.
        assert count.layouts - layouts_before >= 2
        assert count.again == again_before
        monkeypatch.undo()
        # What the kept map says is what a fresh arrangement of the screen gives.
        compositor = app.screen._compositor
        fresh, _widgets = compositor._arrange_root(app.screen, compositor.size, visible_only=False)
        shown: list[Widget] = [w for w in reply.walk_children(Widget, with_self=True) if w in fresh]
        shown += [w for w in user.walk_children(Widget, with_self=True) if w in fresh]
        assert len(shown) > 2
        for widget in shown:
            assert widget.region == fresh[widget].region
