"""Pilot tests of Compare: the picker, columns or tabs, stop one or all, a failed model, keep one."""

from __future__ import annotations

import pytest
from textual import events
from textual.widgets import Markdown, TabbedContent

from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.store import Store
from liaobots_tui.ui.app import LiaobotsApp
from liaobots_tui.ui.screens.chat import ChatScreen
from liaobots_tui.ui.screens.compare import CompareScreen, LaneColumn
from liaobots_tui.ui.screens.compare_picker import ComparePickerModal
from liaobots_tui.ui.screens.dialogs import ConfirmModal
from tests.ui.conftest import SIZE, AppFactory, demo_settings
from tests.ui.driving import HANG_GUARD, chat, settle, type_text, until

# Replies here are incidental to what is checked: cut short (tests/ui/conftest.py, short_replies).
pytestmark = [pytest.mark.ui, pytest.mark.usefixtures("short_replies")]


def compare_screen(app: LiaobotsApp) -> CompareScreen:
    screen = app.screen
    assert isinstance(screen, CompareScreen)
    return screen


def chat_below(app: LiaobotsApp) -> ChatScreen:
    """The chat screen under the compare screen."""
    return next(s for s in app.screen_stack if isinstance(s, ChatScreen))


def all_ended(app: LiaobotsApp) -> bool:
    screen = app.screen
    if not isinstance(screen, CompareScreen) or screen.comparison is None:
        return False
    return not screen.comparison.streaming and all(
        c.box is not None and not c.box.streaming for c in screen.columns
    )


async def open_compare(app: LiaobotsApp, pilot: object, models: list[str], text: str) -> CompareScreen:
    """Push the compare screen for ``models`` the way the picker's choice does."""
    screen = chat(app)
    screen.prompt.load_text(text)
    screen.compare_models = models
    await pilot.press("alt+c")  # type: ignore[attr-defined]
    await until(pilot, lambda: isinstance(app.screen, ComparePickerModal))
    await pilot.press("enter")  # type: ignore[attr-defined]
    await until(pilot, lambda: isinstance(app.screen, CompareScreen))
    return compare_screen(app)


async def test_pick_models_see_them_side_by_side_and_keep_one(
    gateway: FakeGateway, make_app: AppFactory, store: Store
) -> None:
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=SIZE) as pilot:
        chat(app).prompt.load_text("Compare these")
        await pilot.press("alt+c")
        await until(pilot, lambda: isinstance(app.screen, ComparePickerModal))
        picker = app.screen
        assert isinstance(picker, ComparePickerModal) and picker.chosen == ["gpt-5.4"]
        await pilot.press("enter")  # one model is not a comparison
        assert isinstance(app.screen, ComparePickerModal)
        await type_text(pilot, "sonnet-4-6")  # one filter pass, not one per key
        await pilot.press("down", "space")
        assert picker.chosen == ["gpt-5.4", "claude-sonnet-4-6"]
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CompareScreen))
        await until(pilot, lambda: all_ended(app))
        screen = compare_screen(app)
        assert not screen.tabbed and len(screen.query(LaneColumn)) == 2
        for column, model in zip(screen.columns, ["gpt-5.4", "claude-sonnet-4-6"], strict=True):
            assert column.lane.model == model and column.box.message.status == "complete"
            assert column.box.copy_text == gateway.reply_text_for(model, "Compare these")
            assert column.box.query(Markdown).last().source == gateway.reply_text_for(model, "Compare these")
        assert chat_below(app).prompt.text == ""  # the prompt went into the comparison
        screen.action_move(1)  # the focus moves at once: a "k" already queued acts on that model
        assert screen.current_index() == 1
        screen.action_move(-1)
        assert screen.current_index() == 0
        await pilot.press("right")
        assert screen.current_index() == 1
        await pilot.press("k")
        await until(pilot, lambda: not isinstance(app.screen, CompareScreen))
        await settle(app, pilot)
        view = chat(app)
        assert view.model == "claude-sonnet-4-6"
        messages = [b.message for b in view.view.boxes()]
        assert [(m.role, m.model) for m in messages] == [("user", None), ("assistant", "claude-sonnet-4-6")]
        assert messages[1].text == gateway.reply_text_for("claude-sonnet-4-6", "Compare these")
        assert view.compare_models == ["gpt-5.4", "claude-sonnet-4-6"]

    conversation_id = store.latest_conversation_id()
    assert conversation_id is not None
    stored = store.load_conversation(conversation_id).messages
    assert [(m.role, m.model) for m in stored] == [("user", None), ("assistant", "claude-sonnet-4-6")]


async def test_narrow_terminal_shows_one_tab_per_model_and_a_failed_model_its_error(
    gateway: FakeGateway, make_app: AppFactory
) -> None:
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=(60, 30)) as pilot:
        screen = await open_compare(app, pilot, ["gpt-5.4", "gpt-no-such-model"], "hello")
        await until(pilot, lambda: all_ended(app))
        assert screen.tabbed and len(screen.query(TabbedContent)) == 1
        failed = screen.columns[1]
        assert failed.box.message.status == "failed"
        notice = str(failed.box.query_one(".notice").render())
        assert "gpt-no-such-model" in notice and notice.startswith("✗")
        figures = str(failed.query_one(".lane-figures").render())
        assert figures.startswith("failed") and figures.endswith("not charged")
        await pilot.press("right")
        assert screen.query_one(TabbedContent).active == "tab-1" and screen.current_index() == 1
        await pilot.press("k")  # nothing to keep from a failed model: refused, the screen stays
        assert app.screen is screen
        await pilot.press("left", "k")
        await until(pilot, lambda: not isinstance(app.screen, CompareScreen))
        assert chat(app).model == "gpt-5.4"


async def test_stop_one_then_all_then_close_gives_the_prompt_back(
    gateway: FakeGateway, make_app: AppFactory, store: Store
) -> None:
    # Every stream holds after 3 deltas (until the gateway stops): the other two are still streaming
    # when the first is stopped, however slowly a busy machine runs the app (a slow stream raced it).
    gateway.faults.stall_after = 3
    gateway.faults.stall_seconds = HANG_GUARD
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(
            app, pilot, ["gpt-5.4", "claude-sonnet-4-6", "gemini-3-pro-preview"], "slow"
        )
        assert screen.comparison is not None
        lanes = screen.comparison.lanes
        await until(pilot, lambda: all(lane.chars > 0 for lane in lanes))
        await pilot.press("x")  # the first column has the focus
        await until(pilot, lambda: not screen.columns[0].box.streaming)
        assert lanes[0].reply.status == "cancelled" and lanes[1].streaming and lanes[2].streaming
        await pilot.press("escape")
        await until(pilot, lambda: all_ended(app))
        assert [lane.reply.status for lane in lanes] == ["cancelled"] * 3
        assert all(
            c.box is not None and c.box.copy_text for c in screen.columns
        )  # partial replies stay on screen
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await until(pilot, lambda: not isinstance(app.screen, CompareScreen))
        await settle(app, pilot)
        assert chat(app).prompt.text == "slow"  # nothing kept: the prompt comes back
    assert store.latest_conversation_id() is None  # and nothing was stored


async def test_alt_c_from_a_terminal_opens_compare_and_types_nothing(
    gateway: FakeGateway, make_app: AppFactory
) -> None:
    """tmux and terminals send alt+c as ESC c, which Textual reports with the character "c".

    First, with an empty prompt, compare asks for one and is in the palette (was
    test_compare_needs_a_prompt_and_is_in_the_palette, its own boot)."""
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("alt+c")
        await pilot.pause()
        assert not isinstance(app.screen, ComparePickerModal)
        assert any("Type the prompt first" in str(n.message) for n in app._notifications)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Compare models" in titles

        await settle(app, pilot)
        prompt = chat(app).prompt
        prompt.load_text("draft")
        assert prompt.has_focus
        app.post_message(events.Key("alt+c", "c"))  # as the driver posts it
        await until(pilot, lambda: isinstance(app.screen, ComparePickerModal))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert prompt.text == "draft"  # nothing typed, and cancelling the picker keeps the prompt
