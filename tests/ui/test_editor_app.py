"""ctrl+e in the prompt (a fake editor script as $EDITOR; the text comes back, not sent) and F6 presets."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from liaobots_tui.api.messages import Thinking
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


async def test_f6_fills_the_chat_settings_from_a_preset(make_app: AppFactory, store: Store) -> None:
    app, _ = scripted_app(make_app, store, [])
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(app)
        await pilot.press("f6")
        await until(pilot, lambda: isinstance(app.screen, ListPickerModal))
        assert isinstance(app.screen, ListPickerModal)
        assert app.screen.items[0].startswith("code-review — Careful code review")
        await pilot.press("enter")
        await until(pilot, lambda: screen.controller.settings.model == "claude-sonnet-4-6")
        settings = screen.controller.settings
        assert settings.system.startswith("You are a senior engineer") and settings.temperature == 0.2
        assert settings.thinking == Thinking(effort="medium")
        await settle(app, pilot)
