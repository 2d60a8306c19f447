"""CreditsPanel in a tiny host app: balance, loading, failure with age, retry, low balance, reply costs.

The first group drives the panel with plain async callables gated by events; the
last group goes through the fake gateway, a real GatewayClient and api/account.py.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import pytest
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.pilot import Pilot
from textual.widgets import ProgressBar, Static

from liaobots_tui.api.account import Credits, UsagePage, UsageRecord, fetch_credits, fetch_usage_page
from liaobots_tui.api.messages import (
    Conversation,
    Message,
    RequestOptions,
    TextPart,
    Usage,
    UsageEvent,
)
from liaobots_tui.api.registry import get_adapter
from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.errors import NetworkError
from liaobots_tui.store import MessageRecord
from liaobots_tui.ui.widgets.credits_panel import CreditsPanel, age_text
from tests.ui import driving

pytestmark = pytest.mark.ui


class Host(App[None]):
    """The app's layout in miniature: a chat area and the ``#sidebar`` the panel goes into."""

    CSS = "#chat { width: 1fr; } #sidebar { width: auto; }"

    def __init__(self, panel: CreditsPanel) -> None:
        super().__init__()
        self.panel = panel

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static("chat", id="chat")
            with Vertical(id="sidebar"):
                yield self.panel


@dataclass
class FakeAccount:
    """Scripted credits endpoint: a queue of results, each optionally held until released."""

    results: list[Credits | Exception] = field(default_factory=list)
    gate: asyncio.Event | None = None
    calls: int = 0
    records: list[UsageRecord] = field(default_factory=list)

    async def fetch(self) -> Credits:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        result = self.results.pop(0) if len(self.results) > 1 else self.results[0]
        if isinstance(result, Exception):
            raise result
        return result

    async def page(self, next_id: str) -> UsagePage:
        return UsagePage(list(self.records), "")


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def settle(pilot: Pilot[None]) -> None:
    await driving.settle(pilot.app, pilot)


def text_of(app: App[None], selector: str) -> str:
    return str(app.query_one(selector, Static).content)


@pytest.mark.parametrize(
    ("seconds", "text"), [(5, "just now"), (185, "3 min ago"), (7300, "2 h ago"), (90000, "1 d ago")]
)
def test_age_text(seconds: float, text: str) -> None:
    assert age_text(seconds) == text


async def test_balance_received_and_bar_are_shown_on_mount() -> None:
    account = FakeAccount([Credits(85.5, 100.0)])
    app = Host(CreditsPanel(account.fetch, None, 5.0))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert text_of(app, "#credits-balance") == "85.50 left"
        assert text_of(app, "#credits-received") == "of 100.00 received"
        bar = app.query_one("#credits-left", ProgressBar)
        assert (bar.total, bar.progress) == (100.0, 85.5)
        assert app.panel.status_text == "updated just now"
        assert app.panel.parent is app.query_one("#sidebar")


async def test_loading_state_while_fetching() -> None:
    account = FakeAccount([Credits(85.5, 100.0)], gate=asyncio.Event())
    app = Host(CreditsPanel(account.fetch, None, 5.0))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.panel.status_text == "refreshing…"
        assert app.panel.query_one("#credits-status").has_class("-loading")
        assert app.panel.balance_text == "—"
        assert account.gate is not None
        account.gate.set()
        await settle(pilot)
        assert not app.panel.query_one("#credits-status").has_class("-loading")
        assert app.panel.balance_text == "85.50 left"


async def test_failure_keeps_the_last_value_with_its_age_and_r_retries() -> None:
    clock = Clock()
    account = FakeAccount([Credits(85.5, 100.0)])
    app = Host(CreditsPanel(account.fetch, None, 5.0, clock=clock))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        clock.now += 185
        account.results = [NetworkError("connection refused by 127.0.0.1")]
        app.panel.refresh_credits()
        await settle(pilot)
        assert app.panel.status_text == (
            "couldn't refresh: Network error: connection refused by 127.0.0.1 · retry (r)\n"
            "last value updated 3 min ago"
        )
        assert app.panel.query_one("#credits-status").has_class("-error")
        assert app.panel.balance_text == "85.50 left"
        app.panel.focus()
        account.results = [Credits(80.0, 100.0)]
        await pilot.press("r")
        await settle(pilot)
        assert app.panel.status_text == "updated just now"
        assert not app.panel.query_one("#credits-status").has_class("-error")
        assert app.panel.balance_text == "80.00 left"


async def test_clicking_the_status_line_retries_after_a_failure() -> None:
    account = FakeAccount([RuntimeError("boom")])
    app = Host(CreditsPanel(account.fetch, None, 5.0))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.panel.status_text == "couldn't refresh: RuntimeError: boom · retry (r)"
        account.results = [Credits(1.5, 0.0)]
        await pilot.click("#credits-status")
        await settle(pilot)
        assert app.panel.balance_text == "1.50 left"
        # No total received: no "of … received" line and no bar.
        assert text_of(app, "#credits-received") == ""
        assert app.query_one("#credits-left", ProgressBar).display is False


async def test_low_balance_is_highlighted_and_announced_once_per_drop() -> None:
    account = FakeAccount([Credits(3.0, 100.0)])
    app = Host(CreditsPanel(account.fetch, None, 5.0))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        assert app.panel.has_class("-low")
        messages = [n.message for n in app._notifications]
        assert messages == ["3.00 credits left (below 5.00)."]
        app.panel.refresh_credits()
        await settle(pilot)
        assert len(app._notifications) == 1
        account.results = [Credits(50.0, 150.0)]
        app.panel.refresh_credits()
        await settle(pilot)
        assert not app.panel.has_class("-low")
        account.results = [Credits(2.0, 150.0)]
        app.panel.refresh_credits()
        await settle(pilot)
        assert [n.message for n in app._notifications][-1] == "2.00 credits left (below 5.00)."
        assert len(app._notifications) == 2


async def test_reply_cost_is_an_estimate_until_its_usage_record_is_found() -> None:
    clock = Clock()
    account = FakeAccount([Credits(85.5, 100.0)])
    app = Host(CreditsPanel(account.fetch, account.page, 5.0, clock=clock))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert text_of(app, "#credits-last") == "Last reply: —"
        user = MessageRecord(Message("user", [TextPart("hi")]), id=1, created_at=clock.now - 10)
        first = MessageRecord(
            Message("assistant", [TextPart("a")], model="gpt-5.4", usage=Usage(800, 400)),
            id=2,
            created_at=clock.now - 9,
        )
        app.panel.reply_finished(first, [user, first])
        await settle(pilot)
        # The gateway has no record yet: the estimate, labelled as such.
        assert text_of(app, "#credits-last") == "Last reply: ≈ 0.12 estimate"
        assert text_of(app, "#credits-chat") == "This chat: ≈ 0.12 estimate"
        ms = int(clock.now * 1000)
        account.records = [UsageRecord(7, "gpt-5.4", 1200, 800, 400, 0, 0, 0.125, ms + 1500)]
        clock.now += 60
        second = MessageRecord(
            Message("assistant", [TextPart("b")], model="gpt-5.4", usage=Usage(100, 100)),
            id=4,
            created_at=clock.now - 5,
        )
        account.records.insert(0, UsageRecord(8, "gpt-5.4", 200, 100, 100, 0, 0, 0.025, ms + 60_500))
        app.panel.reply_finished(second, [user, first, user, second])
        await settle(pilot)
        assert text_of(app, "#credits-last") == "Last reply: 0.025"
        assert text_of(app, "#credits-chat") == "This chat: 0.15"
        # Opening another conversation recomputes from the records already fetched.
        app.panel.set_conversation([user, first])
        assert text_of(app, "#credits-last") == "Last reply: 0.125"
        assert text_of(app, "#credits-chat") == "This chat: 0.125"
        app.panel.set_conversation([])
        assert text_of(app, "#credits-chat") == "This chat: —"


# ---------------------------------------------------------------- through the fake gateway


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    with FakeGateway(auth_code="sk-test-credits-0000", balance=42.0, usage_records_seed=30) as gw:
        yield gw


@pytest.fixture
async def client(gateway: FakeGateway) -> AsyncIterator[GatewayClient]:
    async with GatewayClient(gateway.urls, "sk-test-credits-0000") as c:
        yield c


def panel_for(client: GatewayClient, low_balance: float = 5.0) -> CreditsPanel:
    return CreditsPanel(
        lambda: fetch_credits(client),
        lambda next_id: fetch_usage_page(client, page_size=10, next_id=next_id),
        low_balance,
    )


async def chat_once(client: GatewayClient, model: str, prompt: str) -> tuple[MessageRecord, MessageRecord]:
    """One real reply from the fake gateway (the way ChatSession drives the transport)."""
    user = Message("user", [TextPart(prompt)])
    reply = MessageRecord(Message("assistant", model=model, format="openai"), id=2, created_at=time.time())
    adapter = get_adapter("openai")
    parser = adapter.new_parser()
    async for event in client.stream_reply(adapter, Conversation([user]), RequestOptions(model), parser):
        if isinstance(event, UsageEvent):
            reply = reply.revised(usage=event.usage)
    return MessageRecord(user, id=1), reply.revised(parts=parser.parts())


async def test_gateway_balance_is_shown_and_drops_after_a_reply(
    gateway: FakeGateway, client: GatewayClient
) -> None:
    app = Host(panel_for(client))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.panel.balance_text == "42.00 left"
        assert app.panel.credits == Credits(42.0, gateway.amount)
        user, reply = await chat_once(client, "gpt-5.4", "Say hello")
        charged = gateway.usage_records[0]
        assert charged["model"] == "gpt-5.4"
        app.panel.reply_finished(reply, [user, reply])
        await settle(pilot)
        assert app.panel.credits is not None
        assert app.panel.credits.balance == gateway.balance == round(42.0 - charged["price"], 6)
        assert app.panel.balance_text == f"{gateway.balance:,.2f} left"
        # The cost is the gateway's own record, matched by model and time: exact, no "≈".
        assert app.panel.last_cost is not None
        assert app.panel.last_cost.exact
        assert app.panel.last_cost.credits == charged["price"]
        assert app.panel.last_cost.record is not None
        assert app.panel.last_cost.record.id == charged["id"]


async def test_gateway_refresh_failure_is_shown_and_recovers(
    gateway: FakeGateway, client: GatewayClient
) -> None:
    clock = Clock(time.time())
    panel = CreditsPanel(lambda: fetch_credits(client), None, 5.0, clock=clock)
    app = Host(panel)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert panel.balance_text == "42.00 left"
        gateway.faults.dead_domains = {0, 1, 2, 3}
        gateway.balance = 40.0
        clock.now += 120
        panel.refresh_credits()
        await settle(pilot)
        assert panel.error is not None
        assert panel.status_text.startswith("couldn't refresh: ")
        assert panel.status_text.endswith(" · retry (r)\nlast value updated 2 min ago")
        assert "sk-test-credits-0000" not in panel.status_text
        assert panel.balance_text == "42.00 left"
        gateway.faults.dead_domains = set()
        panel.focus()
        await pilot.press("r")
        await settle(pilot)
        assert panel.error is None
        assert panel.status_text == "updated just now"
        assert panel.balance_text == "40.00 left"
