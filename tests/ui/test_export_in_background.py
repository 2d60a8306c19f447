"""The chat's Markdown export is worked out in a thread: the app keeps taking keys meanwhile.

A 5 MB reply takes seconds to export (``bench/export_huge.py``). Here the export is held
until the test has seen the app answer a key, which it could not if the export ran on the
UI thread; then the file is written as before (asking before it replaces one), and a store
fault while building it is one line, not a traceback.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from liaobots_tui import markdown_export
from liaobots_tui.api.messages import Message, TextPart
from liaobots_tui.store import Store
from liaobots_tui.ui.screens.dialogs import TextInputModal

from .conftest import SIZE, AppFactory, offline_client, offline_settings
from .driving import chat, settle, until

REPLY = "## A reply\n\nWith **some** words.\n"


def stored_chat(store: Store) -> int:
    cid = store.create_conversation(title="export me")
    store.add_messages(cid, [Message("user", [TextPart("hi")]), Message("assistant", [TextPart(REPLY)])])
    return cid


async def start_export(pilot: Any, app: Any, target: Path) -> None:
    await pilot.press("ctrl+s")
    await until(pilot, lambda: isinstance(app.screen, TextInputModal), "the export dialog")
    app.screen.query_one(Input).value = str(target)
    await pilot.press("enter")


async def test_the_app_answers_keys_while_the_export_is_built(
    make_app: AppFactory, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = stored_chat(store)
    original = markdown_export.conversation_markdown
    release = threading.Event()
    threads: list[threading.Thread] = []

    def held(*args: Any, **kwargs: Any) -> str:
        threads.append(threading.current_thread())
        assert release.wait(60), "the test never released the export"
        return original(*args, **kwargs)

    monkeypatch.setattr(markdown_export, "conversation_markdown", held)
    target = tmp_path / "out" / "chat.md"
    app = make_app(offline_settings(), client_factory=offline_client)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await start_export(pilot, app, target)
        await until(pilot, lambda: bool(threads), "the export started")
        assert threads[0] is not threading.main_thread()
        await pilot.press("x", "y")  # the app takes keys while the export waits
        await until(pilot, lambda: chat(app).prompt.text == "xy", "the keys typed")
        assert not target.exists()
        release.set()
        await until(pilot, target.exists, "the export written")
    assert target.read_text(encoding="utf-8") == original(store.load_conversation(cid), versions={})


async def test_a_store_fault_while_building_is_one_line(
    make_app: AppFactory, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored_chat(store)

    def broken(*args: Any, **kwargs: Any) -> str:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(markdown_export, "conversation_markdown", broken)
    target = tmp_path / "chat.md"
    app = make_app(offline_settings(), client_factory=offline_client)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)
        await start_export(pilot, app, target)
        await until(
            pilot,
            lambda: any("disk I/O error" in str(n.message) for n in app._notifications),
            "the failure shown",
        )
        assert not target.exists()
        assert app.is_running
