"""Pilot tests of issue 10's remaining everyday items in the app: reply lines, chat costs that
match the usage records, streaming feedback, prompt history across chats, low balance in words,
the delete dialog, remembered sidebars, the chats list's dates, themes and the usage table's keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.store import Store
from liaobots_tui.ui.app import LiaobotsApp
from liaobots_tui.ui.widgets.message_box import MessageBox
from tests.ui.conftest import SIZE, demo_settings
from tests.ui.driving import chat, settle, type_text, until

pytestmark = pytest.mark.ui


async def send(app: LiaobotsApp, pilot: object, text: str) -> None:
    await type_text(pilot, text)
    await pilot.press("enter")  # type: ignore[attr-defined]
    await settle(app, pilot)


def replies(app: LiaobotsApp) -> list[MessageBox]:
    return [box for box in chat(app).view.boxes() if box.message.role == "assistant"]


def charged_since(gateway: FakeGateway, newest_seed_id: int) -> float:
    return round(sum(r["price"] for r in gateway.usage_records if r["id"] > newest_seed_id), 6)


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
            assert "3 replies (1 earlier version)" in str(panel.query_one("#credits-chat").content)

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
    gateway: FakeGateway, make_app: object, store: Store
) -> None:
    app = make_app(demo_settings(gateway))  # type: ignore[operator]
    async with app.run_test(size=(100, 30)) as pilot:
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
