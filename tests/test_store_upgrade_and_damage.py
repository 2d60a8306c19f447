"""Files the store did not write this way: an older schema to upgrade, damaged rows to read anyway."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from liaobots_tui.api.messages import Message, Source, TextPart, Usage
from liaobots_tui.store import SCHEMA_VERSION, MessageRecord, Store
from liaobots_tui.store.codec import MAX_TIMESTAMP, UNREADABLE

# The schema exactly as liaobots-tui wrote it before version 2 (main at the store split).
SCHEMA_V1 = """
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL DEFAULT '',
    system TEXT,
    settings_json TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX conversations_by_updated ON conversations (updated_at DESC, id DESC);
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    role TEXT NOT NULL,
    model TEXT,
    format TEXT,
    status TEXT NOT NULL DEFAULT 'complete',
    error TEXT,
    finish_reason TEXT,
    usage_json TEXT,
    sources_json TEXT,
    created_at REAL NOT NULL,
    UNIQUE (conversation_id, seq)
);
CREATE TABLE parts (
    id INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    text TEXT,
    mime_type TEXT,
    path TEXT,
    generated INTEGER NOT NULL DEFAULT 0,
    provider_data_json TEXT,
    UNIQUE (message_id, seq)
);
PRAGMA user_version = 1;
"""


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "history.sqlite3"


@pytest.fixture
def images(tmp_path: Path) -> Path:
    return tmp_path / "images"


def raw(db_path: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(db_path)) as db, db:
        return db.execute(sql, params).fetchall()


def version_1_file(db_path: Path) -> None:
    """A history as the previous version left it: one finished turn and one reply cut off mid-stream."""
    usage = '{"input_tokens":3,"output_tokens":5}'
    sources = '[{"uri":"https://a.example","title":"A"}]'
    message = "INSERT INTO messages (id, conversation_id, seq, role, model, format, status, usage_json,"
    message += " sources_json, created_at) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?)"
    with closing(sqlite3.connect(db_path)) as db:
        db.executescript(SCHEMA_V1)
        db.execute("PRAGMA journal_mode = WAL")
        with db:
            db.execute(
                "INSERT INTO conversations VALUES (1, 'Old chat', 'Be brief.', ?, 100, 200)",
                ('{"model": "gpt-5.4"}',),
            )
            db.executemany(
                message,
                [
                    (1, 1, "user", None, None, "complete", None, None, 100),
                    (2, 2, "assistant", "gpt-5.4", "openai", "complete", usage, sources, 101),
                    (3, 3, "user", None, None, "complete", None, None, 150),
                    (4, 4, "assistant", "gpt-5.4", "openai", "streaming", None, None, 151),
                ],
            )
            db.executemany(
                "INSERT INTO parts (message_id, seq, kind, text) VALUES (?, 0, 'text', ?)",
                [(1, "hello"), (2, "hi there"), (3, "and then?"), (4, "partial")],
            )


# ---------------------------------------------------------------- upgrade


def test_a_version_1_file_opens_and_upgrades(db_path: Path, images: Path) -> None:
    version_1_file(db_path)
    with Store(db_path, images) as store:
        conv = store.load_conversation(1)
        assert (conv.title, conv.system) == ("Old chat", "Be brief.")
        assert [(m.role, m.text, m.status) for m in conv.messages] == [
            ("user", "hello", "complete"),
            ("assistant", "hi there", "complete"),
            ("user", "and then?", "complete"),
            ("assistant", "partial", "failed"),
        ]
        assert conv.messages[1].usage == Usage(input_tokens=3, output_tokens=5)
        assert conv.messages[1].sources == (Source("https://a.example", "A"),)
        assert all(m.ended_at is None for m in conv.messages)  # unknown for old rows
        assert store.conversation_settings(1) == {"model": "gpt-5.4"}
        # The upgraded file takes new turns, streamed the new way.
        asked = Message("assistant", model="gpt-5.4", format="openai")
        placeholder = MessageRecord(asked, status="streaming")
        _, reply = store.add_messages(1, [Message("user", [TextPart("more")]), placeholder])
        writer = store.reply_writer(reply)
        writer.flush(reply.revised(parts=[TextPart("new")]))
        writer.finish(reply.revised(parts=[TextPart("new text")]).ended("complete", 300.0))
        assert store.load_conversation(1).messages[-1].text == "new text"
    assert raw(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    columns = {row[1] for row in raw(db_path, "PRAGMA table_info(messages)")}
    assert "ended_at" in columns
    assert raw(db_path, "SELECT ended_at FROM messages WHERE id = 2") == [(None,)]


def test_upgrade_happens_once_when_two_stores_open_an_old_file(db_path: Path, images: Path) -> None:
    version_1_file(db_path)
    with Store(db_path, images) as first, Store(db_path, images) as second:
        assert first.load_conversation(1).messages[0].text == second.load_conversation(1).messages[0].text
    assert raw(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]


def test_ended_at_round_trips(db_path: Path, images: Path) -> None:
    with Store(db_path, images) as store:
        cid = store.create_conversation()
        saved = store.add_message(cid, MessageRecord(Message("assistant", [TextPart("x")]), ended_at=1234.5))
        assert saved.ended_at == 1234.5
        assert store.load_conversation(cid).messages[0].ended_at == 1234.5


# ---------------------------------------------------------------- damaged rows


@pytest.fixture
def damaged(db_path: Path, images: Path) -> Iterator[Store]:
    """A store with one conversation, then every column of it damaged behind the store's back."""
    with Store(db_path, images) as store:
        cid = store.create_conversation(settings={"model": "gpt-5.4"})
        store.add_messages(
            cid,
            [
                Message("user", [TextPart("question")]),
                Message(
                    "assistant",
                    [TextPart("answer", provider_data={"sig": "s"})],
                    model="gpt-5.4",
                    usage=Usage(1, 2),
                    sources=[Source("https://x.example", "X")],
                ),  # fmt: skip
            ],
        )
        yield store


def corrupt(db_path: Path, *statements: str) -> None:
    with closing(sqlite3.connect(db_path)) as db, db:
        for statement in statements:
            db.execute(statement)


def test_corrupt_json_columns_read_as_empty(damaged: Store, db_path: Path) -> None:
    corrupt(
        db_path,
        "UPDATE conversations SET settings_json = '{not json'",
        "UPDATE messages SET usage_json = '[[[', sources_json = '{\"uri\": 3'",
        "UPDATE parts SET provider_data_json = 'nul'",
    )
    assert damaged.conversation_settings(1) == {}
    [summary] = damaged.list_conversations()
    assert summary.model == "gpt-5.4"  # from the reply row, which is fine
    conv = damaged.load_conversation(1)
    assert [m.text for m in conv.messages] == ["question", "answer"]
    assert conv.messages[1].usage is None and conv.messages[1].sources == ()
    assert conv.messages[1].parts[0].provider_data == {}


def test_json_of_the_wrong_shape_reads_as_empty(damaged: Store, db_path: Path) -> None:
    corrupt(
        db_path,
        "UPDATE conversations SET settings_json = '[1, 2]'",
        'UPDATE messages SET usage_json = \'{"input_tokens": "many", "output_tokens": 1e999, "x": 1}\','
        ' sources_json = \'[{"title": "no uri"}, 5, {"uri": "https://ok.example", "title": 7}]\'',
        "UPDATE parts SET provider_data_json = '\"a string\"'",
    )
    assert damaged.conversation_settings(1) == {}
    reply = damaged.load_conversation(1).messages[1]
    assert reply.usage == Usage()
    assert reply.sources == (Source("https://ok.example", ""),)


def test_deeply_nested_json_reads_as_empty(damaged: Store, db_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    with closing(sqlite3.connect(db_path)) as db, db:
        db.execute("UPDATE messages SET sources_json = ?, usage_json = ?", (deep, deep))
        db.execute("UPDATE conversations SET settings_json = ?", (deep,))
    assert damaged.conversation_settings(1) == {}
    assert damaged.load_conversation(1).messages[1].sources == ()


def test_wrong_types_and_unknown_values_read_as_defaults(damaged: Store, db_path: Path) -> None:
    corrupt(
        db_path,
        "UPDATE messages SET role = 'system', status = 'exploded', format = 'carrier-pigeon',"
        " finish_reason = 'boredom', model = x'00ff', error = x'1b' WHERE seq = 2",
        "UPDATE parts SET text = x'68c3a96c6c6f', kind = 'hologram' WHERE text = 'answer'",
        "UPDATE conversations SET title = x'e282ac', system = x'41'",
    )
    conv = damaged.load_conversation(1)
    reply = conv.messages[1]
    assert (reply.role, reply.status, reply.error) == ("assistant", "failed", UNREADABLE)
    assert (reply.format, reply.finish_reason) == (None, None)
    assert reply.text == "héllo"
    assert conv.title == "€" and conv.system == "A"  # text stored as bytes reads as UTF-8
    assert [s.title for s in damaged.list_conversations()] == ["€"]


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("1e300", MAX_TIMESTAMP),  # past the year 9999
        ("253402300800", MAX_TIMESTAMP),  # 10000-01-01
        ("-5", 0.0),
        ("'yesterday'", 0.0),
        ("x'00'", 0.0),
    ],
)
def test_timestamps_no_calendar_can_show_are_clamped(
    damaged: Store, db_path: Path, stored: str, expected: float
) -> None:
    corrupt(
        db_path,
        f"UPDATE messages SET created_at = {stored}, ended_at = {stored}",
        f"UPDATE conversations SET created_at = {stored}, updated_at = {stored}",
    )
    [summary] = damaged.list_conversations()
    assert (summary.created_at, summary.updated_at) == (expected, expected)
    for message in damaged.load_conversation(1).messages:
        assert (message.created_at, message.ended_at) == (expected, expected)
    # New writes still order the history after a damaged stamp.
    assert (damaged.add_message(1, Message("user", [TextPart("still works")])).id or 0) > 0
