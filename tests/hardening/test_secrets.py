"""The auth code never lands in history, images, caches, output, error messages or tracebacks.

A full CLI session runs with a distinctive code given only through the
environment (every format, streamed and not, credits, usage, models, image
generation and editing, gateway errors, a wrong URL, a wrong code); then every
file under the temporary XDG directories and the image output directory, and
everything printed, is searched for the code and for a fragment of it. A gateway
that *echoes* the code back (as real APIs do in 401 messages) is played by an
``httpx.MockTransport``: whatever it echoes must be masked before a user sees it.
The config file, the one place the code may be written, is 0600.
"""

from __future__ import annotations

import asyncio
import json
import socket
import stat
import traceback
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from liaobots_tui import cli, paths
from liaobots_tui.api.account import fetch_credits, fetch_usage_page, iter_usage
from liaobots_tui.api.messages import Conversation, ErrorEvent, Message, RequestOptions, TextPart
from liaobots_tui.api.models import list_models, save_cached_models
from liaobots_tui.api.registry import get_adapter
from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.config import (
    Settings,
    config_file_is_loose,
    load_settings,
    mask_auth_code,
    save_settings,
    update_setting,
)
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.errors import ConfigError, LiaobotsError
from tests.cli_driving import gateway_in_env
from tests.conftest import XdgDirs

pytestmark = pytest.mark.secrets

CODE = "lbx-Sekr3t-9b1f0c7e2a4d6e8f"
#: A fragment that would betray a truncated or partly masked copy (the masked form shows only "6e8f").
FRAGMENTS = [CODE.encode(), b"Sekr3t", b"9b1f0c7e2a4d"]


def leaks(data: bytes) -> list[bytes]:
    return [f for f in FRAGMENTS if f in data]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def gw(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGateway]:
    with gateway_in_env(monkeypatch, CODE) as gateway:
        yield gateway


# ---------------------------------------------------------------- a whole session, then grep everything


def test_full_session_leaves_the_code_nowhere(
    gw: FakeGateway,
    xdg_dirs: XdgDirs,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out_dir = tmp_path / "exported images"
    printed: list[str] = []
    codes: list[int] = []

    def run(*argv: str) -> int:
        code = cli.main(list(argv))
        captured = capsys.readouterr()
        printed.extend([captured.out, captured.err])
        codes.append(code)
        return code

    for model, fmt in [("gpt-5.4", "openai"), ("claude-sonnet-4-6", "anthropic"), ("gpt-5.4", "responses"),
                       ("gemini-3-pro-preview", "gemini")]:  # fmt: skip
        assert run("ask", "-m", model, "-f", fmt, f"hello over {fmt}") == 0
        assert run("ask", "--no-stream", "--json", "-c", "-f", fmt, "-m", model, "and again") == 0
    assert run("ask", "-c", "--thinking", "--show-thinking", "-m", "claude-sonnet-4-6", "think") == 0
    assert run("credits") == 0
    assert run("credits", "--json") == 0
    assert run("usage", "--all", "--page-size", "50") == 0
    assert run("usage", "--csv", "--limit", "10") == 0
    assert run("usage", "--json", "--limit", "5") == 0
    assert run("models", "--json") == 0
    assert run("image", "a red fox", "--aspect-ratio", "16:9", "-o", str(out_dir)) == 0
    picture = out_dir / "attached picture.png"
    Image.new("RGB", (8, 8), "green").save(picture)
    assert run("image", "make it night", "-a", str(picture), "-o", str(out_dir)) == 0
    # Errors: unknown model, out of credit, a reply cut mid-stream, a rate-limit storm.
    assert run("ask", "-m", "no-such-model", "hi") == 1
    gw.faults.out_of_credit = True
    assert run("ask", "-m", "gemini-3-pro-preview", "hi") == 1
    gw.faults.reset()
    gw.faults.mid_stream_error_after = 3
    assert run("ask", "-m", "gpt-5.4", "-f", "responses", "hi") == 1
    gw.faults.reset()
    gw.faults.update({"rate_limit": 10, "retry_after": 0})
    assert run("ask", "-m", "claude-sonnet-4-6", "hi") == 1
    gw.faults.reset()
    # A wrong URL, and every domain dead.
    assert run("ask", "--base-url", f"http://127.0.0.1:{closed_port()}", "hi") == 1
    assert run("credits", "--base-url", f"http://127.0.0.1:{closed_port()}") == 1
    # The same code sent to a gateway that expects another one: every format's auth error.
    with FakeGateway(auth_code="some-other-code") as other:
        for fmt in ("openai", "anthropic", "responses", "gemini"):
            assert run("ask", "--base-url", other.urls[0], "-f", fmt, "hi") == 1
        assert run("credits", "--base-url", other.urls[0]) == 1
        assert run("usage", "--base-url", other.urls[0]) == 1
    # What the app adds on top of the CLI's files: the model cache.
    assert save_cached_models(paths.cache_dir() / "models.json", ["gpt-5.4", "claude-sonnet-4-6"])

    # The code came from the environment only: no config file was written anywhere.
    assert not paths.config_file().exists()
    assert not any(p.name.endswith(".toml") for p in xdg_dirs.config.parent.rglob("*"))

    files = sorted(p for root in (xdg_dirs.config.parent, out_dir) for p in root.rglob("*") if p.is_file())
    names = {p.name for p in files}
    assert "history.sqlite3" in names and "models.json" in names
    assert sum(p.suffix == ".png" for p in files) >= 4  # generated, attached copy, exported
    for path in files:
        assert leaks(path.read_bytes()) == [], path
    everything_printed = "".join(printed)
    assert leaks(everything_printed.encode()) == []
    assert "Authentication failed" in everything_printed and "All domains unreachable" in everything_printed
    assert len(codes) == 29

    # History and images are private to the user.
    for path in files:
        if path.suffix == ".png" and out_dir not in path.parents or path.name == "history.sqlite3":
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


# ---------------------------------------------------------------- the config file


def test_saved_config_is_0600_and_loose_modes_are_detected(tmp_path: Path) -> None:
    config = tmp_path / "cfg" / "config.toml"
    save_settings(Settings(auth_code=CODE, model="claude-sonnet-4-6"), config)
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert CODE in config.read_text()  # the one file that holds it
    assert config_file_is_loose(config) is False
    for mode, loose in [(0o644, True), (0o640, True), (0o604, True), (0o660, True), (0o600, False),
                        (0o400, False), (0o700, False)]:  # fmt: skip
        config.chmod(mode)
        assert config_file_is_loose(config) is loose, oct(mode)
    config.chmod(0o644)
    update_setting("theme", "liaobots-light", path=config)  # any save makes it private again
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert load_settings(config, env={}).auth_code == CODE
    assert config_file_is_loose(tmp_path / "missing.toml") is False


def test_saving_a_setting_never_copies_the_environments_code_into_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIAOBOTS_AUTH_CODE", CODE)
    config = tmp_path / "config.toml"
    update_setting("theme", "liaobots-light", path=config)
    update_setting("model", "gpt-5.4-mini", path=config)
    assert leaks(config.read_bytes()) == []
    assert load_settings(config).auth_code == CODE  # still used, just never written


def test_code_from_the_environment_only(gw: FakeGateway, capsys: pytest.CaptureFixture[str]) -> None:
    assert not paths.config_file().exists()
    assert cli.main(["credits", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["balance"] == gw.balance
    assert not paths.config_file().exists()


# ---------------------------------------------------------------- reprs and config errors


def test_reprs_and_display_never_show_the_code(tmp_path: Path) -> None:
    settings = Settings(auth_code=CODE)
    assert leaks(repr(settings).encode()) == []
    assert leaks(repr(settings.redacted()).encode()) == [] and settings.redacted()["auth_code"] == "…6e8f"
    assert mask_auth_code(CODE) == "…6e8f"
    client = GatewayClient(["http://127.0.0.1:9"], CODE)
    try:
        assert leaks(repr(client).encode()) == [] and leaks(repr(vars(client)).encode()) != []  # sanity
    finally:
        asyncio.run(client.aclose())


@pytest.mark.parametrize(
    "content",
    [
        f'auth_code = "{CODE}"\nmodel = \n',
        f'auth_code = "{CODE}\n',
        f"auth_code = {CODE}\n",
        f'auth_code = "{CODE} extra"\n',
        f'auth_code = ["{CODE}"]\n',
        f'auth_code = "{CODE}"\nbase_urls = ["{CODE}"]\n',
        f'auth_code = "{CODE}"\nmodle = "{CODE}"\n',
        f'auth_code = "{CODE}"\nmodel = ""\n',
    ],
)
def test_config_errors_never_quote_the_code(tmp_path: Path, content: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(content)
    with pytest.raises(ConfigError) as info:
        load_settings(config, env={})
    shown = "".join(traceback.format_exception(info.value)) + info.value.one_line()
    assert leaks(shown.encode()) == [], shown


@pytest.mark.parametrize("value", [f"{CODE} x", f"é{CODE}", f"{CODE}\x00"])
def test_environment_code_errors_never_quote_it(value: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(Path("/nonexistent/config.toml"), env={"LIAOBOTS_AUTH_CODE": value})
    assert leaks(info.value.one_line().encode()) == []
    with pytest.raises(ConfigError) as info2:
        GatewayClient(["http://127.0.0.1:9"], value)
    assert leaks(str(info2.value).encode()) == []


# ---------------------------------------------------------------- a gateway that echoes the code


def _echo_gateway(request: httpx.Request) -> httpx.Response:
    """Every way a careless gateway can hand the code back, chosen by the request's path or query."""
    mode = request.url.params.get("mode") or request.headers.get("x-mode") or ""
    echo = f"Incorrect API key provided: {CODE}"
    if mode == "401":
        return httpx.Response(401, json={"error": {"message": echo, "type": "invalid_request_error"}})
    if mode == "403-anthropic":
        return httpx.Response(
            403, json={"type": "error", "error": {"type": "permission_error", "message": echo}}
        )
    if mode == "html":
        page = f"<html><head><title>Login for {CODE}</title></head><body>{CODE}</body></html>"
        return httpx.Response(500, text=page, headers={"content-type": "text/html"})
    if mode == "stream-error":
        body = f'data: {{"error": {{"message": "{echo}", "type": "server_error"}}}}\n\n'
        return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})
    if mode == "stream-garbage":
        return httpx.Response(
            200, text=f"data: {CODE} is not JSON\n\n", headers={"content-type": "text/event-stream"}
        )
    if mode == "200-html":
        return httpx.Response(200, text=f"<p>Welcome {CODE}</p>", headers={"content-type": "text/html"})
    if mode == "200-error":
        return httpx.Response(200, json={"error": {"message": echo}})
    if mode == "200-balance":
        return httpx.Response(200, json={"data": {"balance": CODE, "amount": 1}})
    if mode == "cursor":
        return httpx.Response(
            200, json={"data": {"balance": 1, "usage": {"list": [{"id": 1}], "nextId": CODE}}}
        )
    return httpx.Response(404, json={"error": {"message": f"unknown mode {mode!r}"}})


def _no_leak_in(error: BaseException | ErrorEvent) -> None:
    if isinstance(error, ErrorEvent):
        text = error.one_line() + repr(error)
    else:
        text = "".join(traceback.format_exception(error)) + repr(error.args)
    assert leaks(text.encode()) == [], text
    assert "[auth code]" in text or "HTTP 500" in text, text


@pytest.mark.parametrize("fmt", ["openai", "anthropic", "responses", "gemini"])
@pytest.mark.parametrize("mode", ["401", "403-anthropic", "html", "stream-error", "stream-garbage"])
async def test_echoed_code_is_masked_in_reply_errors(fmt: str, mode: str) -> None:
    adapter = get_adapter(fmt)
    conversation = Conversation([Message("user", [TextPart("hi")])])
    transport = httpx.MockTransport(_echo_gateway)
    async with GatewayClient(["http://gw.test"], CODE, transport=transport, max_retries=0) as client:
        client._client.headers["x-mode"] = mode
        parser = adapter.new_parser()
        events = [e async for e in client.stream_reply(adapter, conversation, RequestOptions("m"), parser)]
    errors = [e for e in events if isinstance(e, ErrorEvent)]
    assert len(errors) == 1, events
    _no_leak_in(errors[0])


@pytest.mark.parametrize("mode", ["401", "html", "200-html", "200-error", "200-balance", "cursor"])
async def test_echoed_code_is_masked_in_account_errors(mode: str) -> None:
    transport = httpx.MockTransport(_echo_gateway)
    async with GatewayClient(["http://gw.test"], CODE, transport=transport, max_retries=0) as client:
        client._client.headers["x-mode"] = mode
        calls = [fetch_credits(client), fetch_usage_page(client)]
        for call in calls:
            try:
                await call
            except LiaobotsError as exc:
                _no_leak_in(exc)
        try:
            async for _ in iter_usage(client, page_size=1):
                pass
        except LiaobotsError as exc:
            _no_leak_in(exc)
        else:
            assert mode == "200-balance"  # no usage in the reply: an empty history, nothing echoed
        models, from_gateway = await list_models(client)
        assert not from_gateway and leaks(json.dumps(models).encode()) == []


def test_env_only_run_writes_no_config_even_after_errors(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str], xdg_dirs: XdgDirs
) -> None:
    gw.faults.out_of_credit = True
    assert cli.main(["ask", "hi"]) == 1
    assert cli.main(["credits", "--base-url", f"http://127.0.0.1:{closed_port()}"]) == 1
    capsys.readouterr()
    assert not paths.config_file().exists() and not xdg_dirs.config.exists()
