"""Pilot tests of issue 10's everyday bugs in the app: paste, the attach dialog, chips, the model
picker, help, thumbnails' captions, screenshots, and the rough edges around them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual import events

from liaobots_tui.store import Store
from liaobots_tui.ui.app import LiaobotsApp
from tests.ui.conftest import SIZE, AppFactory, ScriptedSession, offline_client, offline_settings
from tests.ui.driving import chat, settle

pytestmark = pytest.mark.ui


def scripted_app(make_app: AppFactory, store: Store, script: list[Any], **kwargs: Any) -> LiaobotsApp:
    session = ScriptedSession(store, script)
    settings = kwargs.pop("settings", None) or offline_settings()
    return make_app(settings, client_factory=offline_client, session_factory=lambda c, s: session, **kwargs)


# ---------------------------------------------------------------- paste


async def test_a_paste_is_inserted_once(make_app: AppFactory, store: Store) -> None:
    """As a terminal delivers it: to the app, which forwards it to the focused prompt."""
    app = scripted_app(make_app, store, [])
    async with app.run_test(size=SIZE) as pilot:
        prompt = chat(app).prompt
        app.post_message(events.Paste("hello world"))
        await settle(app, pilot)
        assert prompt.text == "hello world"
        app.post_message(events.Paste("\nline two\nline three"))
        await settle(app, pilot)
        assert prompt.text == "hello world\nline two\nline three"
        assert prompt.cursor_location == (2, len("line three"))
