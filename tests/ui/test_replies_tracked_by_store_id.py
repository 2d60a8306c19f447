"""The credits panel tells replies apart by their store id, never by object identity.

Records are values: the final record of a reply is a new object with the same
``id`` as the placeholder shown while it streamed. The panel must count it once,
in place of that placeholder; two replies with the same text are still two.
"""

from __future__ import annotations

from liaobots_tui.api.account import Credits, UsageRecord
from liaobots_tui.api.messages import Message, TextPart, Usage
from liaobots_tui.store import MessageRecord
from liaobots_tui.ui.widgets.credits_panel import CreditsPanel
from tests.ui.test_credits_panel import Clock, FakeAccount, Host, settle, text_of


def reply_record(clock: Clock, message_id: int, **changes: object) -> MessageRecord:
    message = Message("assistant", [TextPart("same words")], model="gpt-5.4", usage=Usage(800, 400))
    record = MessageRecord(message, id=message_id, created_at=clock.now - 9)
    return record.revised(**changes) if changes else record


async def test_a_final_reply_replaces_its_streaming_placeholder_by_id() -> None:
    clock = Clock()
    ms = int(clock.now * 1000)
    charged = UsageRecord(7, "gpt-5.4", 1200, 800, 400, 0, 0, 0.125, ms)
    account = FakeAccount([Credits(80.0, 100.0)], records=[charged])
    app = Host(CreditsPanel(account.fetch, account.page, 5.0, clock=clock))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        prompt = MessageRecord(Message("user", [TextPart("hi")]), id=1, created_at=clock.now - 10)
        placeholder = MessageRecord(
            Message("assistant", model="gpt-5.4"), id=2, status="streaming", created_at=clock.now - 9
        )
        final = reply_record(clock, 2)  # ended_at None: the panel stamps it "now"
        # The list still holds the placeholder (an equal-by-value match is impossible: it changed).
        app.panel.reply_finished(final, [prompt, placeholder])
        await settle(pilot)
        assert text_of(app, "#credits-last") == "Last reply: 0.125"
        # Counted once, as the final reply: not the placeholder and the reply side by side.
        assert text_of(app, "#credits-chat") == "This chat: 0.125"


async def test_two_replies_with_the_same_words_are_two_replies() -> None:
    clock = Clock()
    ms = int(clock.now * 1000)
    account = FakeAccount(
        [Credits(80.0, 100.0)],
        records=[
            UsageRecord(8, "gpt-5.4", 1200, 800, 400, 0, 0, 0.25, ms),
            UsageRecord(7, "gpt-5.4", 1200, 800, 400, 0, 0, 0.125, ms - 2000),
        ],
    )
    app = Host(CreditsPanel(account.fetch, account.page, 5.0, clock=clock))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        prompt = MessageRecord(Message("user", [TextPart("hi")]), id=1, created_at=clock.now - 10)
        first = MessageRecord(
            reply_record(clock, 2).message, id=2, created_at=clock.now - 9, ended_at=clock.now - 2
        )
        second = MessageRecord(first.message, id=4, created_at=clock.now - 9, ended_at=clock.now)
        assert first.message == second.message
        app.panel.reply_finished(second, [prompt, first, prompt, second])
        await settle(pilot)
        assert text_of(app, "#credits-last") == "Last reply: 0.25"
        assert text_of(app, "#credits-chat") == "This chat: 0.375"
