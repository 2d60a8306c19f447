"""SVG snapshots of the main layouts (pytest-textual-snapshot).

Deterministic by construction: fixed terminal size, pinned theme, a scripted
reply instead of the gateway, an offline client (no ports in the status line),
no clock anywhere, the prompt's cursor blink off. Refresh with
``pytest tests/ui/test_snapshots.py --snapshot-update`` after a deliberate change.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from liaobots_tui.api.account import CREDITS_PATH
from liaobots_tui.api.messages import ReasoningDelta, TextDelta
from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.store import Store
from liaobots_tui.ui.app import LiaobotsApp
from liaobots_tui.ui.themes import builtin_themes_dir
from tests.ui.conftest import ScriptedSession, offline_settings
from tests.ui.driving import settle, type_text

pytestmark = pytest.mark.ui

SNAP_SIZE = (110, 34)

REPLY = """## Reading a file lazily

Iterate over the file object, so memory stays flat:

```python
def count_errors(path):
    with open(path, encoding="utf-8") as fh:
        return sum("ERROR" in line for line in fh)
```

- `readlines()` loads everything at once
- pass `encoding=` explicitly

| Approach | Memory |
|---|---|
| `for line in fh` | constant |
| 中文 `readlines()` | 整个文件 |
"""


@pytest.fixture(autouse=True)
def fixed_reply_durations(monkeypatch: pytest.MonkeyPatch) -> None:
    """The line under a reply shows how long it took: wall-clock time, pinned so the picture holds still."""
    monkeypatch.setattr("liaobots_tui.reply_line.elapsed_text", lambda seconds: "1.2 s")


def _app(tmp_path: Path, script: list[Any], *, theme: str = "liaobots-dark", **settings: Any) -> LiaobotsApp:
    store = Store(tmp_path / "history.sqlite3", tmp_path / "images")
    session = ScriptedSession(store, script)
    return LiaobotsApp(
        offline_settings(theme=theme, **settings),
        store=store,
        client_factory=_snapshot_client,
        session_factory=lambda client, s: session,
        config_path=tmp_path / "config.toml",
        theme_dirs=[builtin_themes_dir()],
    )


def _snapshot_client(base_urls: Any, auth_code: str) -> GatewayClient:
    """Like offline_client, but the credits endpoint answers a fixed balance (the sidebar shows it)."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == CREDITS_PATH and "include_usage" not in request.url.params:
            return httpx.Response(200, json={"data": {"balance": 85.5, "amount": 100.0}})
        return httpx.Response(404, json={"error": {"message": "no"}})

    return GatewayClient(list(base_urls), auth_code, transport=httpx.MockTransport(answer), max_retries=0)


async def _quiet(pilot: Any) -> None:
    app = pilot.app
    await settle(app, pilot)
    # A blinking cursor is in either phase when the picture is taken: hold it on.
    for field in app.screen.query("TextArea, Input"):
        field.cursor_blink = False
    await pilot.pause()


def _send(text: str) -> Any:
    async def run(pilot: Any) -> None:
        await _quiet(pilot)
        pilot.app.screen.query_one("#prompt").load_text(text)
        await pilot.press("enter")
        await pilot.app.workers.wait_for_complete()
        await _quiet(pilot)

    return run


def test_chat_with_a_markdown_reply(snap_compare: Any, tmp_path: Path) -> None:
    app = _app(tmp_path, [TextDelta(REPLY[i : i + 7]) for i in range(0, len(REPLY), 7)])
    assert snap_compare(app, terminal_size=SNAP_SIZE, run_before=_send("How do I read a big file?"))


def test_chat_light_theme_with_thinking(snap_compare: Any, tmp_path: Path) -> None:
    script = [
        ReasoningDelta("The user wants a haiku."),
        TextDelta("Autumn moonlight—\na worm digs silently\ninto the chestnut."),
    ]
    app = _app(tmp_path, script, theme="liaobots-light", model="claude-sonnet-4-6")
    assert snap_compare(app, terminal_size=SNAP_SIZE, run_before=_send("A haiku, please"))


def test_empty_chat_high_contrast(snap_compare: Any, tmp_path: Path) -> None:
    app = _app(tmp_path, [], theme="liaobots-high-contrast")
    assert snap_compare(app, terminal_size=SNAP_SIZE, run_before=_quiet)


def test_setup_screen(snap_compare: Any, tmp_path: Path) -> None:
    app = _app(tmp_path, [], auth_code="")
    app.config_path = Path("/home/user/.config/liaobots/config.toml")
    assert snap_compare(app, terminal_size=SNAP_SIZE, run_before=_quiet)


def test_model_picker(snap_compare: Any, tmp_path: Path) -> None:
    async def open_picker(pilot: Any) -> None:
        await _quiet(pilot)
        await pilot.press("ctrl+o")
        await type_text(pilot, "gemini")
        await _quiet(pilot)

    app = _app(tmp_path, [])
    assert snap_compare(app, terminal_size=SNAP_SIZE, run_before=open_picker)


def test_help_screen(snap_compare: Any, tmp_path: Path) -> None:
    async def open_help(pilot: Any) -> None:
        await _quiet(pilot)
        await pilot.press("f1")
        await _quiet(pilot)

    app = _app(tmp_path, [])
    assert snap_compare(app, terminal_size=SNAP_SIZE, run_before=open_help)
