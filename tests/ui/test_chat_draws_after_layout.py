"""The chat screen draws each frame a loop turn after its layout, and goes quiet when a reply ends.

A frame's drawing is put off after its layout (``textual_compat.draw_after_layout_apart``),
so a key or a delta that fell due runs between the two. The draw must come however late the
loop gets to it: when it did not (Textual's one-shot timer skipped its only tick), the screen
kept a draw pending for good, drew no layout again, and a test waiting for the app to go quiet
waited out the hang guard.
"""

from __future__ import annotations

from typing import Any

import pytest

from liaobots_tui.api.messages import TextDelta
from liaobots_tui.store import Store
from tests.test_draw_after_layout import late_loop
from tests.ui.conftest import AppFactory
from tests.ui.driving import chat, send
from tests.ui.screen_waits import draw_pending
from tests.ui.test_features import scripted_app

pytestmark = pytest.mark.ui


async def test_after_a_reply_the_chat_has_drawn_every_layout_and_goes_quiet(
    make_app: AppFactory, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "".join(f"## Part {i}\n\nSome text for part {i}.\n\n- a\n- b\n\n" for i in range(6))
    app, _ = scripted_app(make_app, store, [TextDelta(text[i : i + 9]) for i in range(0, len(text), 9)])
    async with app.run_test(size=(80, 24)) as pilot:
        late_loop(monkeypatch)  # every put-off draw's timer is reached late
        # Settles: twice in a row nothing runs or is queued and no draw is pending (else it
        # fails at the hang guard, as the put-off draw that never came did).
        await send(app, pilot, "a few parts please")
        screen: Any = chat(app)
        assert chat(app).view.boxes()[1].copy_text == text
        draws = screen._draws_apart
        assert draws.count and not draw_pending(screen)
        assert not screen._compositor._dirty_regions  # what was laid out was drawn
