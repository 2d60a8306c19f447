"""Keys typed quickly into a search box keep their order (widgets.ordered_input.OrderedInput).

Textual runs an Input's Backspace only once the key has bubbled up to the app, while
its letters go in at once: with the chats search rerun on the screen at each key, four
quick Backspaces landed after "teammates" typed behind them ("boldteamm")."""

from __future__ import annotations

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from liaobots_tui.api.messages import Message, TextPart
from liaobots_tui.store import Store
from liaobots_tui.ui.app import LiaobotsApp
from liaobots_tui.ui.screens.compare_picker import ComparePickerModal
from liaobots_tui.ui.screens.model_picker import ModelPickerModal
from tests.ui.conftest import SIZE, AppFactory
from tests.ui.driving import chat, settle, type_text, until
from tests.ui.test_features import scripted_app

pytestmark = pytest.mark.ui


def typed(text: str) -> list[events.Key]:
    """Key events for ``text``, where "\\b" is a Backspace: each its own event, as a terminal sends."""
    names = {"\b": "backspace", " ": "space"}
    return [events.Key(names.get(ch, ch), "\x7f" if ch == "\b" else ch) for ch in text]


async def open_compare_picker(app: LiaobotsApp, pilot: Pilot[int]) -> ComparePickerModal:
    """The compare picker, opened from a chat with a prompt typed (alt+c needs one)."""
    await settle(app, pilot)
    chat(app).prompt.load_text("question")
    await pilot.press("alt+c")
    await until(pilot, lambda: isinstance(app.screen, ComparePickerModal), "the compare picker")
    picker = app.screen
    assert isinstance(picker, ComparePickerModal)
    return picker


async def test_backspaces_typed_quickly_in_the_chats_search_act_before_the_letters_after_them(
    make_app: AppFactory, store: Store
) -> None:
    for i in range(3):
        cid = store.create_conversation(title=f"chat {i}")
        store.add_messages(cid, [Message("user", [TextPart(f"keep teammates happy {i}")])])
    app, _ = scripted_app(make_app, store, [])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+l", "slash")
        field = app.screen.query_one("#chat-search", Input)
        assert field.has_focus
        for key in typed("bold\b\b\b\bteammates"):  # posted at once, as a terminal's burst is
            app.post_message(key)
        await until(pilot, lambda: field.value == "teammates", "the search text typed")
        await settle(app, pilot)
        assert len(chat(app).chats.ids) == 3  # the search ran on the final text
        for key in typed("x\b"):
            app.post_message(key)
        app.post_message(events.Key("left", None))  # a bound key that is not Backspace
        app.post_message(events.Key("y", "y"))
        await until(pilot, lambda: field.value == "teammateys", "the cursor moved before the y")


async def test_the_compare_filter_keeps_key_order_too(make_app: AppFactory, store: Store) -> None:
    app, _ = scripted_app(make_app, store, [])
    async with app.run_test(size=SIZE) as pilot:
        field = (await open_compare_picker(app, pilot)).query_one("#compare-search", Input)
        for key in typed("gemini\b\b\b\b\b\bgpt"):
            app.post_message(key)
        await until(pilot, lambda: field.value == "gpt", "the filter typed")


async def test_the_prompt_keeps_key_order_and_its_history_keys(make_app: AppFactory, store: Store) -> None:
    app, _ = scripted_app(make_app, store, [])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        prompt = chat(app).prompt
        assert prompt.has_focus
        for key in typed("bold\b\b\b\bteammates"):
            app.post_message(key)
        await until(pilot, lambda: prompt.text == "teammates", "the prompt typed")
        chat(app).history.add("an earlier prompt")
        prompt.load_text("")
        app.post_message(events.Key("up", None))  # on the first line: the prompt history, as before
        await until(pilot, lambda: prompt.text == "an earlier prompt", "the history entry")


async def test_typing_on_the_compare_list_filters_again_for_the_next_model(
    make_app: AppFactory, store: Store
) -> None:
    """After ticking one model on the list, its name's letters find the next: no shift+tab first."""
    app, _ = scripted_app(make_app, store, [])
    async with app.run_test(size=SIZE) as pilot:
        picker = await open_compare_picker(app, pilot)
        first = picker.chosen[0]
        await pilot.press(*"sonnet-4-6", "down", "space")
        assert picker.chosen == [first, "claude-sonnet-4-6"]
        assert picker.focused is picker.model_list
        await pilot.press(*"gemini-3-pro-p", "down", "space")  # typed on the list: back to the filter
        assert picker.query_one("#compare-search", Input).value == "gemini-3-pro-p"
        assert picker.chosen == [first, "claude-sonnet-4-6", "gemini-3-pro-preview"]


async def test_space_in_the_compare_filter_ticks_the_best_match_even_typed_at_once(
    make_app: AppFactory, store: Store
) -> None:
    app, _ = scripted_app(make_app, store, [])
    async with app.run_test(size=SIZE) as pilot:
        picker = await open_compare_picker(app, pilot)
        first = picker.chosen[0]
        field = picker.query_one("#compare-search", Input)
        for key in typed("sonnet-4-6"):
            app.post_message(key)
        app.post_message(events.Key("space", " "))
        await until(pilot, lambda: len(picker.chosen) == 2, "a second model ticked")
        assert picker.chosen == [first, "claude-sonnet-4-6"]
        await settle(app, pilot)
        assert field.value == ""  # emptied for the next name
        assert "claude-sonnet-4-6" in picker.model_list.selected  # the list shows the tick too
        for key in typed("gemini-3-pro-p gpt-5.4-mi "):  # two more, typed in one go
            app.post_message(key)
        await until(pilot, lambda: len(picker.chosen) == 4, "four models ticked")
        assert picker.chosen == [first, "claude-sonnet-4-6", "gemini-3-pro-preview", "gpt-5.4-mini"]
        for key in typed("sonnet-4-6 "):  # a ticked model's name again: it stays ticked
            app.post_message(key)
        await until(pilot, lambda: "ticked already" in str(picker.query_one("#compare-why").render()))
        assert len(picker.chosen) == 4


async def test_the_model_picker_moves_then_picks_in_key_order(make_app: AppFactory, store: Store) -> None:
    """Enter acts in the filter now: a ↓ typed before it must have moved the list first."""
    app, _ = scripted_app(make_app, store, [])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, ModelPickerModal), "the model picker")
        picker = app.screen
        await type_text(pilot, "gpt-5.4")
        await settle(app, pilot)
        assert isinstance(picker, ModelPickerModal)
        assert picker.query_one("#model-list", OptionList).highlighted == 0
        second = picker._shown[1]  # the models listed, in order
        app.post_message(events.Key("down", None))
        app.post_message(events.Key("enter", "\r"))
        await until(pilot, lambda: not isinstance(app.screen, ModelPickerModal), "the picker closed")
        await settle(app, pilot)
        assert chat(app).model == second
