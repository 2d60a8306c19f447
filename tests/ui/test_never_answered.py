"""A chat whose only turn failed before any reply byte is not left behind; its prompt comes back."""

from __future__ import annotations

import pytest

from liaobots_tui.store import Store
from tests.ui.conftest import SIZE, AppFactory, offline_client, offline_settings
from tests.ui.driving import chat, send, settle, until

pytestmark = pytest.mark.ui


async def test_quitting_after_a_reply_that_never_came_keeps_no_chat(
    make_app: AppFactory, store: Store
) -> None:
    # Every request gets a 404: the reply fails before a byte of it arrives.
    app = make_app(offline_settings(), client_factory=offline_client)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await send(app, pilot, "a prompt typed at length")
        await until(pilot, lambda: not chat(app).controller.streaming and bool(chat(app).controller.messages))
        await until(pilot, lambda: chat(app).prompt.text == "a prompt typed at length")
        assert store.count_conversations() == 1  # still open: the failed turn is on screen
    assert store.count_conversations() == 0


async def test_a_chat_with_an_answer_stays_when_the_app_quits(make_app: AppFactory, store: Store) -> None:
    cid = store.create_conversation(title="kept")
    app = make_app(offline_settings(), client_factory=offline_client)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await chat(app).open_conversation(cid)  # empty, never sent: not "failed before any reply"
        await settle(app, pilot)
    assert store.count_conversations() == 1
