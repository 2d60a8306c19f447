"""Crash safety: kill -9 in the middle of a streamed reply, and several writers on one database.

The kill test polls (with a hang guard, never a pace) the history file, read-only,
until the child has flushed its partial reply more than once, then kills it: what
was on disk before the kill must be there after it. (It compared against how much
had been printed 1.25 s before the kill, a timing assertion that failed at load 9-10
when the child or the fake gateway was starved past the flush interval; the
interval itself is tested with a fake clock in tests/test_store_streaming.py.)
Everything else waits on events and thread joins.

What concurrency guarantees: every write is one ``BEGIN IMMEDIATE`` transaction,
so any number of processes and threads may write the same file without losing or
corrupting a message; ChatSession saves a prompt and its reply placeholder in one
transaction, so a turn's user message and reply stay next to each other even when
turns of one conversation start at the same instant.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from liaobots_tui import cli
from liaobots_tui.api.messages import Message, RequestOptions, TextDelta, TextPart
from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.chat import ChatSession, TurnStarted
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.store import INTERRUPTED, Store

pytestmark = pytest.mark.crash

AUTH = "crash-test-code-51c9a0"
MODEL = "gpt-5.4"


@pytest.fixture
def gw() -> Iterator[FakeGateway]:
    with FakeGateway(auth_code=AUTH) as gateway:
        yield gateway


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gw: FakeGateway) -> Path:
    """A LIAOBOTS_HOME for this process and its children, pointing at the fake gateway."""
    path = tmp_path / "home"
    monkeypatch.setenv("LIAOBOTS_HOME", str(path))
    monkeypatch.setenv("LIAOBOTS_AUTH_CODE", AUTH)
    monkeypatch.setenv("LIAOBOTS_BASE_URL", ",".join(gw.urls))
    return path


def integrity_ok(db: Path) -> bool:
    con = sqlite3.connect(db)
    try:
        return con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        con.close()


def flushed_reply_bytes(db: Path) -> int:
    """UTF-8 bytes of reply text on disk now, read without writing (WAL: the writer is not held)."""
    if not db.exists():
        return 0
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return int(
            con.execute(
                "SELECT (SELECT COALESCE(SUM(LENGTH(CAST(p.text AS BLOB))), 0) FROM parts p"
                " JOIN messages m ON m.id = p.message_id WHERE m.role = 'assistant' AND p.kind = 'text')"
                " + (SELECT COALESCE(SUM(LENGTH(CAST(k.text AS BLOB))), 0) FROM part_chunks k"
                " JOIN messages m ON m.id = k.message_id WHERE m.role = 'assistant')"
            ).fetchone()[0]
        )
    except sqlite3.OperationalError:  # the child has not made its tables yet
        return 0
    finally:
        con.close()


def user(text: str) -> Message:
    return Message("user", [TextPart(text)])


# ---------------------------------------------------------------- kill -9


class _Reader(threading.Thread):
    """Reads the child's stdout as it comes (a full pipe would stall the child)."""

    def __init__(self, stream: object) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.data = bytearray()

    def run(self) -> None:
        fd = self.stream.fileno()  # type: ignore[attr-defined]
        while chunk := os.read(fd, 65536):
            self.data += chunk


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_kill_9_mid_reply_keeps_prompt_and_flushed_partial_reply(
    gw: FakeGateway, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gw.faults.delta_delay = 0.0005  # 200,000 deltas would take minutes: it is still streaming when killed
    prompt = "Write at length [[deltas=200000]]"
    child = subprocess.Popen(
        [sys.executable, "-m", "liaobots_tui", "ask", "-m", MODEL, prompt],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
    )
    reader = _Reader(child.stdout)
    reader.start()
    db = home / "history.sqlite3"
    try:
        deadline = time.monotonic() + 120  # a hang guard (a starved child starts slowly), not a pace
        flushes: list[int] = []  # the distinct sizes seen on disk, growing
        while len(flushes) < 3:  # flushed twice after the first save: it streams and saves as it goes
            on_disk = flushed_reply_bytes(db)
            if on_disk and (not flushes or on_disk > flushes[-1]):
                flushes.append(on_disk)
            assert child.poll() is None, child.stderr.read().decode()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, f"the child never flushed its reply thrice: {flushes}"
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    reader.join(timeout=10)
    printed = reader.data.decode("utf-8", "replace")
    # What was on disk before the kill is there after it (nothing flushed is lost or torn).
    must_have = flushes[-1]
    gw.faults.reset()

    assert integrity_ok(db)
    full = gw.reply_text_for(MODEL, prompt)
    with Store(db, home / "images") as store:
        cid = store.latest_conversation_id()
        assert cid is not None and store.count_conversations() == 1
        conversation = store.load_conversation(cid)
        first_user, reply = conversation.messages
        assert (first_user.role, first_user.text, first_user.status) == ("user", prompt, "complete")
        assert (reply.role, reply.status, reply.error, reply.model) == (
            "assistant",
            "failed",
            INTERRUPTED,
            MODEL,
        )
        assert reply.text and full.startswith(reply.text)
        assert len(reply.text.encode()) >= must_have > 0, (len(reply.text.encode()), must_have)
        assert full.startswith(printed)
        # The file itself still says "streaming": loading reports it, it does not rewrite it.
        raw = sqlite3.connect(db).execute("SELECT status FROM messages WHERE role='assistant'").fetchall()
        assert raw == [("streaming",)]

    # Restart: the next `ask -c` continues the same conversation, the interrupted reply stays as it was.
    assert cli.main(["ask", "-c", "are you back?"]) == 0
    out = capsys.readouterr().out
    with Store(db, home / "images") as store:
        messages = store.load_conversation(cid).messages
    assert [(m.role, m.status) for m in messages] == [
        ("user", "complete"),
        ("assistant", "failed"),
        ("user", "complete"),
        ("assistant", "complete"),
    ]
    assert messages[1].text == reply.text and messages[1].error == INTERRUPTED
    assert messages[3].text + "\n" == out
    assert integrity_ok(db)


# ---------------------------------------------------------------- several writers


def _run_turns(db: Path, images: Path, urls: list[str], prompts: list[str], cid: int | None = None) -> int:
    """One writer: its own Store (connection) and event loop, in the calling thread."""

    async def main() -> int:
        nonlocal cid
        with Store(db, images) as store:
            async with GatewayClient(urls, AUTH) as client:
                # flush_interval=0: every delta is a write, the most contention a writer can make.
                session = ChatSession(client, store, flush_interval=0)
                for prompt in prompts:
                    async for event in session.send(cid, user(prompt), RequestOptions(MODEL)):
                        if isinstance(event, TurnStarted):
                            cid = event.conversation_id
        assert cid is not None
        return cid

    return asyncio.run(main())


class _Writer(threading.Thread):
    def __init__(self, *args: object) -> None:
        super().__init__()
        self.args = args
        self.cid: int | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.cid = _run_turns(*self.args)  # type: ignore[arg-type]
        except BaseException as exc:  # surfaced by the test after join
            self.error = exc


def test_concurrent_writers_on_separate_conversations(gw: FakeGateway, tmp_path: Path) -> None:
    db, images = tmp_path / "h.sqlite3", tmp_path / "images"
    prompts = {w: [f"writer {w} turn {t}" for t in range(4)] for w in range(4)}
    writers = [_Writer(db, images, gw.urls, prompts[w]) for w in range(4)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=60)
        assert writer.error is None, writer.error
    assert integrity_ok(db)
    with Store(db, images) as store:
        assert store.count_conversations() == 4
        for w, writer in enumerate(writers):
            assert writer.cid is not None
            messages = store.load_conversation(writer.cid).messages
            assert [m.role for m in messages] == ["user", "assistant"] * 4
            for prompt, u, a in zip(prompts[w], messages[0::2], messages[1::2], strict=True):
                assert u.text == prompt
                assert a.status == "complete" and a.text == gw.reply_text_for(MODEL, prompt)


def test_alternating_writers_on_one_conversation_keep_pairs_together(gw: FakeGateway, tmp_path: Path) -> None:
    """Two processes' worth of Store objects taking turns in the same conversation (app, then `ask -c`…)."""
    db, images = tmp_path / "h.sqlite3", tmp_path / "images"
    cid = _run_turns(db, images, gw.urls, ["turn 0"])
    for n in range(1, 6):
        _run_turns(db, images, gw.urls, [f"turn {n}"], cid)
    with Store(db, images) as store:
        messages = store.load_conversation(cid).messages
    assert [m.text for m in messages[0::2]] == [f"turn {n}" for n in range(6)]
    assert [m.text for m in messages[1::2]] == [gw.reply_text_for(MODEL, f"turn {n}") for n in range(6)]
    assert integrity_ok(db)


def test_ask_c_while_the_app_streams_into_the_same_conversation(
    gw: FakeGateway, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The app's reply is mid-stream when `ask -c` adds two turns: nothing lost, nothing interleaved."""
    gw.faults.stall_after = 5
    gw.faults.stall_seconds = 1.5  # the app's stream pauses here, then finishes on its own
    app_prompt = "app question"
    mid_stream = threading.Event()
    result: dict[str, object] = {}

    async def app() -> None:
        from liaobots_tui import paths

        with Store(paths.db_file(), paths.images_dir()) as store:
            async with GatewayClient(gw.urls, AUTH) as client:
                deltas = 0
                async for event in ChatSession(client, store).send(
                    None, user(app_prompt), RequestOptions(MODEL)
                ):
                    if isinstance(event, TurnStarted):
                        result["cid"] = event.conversation_id
                    if isinstance(event, TextDelta):
                        deltas += 1
                        if deltas == 5:
                            mid_stream.set()

    def app_thread() -> None:
        try:
            asyncio.run(app())
        except BaseException as exc:
            result["error"] = exc
            mid_stream.set()

    thread = threading.Thread(target=app_thread)
    thread.start()
    try:
        assert mid_stream.wait(timeout=30)
        assert "error" not in result, result
        gw.faults.stall_after = None  # only the app's stream stalls
        for prompt in ("cli one", "cli two"):
            assert cli.main(["ask", "-c", prompt]) == 0
        capsys.readouterr()
    finally:
        thread.join(timeout=30)
    assert "error" not in result, result

    from liaobots_tui import paths

    with Store(paths.db_file(), paths.images_dir()) as store:
        assert store.count_conversations() == 1
        messages = store.load_conversation(int(result["cid"])).messages  # type: ignore[call-overload]
    assert [(m.role, m.status) for m in messages] == [("user", "complete"), ("assistant", "complete")] * 3
    assert [m.text for m in messages[0::2]] == [app_prompt, "cli one", "cli two"]
    assert messages[1].text == gw.reply_text_for(MODEL, app_prompt)  # the app's final update won
    assert integrity_ok(paths.db_file())


def test_racing_turns_in_one_conversation_lose_nothing(gw: FakeGateway, tmp_path: Path) -> None:
    """Turns of one conversation started at the same instant: nothing lost, each prompt next to its reply."""
    db, images = tmp_path / "h.sqlite3", tmp_path / "images"
    cid = _run_turns(db, images, gw.urls, ["seed"])
    prompts = {w: [f"racer {w} turn {t}" for t in range(3)] for w in range(3)}
    writers = [_Writer(db, images, gw.urls, prompts[w], cid) for w in range(3)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=60)
        assert writer.error is None, writer.error
    assert integrity_ok(db)
    with Store(db, images) as store:
        messages = store.load_conversation(cid).messages
    user_texts = sorted(m.text for m in messages if m.role == "user")
    assert user_texts == sorted(["seed", *(p for ps in prompts.values() for p in ps)])
    replies = [m for m in messages if m.role == "assistant"]
    assert len(replies) == 10 and all(m.status == "complete" and m.text for m in replies)
    assert len({m.id for m in messages}) == 20
    assert [m.role for m in messages] == ["user", "assistant"] * 10
    for prompt, reply in zip(messages[0::2], messages[1::2], strict=True):
        assert reply.text == gw.reply_text_for(reply.model or "", prompt.text)
