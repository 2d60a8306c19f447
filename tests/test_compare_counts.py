"""A comparison's replies all stay in the chat (as versions), so the chat's total is what it cost.

Headless, over the demo gateway on 127.0.0.1: keep one (the others become its
versions), close with none kept (set aside as a version of the next prompt, in a
saved chat at once, in an unsaved one when it is saved), and the usage records
matching every one of them, after a restart too.
"""

from __future__ import annotations

import time

import pytest

from liaobots_tui.api.account import UsageRecord, fetch_usage_page
from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.chat import ChatSession
from liaobots_tui.conversations import ConversationController, ConversationSettings
from liaobots_tui.conversations.compare import Comparison, start_compare
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.errors import InputError
from liaobots_tui.store import MessageRecord, Store, Version
from liaobots_tui.usage_stats import ReplyCost, reply_cost, sum_costs

AUTH = "compare-counts-code"
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


async def compared(controller: ConversationController, models: list[str], prompt: str) -> Comparison:
    comparison = start_compare(controller, models, prompt)
    await comparison.wait()
    return comparison


def replies(controller: ConversationController) -> list[MessageRecord]:
    """Every reply the open chat was charged for: shown and set aside."""
    shown = [m for m in controller.messages if m.role == "assistant"]
    return shown + controller.replies_set_aside()


async def charged_since(client: GatewayClient, start: float) -> list[UsageRecord]:
    """The usage records the gateway wrote from ``start`` (Unix seconds) on: what this test was charged."""
    records = (await fetch_usage_page(client, next_id="")).records
    return [r for r in records if r.create_time >= (start - 1) * 1000]


async def chat_total(controller: ConversationController, client: GatewayClient) -> ReplyCost | None:
    """What the credits panel's "This chat" sums: each reply matched to its own usage record."""
    records = sorted((await fetch_usage_page(client, next_id="")).records, key=lambda r: r.create_time)
    taken: set[int | str] = set()
    costs = []
    for reply in sorted(replies(controller), key=lambda r: r.ended_at or r.created_at):
        cost = reply_cost(records, reply, reply.ended_at or reply.created_at, taken=taken)
        if cost is not None and cost.record is not None:
            taken.add(cost.record.id)
        costs.append(cost)
    return sum_costs(costs)


async def test_keeping_one_stores_the_others_as_its_versions_in_model_order(
    controller: ConversationController, store: Store
) -> None:
    comparison = await compared(controller, MODELS, "which is best?")
    kept = comparison.keep(1)
    assert controller.conversation_id is not None
    chosen = store.load_conversation(controller.conversation_id).messages
    assert [(m.role, m.model) for m in chosen] == [("user", None), ("assistant", "claude-sonnet-4-6")]
    assert kept.id is not None and controller.versions == {kept.id: Version(2, 3)}
    aside = controller.replies_set_aside()
    assert [m.model for m in aside] == [MODELS[0], MODELS[2]]
    assert all(lane.reply.id is not None for lane in comparison.lanes)  # every lane holds its stored record
    # ‹ goes to the first model's reply; the next turn would send that one.
    shown = controller.choose_version(kept.id, -1)
    assert shown is not None and shown[-1].model == "gpt-5.4"
    assert shown[-1].text == comparison.lanes[0].reply.text
    assert controller.choose_version(shown[-1].id or 0, -1) is None  # the first already
    shown = controller.choose_version(shown[-1].id or 0, 1)
    assert shown is not None and shown[-1].id == kept.id


async def test_the_chat_total_is_what_the_comparison_cost_and_stays_exact_after_a_restart(
    controller: ConversationController, store: Store, client: GatewayClient
) -> None:
    start = time.time()
    await controller.send("a first question")
    comparison = await compared(controller, MODELS, "and a second one")
    comparison.keep(2)
    records = await charged_since(client, start)
    assert len(records) == 4  # the first turn and three compared replies, each charged
    total = await chat_total(controller, client)
    assert total is not None and total.exact
    assert total.credits == pytest.approx(sum(r.price for r in records))
    # A restart: a new controller opens the chat from the store; every reply still matches a record.
    assert controller.conversation_id is not None
    reopened = new_controller(store, client)
    await reopened.open(controller.conversation_id)
    assert len(replies(reopened)) == 4
    again = await chat_total(reopened, client)
    assert again is not None and again.exact and again.credits == pytest.approx(total.credits)


async def test_a_model_that_sent_nothing_leaves_no_empty_version(
    controller: ConversationController,
) -> None:
    comparison = await compared(controller, ["gpt-5.4", "gpt-no-such-model", "claude-sonnet-4-6"], "hi")
    assert comparison.lanes[1].reply.status == "failed" and not comparison.lanes[1].reply.parts
    kept = comparison.keep(0)
    assert kept.id is not None and controller.versions == {kept.id: Version(1, 2)}
    assert [m.model for m in controller.replies_set_aside()] == ["claude-sonnet-4-6"]
    assert comparison.lanes[1].reply.id is None


async def test_closed_with_none_kept_in_a_saved_chat_counts_at_once_and_shows_before_the_next_prompt(
    controller: ConversationController, store: Store, client: GatewayClient
) -> None:
    start = time.time()
    await controller.send("first")
    before = list(controller.messages)
    comparison = await compared(controller, MODELS[:2], "second?")
    assert comparison.keep_none() == 2
    assert controller.messages == before and controller.versions == {}  # the chat shows what it did
    assert controller.conversation_id is not None
    assert store.load_conversation(controller.conversation_id).messages == tuple(before)
    assert [m.model for m in controller.replies_set_aside()] == MODELS[:2]
    total = await chat_total(controller, client)
    assert total is not None and total.exact
    assert total.credits == pytest.approx(sum(r.price for r in await charged_since(client, start)))
    with pytest.raises(InputError, match="no reply kept"):
        comparison.keep(0)
    # The next prompt sent is a new version of the compared one: ‹ shows the comparison's replies.
    reply = await controller.send("second, asked again")
    assert reply is not None and reply.status == "complete"
    prompt = controller.messages[-2]
    assert prompt.id is not None and controller.versions[prompt.id] == Version(2, 2)
    shown = controller.choose_version(prompt.id, -1)
    assert shown is not None and shown[-2].text == "second?" and shown[-1].model == MODELS[0]
    assert len(shown) == 4 and len(replies(controller)) == 4


async def test_a_set_aside_comparison_is_not_walked_into_when_an_earlier_version_is_chosen(
    controller: ConversationController,
) -> None:
    await controller.send("first")
    first_reply = controller.messages[-1]
    (await compared(controller, MODELS[1:], "compared, none kept")).keep_none()
    await controller.regenerate()
    assert controller.messages[-1].id != first_reply.id
    assert first_reply.id is not None
    shown = controller.choose_version(controller.messages[-1].id or 0, -1)
    # Back to the first reply: the chat ends there, as it was left; the comparison is not shown.
    assert shown is not None and [m.id for m in shown] == [controller.messages[0].id, first_reply.id]


async def test_closed_with_none_kept_in_a_new_chat_is_stored_when_the_chat_is_saved(
    controller: ConversationController, store: Store
) -> None:
    comparison = await compared(controller, MODELS[:2], "compare first")
    assert comparison.keep_none() == 2
    assert controller.conversation_id is None and store.count_conversations() == 0
    reply = await controller.send("compare first")
    assert reply is not None and controller.conversation_id is not None
    assert [m.model for m in controller.replies_set_aside()] == MODELS[:2]
    prompt = controller.messages[0]
    assert prompt.id is not None and controller.versions == {prompt.id: Version(2, 2)}
    assert controller.title == "compare first"


async def test_a_new_chat_left_unsaved_drops_what_was_set_aside(
    controller: ConversationController, store: Store
) -> None:
    (await compared(controller, MODELS[:2], "never sent")).keep_none()
    assert len(controller.set_aside_pending) == 1
    await controller.new_chat()
    assert controller.set_aside_pending == []
    await controller.send("something else")
    assert controller.replies_set_aside() == []


async def test_a_second_comparison_kept_in_a_new_chat_stores_the_first_as_a_version_too(
    controller: ConversationController,
) -> None:
    (await compared(controller, MODELS[:2], "round one")).keep_none()
    kept = (await compared(controller, MODELS[1:], "round two")).keep(0)
    assert kept.model == MODELS[1] and controller.conversation_id is not None
    assert [m.model for m in controller.replies_set_aside()] == [*MODELS[:2], MODELS[2]]
    prompt = controller.messages[0]
    assert prompt.id is not None and controller.versions[prompt.id] == Version(2, 2)
    assert controller.title == "round two"


async def test_a_chat_holding_set_aside_replies_is_not_dropped_when_its_only_turn_fails(
    controller: ConversationController, store: Store, gw: FakeGateway
) -> None:
    (await compared(controller, MODELS[:2], "compared first")).keep_none()
    gw.faults.out_of_credit = True
    reply = await controller.send("then this fails")
    assert reply is not None and reply.status == "failed" and not reply.parts
    assert controller.discard_if_never_answered() is False  # the compared replies were charged
    assert controller.conversation_id is not None and len(controller.replies_set_aside()) == 2
