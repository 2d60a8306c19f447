"""ctrl+e in the prompt (a fake editor script as $EDITOR; the text comes back, not sent) and presets."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from liaobots_tui import paths
from liaobots_tui.api.messages import Thinking
from liaobots_tui.presets import user_presets_dir
from liaobots_tui.store import Store
from liaobots_tui.ui.screens.dialogs import ListPickerModal
from tests.test_editor import fake_editor
from tests.ui.conftest import SIZE, AppFactory
from tests.ui.driving import chat, settle, until
from tests.ui.test_features import scripted_app


async def test_ctrl_e_edits_the_draft_in_the_editor(
    make_app: AppFactory, store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", fake_editor(tmp_path, append="second line\n"))
    app, session = scripted_app(make_app, store, [])
    # The headless test driver cannot suspend; a real terminal's suspend is driven once in tmux.
    monkeypatch.setattr(app, "suspend", contextlib.nullcontext)
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(app)
        screen.prompt.load_text("first line\n")
        screen.prompt.focus()
        await pilot.press("ctrl+e")
        await until(pilot, lambda: screen.prompt.text == "first line\nsecond line")
        assert screen.view.boxes() == []  # put back, not sent

        monkeypatch.setenv("EDITOR", fake_editor(tmp_path, exit_code=1, name="quit.py"))
        await pilot.press("ctrl+e")
        await until(pilot, lambda: any(n.title == "Editor" for n in app._notifications))
        assert screen.prompt.text == "first line\nsecond line"
        await settle(app, pilot)


async def test_a_preset_fills_the_chat_settings_and_ctrl_n_offers_them(
    make_app: AppFactory, store: Store
) -> None:
    app, _ = scripted_app(make_app, store, [])
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(app)
        await pilot.press("ctrl+n")  # no presets of the user's own: no question
        await settle(app, pilot)
        assert not isinstance(app.screen, ListPickerModal)
        screen.action_pick_preset()  # what the palette's "Use a preset" runs
        await until(pilot, lambda: isinstance(app.screen, ListPickerModal))
        assert isinstance(app.screen, ListPickerModal)
        assert app.screen.items[0].startswith("code-review — Careful code review")
        await pilot.press("enter")
        await until(pilot, lambda: screen.controller.settings.model == "claude-sonnet-4-6")
        settings = screen.controller.settings
        assert settings.system.startswith("You are a senior engineer") and settings.temperature == 0.2
        assert settings.thinking == Thinking(effort="medium")

        mine = paths.ensure_dir(user_presets_dir()) / "terse.toml"
        mine.write_text('description = "Short answers"\nsystem = "Answer in one line."\n')
        await pilot.press("ctrl+n")
        await until(pilot, lambda: isinstance(app.screen, ListPickerModal))
        assert isinstance(app.screen, ListPickerModal)
        assert app.screen.items[1] == "terse — Short answers"  # by name, among the shipped ones
        await pilot.press("down", "enter")
        await until(pilot, lambda: screen.controller.settings.system == "Answer in one line.")
        await settle(app, pilot)
