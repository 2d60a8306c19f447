"""Storage faults give one line, never a traceback: through the Store, a streaming turn, the CLI and the app.

Faults are real SQLite and file-system conditions wherever this machine can make them:
a data dir under a regular file, another connection holding the write lock past the busy
timeout, a database that may not grow by one page (``PRAGMA max_page_count``: SQLite's own
"database or disk is full"), ``PRAGMA query_only`` (SQLite's own read-only error), a
dropped table, damaged rows. The CLI is reached through ``schema.Connection``, the seam
where a test installs a connection class that brings the fault with it.
"""

from __future__ import annotations

import errno
import io
import os
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from liaobots_tui import paths
from liaobots_tui.api.messages import ErrorEvent, ImagePart, Message, RequestOptions, TextPart
from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.chat import ChatSession, TurnEnded, TurnStarted
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.errors import StorageError
from liaobots_tui.store import INTERRUPTED, Store, images, schema
from tests.cli_driving import Result, gateway_in_env, run_cli

AUTH = "storage-faults-code"
LONG = "tell me a long story [[deltas=3000]]"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "history.sqlite3"


@pytest.fixture
def store(db_path: Path, tmp_path: Path) -> Iterator[Store]:
    with Store(db_path, tmp_path / "data" / "images") as s:
        yield s


@pytest.fixture
def quick_lock_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give up on a held lock after 50 ms instead of 5 s (the lock below is never released)."""
    monkeypatch.setattr(schema, "BUSY_TIMEOUT_MS", 50)


def one_line(error: StorageError | ErrorEvent) -> str:
    """The error as the CLI prints it, checked to be one line."""
    text = error.one_line()
    assert text.startswith("History storage error: ") and "\n" not in text, text
    return text


def fill_disk(db: sqlite3.Connection) -> None:
    """From now on the file may not grow by one page: a write that needs one fails as on a full disk."""
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")


def held_write_lock(db_path: Path) -> sqlite3.Connection:
    """Another program holding the write lock and never letting go."""
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


# ---------------------------------------------------------------- through the Store


def test_data_dir_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data dir should be")
    with pytest.raises(StorageError) as caught:
        Store(blocker / "data" / "history.sqlite3", blocker / "data" / "images")
    assert "not-a-dir" in one_line(caught.value)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_read_only_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "ro"
    data.mkdir()
    data.chmod(0o500)
    try:
        with pytest.raises(StorageError) as caught:
            Store(data / "history.sqlite3", data / "images")
        one_line(caught.value)
    finally:
        data.chmod(0o700)


def test_read_only_database(store: Store) -> None:
    cid = store.create_conversation()
    store._db.execute("PRAGMA query_only = ON")
    with pytest.raises(StorageError) as caught:
        store.add_message(cid, Message("user", [TextPart("hi")]))
    assert "read-only" in one_line(caught.value)
    assert store.load_conversation(cid).messages == ()  # reads still work


def test_lock_held_past_the_busy_timeout(quick_lock_timeout: None, db_path: Path, tmp_path: Path) -> None:
    with Store(db_path, tmp_path / "images") as store:
        cid = store.create_conversation()
        other = held_write_lock(db_path)
        try:
            with pytest.raises(StorageError) as caught:
                store.add_message(cid, Message("user", [TextPart("hi")]))
            assert "locked" in one_line(caught.value)
            assert store.count_conversations() == 1  # WAL: reading beside the writer still works
        finally:
            other.close()
        store.add_message(cid, Message("user", [TextPart("after the lock went")]))


def test_disk_full(store: Store) -> None:
    cid = store.create_conversation()
    fill_disk(store._db)
    with pytest.raises(StorageError) as caught:
        store.add_message(cid, Message("user", [TextPart("x" * 100_000)]))
    assert "full" in one_line(caught.value)
    assert store.load_conversation(cid).messages == ()  # the transaction left nothing behind


def test_disk_full_while_writing_an_image_file(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_space(directory: Path, stem: str, ext: str, data: bytes) -> Path:
        raise OSError(errno.ENOSPC, "No space left on device", str(directory / f"{stem}{ext}"))

    monkeypatch.setattr(images, "write_new_file", no_space)
    cid = store.create_conversation()
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, format="PNG")
    data = buffer.getvalue()
    with pytest.raises(StorageError) as caught:
        store.save_generated_image(cid, ImagePart(data, generated=True))
    assert "disk is full" in one_line(caught.value)
    with pytest.raises(StorageError):
        store.add_message(cid, Message("user", [ImagePart(data)]))
    assert store.load_conversation(cid).messages == ()


def test_dropped_table_is_reported_at_open(db_path: Path, tmp_path: Path) -> None:
    Store(db_path, tmp_path / "images").close()
    with closing(sqlite3.connect(db_path)) as db:
        db.execute("DROP TABLE parts")
    with pytest.raises(StorageError) as caught:
        Store(db_path, tmp_path / "images")
    assert "damaged" in one_line(caught.value) and "parts" in caught.value.message


def test_table_dropped_while_running(store: Store, db_path: Path) -> None:
    cid = store.create_conversation()
    with closing(sqlite3.connect(db_path)) as db:
        db.execute("DROP TABLE part_chunks")
    with pytest.raises(StorageError) as caught:
        store.load_conversation(cid)
    assert "damaged" in one_line(caught.value)


def test_not_a_database(db_path: Path, tmp_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)  # a damaged header
    with pytest.raises(StorageError) as caught:
        Store(db_path, tmp_path / "images")
    one_line(caught.value)


# ---------------------------------------------------------------- a streaming turn


@pytest.fixture
def gw() -> Iterator[FakeGateway]:
    with FakeGateway(auth_code=AUTH) as gateway:
        yield gateway


async def run_turn(store: Store, gw: FakeGateway, fault: Any) -> tuple[int, list[Any]]:
    """One turn flushing after every delta; ``fault(store)`` strikes once the reply is streaming."""
    events: list[Any] = []
    cid = -1
    async with GatewayClient(gw.urls, AUTH) as client:
        session = ChatSession(client, store, flush_interval=0)
        async for event in session.send(None, Message("user", [TextPart(LONG)]), RequestOptions("gpt-5.4")):
            events.append(event)
            if isinstance(event, TurnStarted):
                cid = event.conversation_id
            elif len(events) == 50:
                fault(store)
    return cid, events


async def test_disk_fills_mid_reply_closes_it_out_as_failed(store: Store, gw: FakeGateway) -> None:
    cid, events = await run_turn(store, gw, lambda s: fill_disk(s._db))
    errors = [e for e in events if isinstance(e, ErrorEvent)]
    assert len(errors) == 1 and errors[0].kind == "storage" and "full" in one_line(errors[0])
    ended = events[-1]
    assert isinstance(ended, TurnEnded) and ended.reply.status == "failed"
    saved = store.load_conversation(cid).messages
    assert saved[0].text == LONG  # the prompt is never lost
    assert saved[1].status == "failed" and "full" in (saved[1].error or "")  # closed out, not "interrupted"
    assert saved[1].text and ended.reply.text.startswith(saved[1].text)  # what was flushed is kept
    assert saved[1].ended_at is not None


async def test_database_turns_read_only_mid_reply(store: Store, gw: FakeGateway) -> None:
    cid, events = await run_turn(store, gw, lambda s: s._db.execute("PRAGMA query_only = ON"))
    errors = [e for e in events if isinstance(e, ErrorEvent)]
    assert len(errors) == 1 and "read-only" in one_line(errors[0])
    assert isinstance(events[-1], TurnEnded) and events[-1].reply.status == "failed"
    # Nothing could be written any more: the reply reads as interrupted, with what was flushed.
    saved = store.load_conversation(cid).messages[1]
    assert (saved.status, saved.error) == ("failed", INTERRUPTED) and saved.text


async def test_cancel_with_a_full_disk_still_cancels(store: Store, gw: FakeGateway) -> None:
    async with GatewayClient(gw.urls, AUTH) as client:
        session = ChatSession(client, store, flush_interval=10_000)
        stream = session.send(None, Message("user", [TextPart(LONG)]), RequestOptions("gpt-5.4"))
        count = 0
        async for event in stream:
            count += 1
            if isinstance(event, TurnStarted):
                cid = event.conversation_id
                fill_disk(store._db)
            if count == 2000:
                break
        await stream.aclose()  # GeneratorExit, not a StorageError: the consumer asked to stop
    saved = store.load_conversation(cid).messages[1]
    assert saved.status == "failed" and "full" in (saved.error or "")


# ---------------------------------------------------------------- through the CLI


@pytest.fixture
def cli_gw(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGateway]:
    with gateway_in_env(monkeypatch, AUTH) as gateway:
        yield gateway


def assert_one_line_exit_1(result: Result) -> str:
    assert result.code == 1, result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("liaobots: History storage error: "), result
    return lines[0]


class _FullDisk(sqlite3.Connection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fill_disk(self)


class _ReadOnly(sqlite3.Connection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.execute("PRAGMA query_only = ON")


def ask(capsys: pytest.CaptureFixture[str], *argv: str) -> Result:
    return run_cli(capsys, "ask", "-m", "gpt-5.4", *argv)


def test_cli_data_dir_unusable(cli_gw: FakeGateway, capsys: pytest.CaptureFixture[str], tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker))
    assert_one_line_exit_1(ask(capsys, "hi"))
    assert cli_gw.requests == [] or all("chat" not in str(r.path) for r in cli_gw.requests)


def test_cli_read_only_history(cli_gw: FakeGateway, capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    assert ask(capsys, "first").code == 0
    monkeypatch.setattr(schema, "Connection", _ReadOnly)
    assert "read-only" in assert_one_line_exit_1(ask(capsys, "-c", "second"))


def test_cli_history_locked(
    cli_gw: FakeGateway, capsys: pytest.CaptureFixture[str], quick_lock_timeout: None
) -> None:
    assert ask(capsys, "first").code == 0
    other = held_write_lock(paths.db_file())
    try:
        assert "locked" in assert_one_line_exit_1(ask(capsys, "-c", "second"))
    finally:
        other.close()


def test_cli_disk_full_mid_reply(cli_gw: FakeGateway, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    assert ask(capsys, "first").code == 0
    monkeypatch.setattr(schema, "Connection", _FullDisk)
    result = ask(capsys, "-c", LONG)
    assert "full" in assert_one_line_exit_1(result)
    monkeypatch.setattr(schema, "Connection", sqlite3.Connection)
    with Store(paths.db_file(), paths.images_dir()) as store:
        last = store.load_conversation(store.latest_conversation_id() or 0).messages
    # The prompt fit in the file's free space; the long reply did not, and is closed out as failed.
    assert last[-2].text == LONG
    assert last[-1].status == "failed" and "full" in (last[-1].error or "")


def test_cli_dropped_table(cli_gw: FakeGateway, capsys: pytest.CaptureFixture[str]) -> None:
    assert ask(capsys, "first").code == 0
    with closing(sqlite3.connect(paths.db_file())) as db:
        db.execute("DROP TABLE messages")
    assert "damaged" in assert_one_line_exit_1(ask(capsys, "-c", "second"))


def test_cli_continues_a_chat_with_damaged_rows(
    cli_gw: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ask(capsys, "first").code == 0
    with closing(sqlite3.connect(paths.db_file())) as db, db:
        db.execute("UPDATE conversations SET settings_json = '{oops', created_at = 1e300, updated_at = 1e300")
        db.execute("UPDATE messages SET usage_json = '[', sources_json = 'nope', created_at = 'soon'")
        db.execute("UPDATE parts SET provider_data_json = '{'")
    result = ask(capsys, "-c", "second")
    assert result.code == 0, result
    with Store(paths.db_file(), paths.images_dir()) as store:
        texts = [m.text for m in store.load_conversation(store.latest_conversation_id() or 0).messages]
    assert texts[0] == "first" and texts[2] == "second" and len(texts) == 4


def test_cli_usage_with_a_charge_time_past_the_year_9999(
    cli_gw: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    cli_gw.usage_records[0]["create_time"] = 253_402_300_800_000  # 10000-01-01
    cli_gw.usage_records[1]["create_time"] = 10**30
    for argv in (["usage", "--limit", "3"], ["usage", "--limit", "3", "--csv"]):
        result = run_cli(capsys, *argv)
        assert result.code == 0 and result.err == "", result
        assert "?" in result.out


# ---------------------------------------------------------------- the app


async def test_app_starts_on_a_history_with_damaged_rows(tmp_path: Path) -> None:
    from liaobots_tui.ui.app import LiaobotsApp
    from liaobots_tui.ui.themes import builtin_themes_dir
    from tests.ui.conftest import offline_client, offline_settings
    from tests.ui.driving import chat, settle

    db_path, images_dir = tmp_path / "h.sqlite3", tmp_path / "images"
    with Store(db_path, images_dir) as store:
        cid = store.create_conversation(settings={"model": "gpt-5.4"})
        store.add_messages(cid, [Message("user", [TextPart("question")]),
                                 Message("assistant", [TextPart("answer")], model="gpt-5.4")])  # fmt: skip
    with closing(sqlite3.connect(db_path)) as db, db:
        db.execute("UPDATE conversations SET settings_json = '{', created_at = 1e300, updated_at = 1e300")
        db.execute(
            "UPDATE messages SET usage_json = '{', sources_json = '[', created_at = 1e300, ended_at = 'x'"
        )
        db.execute("UPDATE parts SET provider_data_json = '['")
    with Store(db_path, images_dir) as store:
        app = LiaobotsApp(offline_settings(), store=store, client_factory=offline_client,
                          config_path=tmp_path / "c.toml", theme_dirs=[builtin_themes_dir()])  # fmt: skip
        async with app.run_test(size=(110, 36)) as pilot:
            await settle(app, pilot)
            assert chat(app).conversation_id == cid
            assert [box.message.text for box in chat(app).view.boxes()] == ["question", "answer"]
