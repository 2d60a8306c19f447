"""Pilot tests for the app's side of issue 5: bad theme, tiny terminal, loose config file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.ui.app import LiaobotsApp
from liaobots_tui.ui.screens.chat import ChatScreen
from liaobots_tui.ui.themes import DEFAULT_THEME
from tests.ui.conftest import AppFactory, demo_settings, offline_client, offline_settings
from tests.ui.driving import send, settle

pytestmark = pytest.mark.ui


def warnings_of(app: LiaobotsApp) -> list[tuple[str, str]]:
    return [(n.title, n.message) for n in app._notifications if n.severity == "warning"]


async def test_unknown_theme_warns_and_falls_back(make_app: AppFactory) -> None:
    app = make_app(offline_settings(theme="no-such-theme"), client_factory=offline_client)
    app.NOTIFICATION_TIMEOUT = 3600  # type: ignore[misc]  # outlives a slow settle on a busy machine
    async with app.run_test(size=(110, 36), notifications=True) as pilot:
        await settle(app, pilot)
        assert app.theme == DEFAULT_THEME
        assert ("", f"Unknown theme 'no-such-theme'; using {DEFAULT_THEME}") in warnings_of(app)
        assert isinstance(app.screen, ChatScreen)


async def test_tiny_terminal_still_lays_out(gateway: FakeGateway, make_app: AppFactory) -> None:
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=(40, 12)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ChatScreen)
        # Both sidebars start hidden; the prompt and the conversation get the width.
        assert not screen.chats.display
        assert not screen.sidebar.has_class("-visible")
        assert screen.prompt.region.width > 0 and screen.prompt.region.height > 0
        await send(app, pilot, "hi")
        assert screen.view.boxes()[-1].message.status == "complete"
        # Showing everything in 40 columns squeezes but does not break the layout.
        await pilot.press("f9", "f10")
        await pilot.pause()
        assert screen.chats.display and screen.sidebar.has_class("-visible")
        await pilot.resize_terminal(30, 8)
        await pilot.pause()
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert screen.prompt.region.width > 0
        assert app.return_code is None  # still running: nothing blew up


@pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")
async def test_warns_when_the_config_file_is_readable_by_others(make_app: AppFactory, tmp_path: Path) -> None:
    config = tmp_path / "loose.toml"
    config.write_text('auth_code = "test"\n', encoding="utf-8")
    config.chmod(0o644)
    app = make_app(offline_settings(), client_factory=offline_client, config_path=config)
    async with app.run_test(size=(110, 36), notifications=True) as pilot:
        await settle(app, pilot)
        warnings = warnings_of(app)
        assert [t for t, _ in warnings] == ["Config file permissions"]
        assert (
            warnings[0][1] == f"{config} can be read by other users and holds your auth code: chmod 600 it."
        )
        assert "test" not in warnings[0][1].replace(str(tmp_path), "")  # never the code itself

    config.chmod(0o600)
    app = make_app(offline_settings(), client_factory=offline_client, config_path=config)
    async with app.run_test(size=(110, 36), notifications=True) as pilot:
        await settle(app, pilot)
        assert warnings_of(app) == []
