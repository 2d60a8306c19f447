"""Pilot tests of the wiring: a comparison's replies all count in the chat's "This chat" total.

Kept one: the others are its versions (``‹ 2/3 ›``) and the sidebar counts them, exact
once the usage records match. Closed with none kept in a saved chat: the total counts
them at once, and the prompt comes back. Kept while another still streams: that one is
stopped and stored beside it.
"""

from __future__ import annotations

import pytest

from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.store import Store, Version
from liaobots_tui.ui.app import LiaobotsApp
from liaobots_tui.ui.screens.compare import CompareScreen
from liaobots_tui.ui.screens.compare_picker import ComparePickerModal
from liaobots_tui.ui.screens.dialogs import ConfirmModal
from tests.ui.conftest import SIZE, AppFactory, demo_settings
from tests.ui.driving import HANG_GUARD, chat, settle, type_text, until

# Replies here are incidental to what is checked: cut short (tests/ui/conftest.py, short_replies).
pytestmark = [pytest.mark.ui, pytest.mark.usefixtures("short_replies")]

MODELS = ["gpt-5.4", "claude-sonnet-4-6", "gemini-3-pro-preview"]


def charged_since(gateway: FakeGateway, newest_seed_id: int) -> float:
    return round(sum(r["price"] for r in gateway.usage_records if r["id"] > newest_seed_id), 6)


async def open_compare(app: LiaobotsApp, pilot: object, models: list[str], text: str) -> CompareScreen:
    screen = chat(app)
    screen.prompt.load_text(text)
    screen.compare_models = models
    await pilot.press("alt+c")  # type: ignore[attr-defined]
    await until(pilot, lambda: isinstance(app.screen, ComparePickerModal))
    await pilot.press("enter")  # type: ignore[attr-defined]
    await until(pilot, lambda: isinstance(app.screen, CompareScreen))
    compare = app.screen
    assert isinstance(compare, CompareScreen) and compare.comparison is not None
    return compare


def ended(compare: CompareScreen) -> bool:
    return (
        compare.comparison is not None
        and not compare.comparison.streaming
        and all(c.box is not None and not c.box.streaming for c in compare.columns)
    )


def chat_line(app: LiaobotsApp) -> str:
    return str(chat(app).credits.query_one("#credits-chat").content)


async def test_kept_reply_shows_its_versions_and_the_chat_total_counts_every_reply(
    gateway: FakeGateway, make_app: AppFactory, store: Store
) -> None:
    seed_id = gateway.usage_records[0]["id"]
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=SIZE) as pilot:
        compare = await open_compare(app, pilot, MODELS, "Compare and count")
        await until(pilot, lambda: ended(compare))
        await pilot.press("right", "k")  # keep the second model's reply
        await until(pilot, lambda: not isinstance(app.screen, CompareScreen))
        await settle(app, pilot)
        screen = chat(app)
        kept = screen.view.boxes()[-1]
        assert kept.message.model == "claude-sonnet-4-6"
        assert kept.version == Version(2, 3) and "‹ 2/3 ›" in str(kept.header.render())
        panel = screen.credits
        await until(pilot, lambda: panel.conversation_cost is not None and panel.conversation_cost.exact)
        assert panel.conversation_cost is not None
        assert panel.conversation_cost.credits == pytest.approx(charged_since(gateway, seed_id))
        assert "3 replies charged, 2 not shown (other versions)" in chat_line(app)
        # ‹ shows the first model's reply, as it was compared.
        await pilot.press("alt+comma")
        await until(pilot, lambda: screen.view.boxes()[-1].message.model == "gpt-5.4")
        assert screen.view.boxes()[-1].message.text == gateway.reply_text_for("gpt-5.4", "Compare and count")


async def test_closed_with_none_kept_in_a_saved_chat_counts_them_and_gives_the_prompt_back(
    gateway: FakeGateway, make_app: AppFactory, store: Store
) -> None:
    seed_id = gateway.usage_records[0]["id"]
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=SIZE) as pilot:
        await type_text(pilot, "first question")
        await pilot.press("enter")
        await settle(app, pilot)
        compare = await open_compare(app, pilot, MODELS[:2], "none of these")
        await until(pilot, lambda: ended(compare))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await until(pilot, lambda: not isinstance(app.screen, CompareScreen))
        await settle(app, pilot)
        screen = chat(app)
        assert screen.prompt.text == "none of these"
        assert [b.message.role for b in screen.view.boxes()] == ["user", "assistant"]
        panel = screen.credits
        await until(
            pilot,
            lambda: (
                panel.conversation_cost is not None
                and panel.conversation_cost.exact
                and panel.conversation_cost.credits == pytest.approx(charged_since(gateway, seed_id))
            ),
        )
        assert "3 replies charged, 2 not shown (other versions)" in chat_line(app)


async def test_keeping_one_while_another_streams_stops_it_and_stores_it_beside(
    gateway: FakeGateway, make_app: AppFactory, store: Store
) -> None:
    # Every stream holds after 3 deltas (until the test ends): the first is stopped by hand and
    # kept while the second still streams.
    gateway.faults.stall_after = 3
    gateway.faults.stall_seconds = HANG_GUARD
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=SIZE) as pilot:
        compare = await open_compare(app, pilot, MODELS[:2], "one stopped, one held")
        comparison = compare.comparison
        assert comparison is not None
        await until(pilot, lambda: all(lane.chars > 0 for lane in comparison.lanes))
        await pilot.press("x")  # the first column has the focus
        await until(pilot, lambda: not comparison.lanes[0].streaming)
        assert comparison.lanes[1].streaming
        await pilot.press("k")
        await until(pilot, lambda: not isinstance(app.screen, CompareScreen))
        await settle(app, pilot)
        kept = chat(app).view.boxes()[-1]
        assert kept.message.model == "gpt-5.4" and kept.version == Version(1, 2)
        aside = chat(app).controller.replies_set_aside()
        assert [(m.model, m.status) for m in aside] == [("claude-sonnet-4-6", "cancelled")]


async def test_quitting_over_ended_replies_none_kept_sets_them_aside_in_the_chat(
    gateway: FakeGateway, make_app: AppFactory, store: Store
) -> None:
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=SIZE) as pilot:
        await type_text(pilot, "first question")
        await pilot.press("enter")
        await settle(app, pilot)
        conversation_id = chat(app).controller.conversation_id
        compare = await open_compare(app, pilot, MODELS[:2], "quit over these")
        await until(pilot, lambda: ended(compare))
        app.exit()
    assert conversation_id is not None
    assert [m.model for m in store.replies_set_aside(conversation_id)] == MODELS[:2]
    assert len(store.load_conversation(conversation_id).messages) == 2  # the chat shows what it did
