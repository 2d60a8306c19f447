"""A comparison closed while replies still stream (the app quits, the screen goes) loses nothing.

Headless, over the demo gateway on 127.0.0.1, with the streams held after their
first text (no timing): :meth:`Comparison.close` ends each streaming reply as
cancelled with the text that arrived and sets the turn aside in the chat, where
a restart finds it as a version of the next prompt.
"""

from __future__ import annotations

import pytest

from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.chat import ChatSession
from liaobots_tui.conversations import ConversationController, ConversationSettings
from liaobots_tui.conversations.compare import start_compare
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.store import Store, Version
from tests.test_compare import Held

AUTH = "compare-close-code"
MODELS = ["gpt-5.4", "claude-sonnet-4-6", "gemini-3-pro-preview"]


@pytest.fixture
def auth_code() -> str:
    return AUTH


def new_controller(store: Store, client: GatewayClient) -> ConversationController:
    session = ChatSession(client, store)
    return ConversationController(
        store, lambda: session, ConversationSettings(model="gpt-5.4"), client=lambda: client
    )


@pytest.fixture
def controller(store: Store, client: GatewayClient) -> ConversationController:
    return new_controller(store, client)


async def test_replies_streaming_at_close_are_set_aside_as_cancelled_and_found_after_a_restart(
    controller: ConversationController, client: GatewayClient, gw: FakeGateway, store: Store
) -> None:
    await controller.send("first")
    before = list(controller.messages)
    held = Held(client, set(MODELS))
    comparison = start_compare(controller, MODELS, "second?", stream_fn=held)
    for first_text in held.first_text.values():
        await first_text.wait()
    assert comparison.close() == 3  # at once: nothing awaited, as when the app is exiting
    assert [lane.reply.status for lane in comparison.lanes] == ["cancelled"] * 3
    assert controller.messages == before  # the chat shows what it did
    # A restart: a new controller opens the chat from the store.
    assert controller.conversation_id is not None
    reopened = new_controller(store, client)
    await reopened.open(controller.conversation_id)
    assert [m.model for m in reopened.replies_set_aside()] == MODELS  # counted in the chat's cost
    # The next prompt sent there is a new version of the compared one: ‹ shows the cut-short replies,
    # each a version of the others, holding the text that had arrived.
    reply = await reopened.send("second, asked again")
    assert reply is not None and reply.status == "complete"
    prompt = reopened.messages[-2]
    assert prompt.id is not None and reopened.versions[prompt.id] == Version(2, 2)
    shown = reopened.choose_version(prompt.id, -1)
    assert shown is not None and shown[-2].text == "second?"
    for index, model in enumerate(MODELS):
        cut_short = shown[-1]
        assert cut_short.id is not None and reopened.versions[cut_short.id] == Version(index + 1, 3)
        assert cut_short.model == model and cut_short.status == "cancelled"
        assert cut_short.error == "Cancelled" and cut_short.finish_reason == "cancelled"
        assert cut_short.ended_at is not None
        assert cut_short.text and gw.reply_text_for(model, "second?").startswith(cut_short.text)
        assert cut_short.text == comparison.lanes[index].reply.text
        if index < 2:
            shown = reopened.choose_version(cut_short.id, 1)
            assert shown is not None


async def test_the_lanes_own_ending_after_close_changes_nothing_that_was_set_aside(
    controller: ConversationController, client: GatewayClient
) -> None:
    await controller.send("first")
    held = Held(client, {"claude-sonnet-4-6"})
    comparison = start_compare(controller, MODELS[:2], "hello", stream_fn=held)
    await held.first_text["claude-sonnet-4-6"].wait()
    ended_gpt = comparison.lanes[0].task
    assert ended_gpt is not None
    await ended_gpt  # one reply complete, the other still streaming
    assert comparison.close() == 2
    closed = [lane.reply for lane in comparison.lanes]
    assert [r.status for r in closed] == ["complete", "cancelled"]
    held.release.set()  # the held stream could go on: its task was cancelled, it ends as it was
    assert await comparison.wait() == closed
    aside = controller.replies_set_aside()
    assert [(m.model, m.status) for m in aside] == [(r.model, r.status) for r in closed]
    assert comparison.close() == 0 and len(controller.replies_set_aside()) == 2  # once only


async def test_a_reply_stopped_before_its_first_byte_is_not_stored(
    controller: ConversationController, client: GatewayClient
) -> None:
    await controller.send("first")
    held = Held(client, {"gpt-5.4"})
    # Closed before any lane ran: nothing arrived, nothing was charged, nothing is stored.
    comparison = start_compare(controller, MODELS[:2], "hello", stream_fn=held)
    assert comparison.close() == 0
    assert [lane.reply.status for lane in comparison.lanes] == ["cancelled"] * 2
    await comparison.wait()
    assert controller.replies_set_aside() == []


async def test_close_after_a_reply_was_kept_stores_nothing_more(
    controller: ConversationController, client: GatewayClient
) -> None:
    comparison = start_compare(controller, MODELS[:2], "hello")
    await comparison.wait()
    kept = comparison.keep(1)
    assert comparison.close() == 0
    assert controller.messages[-1] == kept
    assert [m.model for m in controller.replies_set_aside()] == [MODELS[0]]


async def test_close_after_keep_none_stores_nothing_more(controller: ConversationController) -> None:
    await controller.send("first")
    comparison = start_compare(controller, MODELS[:2], "hello")
    await comparison.wait()
    assert comparison.keep_none() == 2
    assert comparison.close() == 0
    assert len(controller.replies_set_aside()) == 2
