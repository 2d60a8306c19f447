"""A chat whose reply came from the store unread still sends, regenerates and edits with its exact text.

The store hands a reply over ``big_text.DEFER_BYTES`` out unread (scaled down here; the path is
the same). The controller opens such a chat, and the next turn's request carries the whole reply
as the model's earlier answer; regenerating and editing keep it as a version, whole.
"""

from __future__ import annotations

from typing import Any

import pytest

from liaobots_tui.api.messages import Message, TextPart
from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.chat import ChatSession
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.store import Store, big_text
from liaobots_tui.store.big_text import DeferredTextPart

from .test_conversations import controller_for

REPLY = "".join(f"## Part {n}\n\nProse of part {n}, 中文 and é.\n\n" for n in range(300)) + "The end.\n"


@pytest.fixture(autouse=True)
def small_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(big_text, "DEFER_BYTES", 2_000)


def strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings_in(item)]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    return []


def stored_chat(store: Store) -> int:
    cid = store.create_conversation(title="huge", settings={"model": "gpt-5.4"})
    store.add_messages(
        cid,
        [
            Message("user", [TextPart("Write a lot")]),
            Message("assistant", [TextPart(REPLY)], model="gpt-5.4"),
        ],
    )
    return cid


async def test_the_next_turn_sends_the_whole_reply(
    store: Store, client: GatewayClient, gw: FakeGateway
) -> None:
    cid = stored_chat(store)
    controller = controller_for(store, ChatSession(client, store))
    messages = await controller.open(cid)
    part = messages[1].parts[0]
    assert isinstance(part, DeferredTextPart) and not part.stored.loaded
    await controller.send("And in one line?")
    chats = [r for r in gw.requests if r.method == "POST" and "chat" in r.path]
    assert REPLY in strings_in(chats[-1].json)
    assert [m.text for m in store.load_conversation(cid).messages][:2] == ["Write a lot", REPLY]


async def test_regenerate_and_edit_keep_the_whole_reply_as_a_version(
    store: Store, client: GatewayClient
) -> None:
    cid = stored_chat(store)
    controller = controller_for(store, ChatSession(client, store))
    await controller.open(cid)
    huge = controller.messages[1]
    assert huge.id is not None
    reply = await controller.regenerate()
    assert reply is not None and reply.text != REPLY
    assert controller.choose_version(reply.id or 0, -1) is not None  # back to the huge one
    assert controller.messages[1].text == REPLY
    prompt = controller.messages[0]
    reply = await controller.edit(prompt.id or 0, "Write a lot, again")
    assert reply is not None
    assert huge.text == REPLY  # the record shown before still reads whole
    kept = [m for m in store.replies_set_aside(cid) if m.id == huge.id]
    assert kept  # the huge reply is a version now, not gone
