"""Pilot tests of issue 10's remaining everyday items in the app: reply lines, chat costs that
match the usage records, streaming feedback, prompt history across chats, low balance in words,
the delete dialog, remembered sidebars, the chats list's dates, themes and the usage table's keys."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from liaobots_tui.api.messages import Message, RetryEvent, TextDelta, TextPart
from liaobots_tui.config import load_settings
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.store import Store
from liaobots_tui.ui.app import LiaobotsApp
from liaobots_tui.ui.screens.dialogs import ConfirmModal
from liaobots_tui.ui.widgets.message_box import MessageBox
from tests.ui.conftest import (
    SIZE,
    AppFactory,
    ScriptedSession,
    demo_settings,
    offline_client,
    offline_settings,
)
from tests.ui.driving import chat, settle, type_text, until

# Replies here are incidental to what is checked: cut short (tests/ui/conftest.py, short_replies).
pytestmark = [pytest.mark.ui, pytest.mark.usefixtures("short_replies")]


async def send(app: LiaobotsApp, pilot: object, text: str) -> None:
    await type_text(pilot, text)
    await pilot.press("enter")  # type: ignore[attr-defined]
    await settle(app, pilot)


def replies(app: LiaobotsApp) -> list[MessageBox]:
    return [box for box in chat(app).view.boxes() if box.message.role == "assistant"]


def charged_since(gateway: FakeGateway, newest_seed_id: int) -> float:
    return round(sum(r["price"] for r in gateway.usage_records if r["id"] > newest_seed_id), 6)


def seed_conversation(store: Store, count: int, *, title: str = "Long one") -> int:
    conversation_id = store.create_conversation(title=title)
    for i in range(count):
        role = "user" if i % 2 == 0 else "assistant"
        text = f"Message {i}: " + " ".join(["lorem ipsum"] * 30)
        model = "gpt-5.4" if role == "assistant" else None
        store.add_message(conversation_id, Message(role, [TextPart(text)], model=model))
    return conversation_id


# ---------------------------------------------------------------- costs: the sum is the records'


async def test_chat_cost_equals_its_usage_records_across_versions_and_a_restart(
    gateway: FakeGateway, tmp_path: Path
) -> None:
    """Two replies and a regenerate cost three records; the chat total is their sum, exact, and it
    is still exact after a restart without asking for a refresh (issue 10: "≈ 24.59" looked
    double-counted, and estimates stayed estimates until alt+r)."""
    db, images = tmp_path / "history.sqlite3", tmp_path / "img"
    settings = demo_settings(gateway)
    seed_id = gateway.usage_records[0]["id"]
    with Store(db, images) as store:
        app = LiaobotsApp(settings, store=store, config_path=tmp_path / "c.toml")
        async with app.run_test(size=SIZE) as pilot:
            await send(app, pilot, "write a long story")
            await send(app, pilot, "and another one")
            await pilot.press("ctrl+r")
            await settle(app, pilot)
            panel = chat(app).credits
            await until(pilot, lambda: panel.conversation_cost is not None and panel.conversation_cost.exact)
            assert panel.conversation_cost is not None
            assert panel.conversation_cost.credits == charged_since(gateway, seed_id)
            shown = str(panel.query_one("#credits-chat").content)
            assert "3 replies charged, 1 not shown (other versions)" in shown

    records_before = len(gateway.usage_records)
    with Store(db, images) as store:
        app = LiaobotsApp(settings, store=store, config_path=tmp_path / "c.toml")
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            panel = chat(app).credits
            await until(pilot, lambda: panel.conversation_cost is not None and panel.conversation_cost.exact)
            assert panel.conversation_cost is not None
            assert panel.conversation_cost.credits == charged_since(gateway, seed_id)
            assert len(gateway.usage_records) == records_before  # nothing was charged again
            # The line under each reply says the exact cost (no ≈) once the records matched.
            await until(pilot, lambda: all("≈" not in b.reply_line_text for b in replies(app)))
            lines = [b.reply_line_text for b in replies(app)]
            assert len(lines) == 2 and all(line.endswith(" credits") for line in lines)


# ---------------------------------------------------------------- the line under each reply


async def test_each_reply_has_a_line_with_tokens_time_and_credits(
    gateway: FakeGateway, make_app: AppFactory, store: Store
) -> None:
    """First, a low balance is said in words in the sidebar (was
    test_low_balance_is_said_in_words_in_the_sidebar, its own boot)."""
    gateway.balance = 3.2
    app = make_app(demo_settings(gateway, low_balance=5.0))
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        panel = chat(app).credits
        await until(pilot, lambda: panel.credits is not None, "the balance")
        await settle(app, pilot)
        low = panel.query_one("#credits-low")
        assert low.display and str(low.render()) == "Low balance: 3.20 credits left"
        assert [n.title for n in app._notifications].count("Low balance") == 1
        gateway.balance = 50.0
        panel.refresh_credits()
        await settle(app, pilot)
        assert not low.display

        await send(app, pilot, "hello")
        (box,) = replies(app)
        record = gateway.usage_records[0]
        await until(pilot, lambda: "≈" not in box.reply_line_text and "credits" in box.reply_line_text)
        line = box.reply_line_text
        assert line.startswith(f"{record['input_tokens']:,} in · {record['output_tokens']:,} out")
        assert " s · " in line and line.endswith(" credits")
        shown = box.query_one(".reply-line")
        assert shown.display and str(shown.render()) == line
        # It fits on one row at 100 columns with the credits sidebar open.
        assert shown.size.height == 1
        # The prompt has none.
        assert chat(app).view.boxes()[0].reply_line_text == ""


# ---------------------------------------------------------------- streaming feedback


class FakeClock:
    """The streaming notices' clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def scripted(
    make_app: AppFactory, store: Store, script: list[Any], **kwargs: Any
) -> tuple[LiaobotsApp, ScriptedSession]:
    session = ScriptedSession(
        store, script, gate=kwargs.pop("gate", None), hold_after=kwargs.pop("hold_after", 0)
    )
    settings = kwargs.pop("settings", None) or offline_settings()
    app = make_app(settings, client_factory=offline_client, session_factory=lambda c, s: session, **kwargs)
    return app, session


async def start_held(app: LiaobotsApp, pilot: Any, session: ScriptedSession, clock: FakeClock) -> None:
    chat(app).turn.feedback.clock = clock
    chat(app).prompt.load_text("go")
    await pilot.press("enter")
    await session.reached_gate.wait()
    await pilot.pause()


async def test_a_stalled_stream_says_so_before_the_read_timeout(make_app: AppFactory, store: Store) -> None:
    gate, clock = asyncio.Event(), FakeClock()
    app, session = scripted(make_app, store, [TextDelta("start "), TextDelta("end")], gate=gate, hold_after=1)
    async with app.run_test(size=SIZE) as pilot:
        await start_held(app, pilot, session, clock)
        screen = chat(app)
        reply = screen.view.boxes()[1]
        clock.now += 9
        screen.turn.tick()
        assert screen.status.notice == ""  # a pause is not a stall yet
        clock.now += 3
        screen.turn.tick()
        expected = "no data for 12 s (gives up after 120 s) · esc stops"
        assert screen.status.notice == expected
        assert str(reply.query_one(".notice").render()) == expected
        gate.set()  # data again: the notice goes
        await settle(app, pilot)
        assert screen.status.notice == "" and not reply.query_children(".notice")  # gone, not hidden

        # A retry wait counts down (was test_a_retry_wait_counts_down, its own boot).
        gate = session.gate = asyncio.Event()
        session.reached_gate = asyncio.Event()
        session.script = [RetryEvent(3.0, 2, "Rate limited"), TextDelta("ok")]
        await start_held(app, pilot, session, clock)
        notice = screen.view.boxes()[-1].query_one(".notice")
        assert str(notice.render()) == "Rate limited, retrying in 3 s (attempt 2)"
        clock.now += 1.2
        screen.turn.tick()
        assert str(notice.render()) == "Rate limited, retrying in 2 s (attempt 2)"
        clock.now += 1.0
        screen.turn.tick()
        assert screen.status.notice == "Rate limited, retrying in 1 s (attempt 2)"
        clock.now += 1.0  # the wait is over; the request is out again
        screen.turn.tick()
        assert screen.status.notice == ""
        gate.set()
        await settle(app, pilot)


# ---------------------------------------------------------------- ↑ walks every chat's prompts


def test_stored_prompts_come_newest_first_each_once(store: Store) -> None:
    first = store.create_conversation(title="one")
    second = store.create_conversation(title="two")
    for conversation_id, text in [(first, "alpha"), (second, "beta"), (first, "gamma"), (second, "alpha")]:
        store.add_message(conversation_id, Message("user", [TextPart(text)]))
        store.add_message(conversation_id, Message("assistant", [TextPart("reply to " + text)], model="m"))
    assert store.recent_prompts() == ["alpha", "gamma", "beta"]
    assert store.recent_prompts(limit=2) == ["alpha", "gamma"]


async def test_up_in_the_prompt_recalls_prompts_from_every_chat(make_app: AppFactory, store: Store) -> None:
    older = store.create_conversation(title="older chat")
    store.add_message(older, Message("user", [TextPart("from the older chat")]))
    newer = store.create_conversation(title="newer chat")
    store.add_message(newer, Message("user", [TextPart("from the newer chat")]))
    store.add_message(newer, Message("user", [TextPart("from the older chat")]))  # sent again: newest
    app, _session = scripted(make_app, store, [TextDelta("ok")])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = chat(app)
        await screen.action_new_chat()  # a new, empty chat: ↑ still finds what was typed elsewhere
        await settle(app, pilot)
        prompt = screen.prompt
        prompt.focus()
        prompt.load_text("draft")
        await pilot.press("up")
        assert prompt.text == "from the older chat"
        await pilot.press("up")
        assert prompt.text == "from the newer chat"
        await pilot.press("up")
        assert prompt.text == "from the newer chat"  # the oldest: stays
        await pilot.press("down", "down")
        assert prompt.text == "draft"
        # What is sent now is the newest entry, in whichever chat.
        prompt.load_text("a brand new question")
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("up")
        assert prompt.text == "a brand new question"


# ---------------------------------------------------------------- low balance in words


# ---------------------------------------------------------------- delete lands on the next chat


async def test_deleting_the_open_chat_lands_on_the_next_one(make_app: AppFactory, store: Store) -> None:
    ids = [
        seed_conversation(store, 2, title=f"Chat {n}") for n in (1, 2, 3)
    ]  # Chat 3 is newest, listed first
    app, _session = scripted(make_app, store, [])
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        screen = chat(app)
        await screen.open_conversation(ids[1])  # the middle one
        await settle(app, pilot)
        screen.action_delete_conversation()
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal) and app.screen.focused is not None)
        dialog = app.screen
        assert isinstance(dialog, ConfirmModal)
        assert dialog.title_text == f"Delete “Chat 2” (chat {ids[1]})?"
        assert dialog.focused is dialog.query_one("#cancel")
        await pilot.press("y")
        await until(pilot, lambda: screen.conversation_id == ids[0], "the chat below to open")
        await settle(app, pilot)
        assert screen.conversation_title == "Chat 1"
        assert [b.message.text.split(":")[0] for b in screen.view.boxes()] == ["Message 0", "Message 1"]
        assert screen.chats.ids == [ids[2], ids[0]]
        # The last one in the list goes: the one above it opens.
        screen.action_delete_conversation()
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await until(pilot, lambda: screen.conversation_id == ids[2], "the chat above to open")
        # The only one left goes: an empty new chat.
        screen.action_delete_conversation()
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await until(pilot, lambda: screen.conversation_id is None and not screen.chats.ids, "no chat left")


# ---------------------------------------------------------------- sidebars remembered across runs


async def test_sidebars_remember_their_state_across_runs_and_still_fold_by_width(
    make_app: AppFactory, store: Store, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"

    def shown(app: LiaobotsApp) -> tuple[bool, bool]:
        screen = chat(app)
        return bool(screen.chats.display), screen.sidebar.has_class("-visible")

    app, _session = scripted(make_app, store, [], config_path=config)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        assert shown(app) == (True, True)  # wide enough for both
        await pilot.press("f10")
        await settle(app, pilot)
        assert shown(app) == (True, False)
    assert load_settings(config, env={}).show_credits is False

    settings = load_settings(config, env={})
    settings.auth_code, settings.base_urls = "test", ["https://ai.liaobots.work"]
    app, _session = scripted(make_app, store, [], config_path=config, settings=settings)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        assert shown(app) == (True, False)  # closed last time: closed now
        await pilot.press("f9", "f9")  # closed, then open again: "open" is what is remembered
        await pilot.press("f10")
        await settle(app, pilot)
        assert shown(app) == (True, True)
    saved = load_settings(config, env={})
    assert (saved.show_chats, saved.show_credits) == (True, True)

    settings = load_settings(config, env={})
    settings.auth_code, settings.base_urls = "test", ["https://ai.liaobots.work"]
    app, _session = scripted(make_app, store, [], config_path=config, settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert shown(app) == (False, True)  # open last time, but 100 columns fold the chats away


# ---------------------------------------------------------------- chats list width and dates, prose width


#: Terminal sizes and the chats list's width at each (one app, resized: each size was its own boot).
LIST_WIDTHS = [((130, 36), 32), ((170, 40), 38), ((200, 50), 44)]


async def test_the_chats_list_adapts_its_width_and_dates_its_chats(
    make_app: AppFactory, store: Store
) -> None:
    """At each of three widths, in one app resized between them; at the widest, prose is capped at a
    readable width (was test_prose_is_capped_at_a_readable_width_on_a_wide_terminal, its own boot)."""
    title = "A rather long title about planning the summer holiday in the mountains"
    conversation_id = seed_conversation(store, 2, title=title)
    app, _session = scripted(make_app, store, [])
    async with app.run_test(size=LIST_WIDTHS[0][0]) as pilot:
        await settle(app, pilot)
        chats = chat(app).chats
        for size, list_width in LIST_WIDTHS:
            if app.size != size:
                await pilot.resize_terminal(*size)
                await until(pilot, lambda w=list_width: chats.outer_size.width == w, f"the list at {size}")
                await settle(app, pilot)
            assert chats.outer_size.width == list_width, size
            (row,) = [str(chats.option_list.get_option_at_index(0).prompt)]
            first_line = row.splitlines()[0]
            # Today's chat shows its time at the right end of the title line, and the line fits the row.
            assert re.search(r" \d\d:\d\d$", first_line), size
            assert len(first_line) == list_width - 7, size
            assert first_line.startswith(title[: list_width - 7 - 8]), size
            assert chat(app).conversation_id == conversation_id

        # 200 columns: the box spans the column; its prose does not.
        user, reply = chat(app).view.boxes()
        assert reply.size.width > 110
        assert user.query_one(".user-text").size.width <= 104
        assert all(column.size.width <= 104 for column in reply.columns)


async def test_a_reply_in_another_chat_does_not_take_this_chat_s_usage_record(
    gateway: FakeGateway, make_app: AppFactory
) -> None:
    """Records are matched by model and time: a reply cancelled a minute later in a new chat (never
    charged) must not show the previous chat's charge as its own."""
    gateway.faults.stall_after = 3
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=SIZE) as pilot:
        gateway.faults.stall_after = None
        await send(app, pilot, "first chat")
        panel = chat(app).credits
        await until(pilot, lambda: panel.last_cost is not None and panel.last_cost.exact)
        await chat(app).action_new_chat()
        gateway.faults.stall_after = 2
        gateway.faults.stall_seconds = 60
        await type_text(pilot, "second chat")
        await pilot.press("enter")
        await until(pilot, lambda: bool(replies(app)) and replies(app)[-1].streamed_chars > 0, "some text")
        await pilot.press("escape")
        await settle(app, pilot)
        (cancelled,) = replies(app)
        assert cancelled.message.status == "cancelled"
        assert panel.conversation_cost is None or not panel.conversation_cost.exact
        assert "≈" in cancelled.reply_line_text or "credits" not in cancelled.reply_line_text


async def test_resizing_relabels_the_chats_list_and_keeps_it_working(
    make_app: AppFactory, store: Store
) -> None:
    older = seed_conversation(store, 2, title="Older chat with a title long enough to be cut short")
    newer = seed_conversation(store, 2, title="Newer chat")
    app, _session = scripted(make_app, store, [])
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        screen = chat(app)
        options = screen.chats.option_list
        narrow = str(options.get_option_at_index(1).prompt).splitlines()[0]
        await pilot.resize_terminal(200, 50)
        await until(pilot, lambda: screen.chats.outer_size.width == 44, "the list to widen")
        assert screen.chats.ids == [newer, older]
        wide = str(options.get_option_at_index(1).prompt).splitlines()[0]
        assert len(wide) > len(narrow) and wide.startswith("Older chat with a title long e")
        # The list still knows its chats: deleting the open one lands on the other.
        assert screen.conversation_id == newer
        screen.action_delete_conversation()
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal) and app.screen.focused is not None)
        await pilot.press("y")
        await until(pilot, lambda: screen.conversation_id == older, "the other chat to open")
