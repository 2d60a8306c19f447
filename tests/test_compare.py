"""Compare models, headless: one prompt to several models over the demo gateway on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing

import pytest

from liaobots_tui.api.account import fetch_usage_page
from liaobots_tui.api.base import ReplyParser
from liaobots_tui.api.messages import Conversation, Format, RequestOptions, StreamEvent, TextDelta
from liaobots_tui.api.registry import get_adapter
from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.chat import ChatSession
from liaobots_tui.conversations import ConversationController, ConversationSettings, TurnBusy
from liaobots_tui.conversations.compare import CompareEvent, Lane, LaneEnded, start_compare
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.errors import InputError
from liaobots_tui.store import Store

AUTH = "compare-test-code"
MODELS = ["gpt-5.4", "claude-sonnet-4-6", "gemini-3-pro-preview"]


@pytest.fixture
def auth_code() -> str:
    return AUTH


@pytest.fixture
def controller(store: Store, client: GatewayClient) -> ConversationController:
    session = ChatSession(client, store)
    return ConversationController(
        store, lambda: session, ConversationSettings(model="gpt-5.4"), client=lambda: client
    )


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[int, CompareEvent]] = []

    async def __call__(self, lane: Lane, event: CompareEvent) -> None:
        self.events.append((lane.index, event))

    def text(self, index: int) -> str:
        return "".join(e.text for i, e in self.events if i == index and isinstance(e, TextDelta))

    def ended(self) -> list[int]:
        return [i for i, e in self.events if isinstance(e, LaneEnded)]


class Held:
    """The real client's stream, held after the first text delta of the chosen models."""

    def __init__(self, client: GatewayClient, hold: set[str]) -> None:
        self.client, self.hold = client, hold
        self.first_text = {m: asyncio.Event() for m in hold}
        self.release = asyncio.Event()

    async def __call__(
        self, fmt: Format, conversation: Conversation, options: RequestOptions, parser: ReplyParser
    ) -> AsyncIterator[StreamEvent]:
        inner = self.client.stream_reply(get_adapter(fmt), conversation, options, parser)
        async with aclosing(inner) as events:
            async for event in events:
                yield event
                if isinstance(event, TextDelta) and options.model in self.hold:
                    if not self.first_text[options.model].is_set():
                        self.first_text[options.model].set()
                        await self.release.wait()


async def test_one_prompt_streams_from_each_model_in_its_own_format(
    controller: ConversationController, gw: FakeGateway, store: Store
) -> None:
    recorder = Recorder()
    comparison = start_compare(controller, MODELS, "hello there", listener=recorder)
    replies = await comparison.wait()
    assert [r.status for r in replies] == ["complete"] * 3
    assert [r.format for r in replies] == ["openai", "anthropic", "gemini"]
    for index, (model, reply) in enumerate(zip(MODELS, replies, strict=True)):
        assert reply.text == gw.reply_text_for(model, "hello there") == recorder.text(index)
        lane = comparison.lanes[index]
        assert lane.ttft is not None and 0 <= lane.ttft <= lane.elapsed()
        tokens, exact = lane.tokens
        assert exact and tokens == reply.usage.output_tokens > 0  # type: ignore[union-attr]
        cost = lane.cost
        assert cost is not None and not cost.exact and cost.credits > 0
        assert model in lane.summary() and "first token" in lane.summary()
    assert sorted(recorder.ended()) == [0, 1, 2]
    # Nothing is stored until a reply is kept.
    assert controller.conversation_id is None and store.list_conversations() == []


async def test_cancel_one_lane_keeps_its_text_and_the_others_finish(
    controller: ConversationController, client: GatewayClient, gw: FakeGateway
) -> None:
    held = Held(client, {"claude-sonnet-4-6"})
    recorder = Recorder()
    comparison = start_compare(controller, MODELS, "hello", listener=recorder, stream_fn=held)
    await held.first_text["claude-sonnet-4-6"].wait()
    assert comparison.cancel(1)
    replies = await comparison.wait()
    assert [r.status for r in replies] == ["complete", "cancelled", "complete"]
    assert replies[1].text and gw.reply_text_for(MODELS[1], "hello").startswith(replies[1].text)
    assert replies[1].error == "Cancelled" and comparison.lanes[1].done_at is not None
    assert not comparison.cancel(1) and not comparison.streaming


async def test_cancel_all_stops_every_streaming_lane(
    controller: ConversationController, client: GatewayClient
) -> None:
    held = Held(client, set(MODELS))
    comparison = start_compare(controller, MODELS, "hello", stream_fn=held)
    for event in held.first_text.values():
        await event.wait()
    assert comparison.cancel_all()
    replies = await comparison.wait()
    assert [r.status for r in replies] == ["cancelled"] * 3
    assert all(r.text for r in replies)


async def test_one_model_failing_does_not_stop_the_others(controller: ConversationController) -> None:
    comparison = start_compare(controller, ["gpt-5.4", "gpt-no-such-model", "gemini-3-pro-preview"], "hi")
    replies = await comparison.wait()
    assert [r.status for r in replies] == ["complete", "failed", "complete"]
    assert replies[1].error and "no-such-model" in replies[1].error
    assert "[failed]" in comparison.lanes[1].summary()
    # Refused before any byte: charged nothing, and said so (it read "credits ?", as if unknown).
    assert comparison.lanes[1].summary().endswith("~0 tokens, not charged")
    assert comparison.lanes[0].credits_label() not in ("?", "not charged")
    with pytest.raises(InputError, match="sent nothing"):
        comparison.keep(1)


async def test_a_bug_in_one_lane_fails_that_lane_only(
    controller: ConversationController, client: GatewayClient
) -> None:
    async def broken(
        fmt: Format, conversation: Conversation, options: RequestOptions, parser: ReplyParser
    ) -> AsyncIterator[StreamEvent]:
        if options.model == "gpt-5.4":
            raise RuntimeError("boom")
        async for event in client.stream_reply(get_adapter(fmt), conversation, options, parser):
            yield event

    replies = await start_compare(controller, MODELS[:2], "hi", stream_fn=broken).wait()
    assert [r.status for r in replies] == ["failed", "complete"]
    assert replies[0].error == "Internal error: RuntimeError"


async def test_keep_one_continues_the_chat_with_that_reply_and_model(
    controller: ConversationController, store: Store, gw: FakeGateway
) -> None:
    comparison = start_compare(controller, MODELS, "pick me")
    replies = await comparison.wait()
    kept = comparison.keep(1)
    assert kept.id is not None and kept.text == replies[1].text
    assert controller.conversation_id is not None and controller.settings.model == "claude-sonnet-4-6"
    stored = store.load_conversation(controller.conversation_id).messages
    assert [(m.role, m.model, m.text) for m in stored] == [
        ("user", None, "pick me"),
        ("assistant", "claude-sonnet-4-6", replies[1].text),
    ]
    assert tuple(controller.messages) == stored and controller.title == "pick me"
    with pytest.raises(InputError, match="kept already"):
        comparison.keep(0)
    # The next turn sends the kept reply as history, to the kept model.
    reply = await controller.send("and then?")
    assert reply is not None and reply.status == "complete" and reply.model == "claude-sonnet-4-6"
    sent = [r.json for r in gw.requests if r.json is not None and r.method == "POST"][-1]
    assert sent["messages"][1]["content"] == [{"type": "text", "text": replies[1].text}]
    # A reopened chat holds the kept settings.
    await controller.new_chat()
    assert controller.conversation_id is None
    conversation_id = store.latest_conversation_id()
    assert conversation_id is not None
    await controller.open(conversation_id)
    assert controller.settings.model == "claude-sonnet-4-6" and len(controller.messages) == 4


async def test_compare_in_an_open_chat_sends_its_history(
    controller: ConversationController, gw: FakeGateway, store: Store
) -> None:
    await controller.send("first question")
    comparison = start_compare(controller, MODELS[1:], "second question")
    await comparison.wait()
    bodies = [r.json for r in gw.requests if r.json is not None and r.method == "POST"][-2:]
    assert all("first question" in str(b) and "second question" in str(b) for b in bodies)
    comparison.keep(0)
    assert controller.conversation_id is not None
    assert len(store.load_conversation(controller.conversation_id).messages) == 4


async def test_credits_become_exact_once_the_usage_records_match(
    controller: ConversationController, client: GatewayClient
) -> None:
    comparison = start_compare(controller, MODELS, "how much?")
    await comparison.wait()
    page = await fetch_usage_page(client, next_id="")
    assert comparison.settle_costs(page.records) == 3
    records = {lane.record.id for lane in comparison.lanes if lane.record is not None}
    assert len(records) == 3  # each reply got its own record
    for lane in comparison.lanes:
        cost = lane.cost
        assert cost is not None and cost.exact and lane.record is not None
        assert lane.record.model == lane.model
    assert comparison.settle_costs(page.records) == 0


async def test_keep_is_refused_while_the_lane_streams(
    controller: ConversationController, client: GatewayClient
) -> None:
    held = Held(client, {"gpt-5.4"})
    comparison = start_compare(controller, MODELS[:2], "hello", stream_fn=held)
    await held.first_text["gpt-5.4"].wait()
    with pytest.raises(InputError, match="still replying"):
        comparison.keep(0)
    held.release.set()
    await comparison.wait()
    assert comparison.keep(0).status == "complete"


@pytest.mark.parametrize(
    ("models", "message"),
    [
        (["gpt-5.4"], "2 to 4 models"),
        (["gpt-5.4"] * 2, "named twice"),
        (MODELS + ["o3", "gpt-4.1"], "2 to 4 models"),
        (["gpt-5.4", " "], "empty"),
    ],
)
async def test_bad_model_lists_are_refused_before_anything_is_sent(
    controller: ConversationController, gw: FakeGateway, models: list[str], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        start_compare(controller, models, "hi")
    with pytest.raises(InputError, match="empty"):
        start_compare(controller, MODELS, "  ")
    assert not [r for r in gw.requests if r.method == "POST"]


async def test_compare_is_refused_while_a_turn_streams(
    controller: ConversationController, gw: FakeGateway
) -> None:
    gw.faults.delta_delay = 0.01
    turn = controller.send("long one")
    with pytest.raises(TurnBusy):
        start_compare(controller, MODELS, "hi")
    await controller.cancel()
    assert turn.done()
