"""Start-up does only what the first paint needs; the rest comes after it or on first use.

- importing the app leaves out Pillow, textual-image, tomlkit, httpx and the screens not shown;
- the first image imports textual-image without it asking the terminal anything (the app
  asked before it started) and draws with what the terminal said;
- the balance and the model list are asked for once the first chat is on screen, and
  still arrive;
- the chat screen's footer is rebuilt only when the keys it shows change.

(The start-up time itself is measured by bench/app_startup.py, never asserted here.)
"""

from __future__ import annotations

import asyncio
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from liaobots_tui.api.account import CREDITS_PATH
from liaobots_tui.api.messages import Message, TextDelta, TextPart
from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.store import Store
from liaobots_tui.ui.widgets.keys_footer import KeysFooter

from .conftest import AppFactory, ScriptedSession, offline_client, offline_settings
from .driving import chat, settle, until

ROOT = str(Path(__file__).resolve().parent.parent.parent)
SIZE = (110, 34)
NEWEST = "the newest reply ends with okapi"


def run_python(script: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """``script`` in a fresh interpreter (nothing imported yet) on this checkout."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))}
    env.pop("LIAOBOTS_IMAGE_MODE", None)
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    done = subprocess.run([sys.executable, "-c", script], env=env, text=True, check=False, **kwargs)
    assert done.returncode == 0, done.stderr
    return done


def test_importing_the_app_leaves_out_what_the_first_paint_does_not_need() -> None:
    later = [
        "PIL", "textual_image", "tomlkit",
        "httpx", "httpcore", "h11", "idna",  # the client is made (and httpx imported) on first request
        "ctypes",  # memory_release's malloc_trim, looked up at the first release
        "liaobots_tui.markdown_export",  # copying a code block, exporting a chat
        "liaobots_tui.ui.screens.usage", "liaobots_tui.ui.screens.setup",
        "liaobots_tui.ui.screens.model_picker", "liaobots_tui.ui.screens.chat_settings",
        "liaobots_tui.ui.screens.help", "liaobots_tui.ui.screens.compare",
        "liaobots_tui.ui.screens.image_viewer",
    ]  # fmt: skip
    script = f"import sys\nimport liaobots_tui.ui.app\nprint(*[m for m in {later!r} if m in sys.modules])\n"
    assert run_python(script).stdout.split() == []


def test_the_first_image_imports_textual_image_without_asking_the_terminal() -> None:
    # The child's stdin and stdout are a terminal that never answers: a probe would write
    # its questions there (and wait). The app asked before it started, so nothing may be written.
    script = (
        "from liaobots_tui.ui import images\n"
        "from liaobots_tui.ui.terminal_probe import TerminalGraphics\n"
        "images._SUPPORT.graphics = TerminalGraphics(tty=True, sixel=True, cell=(9, 18), answered=True)\n"
        "auto = images.image_widget_class('auto')\n"
        "from textual_image._terminal import get_cell_size\n"
        "import sys\n"
        "print(auto.__module__, auto.__name__, tuple(get_cell_size()), images.cell_size(), file=sys.stderr)\n"
    )
    master, slave = pty.openpty()
    try:
        done = run_python(script, stdin=slave, stdout=slave, stderr=subprocess.PIPE)
        os.close(slave)
        written = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child is gone and everything it wrote was read
                break
            if not chunk:
                break
            written += chunk
    finally:
        os.close(master)
    assert written == b""
    assert done.stderr.split() == ["textual_image.widget.sixel", "Image", "(9,", "18)", "(9,", "18)"]


async def test_the_balance_and_models_are_asked_for_once_the_chat_is_shown(
    make_app: AppFactory, store: Store
) -> None:
    cid = store.create_conversation(title="the latest chat")
    store.add_messages(
        cid, [Message("user", [TextPart("hi")]), Message("assistant", [TextPart(NEWEST)], model="m")]
    )
    asked: list[tuple[str, bool]] = []
    app_box: list[Any] = []

    def shown() -> bool:
        app = app_box[0]
        return app.first_paint.done and any(NEWEST in box.copy_text for box in chat(app).view.boxes())

    def client(base_urls: Any, auth_code: str) -> GatewayClient:
        def answer(request: httpx.Request) -> httpx.Response:
            asked.append((request.url.path, shown()))
            if request.url.path == CREDITS_PATH and "include_usage" not in request.url.params:
                return httpx.Response(200, json={"data": {"balance": 42.0, "amount": 100.0}})
            return httpx.Response(404, json={"error": {"message": "no"}})

        return GatewayClient(list(base_urls), auth_code, transport=httpx.MockTransport(answer), max_retries=0)

    app = make_app(offline_settings(), client_factory=client)
    app_box.append(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await until(pilot, lambda: chat(app).credits.credits is not None, "the balance")
        assert chat(app).credits.credits is not None and chat(app).credits.credits.balance == 42.0
    assert CREDITS_PATH in [path for path, _ in asked]
    assert any("models" in path for path, _ in asked)
    assert all(was_shown for _, was_shown in asked), asked


async def test_the_footer_is_rebuilt_only_when_its_keys_change(make_app: AppFactory, store: Store) -> None:
    gate = asyncio.Event()
    session = ScriptedSession(store, [TextDelta("one "), TextDelta("two")], gate=gate, hold_after=1)
    app = make_app(offline_settings(), client_factory=offline_client, session_factory=lambda c, s: session)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        footer = chat(app).query_one(KeysFooter)

        def keys() -> list[Any]:
            return list(footer.query("FooterKey"))

        def descriptions() -> list[str]:
            return [key.description for key in keys()]

        await until(pilot, lambda: bool(keys()), "the footer's keys")
        before = keys()
        chat(app).refresh_bindings()  # nothing shown changes: the same key widgets stay
        chat(app).prompt.focus()
        await settle(app, pilot)
        assert keys() == before

        chat(app).prompt.load_text("hello")
        await pilot.press("enter")
        await session.reached_gate.wait()
        await until(pilot, lambda: "Stop" in descriptions(), "Stop in the footer while the reply streams")
        gate.set()
        await settle(app, pilot)
        await until(pilot, lambda: "Stop" not in descriptions(), "Stop gone once the reply ended")
