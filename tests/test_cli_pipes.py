"""The CLI in a real pipeline: a reader that leaves early (``liaobots ask … | head``) ends the run quietly.

Each test runs ``liaobots`` as a subprocess whose stdout is a real pipe, against
the fake gateway on loopback, with its own ``LIAOBOTS_HOME``.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from liaobots_tui.demo.gateway import FakeGateway

AUTH = "pipe-code-123456"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def gw() -> Iterator[FakeGateway]:
    with FakeGateway(auth_code=AUTH) as gateway:
        yield gateway


def _env(gw: FakeGateway, home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        LIAOBOTS_AUTH_CODE=AUTH,
        LIAOBOTS_BASE_URL=",".join(gw.urls),
        LIAOBOTS_HOME=str(home),
        PYTHONPATH=str(PROJECT_ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    env.pop("LIAOBOTS_CONFIG_FILE", None)
    return env


def _run_into_closed_pipe(gw: FakeGateway, home: Path, *argv: str) -> tuple[int, str]:
    """Run ``liaobots ARGV`` with stdout a pipe nobody reads (its read end closed before the first byte).

    The first write the CLI makes fails with EPIPE, whenever it comes: no timing involved.
    """
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "liaobots_tui", *argv],
            stdout=write_end, stderr=subprocess.PIPE, env=_env(gw, home), timeout=120, check=False,
        )  # fmt: skip
    finally:
        os.close(write_end)
    return proc.returncode, proc.stderr.decode("utf-8", "replace")


def _messages(home: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(home / "history.sqlite3") as db:
        rows = db.execute("SELECT role, status FROM messages ORDER BY id")
        return [(role, status) for role, status in rows]


@pytest.mark.parametrize("extra", [[], ["--no-stream"], ["--plain"]])
def test_ask_into_a_closed_pipe_ends_quietly_and_keeps_the_reply(
    gw: FakeGateway, tmp_path: Path, extra: list[str]
) -> None:
    code, err = _run_into_closed_pipe(gw, tmp_path, "ask", *extra, "-m", "gpt-5.4", "Tell me about tables")
    assert code in (0, 141), err
    assert err == ""
    messages = _messages(tmp_path)
    assert messages[0] == ("user", "complete")
    # The reply is closed out (never left "streaming"): cancelled where the pipe broke mid-stream.
    assert messages[1][0] == "assistant" and messages[1][1] in ("cancelled", "complete")
    assert len(messages) == 2


def test_json_and_image_into_a_closed_pipe_end_quietly(gw: FakeGateway, tmp_path: Path) -> None:
    code, err = _run_into_closed_pipe(gw, tmp_path, "ask", "--json", "-m", "gpt-5.4", "hello")
    assert (code, err) in ((0, ""), (141, ""))
    code, err = _run_into_closed_pipe(gw, tmp_path, "image", "a fox", "-o", str(tmp_path / "out"))
    # `image` writes the reply's text to stderr (stdout is for paths): that text, and nothing else.
    assert code in (0, 141) and err.startswith("*gemini") and "Error" not in err and "Traceback" not in err
    assert all(status != "streaming" for _, status in _messages(tmp_path))


def test_reader_leaving_midway_through_a_long_reply(gw: FakeGateway, tmp_path: Path) -> None:
    """``liaobots ask … | head -1``: the reader takes one line and leaves while the reply still streams."""
    gw.faults.delta_delay = 0.01
    proc = subprocess.Popen(
        [sys.executable, "-m", "liaobots_tui", "ask", "-m", "gpt-5.4", "Tell me about tables"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(gw, tmp_path),
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode("utf-8", "replace")
    code = proc.wait(timeout=120)
    assert first.strip()
    assert code in (0, 141) and err == ""
    assert _messages(tmp_path)[-1][1] in ("cancelled", "complete")
