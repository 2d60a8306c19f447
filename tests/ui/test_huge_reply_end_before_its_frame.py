"""End (F3) on a huge reply lands at its end even when the frame that shows the move comes late.

A scroll changes ``scroll_y`` at once, but the positions widgets report (``region``) are those
of the last frame until the next one is laid out. On a loaded machine, work queued before the
scroll (a parking pass asked for by an earlier scroll) can run in between. That pass used to
decide from the old positions (the view still near the top: nothing to draw at the end), and
since a pass was already queued, End's own request for one was dropped: no pass came after
End's frame, and the view sat at the end of a huge reply over a blank, the end never drawn.
That is how ``test_home_before_the_background_cut_ends_cuts_the_rest_at_once`` once waited
120 s for "the end drawn after End" beside two busy loops. Here the late frame is made
deterministic by holding frames (``App.batch_update``) while End is pressed.
"""

from __future__ import annotations

import pytest

from liaobots_tui.store import Store
from liaobots_tui.ui.widgets.lazy_text import LazyText
from liaobots_tui.ui.widgets.message_box import MessageBox

from .conftest import AppFactory, offline_client, offline_settings
from .driving import chat, settle, until
from .test_huge_reply_opens_from_its_end import (
    FIRST_WORDS,
    LAST_WORDS,
    SIZE,
    drawn_text,
    huge_reply,
    huge_threshold_scaled_down,
    store_reply,
)


def count_parking_passes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Note each parking pass over a message box (the view's look at what is near the screen)."""
    passes: list[int] = []
    original = MessageBox.park_offscreen

    def noted(self: MessageBox, top: int, bottom: int) -> bool:
        passes.append(top)
        return original(self, top, bottom)

    monkeypatch.setattr(MessageBox, "park_offscreen", noted)
    return passes


async def test_end_pressed_before_the_frame_of_an_earlier_scroll_draws_the_end(
    make_app: AppFactory, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pass queued by a scroll just before End runs before any frame shows End: the end is drawn."""
    reply = huge_reply(huge_threshold_scaled_down(monkeypatch))
    store_reply(store, reply)
    monkeypatch.setattr(LazyText, "_start_head", lambda self: None)  # only the view cuts the head
    passes = count_parking_passes(monkeypatch)
    app = make_app(offline_settings(), client_factory=offline_client)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        view = chat(app).view
        lazy = view.query_one(LazyText)
        await until(pilot, lambda: LAST_WORDS in drawn_text(lazy), "the end drawn")
        view.scroll_home(animate=False, immediate=True)
        await until(pilot, lambda: FIRST_WORDS in drawn_text(lazy), "the start drawn after Home")
        await settle(app, pilot)
        assert LAST_WORDS not in drawn_text(lazy)
        with app.batch_update():  # no frame until the block ends, as on a machine too busy to draw
            before = len(passes)
            # A wheel step asks for a parking pass after its frame; End comes before that frame.
            view.scroll_relative(y=3, animate=False, immediate=True)
            await pilot.press("f3")
            await until(pilot, lambda: len(passes) > before, "the pass queued before End ran")
        await until(pilot, lambda: LAST_WORDS in drawn_text(lazy), "the end drawn after End")
        await settle(app, pilot)
        assert view.scroll_y == view.max_scroll_y
        assert LAST_WORDS in drawn_text(lazy)
        assert len(lazy.shown_sections) <= 6
