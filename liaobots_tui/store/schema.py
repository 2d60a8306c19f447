"""The history database's schema: DDL, the migrations between versions, and opening a connection.

Schema version lives in ``PRAGMA user_version``; :data:`MIGRATIONS` step an older
file up one version at a time, each inside its own ``BEGIN IMMEDIATE`` transaction,
so two processes opening an old file at once migrate it exactly once.

Versions:

1. conversations, messages, parts.
2. ``messages.ended_at`` (when a reply left "streaming") and ``part_chunks``: text
   appended to a part while its reply streams, so a flush writes only what is new
   (see :mod:`liaobots_tui.store.streaming`).
3. Versions and full-text search. ``messages.parent_id`` (the message before it on its
   path) and ``messages.chosen_at`` make the messages a tree: the chosen path has
   ``seq`` 1..n as before, earlier versions (kept by regenerate and edit & resend) keep
   their rows with ``seq = -id`` (see :mod:`liaobots_tui.store.versions`).
   ``message_text`` is an FTS5 index of each message's visible text (rowid = message
   id), kept in step by the store (see :mod:`liaobots_tui.store.search`); the upgrade
   indexes every existing message.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from liaobots_tui import paths
from liaobots_tui.errors import StorageError
from liaobots_tui.store.faults import storage_error

SCHEMA_VERSION = 3
BUSY_TIMEOUT_MS = 5000

_SCHEMA_V1 = """
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL DEFAULT '',
    system TEXT,
    settings_json TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
-- History lists newest first with LIMIT/OFFSET: walk this index, no sort.
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
    -- Also the index for loading a conversation in order and for counting it.
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
"""


_SCHEMA_V2 = """
ALTER TABLE messages ADD COLUMN ended_at REAL;

-- Text appended to parts (message_id, part_seq) while the reply streams, in id order;
-- folded into parts.text when the reply ends. Rows exist only for streaming replies
-- and for replies whose process died mid-stream.
CREATE TABLE part_chunks (
    id INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    part_seq INTEGER NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX part_chunks_by_message ON part_chunks (message_id, id);
"""


_SCHEMA_V3 = """
ALTER TABLE messages ADD COLUMN parent_id INTEGER;
ALTER TABLE messages ADD COLUMN chosen_at REAL;
CREATE INDEX messages_by_parent ON messages (conversation_id, parent_id);

-- rowid = messages.id, body = the message's text parts joined by newlines.
CREATE VIRTUAL TABLE message_text USING fts5 (body, tokenize = 'unicode61 remove_diacritics 2')
"""

# Apart from the script: its body holds a ";" of its own. Deleting a message (also through
# ON DELETE CASCADE from its conversation) drops its entry.
_FORGET_TRIGGER = """
CREATE TRIGGER message_text_forget AFTER DELETE ON messages BEGIN
    DELETE FROM message_text WHERE rowid = old.id;
END
"""

#: Tables every usable database has (a dropped one is reported at open, not mid-reply).
TABLES = ("conversations", "messages", "parts", "part_chunks", "message_text")

#: The connection class. A seam for fault tests, which install a subclass that fails on cue.
Connection: type[sqlite3.Connection] = sqlite3.Connection


def _run_script(db: sqlite3.Connection, script: str) -> None:
    # Not executescript(): that COMMITs first, and each migration must stay inside its transaction.
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _migrate_to_1(db: sqlite3.Connection) -> None:
    _run_script(db, _SCHEMA_V1)


def _migrate_to_2(db: sqlite3.Connection) -> None:
    _run_script(db, _SCHEMA_V2)


def _migrate_to_3(db: sqlite3.Connection) -> None:
    _run_script(db, _SCHEMA_V3)
    db.execute(_FORGET_TRIGGER)
    # Every message so far lies on its conversation's one path: its parent is the one before it.
    db.execute(
        "UPDATE messages SET chosen_at = created_at, parent_id = (SELECT p.id FROM messages p"
        " WHERE p.conversation_id = messages.conversation_id AND p.seq < messages.seq"
        " ORDER BY p.seq DESC LIMIT 1)"
    )
    # Imported here: search imports this module's neighbours, not the other way round.
    from liaobots_tui.store.search import index_all

    index_all(db)


#: ``MIGRATIONS[n]`` upgrades a database from version n-1 to n.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: _migrate_to_1,
    2: _migrate_to_2,
    3: _migrate_to_3,
}


def connect(db_path: Path) -> sqlite3.Connection:
    """Open (creating if missing, mode 0600), migrate and check the history database.

    Raises:
        StorageError: the directory or file cannot be created or opened, the file is
            not a usable database (not SQLite, damaged, a table missing), or it was
            written by a newer version of liaobots-tui.
    """
    try:
        paths.ensure_dir(db_path.parent)
    except OSError as exc:
        raise storage_error(exc, db_path) from None
    new = not db_path.exists()
    try:
        # isolation_level=None: we issue BEGIN IMMEDIATE/COMMIT ourselves.
        db = sqlite3.connect(
            db_path,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
            check_same_thread=False,
            factory=Connection,
        )
    except sqlite3.Error as exc:
        raise storage_error(exc, db_path) from None
    try:
        if new:
            # Chat history is private; WAL and SHM files copy this mode.
            with contextlib.suppress(OSError):
                os.chmod(db_path, 0o600)
        db.row_factory = sqlite3.Row
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        db.execute("PRAGMA foreign_keys = ON")
        enable_wal(db)
        # Durable across app crashes; only an OS crash may lose the last flushes.
        db.execute("PRAGMA synchronous = NORMAL")
        migrate(db, db_path)
        _check_tables(db, db_path)
    except (sqlite3.DatabaseError, OSError) as exc:
        db.close()
        raise storage_error(exc, db_path) from None
    except BaseException:
        db.close()
        raise
    return db


def _check_tables(db: sqlite3.Connection, db_path: Path) -> None:
    present = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    missing = [name for name in TABLES if name not in present]
    if missing:
        raise StorageError(
            f"{db_path} is damaged (table {', '.join(missing)} missing); move it aside to start a new history"
        )


def enable_wal(db: sqlite3.Connection) -> None:
    """Switch to WAL, waiting out other processes that open the same new file at once.

    Changing the journal mode needs an exclusive lock and SQLite does not call the
    busy handler for it, so a second opener gets "database is locked" at once.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def migrate(db: sqlite3.Connection, db_path: Path) -> None:
    """Bring the schema to :data:`SCHEMA_VERSION`, one step per transaction."""
    while True:
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise StorageError(
                f"{db_path}: history database has schema version {version}, newer than this"
                f" liaobots-tui understands ({SCHEMA_VERSION}); upgrade liaobots-tui"
            )
        db.execute("BEGIN IMMEDIATE")
        try:
            # Re-read under the write lock: another process may have migrated meanwhile.
            current = int(db.execute("PRAGMA user_version").fetchone()[0])
            if current == version:
                MIGRATIONS[version + 1](db)
                db.execute(f"PRAGMA user_version = {version + 1}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
