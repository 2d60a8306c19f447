"""Compare's lanes send their requests in loop turns of their own, not all in one.

Building and sending a request costs 15-20 ms of CPU: three at once made the opening of a
loaded comparison one of its longest stalls. Each lane starts a loop turn after the one
before it, and every lane still streams and completes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from liaobots_tui.api.base import ReplyParser
from liaobots_tui.api.messages import Conversation, Format, RequestOptions, StreamEvent
from liaobots_tui.api.registry import get_adapter
from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.chat import ChatSession
from liaobots_tui.conversations import ConversationController, ConversationSettings
from liaobots_tui.conversations.compare import start_compare
from liaobots_tui.store import Store

MODELS = ["gpt-5.4", "claude-sonnet-4-6", "gemini-3-pro-preview"]


@pytest.fixture
def auth_code() -> str:
    return "compare-apart-code"


class LoopTurns:
    """Counts the event loop's turns: a callback that schedules itself for the next turn."""

    def __init__(self) -> None:
        self.count = 0
        self._loop = asyncio.get_running_loop()
        self._running = True
        self._loop.call_soon(self._tick)

    def _tick(self) -> None:
        self.count += 1
        if self._running:
            self._loop.call_soon(self._tick)

    def stop(self) -> None:
        self._running = False


async def test_each_lane_sends_its_request_in_a_loop_turn_of_its_own(
    store: Store, client: GatewayClient
) -> None:
    session = ChatSession(client, store)
    controller = ConversationController(
        store, lambda: session, ConversationSettings(model="gpt-5.4"), client=lambda: client
    )
    turns = LoopTurns()
    started: dict[str, int] = {}

    async def recorded(
        fmt: Format, conversation: Conversation, options: RequestOptions, parser: ReplyParser
    ) -> AsyncIterator[StreamEvent]:
        started[options.model] = turns.count  # the request is built and sent from here on
        async for event in client.stream_reply(get_adapter(fmt), conversation, options, parser):
            yield event

    try:
        replies = await start_compare(controller, MODELS, "hello", stream_fn=recorded).wait()
    finally:
        turns.stop()
    assert [reply.status for reply in replies] == ["complete"] * 3, [reply.error for reply in replies]
    assert [reply.model for reply in replies] == MODELS
    # In the order the models were given, each in a later loop turn than the one before.
    assert started[MODELS[0]] < started[MODELS[1]] < started[MODELS[2]], started
