"""Messages are values and stored records carry identity and lifecycle: nothing is changed after it is made.

A :class:`Message` (and :class:`Usage`, :class:`Conversation`) cannot be assigned to;
the store takes values and hands back :class:`MessageRecord` values with id, status,
error and times; a reply that ends is a new record (the one handed out at its start
still says "streaming"); a failed or cancelled reply's record has its end time and
its partial text, in memory and in the store.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from liaobots_tui.api.anthropic import AnthropicParser
from liaobots_tui.api.messages import (
    Conversation,
    ImagePart,
    Message,
    ReasoningPart,
    RequestOptions,
    Source,
    TextDelta,
    TextPart,
    Usage,
)
from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.chat import ChatEvent, ChatSession, TurnEnded, TurnStarted
from liaobots_tui.conversations import ConversationController, ConversationSettings
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.store import MessageRecord, Store, StoredConversation

AUTH = "values-test-code-123"


@pytest.fixture
def gw() -> Iterator[FakeGateway]:
    with FakeGateway(auth_code=AUTH) as gateway:
        yield gateway


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "history.db", tmp_path / "images") as s:
        yield s


@pytest.fixture
async def session(gw: FakeGateway, store: Store) -> AsyncIterator[ChatSession]:
    async with GatewayClient(gw.urls, AUTH) as client:
        yield ChatSession(client, store)


def user(text: str) -> Message:
    return Message("user", [TextPart(text)])


# ---------------------------------------------------------------- the value types


@pytest.mark.parametrize(
    ("value", "field", "new"),
    [
        (Message("user", [TextPart("hi")]), "parts", ()),
        (Message("assistant"), "usage", Usage()),
        (Usage(1, 2), "output_tokens", 3),
        (Conversation([user("hi")]), "system", "x"),
        (MessageRecord(user("hi"), id=1), "status", "failed"),
        (MessageRecord(user("hi"), id=1), "id", 2),
        (MessageRecord(user("hi"), id=1), "ended_at", 1.0),
        (StoredConversation(1, "t"), "title", "u"),
    ],
)
def test_values_cannot_be_assigned_to(value: Any, field: str, new: object) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(value, field, new)


def test_a_record_has_no_setters_for_what_it_reads_through() -> None:
    record = MessageRecord(Message("assistant", [TextPart("a")], model="m"), id=4)
    for name, new in (("text", "b"), ("parts", ()), ("model", "n"), ("sources", ()), ("usage", None)):
        with pytest.raises((AttributeError, dataclasses.FrozenInstanceError)):
            setattr(record, name, new)
    assert (record.text, record.model, record.role) == ("a", "m", "assistant")


def test_a_list_given_to_a_message_is_copied_into_a_tuple() -> None:
    parts: list[TextPart] = [TextPart("one")]
    sources = [Source("https://a.example")]
    message = Message("assistant", parts, sources=sources)
    parts.append(TextPart("two"))
    sources.clear()
    assert message.parts == (TextPart("one"),) and message.sources == (Source("https://a.example"),)
    assert Message("user", [TextPart("x")]) == Message("user", (TextPart("x"),))
    history = [message]
    conversation = Conversation(history)
    history.clear()
    assert conversation.messages == (message,)


def test_new_records_come_from_revised_and_ended_leaving_the_old_one_as_it_was() -> None:
    streaming = MessageRecord(Message("assistant", model="m"), id=9, status="streaming", created_at=5.0)
    grown = streaming.revised(parts=[TextPart("partial")], usage=Usage(1, 2))
    failed = grown.failed("Network error: reset", at=7.0)
    cancelled = grown.ended("cancelled", 8.0, error="Cancelled", finish_reason="cancelled")
    assert (streaming.status, streaming.parts, streaming.ended_at) == ("streaming", (), None)
    assert (grown.id, grown.status, grown.text, grown.usage) == (9, "streaming", "partial", Usage(1, 2))
    assert (failed.status, failed.error, failed.finish_reason, failed.ended_at) == (
        "failed",
        "Network error: reset",
        "error",
        7.0,
    )
    assert (cancelled.status, cancelled.finish_reason, cancelled.ended_at, cancelled.text) == (
        "cancelled",
        "cancelled",
        8.0,
        "partial",
    )
    assert failed.created_at == cancelled.created_at == 5.0


def test_parts_handed_out_do_not_change_when_a_late_signature_arrives() -> None:
    parser = AnthropicParser()
    start = {"index": 0, "content_block": {"type": "thinking", "thinking": ""}}
    parser.feed_json("content_block_start", start)
    parser.feed_json(
        "content_block_delta", {"index": 0, "delta": {"type": "thinking_delta", "thinking": "hmm"}}
    )
    flushed = parser.parts()  # what a flush saved while the reply streamed
    parser.feed_json(
        "content_block_delta", {"index": 0, "delta": {"type": "signature_delta", "signature": "sig=="}}
    )
    assert flushed == [ReasoningPart("hmm")]
    assert parser.parts() == [ReasoningPart("hmm", provider_data={"anthropic": {"signature": "sig=="}})]


# ---------------------------------------------------------------- the store


def test_the_store_takes_values_and_hands_back_records(store: Store) -> None:
    cid = store.create_conversation()
    prompt = Message("user", [TextPart("draw"), ImagePart(b"", path="/nowhere.png")])
    before = time.time()
    saved_prompt, saved_reply = store.add_messages(
        cid,
        [
            prompt,
            MessageRecord(
                Message("assistant", [TextPart("half")], model="gpt-5.4", format="openai"),
                status="failed",
                error="Out of credits",
                created_at=1_800_000_000.0,
                ended_at=1_800_000_004.5,
            ),
        ],
    )
    # What was given is unchanged; what came back has the identity and lifecycle.
    assert prompt.images[0].path == "/nowhere.png"
    assert isinstance(saved_prompt.id, int) and saved_prompt.status == "complete"
    assert saved_prompt.created_at >= before and saved_prompt.ended_at is None
    assert saved_prompt.message.parts[0] == TextPart("draw")
    assert saved_reply.id == saved_prompt.id + 1
    assert (saved_reply.status, saved_reply.error, saved_reply.created_at, saved_reply.ended_at) == (
        "failed",
        "Out of credits",
        1_800_000_000.0,
        1_800_000_004.5,
    )
    loaded = store.load_conversation(cid)
    assert isinstance(loaded, StoredConversation) and loaded.messages == (saved_prompt, saved_reply)
    assert loaded.find(saved_reply.id) == saved_reply
    # A request sends the values only, up to a given record.
    assert loaded.request(before=saved_reply.id) == Conversation([saved_prompt.message])


def test_an_update_returns_the_new_record_and_leaves_the_old_one(store: Store) -> None:
    cid = store.create_conversation()
    placeholder = MessageRecord(Message("assistant", model="gpt-5.4"), status="streaming")
    streaming = store.add_message(cid, placeholder)
    final = store.update_message(streaming.revised(parts=[TextPart("done")]).ended("complete", 42.0))
    assert (placeholder.id, placeholder.status) == (None, "streaming")
    assert (streaming.status, streaming.text, streaming.ended_at) == ("streaming", "", None)
    assert (final.id, final.status, final.text, final.ended_at) == (streaming.id, "complete", "done", 42.0)
    assert store.load_conversation(cid).messages == (final,)


# ---------------------------------------------------------------- the chat service and the controller


async def collect(events: AsyncIterator[ChatEvent]) -> list[ChatEvent]:
    return [e async for e in events]


async def test_a_failed_reply_ends_as_a_new_record_with_its_end_time_and_partial_text(
    session: ChatSession, store: Store, gw: FakeGateway
) -> None:
    gw.faults.mid_stream_error_after = 4
    before = time.time()
    events = await collect(session.send(None, user("explain"), RequestOptions("gpt-5.4")))
    started, ended = events[0], events[-1]
    assert isinstance(started, TurnStarted) and isinstance(ended, TurnEnded)
    assert started.user_message is not None and started.user_message.id is not None
    # The record handed out at the start is a value: it still says what it said then.
    assert (started.reply.status, started.reply.ended_at, started.reply.parts) == ("streaming", None, ())
    reply = ended.reply
    assert reply.id == started.reply.id and reply.status == "failed" and reply.error
    assert reply.text and reply.ended_at is not None and reply.ended_at >= before
    assert reply.created_at == started.reply.created_at
    stored = store.load_conversation(started.conversation_id).find(reply.id or 0)
    assert stored is not None
    assert (stored.status, stored.text, stored.ended_at) == ("failed", reply.text, reply.ended_at)


async def test_a_cancelled_reply_is_stored_with_its_end_time_and_partial_text(
    session: ChatSession, store: Store, gw: FakeGateway
) -> None:
    gw.faults.delta_delay = 0.05
    got_text = asyncio.Event()
    started: list[TurnStarted] = []

    async def consume() -> None:
        async for event in session.send(None, user("long story"), RequestOptions("claude-sonnet-4-6")):
            if isinstance(event, TurnStarted):
                started.append(event)
            if isinstance(event, TextDelta):
                got_text.set()

    task = asyncio.create_task(consume())
    await got_text.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    placeholder = started[0].reply
    reply = store.load_conversation(started[0].conversation_id).find(placeholder.id or 0)
    assert reply is not None
    assert (reply.status, reply.error, reply.finish_reason) == ("cancelled", "Cancelled", "cancelled")
    assert reply.text and reply.ended_at is not None and reply.ended_at >= reply.created_at
    assert placeholder.status == "streaming" and placeholder.text == ""


async def test_the_controller_replaces_the_placeholder_by_store_id(
    session: ChatSession, store: Store
) -> None:
    controller = ConversationController(store, lambda: session, ConversationSettings(model="gpt-5.4"))
    seen: list[ChatEvent] = []

    async def listen(event: ChatEvent) -> None:
        seen.append(event)

    final = await controller.send("hello", listener=listen)
    started = next(e for e in seen if isinstance(e, TurnStarted))
    assert final is not None and final.id == started.reply.id and final is not started.reply
    assert started.reply.status == "streaming" and final.status == "complete"
    assert started.user_message is not None
    assert [r.id for r in controller.messages] == [started.user_message.id, final.id]
    assert controller.messages[-1] == final
    assert controller.conversation_id is not None
    assert tuple(controller.messages) == store.load_conversation(controller.conversation_id).messages
