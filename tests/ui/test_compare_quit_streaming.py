"""Pilot test of the wiring: quitting (ctrl+q) while a comparison's replies still stream keeps them.

The rules are :meth:`Comparison.close`'s (tests/test_compare_close.py); here the
compare screen calls it as the app exits, and the replies cut short are in the
chat afterwards, set aside as cancelled, with what had arrived.
"""

from __future__ import annotations

import pytest

from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.store import Store
from liaobots_tui.ui.screens.compare import CompareScreen
from liaobots_tui.ui.screens.compare_picker import ComparePickerModal
from tests.ui.conftest import SIZE, AppFactory, demo_settings
from tests.ui.driving import HANG_GUARD, chat, settle, type_text, until

# Replies here are incidental (they are stalled after 3 deltas): cut short (tests/ui/conftest.py).
pytestmark = [pytest.mark.ui, pytest.mark.usefixtures("short_replies")]

MODELS = ["gpt-5.4", "claude-sonnet-4-6"]


async def test_quitting_while_replies_stream_sets_them_aside_as_cancelled(
    gateway: FakeGateway, make_app: AppFactory, store: Store
) -> None:
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=SIZE) as pilot:
        await type_text(pilot, "first question")
        await pilot.press("enter")
        await settle(app, pilot)
        conversation_id = chat(app).controller.conversation_id
        # Every stream of the comparison holds after 3 deltas (until the gateway stops).
        gateway.faults.stall_after = 3
        gateway.faults.stall_seconds = HANG_GUARD
        chat(app).prompt.load_text("quit while these stream")
        chat(app).compare_models = MODELS
        await pilot.press("alt+c")
        await until(pilot, lambda: isinstance(app.screen, ComparePickerModal))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CompareScreen))
        compare = app.screen
        assert isinstance(compare, CompareScreen) and compare.comparison is not None
        lanes = compare.comparison.lanes
        await until(pilot, lambda: all(lane.chars > 0 for lane in lanes))
        assert all(lane.streaming for lane in lanes)
        await pilot.press("ctrl+q")
    assert conversation_id is not None
    aside = store.replies_set_aside(conversation_id)
    assert [(m.model, m.status) for m in aside] == [(model, "cancelled") for model in MODELS]
    assert len(store.load_conversation(conversation_id).messages) == 2  # the chat shows what it did
    # What arrived is stored: chosen, a reply cut short shows under the compared prompt.
    chosen = aside[1].id
    assert chosen is not None and store.choose_version(conversation_id, chosen) == chosen
    shown = store.load_conversation(conversation_id).messages
    assert shown[-2].text == "quit while these stream"
    assert shown[-1].status == "cancelled" and shown[-1].text and shown[-1].text == lanes[1].reply.text
