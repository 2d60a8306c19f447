"""SetupScreen refuses a malformed auth code with the config's own validator, before asking the gateway."""

from __future__ import annotations

import pytest
from textual.app import App
from textual.widgets import Input, Static

from liaobots_tui.api.account import Credits
from liaobots_tui.config import AUTH_CODE_CHARS_PROBLEM
from liaobots_tui.ui.screens.setup import SetupResult, SetupScreen

pytestmark = pytest.mark.ui


class Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.checked: list[str] = []
        self.results: list[SetupResult | None] = []

    async def check(self, code: str, base_urls: list[str]) -> Credits:
        self.checked.append(code)
        return Credits(balance=12.5, amount=20.0)

    def on_mount(self) -> None:
        screen = SetupScreen(check=self.check, config_path="/tmp/config.toml", can_cancel=True)
        self.push_screen(screen, self.results.append)


@pytest.mark.parametrize("typed", ["two words", "naïve-code", "tab\there"])
async def test_malformed_code_is_refused_before_the_gateway_is_asked(typed: str) -> None:
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.screen.query_one("#auth-code", Input).value = typed
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        status = app.screen.query_one("#setup-status", Static)
        assert str(status.render()) == AUTH_CODE_CHARS_PROBLEM[0].upper() + AUTH_CODE_CHARS_PROBLEM[1:] + "."
        assert app.checked == [] and app.results == []


async def test_a_good_code_is_checked_and_returned_trimmed() -> None:
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.screen.query_one("#auth-code", Input).value = "  sk-good-code-123\n"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.checked == ["sk-good-code-123"]
        assert [r.code for r in app.results if r is not None] == ["sk-good-code-123"]
