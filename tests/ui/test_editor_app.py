"""ctrl+e in the prompt: the draft goes to $EDITOR (a fake editor script) and comes back, not sent."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from liaobots_tui.store import Store
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
