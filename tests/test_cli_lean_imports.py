"""httpx as `liaobots` loads it (api/lean_httpx.py): without its command-line extra or trio, which
cost a text turn ~150 ms of start-up, and without holding either back from anyone else.

(The start-up time itself is measured by bench/stream_overhead.py, never asserted here.)
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from liaobots_tui.demo.gateway import FakeGateway
from tests.cli_driving import gateway_in_env

MODEL = "gpt-5.4"
ROOT = str(Path(__file__).resolve().parent.parent)


@pytest.fixture
def gw(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGateway]:
    with gateway_in_env(monkeypatch, "lean-imports-code") as gateway:
        yield gateway


def run_python(script: str) -> list[str]:
    """The words ``script`` prints, run in a fresh interpreter (nothing imported yet) on this checkout."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


#: trio is optional (httpcore uses it when installed): what is held back from httpcore alone is
#: checked where it is installed.
needs_trio = pytest.mark.skipif(importlib.util.find_spec("trio") is None, reason="trio is not installed")

LOADED = "print(*sorted(m for m in ('rich', 'click', 'pygments', 'trio') if m in sys.modules) or ['none'])\n"


def test_a_text_turn_loads_neither_httpx_extras_nor_trio(gw: FakeGateway) -> None:
    script = (
        "import sys, io, contextlib\n"
        "from liaobots_tui import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        f"    code = cli.main(['ask', '-m', {MODEL!r}, 'hello'])\n"
        "print(code, bool(out.getvalue().strip()))\n" + LOADED
    )
    assert run_python(script) == ["0", "True", "none"]


def test_what_is_kept_out_stays_importable_for_others() -> None:
    script = (
        "import sys, asyncio\n"
        "from liaobots_tui.api.lean_httpx import httpx\n"
        "import httpcore\n"  # the client's own pool: made without trio ...
        "async def get():\n"
        "    async with httpx.AsyncClient(transport=httpx.AsyncHTTPTransport()) as client:\n"
        "        return client\n"
        "asyncio.run(get())\n" + LOADED + "import httpx._main\n"  # ... and the extra may still be imported
        "print(callable(httpx._main.main))\n"
    )
    assert run_python(script) == ["none", "True"]


@needs_trio
def test_trio_is_held_back_from_httpcore_alone() -> None:
    script = (
        "import sys\n"
        "from liaobots_tui.api.lean_httpx import httpx\n"
        "import httpcore._synchronization as sync\n"
        "import trio\n"  # others may still import it
        "print(sync.trio is None, trio.__name__)\n"
    )
    assert run_python(script) == ["True", "trio"]


@needs_trio
def test_httpx_loaded_first_elsewhere_is_left_as_it_is() -> None:
    """Imported before this module (a test, a plugin), httpx and httpcore keep their extras and trio."""
    script = (
        "import sys, httpx, httpcore\n"
        "from liaobots_tui.api.lean_httpx import httpx as lean\n"
        "import httpcore._synchronization as sync\n"
        "print(lean is httpx, sync.trio is not None)\n"
    )
    assert run_python(script) == ["True", "True"]
