"""Saving a reply while it streams: appended flushes, the close-out, and writes that grow linearly."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from liaobots_tui.api.messages import Message, ReasoningPart, RequestOptions, TextDelta, TextPart
from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.chat import ChatSession, TurnEnded, TurnStarted
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.store import INTERRUPTED, MessageRecord, ReplyWriter, Store, schema

AUTH = "streaming-store-code"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "history.sqlite3"


@pytest.fixture
def store(db_path: Path, tmp_path: Path) -> Iterator[Store]:
    with Store(db_path, tmp_path / "images") as s:
        yield s


def raw(db_path: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(db_path)) as db:
        return db.execute(sql, params).fetchall()


def streaming_reply(store: Store) -> tuple[int, MessageRecord]:
    cid = store.create_conversation()
    prompt = Message("user", [TextPart("go")])
    reply = MessageRecord(Message("assistant", model="gpt-5.4", format="openai"), status="streaming")
    _, saved = store.add_messages(cid, [prompt, reply])
    return cid, saved


# ---------------------------------------------------------------- the writer


def test_flush_appends_only_the_new_text(store: Store, db_path: Path) -> None:
    cid, reply = streaming_reply(store)
    writer = store.reply_writer(reply)
    reply = reply.revised(parts=[TextPart("Hello")])
    writer.flush(reply)
    reply = reply.revised(parts=[TextPart("Hello, world")])
    writer.flush(reply)
    reply = reply.revised(parts=[TextPart("Hello, world and more")])
    writer.flush(reply)
    assert raw(db_path, "SELECT text FROM parts WHERE seq = 0 AND message_id = ?", reply.id) == [("Hello",)]
    assert raw(db_path, "SELECT part_seq, text FROM part_chunks ORDER BY id") == [
        (0, ", world"),
        (0, " and more"),
    ]
    # A reader (another process, or this one after kill -9) sees the whole text so far.
    loaded = store.load_conversation(cid).messages[1]
    assert loaded.text == "Hello, world and more"
    assert (loaded.status, loaded.error) == ("failed", INTERRUPTED)


def test_unchanged_flush_writes_no_text(store: Store, db_path: Path) -> None:
    _, reply = streaming_reply(store)
    writer = store.reply_writer(reply)
    reply = reply.revised(parts=[TextPart("same")])
    writer.flush(reply)
    writer.flush(reply)
    assert raw(db_path, "SELECT COUNT(*) FROM part_chunks") == [(0,)]
    assert raw(db_path, "SELECT text FROM parts WHERE message_id = ?", reply.id) == [("same",)]


def test_new_parts_are_inserted_and_earlier_ones_keep_growing(store: Store) -> None:
    cid, reply = streaming_reply(store)
    writer = store.reply_writer(reply)
    reply = reply.revised(parts=[ReasoningPart("think")])
    writer.flush(reply)
    reply = reply.revised(parts=[ReasoningPart("thinking done"), TextPart("Ans")])
    writer.flush(reply)
    signed = ReasoningPart("thinking done", provider_data={"signature": "sig"})
    reply = reply.revised(parts=[signed, TextPart("Answer.")])
    writer.flush(reply)
    loaded = store.load_conversation(cid).messages[1]
    assert [(p.kind, getattr(p, "text", None)) for p in loaded.parts] == [
        ("reasoning", "thinking done"),
        ("text", "Answer."),
    ]
    assert loaded.parts[0].provider_data == {"signature": "sig"}


def test_a_part_that_changed_rather_than_grew_is_rewritten(store: Store, db_path: Path) -> None:
    cid, reply = streaming_reply(store)
    writer = store.reply_writer(reply)
    reply = reply.revised(parts=[TextPart("draft one"), TextPart("tail")])
    writer.flush(reply)
    reply = reply.revised(parts=[TextPart("Final")])  # shorter, different, and one part fewer
    writer.flush(reply)
    assert [p.text for p in store.load_conversation(cid).messages[1].parts] == ["Final"]
    assert raw(db_path, "SELECT COUNT(*) FROM part_chunks") == [(0,)]


def test_finish_folds_the_chunks_and_records_the_end(store: Store, db_path: Path) -> None:
    cid, reply = streaming_reply(store)
    writer = store.reply_writer(reply)
    for text in ("a", "ab", "abc"):
        reply = reply.revised(parts=[TextPart(text)])
        writer.flush(reply)
    final = writer.finish(reply.ended("complete", 1_800_000_000.5))
    assert (final.id, final.status, final.text) == (reply.id, "complete", "abc")
    assert final.ended_at == 1_800_000_000.5
    assert raw(db_path, "SELECT COUNT(*) FROM part_chunks") == [(0,)]
    assert raw(db_path, "SELECT text FROM parts WHERE message_id = ?", reply.id) == [("abc",)]
    loaded = store.load_conversation(cid).messages[1]
    assert (loaded.status, loaded.text, loaded.ended_at) == ("complete", "abc", 1_800_000_000.5)


def test_search_finds_text_still_in_chunks(store: Store) -> None:
    cid, reply = streaming_reply(store)
    writer = store.reply_writer(reply)
    reply = reply.revised(parts=[TextPart("first words")])
    writer.flush(reply)
    reply = reply.revised(parts=[TextPart("first words, then a zebra")])
    writer.flush(reply)
    assert [c.id for c in store.list_conversations(search="zebra")] == [cid]
    assert store.count_conversations(search="zebra") == 1


def test_deleting_the_reply_deletes_its_chunks(store: Store, db_path: Path) -> None:
    cid, reply = streaming_reply(store)
    writer = store.reply_writer(reply)
    reply = reply.revised(parts=[TextPart("x")])
    writer.flush(reply)
    reply = reply.revised(parts=[TextPart("xy")])
    writer.flush(reply)
    assert reply.id is not None
    store.delete_messages_from(cid, reply.id)
    assert raw(db_path, "SELECT COUNT(*) FROM part_chunks") == [(0,)]


def test_writer_needs_a_saved_reply(store: Store) -> None:
    with pytest.raises(ValueError):
        store.reply_writer(MessageRecord(Message("assistant")))


# ---------------------------------------------------------------- through ChatSession


class _CountingConnection(sqlite3.Connection):
    """Adds up the text handed to SQLite for message parts: what the store asks to write."""

    text_chars = 0

    @staticmethod
    def _count(sql: str, rows: list[Any]) -> None:
        if sql.lstrip().startswith(("INSERT", "UPDATE")) and "part" in sql:
            _CountingConnection.text_chars += sum(len(p) for row in rows for p in row if isinstance(p, str))

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        self._count(sql, [parameters])
        return super().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> sqlite3.Cursor:
        rows = list(seq_of_parameters)
        self._count(sql, rows)
        return super().executemany(sql, rows)


async def test_bytes_written_grow_linearly_with_the_reply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Flushing after every delta: each character is handed to SQLite about twice (chunk, then fold)."""
    monkeypatch.setattr(schema, "Connection", _CountingConnection)
    _CountingConnection.text_chars = 0
    with FakeGateway(auth_code=AUTH) as gw, Store(tmp_path / "h.sqlite3", tmp_path / "images") as store:
        async with GatewayClient(gw.urls, AUTH) as client:
            session = ChatSession(client, store, flush_interval=0)
            deltas = 0
            reply: Message | None = None
            async for event in session.send(None, Message("user", [TextPart("go [[deltas=400]]")]),
                                            RequestOptions("gpt-5.4")):  # fmt: skip
                deltas += isinstance(event, TextDelta)
                if isinstance(event, TurnEnded):
                    reply = event.reply
    assert reply is not None and deltas == 400
    length = len(reply.text)
    # A rewrite per flush would hand over ~deltas/2 times the reply (about 200x here).
    assert _CountingConnection.text_chars <= 2 * length + 100


class _SlowWriter(ReplyWriter):
    """A flush that takes 100 ticks of the session's clock: a save slower than the flush interval."""

    clock: list[float]
    flushed_at: list[int]
    deltas: list[int]

    def flush(self, message: MessageRecord) -> None:
        super().flush(message)
        self.flushed_at.append(self.deltas[0])
        self.clock[0] += 100


class _SlowStore(Store):
    writer_state: tuple[list[float], list[int], list[int]]

    def reply_writer(self, message: MessageRecord) -> ReplyWriter:
        assert message.id is not None
        writer = _SlowWriter(self, message.id)
        writer.clock, writer.flushed_at, writer.deltas = self.writer_state
        return writer


async def test_flush_interval_is_timed_from_the_end_of_the_save(tmp_path: Path) -> None:
    clock = [0.0]
    flushed_at: list[int] = []
    deltas = [0]

    def tick() -> float:
        clock[0] += 1  # every read of the clock is one tick
        return clock[0]

    with FakeGateway(auth_code=AUTH) as gw, _SlowStore(tmp_path / "h.sqlite3", tmp_path / "images") as store:
        store.writer_state = (clock, flushed_at, deltas)
        async with GatewayClient(gw.urls, AUTH) as client:
            session = ChatSession(client, store, flush_interval=3, clock=tick)
            async for event in session.send(None, Message("user", [TextPart("go [[deltas=60]]")]),
                                            RequestOptions("gpt-5.4")):  # fmt: skip
                if isinstance(event, TextDelta | TurnStarted):
                    deltas[0] += 1
    assert len(flushed_at) >= 5, "the reply was flushed while it streamed"
    gaps = [b - a for a, b in zip(flushed_at, flushed_at[1:], strict=False)]
    # Timed from before the save, every delta after the first slow save would flush again (gap 1).
    assert min(gaps) >= 2, flushed_at
