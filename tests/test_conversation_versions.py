"""The controller's versions and forks, headless: a Store on tmp_path and the demo gateway on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.chat import ChatSession
from liaobots_tui.conversations import ConversationController, ConversationSettings, TurnBusy
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.errors import InputError
from liaobots_tui.store import FORKED_FROM, Store, Version
from tests.test_conversations import HeldSession

AUTH = "versions-test-code"


@pytest.fixture
def auth_code() -> str:
    return AUTH


def controller_for(store: Store, backend: Any) -> ConversationController:
    return ConversationController(
        store, lambda: backend, ConversationSettings(model="gpt-5.4", system="Be brief.")
    )


def last_request(gw: FakeGateway) -> str:
    bodies = [r.json for r in gw.requests if r.json is not None and r.method == "POST"]
    return json.dumps(bodies[-1], ensure_ascii=False)


def quoted(text: str) -> str:
    """``text`` as it appears inside a JSON request body."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


async def test_regenerate_keeps_the_earlier_reply_and_the_chosen_one_is_sent_next(
    store: Store, client: GatewayClient, gw: FakeGateway
) -> None:
    controller = controller_for(store, ChatSession(client, store))
    first = await controller.send("tell me a story")
    assert first is not None and first.id is not None and controller.versions == {}
    controller.choose_model("claude-sonnet-4-6", None)
    second = await controller.regenerate()
    assert second is not None and second.id is not None and second.text != first.text
    assert controller.versions == {second.id: Version(2, 2)}
    assert controller.choose_version(second.id, 1) is None  # already the last

    messages = controller.choose_version(second.id, -1)
    assert messages is not None and [m.text for m in messages] == ["tell me a story", first.text]
    assert controller.messages[1].id == first.id and controller.versions == {first.id: Version(1, 2)}
    await controller.send("and then?")
    sent = last_request(gw)
    assert quoted(first.text) in sent and quoted(second.text) not in sent
    # The chat as saved follows the choice, and its versions survive a restart.
    reopened = controller_for(store, ChatSession(client, store))
    await reopened.open(controller.conversation_id or 0)
    assert [m.text for m in reopened.messages][:2] == ["tell me a story", first.text]
    assert reopened.versions == {first.id: Version(1, 2)}


async def test_edit_keeps_the_old_prompt_and_its_replies_as_a_version(
    store: Store, client: GatewayClient
) -> None:
    controller = controller_for(store, ChatSession(client, store))
    await controller.send("one")
    await controller.send("two")
    old = controller.messages[2]
    assert old.id is not None
    await controller.edit(old.id, "two, again")
    new = controller.messages[2]
    assert new.text == "two, again" and new.id is not None
    assert controller.versions == {new.id: Version(2, 2)}
    messages = controller.choose_version(new.id, -1)
    assert messages is not None and [m.text for m in messages][2] == "two" and len(messages) == 4
    assert controller.versions == {old.id: Version(1, 2)}


async def test_fork_opens_a_new_chat_with_the_history_up_to_a_message(
    store: Store, client: GatewayClient, gw: FakeGateway
) -> None:
    controller = controller_for(store, ChatSession(client, store))
    controller.choose_model("claude-sonnet-4-6", None)
    await controller.send("one")
    await controller.send("two")
    origin = controller.conversation_id
    origin_title = controller.title
    at = controller.messages[1]
    assert origin is not None and at.id is not None
    messages = await controller.fork(at.id)
    assert [m.text for m in messages] == ["one", at.text]
    assert controller.conversation_id not in (None, origin)
    fork = controller.conversation_id or 0
    assert controller.title == f"Fork of {origin_title}"
    assert controller.settings.model == "claude-sonnet-4-6" and controller.settings.system == "Be brief."
    assert store.conversation_settings(fork)[FORKED_FROM] == {"conversation": origin, "message": at.id}
    await controller.send("three")
    assert [m.text for m in store.load_conversation(fork).messages][2] == "three"
    assert len(store.load_conversation(origin).messages) == 4  # the origin is untouched
    assert quoted("two") not in last_request(gw)
    with pytest.raises(InputError):
        await controller.fork(at.id)  # a message of the origin, not of the fork


async def test_versions_are_not_switched_while_a_reply_streams_and_a_fork_stops_it_first(
    store: Store, client: GatewayClient
) -> None:
    held = HeldSession(ChatSession(client, store))
    controller = controller_for(store, held)
    held.hold = False
    first = await controller.send("one")
    assert first is not None and first.id is not None
    held.hold = True
    turn = controller.regenerate()
    await held.first_text.wait()
    with pytest.raises(TurnBusy):
        controller.choose_version(first.id, 1)
    prompt_id = controller.messages[0].id or 0
    messages = await controller.fork(prompt_id)
    assert turn.done() and [m.text for m in messages] == ["one"]
    assert not controller.streaming
    await asyncio.wait([turn])


async def test_nothing_to_fork_or_choose_in_an_unsaved_chat(store: Store) -> None:
    controller = controller_for(store, object())
    with pytest.raises(InputError):
        await controller.fork(1)
    assert controller.choose_version(1, 1) is None
