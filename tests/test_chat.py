"""ChatSession through the real transport and store against the fake gateway."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from liaobots_tui.api.messages import (
    ErrorEvent,
    ImageEvent,
    ImageOptions,
    Message,
    RequestOptions,
    TextDelta,
    TextPart,
)
from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.chat import ChatEvent, ChatSession, TurnEnded, TurnStarted
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.store import Store

AUTH = "chat-test-code"


@pytest.fixture
def auth_code() -> str:
    return AUTH


@pytest.fixture
def session(client: GatewayClient, store: Store) -> ChatSession:
    return ChatSession(client, store)


def user(text: str) -> Message:
    return Message("user", [TextPart(text)])


async def collect(events: AsyncIterator[ChatEvent]) -> list[ChatEvent]:
    return [e async for e in events]


async def test_turn_is_saved_and_continues_on_another_model(session: ChatSession, store: Store,
                                                            gw: FakeGateway) -> None:  # fmt: skip
    events = await collect(session.send(None, user("hello"), RequestOptions("gpt-5.4"), system="Be kind."))
    started = events[0]
    assert isinstance(started, TurnStarted)
    ended = events[-1]
    assert isinstance(ended, TurnEnded) and ended.reply.status == "complete"
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text == gw.reply_text_for("gpt-5.4", "hello") == ended.reply.text

    cid = started.conversation_id
    await collect(session.send(cid, user("and again"), RequestOptions("claude-sonnet-4-6")))
    conv = store.load_conversation(cid)
    assert conv.system == "Be kind."
    assert [(m.role, m.model, m.status) for m in conv.messages] == [
        ("user", None, "complete"),
        ("assistant", "gpt-5.4", "complete"),
        ("user", None, "complete"),
        ("assistant", "claude-sonnet-4-6", "complete"),
    ]
    assert conv.messages[3].format == "anthropic" and conv.messages[3].usage is not None
    # The chat's settings have one writer, the conversation controller; the service leaves them be.
    assert "model" not in store.conversation_settings(cid)


async def test_failure_keeps_partial_text(session: ChatSession, store: Store, gw: FakeGateway) -> None:
    gw.faults.mid_stream_error_after = 4
    events = await collect(session.send(None, user("explain"), RequestOptions("gemini-3-pro-preview")))
    assert any(isinstance(e, ErrorEvent) for e in events)
    ended = events[-1]
    assert isinstance(ended, TurnEnded) and ended.reply.status == "failed"
    assert ended.reply.error and ended.reply.text
    saved = store.load_conversation(ended_cid(events)).messages
    assert saved[0].text == "explain"
    assert saved[1].status == "failed" and saved[1].text == ended.reply.text


def ended_cid(events: list[ChatEvent]) -> int:
    first = events[0]
    assert isinstance(first, TurnStarted)
    return first.conversation_id


async def test_cancel_keeps_partial_reply_marked_cancelled(session: ChatSession, store: Store,
                                                           gw: FakeGateway) -> None:  # fmt: skip
    gw.faults.delta_delay = 0.05
    got_text = asyncio.Event()
    cid: list[int] = []

    async def consume() -> None:
        async for event in session.send(None, user("long story"), RequestOptions("claude-sonnet-4-6")):
            if isinstance(event, TurnStarted):
                cid.append(event.conversation_id)
            if isinstance(event, TextDelta):
                got_text.set()

    task = asyncio.create_task(consume())
    await got_text.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    reply = store.load_conversation(cid[0]).messages[1]
    assert reply.status == "cancelled" and reply.text


async def test_partial_reply_is_flushed_while_streaming(gw: FakeGateway, store: Store) -> None:
    ticks = iter(range(1_000_000))
    async with GatewayClient(gw.urls, AUTH) as client:
        session = ChatSession(client, store, flush_interval=3, clock=lambda: float(next(ticks)))
        seen_saved = []
        async for event in session.send(None, user("flush me"), RequestOptions("gpt-5.4")):
            if isinstance(event, TurnStarted):
                cid = event.conversation_id
            if isinstance(event, TextDelta):
                seen_saved.append(store.load_conversation(cid).messages[1].text)
    assert any(seen_saved[5:]), "partial text reached the store before the end"
    assert all(gw.reply_text_for("gpt-5.4", "flush me").startswith(s) for s in seen_saved)


async def test_regenerate_and_edit(session: ChatSession, store: Store, gw: FakeGateway) -> None:
    events = await collect(session.send(None, user("one"), RequestOptions("gpt-5.4")))
    cid = ended_cid(events)
    await collect(session.send(cid, user("two"), RequestOptions("gpt-5.4")))
    await collect(session.regenerate(cid, RequestOptions("gemini-3-pro-preview")))
    conv = store.load_conversation(cid)
    assert [m.role for m in conv.messages] == ["user", "assistant", "user", "assistant"]
    assert conv.messages[3].model == "gemini-3-pro-preview"

    first_user = conv.messages[0]
    assert first_user.id is not None
    await collect(session.edit(cid, first_user.id, user("uno"), RequestOptions("gpt-5.4")))
    conv = store.load_conversation(cid)
    assert [m.text for m in conv.messages] == ["uno", gw.reply_text_for("gpt-5.4", "uno")]


async def test_generated_image_is_saved_and_edit_sends_signatures_back(session: ChatSession, store: Store,
                                                                       gw: FakeGateway) -> None:  # fmt: skip
    options = RequestOptions("gemini-3-pro-image-preview", image=ImageOptions("16:9", "1K"))
    events = await collect(session.send(None, user("a fox"), options))
    images = [e.image for e in events if isinstance(e, ImageEvent)]
    assert len(images) == 1 and images[0].path and Path(images[0].path).is_file()
    cid = ended_cid(events)
    await collect(session.send(cid, user("make it night time"), options))
    body = [r.json for r in gw.requests if r.json and "contents" in r.json][-1]
    model_turn = body["contents"][1]
    assert model_turn["role"] == "model"
    inline = [p for p in model_turn["parts"] if "inlineData" in p]
    assert len(inline) == 1 and inline[0]["thoughtSignature"]
    assert inline[0]["inlineData"]["data"]
