"""First-run setup: a code that cannot be checked (offline) is saved after a warning; the gateway is set."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import httpx
import pytest
from textual.app import App
from textual.widgets import Button, Input, Static

from liaobots_tui.api.account import Credits
from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.config import DEFAULT_BASE_URLS, ConfigError, base_urls_from_input
from liaobots_tui.errors import AllDomainsUnreachable, AuthError, LiaobotsError
from liaobots_tui.ui.screens.chat import ChatScreen
from liaobots_tui.ui.screens.setup import SetupResult, SetupScreen
from tests.ui.conftest import AppFactory, offline_settings
from tests.ui.driving import until

pytestmark = pytest.mark.ui


class Host(App[None]):
    def __init__(self, failure: LiaobotsError | None = None, base_urls: list[str] | None = None) -> None:
        super().__init__()
        self.failure = failure
        self.base_urls = base_urls
        self.checked: list[tuple[str, list[str]]] = []
        self.results: list[SetupResult | None] = []

    async def check(self, code: str, base_urls: list[str]) -> Credits:
        self.checked.append((code, base_urls))
        if self.failure is not None:
            raise self.failure
        return Credits(balance=12.5, amount=20.0)

    def on_mount(self) -> None:
        screen = SetupScreen(
            check=self.check, config_path="/tmp/config.toml", can_cancel=True, base_urls=self.base_urls
        )
        self.push_screen(screen, self.results.append)


def status(app: App[None]) -> str:
    return str(app.screen.query_one("#setup-status", Static).render())


def unchecked_button(app: App[None]) -> Button:
    return app.screen.query_one("#save-unchecked", Button)


async def type_code(app: App[None], pilot: object, code: str, gateway: str | None = None) -> None:
    """Fill the fields as a paste would."""
    app.screen.query_one("#auth-code", Input).value = code
    if gateway is not None:
        app.screen.query_one("#base-url", Input).value = gateway


def test_a_known_domain_leads_and_keeps_the_others_as_backups() -> None:
    assert base_urls_from_input("ai.liaobots2.work") == [
        "https://ai.liaobots2.work",
        *(u for u in DEFAULT_BASE_URLS if u != "https://ai.liaobots2.work"),
    ]
    assert base_urls_from_input("https://AI.liaobots.work/") == DEFAULT_BASE_URLS
    assert base_urls_from_input("") == DEFAULT_BASE_URLS
    assert base_urls_from_input("http://127.0.0.1:8080") == ["http://127.0.0.1:8080"]


@pytest.mark.parametrize("typed", ["evil.example", "ftp://ai.liaobots.work", "https://a.example/path", "https://"])
def test_anything_else_is_refused_in_one_line(typed: str) -> None:
    with pytest.raises(ConfigError) as info:
        base_urls_from_input(typed)
    assert "\n" not in info.value.message


async def test_offline_the_code_can_be_saved_unchecked_after_a_warning() -> None:
    app = Host(AllDomainsUnreachable("All domains unreachable (ai.liaobots.work: connection refused)"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert unchecked_button(app).display is False
        await type_code(app, pilot, "sk-offline-code-1")
        await pilot.press("enter")
        await until(pilot, lambda: unchecked_button(app).display is True, "the offer to save unchecked")
        assert "Not checked" in status(app) and "unreachable" in status(app)
        assert app.results == []
        await pilot.click("#save-unchecked")
        await until(pilot, lambda: bool(app.results), "the result")
        # No gateway was shown or typed: the built-in domains.
        assert app.results == [SetupResult("code", "sk-offline-code-1", None, tuple(DEFAULT_BASE_URLS))]


async def test_a_rejected_code_is_never_offered_for_saving() -> None:
    app = Host(AuthError("The auth code was rejected."))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await type_code(app, pilot, "sk-bad-code-123")
        await pilot.press("enter")
        await until(pilot, lambda: "rejected" in status(app), "the refusal")
        assert unchecked_button(app).display is False
        assert app.results == []


async def test_changing_the_code_after_a_failed_check_withdraws_the_offer() -> None:
    app = Host(AllDomainsUnreachable("All domains unreachable"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await type_code(app, pilot, "sk-offline-code-1")
        await pilot.press("enter")
        await until(pilot, lambda: unchecked_button(app).display is True, "the offer")
        await type_code(app, pilot, "sk-other-code-22")
        await until(pilot, lambda: unchecked_button(app).display is False, "the offer withdrawn")


async def test_the_gateway_typed_is_checked_against_and_returned() -> None:
    app = Host(base_urls=list(DEFAULT_BASE_URLS))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.screen.query_one("#base-url", Input).value == DEFAULT_BASE_URLS[0]
        await type_code(app, pilot, "sk-good-code-123", "ai.liaobots3.work")
        await pilot.press("enter")
        await until(pilot, lambda: bool(app.results), "the result")
        urls = base_urls_from_input("ai.liaobots3.work")
        assert app.checked == [("sk-good-code-123", urls)]
        result = app.results[0]
        assert result is not None and result.base_urls == tuple(urls)


async def test_a_bad_gateway_is_refused_before_anything_is_asked() -> None:
    app = Host(base_urls=list(DEFAULT_BASE_URLS))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await type_code(app, pilot, "sk-good-code-123", "javascript:alert(1)")
        await pilot.press("enter")
        await until(pilot, lambda: "not a Liaobots domain" in status(app), "the refusal")
        assert app.checked == [] and app.results == []


async def test_the_app_saves_an_unchecked_code_and_the_gateway_to_the_config(
    make_app: AppFactory, tmp_path: Path
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    def unreachable(base_urls: list[str], auth_code: str) -> GatewayClient:
        return GatewayClient(list(base_urls), auth_code, transport=httpx.MockTransport(refuse), max_retries=0)

    app = make_app(offline_settings(auth_code=""), client_factory=unreachable)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SetupScreen), "the setup screen")
        await type_code(app, pilot, "sk-offline-code-1", "ai.liaobots1.work")
        await pilot.press("enter")
        await until(pilot, lambda: unchecked_button(app).display is True, "the offer")
        assert "unreachable" in status(app).lower()
        await pilot.press("f3")
        await until(pilot, lambda: isinstance(app.screen, ChatScreen), "the chat")
        assert any("was not checked" in str(n.message) for n in app._notifications)
        assert app.settings.base_urls == base_urls_from_input("ai.liaobots1.work")
    config = tmp_path / "config.toml"
    saved = tomllib.loads(config.read_text(encoding="utf-8"))
    assert saved["auth_code"] == "sk-offline-code-1"
    assert saved["base_urls"] == base_urls_from_input("ai.liaobots1.work")
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
