"""What keeps `liaobots ask` close to a bare httpx loop: nothing loaded that a text turn does not
need, and text that reaches a terminal per network read while the reply is still streaming.

(The speed itself is measured by bench/stream_overhead.py, never asserted here.)
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.demo.replies import split_deltas
from tests.cli_driving import gateway_in_env

MODEL = "gpt-5.4"


@pytest.fixture
def gw(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGateway]:
    with gateway_in_env(monkeypatch, "speed-test-code") as gateway:
        yield gateway


def _child_env() -> dict[str, str]:
    """This environment for a child `liaobots`, with Python's own stdout buffering (as a user has it):
    under PYTHONUNBUFFERED every write would reach the terminal, flushed or not."""
    root = str(Path(__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    env.pop("PYTHONUNBUFFERED", None)
    return env


def test_a_text_turn_never_loads_pillow(gw: FakeGateway) -> None:
    """Pillow (and the image checks) cost a text-only ask ~25 ms of start-up: loaded only for images."""
    script = (
        "import sys, io, contextlib\n"
        "from liaobots_tui import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        f"    code = cli.main(['ask', '-m', {MODEL!r}, 'hello'])\n"
        "print(code, 'PIL' in sys.modules, bool(out.getvalue().strip()))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=_child_env(), capture_output=True, text=True, check=False
    )
    assert done.stdout.split() == ["0", "False", "True"], done.stderr


def test_an_attachment_still_loads_the_image_checks(gw: FakeGateway, tmp_path: Path) -> None:
    """The lazy import is not a skipped check: a non-image attachment is refused as before."""
    bogus = tmp_path / "notes.png"
    bogus.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))  # a PNG signature, then no image
    done = subprocess.run(
        [sys.executable, "-m", "liaobots_tui", "ask", "-m", MODEL, "-a", str(bogus), "look"],
        env=_child_env(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "not a text file, image or PDF" in done.stderr
    assert "Traceback" not in done.stderr


#: A failing run gives up after this long instead of hanging on the stalled stream (a guard, not a
#: timing assertion: a passing run returns as soon as the text shows).
GIVE_UP_AFTER = 120.0


def _read_until(fd: int, wanted: bytes, proc: subprocess.Popen[bytes]) -> bytes:
    """Bytes from the terminal ``fd`` until they hold ``wanted`` (or the child has exited and said all)."""
    seen = b""
    give_up = time.monotonic() + GIVE_UP_AFTER
    while wanted not in seen and time.monotonic() < give_up:
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed its side
            break
        if not chunk:
            break
        seen += chunk
    return seen


def test_a_terminal_sees_the_text_while_the_reply_still_streams(gw: FakeGateway) -> None:
    """Flushed per network read, not at the end: the gateway stalls after three deltas, and those three
    are on the terminal while the process is still waiting for the rest."""
    prompt = "tell me about flushing"
    first = "".join(split_deltas(gw.reply_text_for(MODEL, prompt))[:3]).strip()
    gw.faults.stall_after = 3
    gw.faults.stall_seconds = 600.0
    controller_fd, child_fd = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "liaobots_tui", "ask", "--plain", "-m", MODEL, prompt],
        stdin=subprocess.DEVNULL, stdout=child_fd, stderr=subprocess.PIPE, env=_child_env(),
    )  # fmt: skip
    os.close(child_fd)
    try:
        seen = _read_until(controller_fd, first.encode(), proc)
        assert first.encode() in seen, (seen, proc.poll())
        assert proc.poll() is None  # the reply is stalled, not over: the text came out mid-stream
    finally:
        proc.kill()
        proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()
        os.close(controller_fd)
