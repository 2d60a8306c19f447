"""Chat history in SQLite, converted to and from the ``api.messages`` types.

One database file (``paths.db_file()``) and one directory of image files
(``paths.images_dir()/<conversation id>/``). The database holds only the image
paths, relative to the images dir, so a moved data dir keeps working.

Concurrency: the app and ``liaobots ask -c`` may write the same file at once.
WAL lets readers run beside a writer; every write is one short ``BEGIN
IMMEDIATE`` transaction (taking the write lock up front, so two writers queue on
``busy_timeout`` instead of failing with "database is locked" on lock upgrade).

Schema version lives in ``PRAGMA user_version``; :data:`MIGRATIONS` step an older
file up one version at a time, inside a transaction.

Interrupted replies: the chat service writes an assistant message with status
``"streaming"``, flushes it with :meth:`Store.update_message` while it arrives,
and writes the final status at the end. It keeps the live message in memory, so
whatever is read back from disk with status ``"streaming"`` belongs to a process
that died (kill -9, power loss) or to another process still streaming:
:meth:`Store.load_conversation` reports it as ``"failed"`` with error
``"interrupted"`` without writing that back, so a still-running writer finishes
normally and its final update wins.
"""

from __future__ import annotations

import contextlib
import json
import mimetypes
import os
import secrets
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from liaobots_tui import paths
from liaobots_tui.api.messages import (
    Conversation,
    FinishReason,
    Format,
    ImagePart,
    Message,
    MessageStatus,
    Part,
    ProviderData,
    ReasoningPart,
    Role,
    Source,
    TextPart,
    Usage,
)
from liaobots_tui.errors import ConfigError, InputError

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 5000
TITLE_MAX = 60
INTERRUPTED = "interrupted"

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


def _migrate_to_1(db: sqlite3.Connection) -> None:
    for statement in _SCHEMA_V1.split(";"):
        if statement.strip():
            db.execute(statement)


#: ``MIGRATIONS[n]`` upgrades a database from version n-1 to n.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _migrate_to_1}

_MIME_EXT = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "image/heic": ".heic",
    "image/heif": ".heif",
    "image/bmp": ".bmp",
    "image/svg+xml": ".svg",
}


def _ext_for(mime_type: str) -> str:
    mime = mime_type.split(";", 1)[0].strip().lower()
    return _MIME_EXT.get(mime) or mimetypes.guess_extension(mime) or ".bin"


def title_from_text(text: str) -> str:
    """A conversation title: the first non-blank line, at most 60 characters (cut with …)."""
    for line in text.splitlines():
        line = " ".join(line.split())
        if line:
            return line if len(line) <= TITLE_MAX else line[: TITLE_MAX - 1].rstrip() + "…"
    return ""


class _Unset:
    """Type of :data:`UNSET`: "argument not given" where None is a real value."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET = _Unset()


@dataclass
class ConversationSummary:
    """One row of the history list."""

    id: int
    title: str
    created_at: float
    updated_at: float
    #: Model of the latest assistant reply, else the conversation's chosen model.
    model: str | None
    format: str | None
    message_count: int


_SUMMARY_SQL = """
SELECT c.id, c.title, c.created_at, c.updated_at, c.settings_json,
    (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count,
    (SELECT m.model FROM messages m WHERE m.conversation_id = c.id AND m.role = 'assistant'
        AND m.model IS NOT NULL ORDER BY m.seq DESC LIMIT 1) AS last_model,
    (SELECT m.format FROM messages m WHERE m.conversation_id = c.id AND m.role = 'assistant'
        AND m.format IS NOT NULL ORDER BY m.seq DESC LIMIT 1) AS last_format
FROM conversations c
"""

# Matches the title or any visible text part; ESCAPE so a search for "50%" or
# "snake_case" is literal. LIKE is case-insensitive for ASCII letters.
_SEARCH_SQL = """
WHERE c.title LIKE :pattern ESCAPE '\\'
    OR EXISTS (
        SELECT 1 FROM messages m JOIN parts p ON p.message_id = m.id
        WHERE m.conversation_id = c.id AND p.kind = 'text' AND p.text LIKE :pattern ESCAPE '\\'
    )
"""


def _like_pattern(search: str) -> str:
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _json_or_none(value: Any) -> str | None:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")) if value else None


class Store:
    """The history database. One instance per process is enough; it is thread-safe.

    Args:
        db_path: the SQLite file (created with its directory if missing, mode 0600).
        images_dir: root of image files, one subdirectory per conversation.

    Raises:
        ConfigError: the file is not a usable database, or was written by a newer
            version of liaobots-tui.
    """

    def __init__(self, db_path: Path, images_dir: Path) -> None:
        self.db_path = db_path
        self.images_dir = images_dir
        # One connection shared under a lock: Textual thread workers may call in.
        self._lock = threading.RLock()
        self._db = self._open(db_path)

    # ------------------------------------------------------------ lifecycle

    @staticmethod
    def _open(db_path: Path) -> sqlite3.Connection:
        paths.ensure_dir(db_path.parent)
        new = not db_path.exists()
        try:
            # isolation_level=None: we issue BEGIN IMMEDIATE/COMMIT ourselves.
            db = sqlite3.connect(
                db_path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise ConfigError(f"{db_path}: cannot open history database ({exc})") from None
        try:
            if new:
                # Chat history is private; WAL and SHM files copy this mode.
                with contextlib.suppress(OSError):
                    os.chmod(db_path, 0o600)
            db.row_factory = sqlite3.Row
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            db.execute("PRAGMA foreign_keys = ON")
            _enable_wal(db)
            # Durable across app crashes; only an OS crash may lose the last flushes.
            db.execute("PRAGMA synchronous = NORMAL")
            _migrate(db, db_path)
        except sqlite3.DatabaseError as exc:
            db.close()
            raise ConfigError(f"{db_path}: cannot use history database ({exc})") from None
        except BaseException:
            db.close()
            raise
        return db

    def close(self) -> None:
        """Close the database; further calls fail. Safe to call twice."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @staticmethod
    def _stamp(db: sqlite3.Connection) -> float:
        """Now, but later than any conversation's ``updated_at``, so history order is touch order.

        A coarse clock (Windows) or two processes in the same tick would otherwise
        tie; called inside the write transaction, so it is race-free across processes.
        """
        latest = db.execute("SELECT MAX(updated_at) FROM conversations").fetchone()[0]
        now = time.time()
        return now if latest is None or now > latest else float(latest) + 1e-6

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction, holding the write lock from the start."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:  # also when COMMIT itself failed
                    self._db.execute("ROLLBACK")
                raise

    # ------------------------------------------------------------ conversations

    def create_conversation(
        self, *, title: str = "", system: str | None = None, settings: dict[str, Any] | None = None
    ) -> int:
        """Add an empty conversation and return its id."""
        with self._write() as db:
            now = self._stamp(db)
            cur = db.execute(
                "INSERT INTO conversations (title, system, settings_json, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (title, system, json.dumps(settings or {}, ensure_ascii=False), now, now),
            )
            return int(cast(int, cur.lastrowid))

    def list_conversations(
        self, *, limit: int = 100, offset: int = 0, search: str | None = None
    ) -> list[ConversationSummary]:
        """Conversations, most recently updated first, one page at a time.

        ``search`` matches the title or the text of any message, case-insensitively
        (ASCII letters; other scripts match exactly).
        """
        sql = _SUMMARY_SQL
        params: dict[str, Any] = {"limit": max(0, limit), "offset": max(0, offset)}
        if search:
            sql += _SEARCH_SQL
            params["pattern"] = _like_pattern(search)
        sql += " ORDER BY c.updated_at DESC, c.id DESC LIMIT :limit OFFSET :offset"
        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        out: list[ConversationSummary] = []
        for row in rows:
            settings = _load_json_dict(row["settings_json"])
            model = row["last_model"] or _str_or_none(settings.get("model"))
            fmt = row["last_format"] or _str_or_none(settings.get("format"))
            out.append(
                ConversationSummary(
                    id=row["id"],
                    title=row["title"],
                    created_at=row["created_at"],
                    updated_at=row["updated_at"],
                    model=model,
                    format=fmt,
                    message_count=row["message_count"],
                )
            )
        return out

    def count_conversations(self, search: str | None = None) -> int:
        """How many conversations :meth:`list_conversations` would page through."""
        sql = "SELECT COUNT(*) FROM conversations c"
        params: dict[str, Any] = {}
        if search:
            sql += _SEARCH_SQL
            params["pattern"] = _like_pattern(search)
        with self._lock:
            return int(self._db.execute(sql, params).fetchone()[0])

    def latest_conversation_id(self) -> int | None:
        """The most recently updated conversation (``ask -c`` continues it), or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT id FROM conversations ORDER BY updated_at DESC, id DESC LIMIT 1"
            ).fetchone()
        return None if row is None else int(row[0])

    def _conversation_row(self, conversation_id: int) -> sqlite3.Row:
        row = self._db.execute(
            "SELECT id, title, system, settings_json FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
        if row is None:
            raise InputError(f"no conversation {conversation_id}")
        return cast(sqlite3.Row, row)

    def load_conversation(self, conversation_id: int) -> Conversation:
        """The whole conversation. Images come back lazy: ``path`` set, ``data`` empty.

        A message still marked ``"streaming"`` comes back as ``"failed"`` with error
        ``"interrupted"`` (see the module docstring); the file is not changed.

        Raises:
            InputError: ``no conversation N``.
        """
        with self._lock:
            # One read transaction: a concurrent writer cannot show us half a change.
            self._db.execute("BEGIN")
            try:
                conv = self._conversation_row(conversation_id)
                msg_rows = self._db.execute(
                    "SELECT * FROM messages WHERE conversation_id = ? ORDER BY seq", (conversation_id,)
                ).fetchall()
                part_rows = self._db.execute(
                    "SELECT p.* FROM parts p JOIN messages m ON p.message_id = m.id"
                    " WHERE m.conversation_id = ? ORDER BY m.seq, p.seq",
                    (conversation_id,),
                ).fetchall()
            finally:
                self._db.execute("COMMIT")
        parts_by_message: dict[int, list[Part]] = {}
        for row in part_rows:
            parts_by_message.setdefault(row["message_id"], []).append(self._part_from_row(row))
        messages = [self._message_from_row(row, parts_by_message.get(row["id"], [])) for row in msg_rows]
        return Conversation(messages=messages, system=conv["system"], id=conv["id"], title=conv["title"])

    def conversation_settings(self, conversation_id: int) -> dict[str, Any]:
        """The per-conversation settings dict given at create/update (model, format, …)."""
        with self._lock:
            row = self._conversation_row(conversation_id)
        return _load_json_dict(row["settings_json"])

    def update_conversation(
        self,
        conversation_id: int,
        *,
        title: str | None = None,
        system: str | None | _Unset = UNSET,
        settings: dict[str, Any] | None = None,
    ) -> None:
        """Change what is given: ``title``, ``system`` (None removes it), ``settings`` (replaced whole).

        Does not move the conversation up the history list; only new messages do.
        """
        assignments: list[str] = []
        params: list[Any] = []
        if title is not None:
            assignments.append("title = ?")
            params.append(title)
        if not isinstance(system, _Unset):
            assignments.append("system = ?")
            params.append(system)
        if settings is not None:
            assignments.append("settings_json = ?")
            params.append(json.dumps(settings, ensure_ascii=False))
        with self._write() as db:
            self._conversation_row(conversation_id)
            if assignments:
                db.execute(
                    f"UPDATE conversations SET {', '.join(assignments)} WHERE id = ?",
                    (*params, conversation_id),
                )

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        """Set the title. Raises InputError when the conversation does not exist."""
        self.update_conversation(conversation_id, title=title)

    def delete_conversation(self, conversation_id: int) -> None:
        """Delete the conversation, its messages and its image files. A missing one is no error."""
        with self._write() as db:
            db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
        # Files after the rows: a crash in between leaves unused files, never dangling rows.
        shutil.rmtree(self._conversation_dir(conversation_id), ignore_errors=True)

    # ------------------------------------------------------------ messages

    def add_message(self, conversation_id: int, message: Message) -> int:
        """Append ``message`` to the conversation and return its id (see :meth:`add_messages`)."""
        return self.add_messages(conversation_id, [message])[0]

    def add_messages(self, conversation_id: int, messages: list[Message]) -> list[int]:
        """Append ``messages`` in one transaction and return their ids.

        One transaction keeps a prompt and its reply placeholder together when
        another process (the app, ``liaobots ask -c``) writes the same conversation.
        Image bytes not yet on disk are written under ``images_dir/<conversation>/``
        before the rows that point at them. An image whose file lives elsewhere
        (an attachment picked from disk, another conversation) is copied in, so
        the history survives the original being moved or its conversation deleted.
        Sets each ``message.id``, ``message.created_at`` (when 0) and each image's
        ``path``; moves the conversation to the top of the history; gives an
        untitled conversation the first line of the first user text as its title.

        Raises:
            InputError: ``no conversation N``.
        """
        written: list[Path] = []
        saved: list[tuple[Message, int, list[Any]]] = []
        try:
            with self._write() as db:
                conv = self._conversation_row(conversation_id)
                title = conv["title"]
                for message in messages:
                    if not message.created_at:
                        message.created_at = time.time()
                    seq = db.execute(
                        "SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE conversation_id = ?",
                        (conversation_id,),
                    ).fetchone()[0]
                    cur = db.execute(
                        "INSERT INTO messages (conversation_id, seq, role, model, format, status, error,"
                        " finish_reason, usage_json, sources_json, created_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            conversation_id,
                            seq,
                            message.role,
                            *self._message_values(message),
                            message.created_at,
                        ),
                    )
                    message_id = int(cast(int, cur.lastrowid))
                    rows = self._part_rows(conversation_id, message_id, message.parts, written)
                    self._insert_parts(db, message_id, rows)
                    saved.append((message, message_id, rows))
                    if not title and message.role == "user":
                        title = title_from_text(message.text)
                assignments = "updated_at = ?"
                params: list[Any] = [self._stamp(db)]
                if title and title != conv["title"]:
                    assignments += ", title = ?"
                    params.append(title)
                db.execute(f"UPDATE conversations SET {assignments} WHERE id = ?", (*params, conversation_id))
        except BaseException:
            for path in written:
                with contextlib.suppress(OSError):
                    path.unlink()
            raise
        for message, message_id, rows in saved:
            message.id = message_id
            self._set_paths(message.parts, rows)
        return [message_id for _, message_id, _ in saved]

    def update_message(self, message: Message) -> None:
        """Rewrite a saved message: parts, status, error, usage, finish reason, sources, model.

        Cheap enough to call every second while a reply streams: one transaction,
        one row per part.

        Raises:
            ValueError: the message was never saved (``id`` is None).
            InputError: the message no longer exists.
        """
        if message.id is None:
            raise ValueError("update_message needs a saved message (id is None)")
        message_id = message.id
        written: list[Path] = []
        try:
            with self._write() as db:
                row = db.execute(
                    "SELECT conversation_id FROM messages WHERE id = ?", (message_id,)
                ).fetchone()
                if row is None:
                    raise InputError(f"no message {message_id}")
                conversation_id = int(row[0])
                db.execute(
                    "UPDATE messages SET model = ?, format = ?, status = ?, error = ?, finish_reason = ?,"
                    " usage_json = ?, sources_json = ? WHERE id = ?",
                    (*self._message_values(message), message_id),
                )
                rows = self._part_rows(conversation_id, message_id, message.parts, written)
                db.execute("DELETE FROM parts WHERE message_id = ?", (message_id,))
                self._insert_parts(db, message_id, rows)
                db.execute(
                    "UPDATE conversations SET updated_at = ? WHERE id = ?", (self._stamp(db), conversation_id)
                )
        except BaseException:
            for path in written:
                with contextlib.suppress(OSError):
                    path.unlink()
            raise
        self._set_paths(message.parts, rows)

    def delete_messages_from(self, conversation_id: int, message_id: int) -> None:
        """Delete ``message_id`` and every later message of the conversation (edit & resend, regenerate).

        Image files stay until the conversation is deleted: edit & resend re-adds the
        same attachments by path. Nothing happens when the message is not in the
        conversation.
        """
        with self._write() as db:
            row = db.execute(
                "SELECT seq FROM messages WHERE id = ? AND conversation_id = ?", (message_id, conversation_id)
            ).fetchone()
            if row is not None:
                db.execute(
                    "DELETE FROM messages WHERE conversation_id = ? AND seq >= ?", (conversation_id, row[0])
                )

    def save_image(self, conversation_id: int, data: bytes, mime_type: str) -> Path:
        """Write an image file for the conversation now (a generated image as it arrives).

        Put the returned path on the ImagePart; the next add/update_message records it.
        """
        directory = paths.ensure_dir(self._conversation_dir(conversation_id))
        stem = f"img-{time.time_ns() // 1_000_000}-{secrets.token_hex(4)}"
        return _write_new_file(directory, stem, _ext_for(mime_type), data)

    # ------------------------------------------------------------ conversion helpers

    def _conversation_dir(self, conversation_id: int) -> Path:
        return self.images_dir / str(conversation_id)

    @staticmethod
    def _message_values(message: Message) -> tuple[Any, ...]:
        """model, format, status, error, finish_reason, usage_json, sources_json."""
        usage = message.usage.to_dict() if message.usage is not None else None
        sources = [{"uri": s.uri, "title": s.title} for s in message.sources]
        return (
            message.model,
            message.format,
            message.status,
            message.error,
            message.finish_reason,
            _json_or_none(usage),
            _json_or_none(sources),
        )

    def _part_rows(
        self, conversation_id: int, message_id: int, parts: list[Part], written: list[Path]
    ) -> list[tuple[str, str | None, str | None, str | None, int, str | None]]:
        """Rows (kind, text, mime, stored path, generated, provider json); writes image files first."""
        rows: list[tuple[str, str | None, str | None, str | None, int, str | None]] = []
        for index, part in enumerate(parts):
            pd = _json_or_none(part.provider_data)
            if isinstance(part, ImagePart):
                stored = self._store_image(conversation_id, message_id, index, part, written)
                rows.append(("image", None, part.mime_type, stored, int(part.generated), pd))
            else:
                rows.append((part.kind, part.text, None, None, 0, pd))
        return rows

    def _store_image(
        self, conversation_id: int, message_id: int, index: int, part: ImagePart, written: list[Path]
    ) -> str | None:
        """The path to record for an image: relative to images_dir when the file is ours."""
        conv_dir = self._conversation_dir(conversation_id)
        if part.path:
            current = Path(part.path)
            if _is_within(current, conv_dir):
                return current.resolve().relative_to(self.images_dir.resolve()).as_posix()
        data = part.data
        if not data and part.path:
            try:
                data = Path(part.path).read_bytes()
            except OSError:
                data = b""
        if not data:
            # Nothing to copy (a file that vanished): keep whatever reference we have.
            return part.path
        paths.ensure_dir(conv_dir)
        path = _write_new_file(conv_dir, f"{message_id}-{index}", _ext_for(part.mime_type), data)
        written.append(path)
        return path.relative_to(self.images_dir).as_posix()

    @staticmethod
    def _insert_parts(
        db: sqlite3.Connection,
        message_id: int,
        rows: list[tuple[str, str | None, str | None, str | None, int, str | None]],
    ) -> None:
        db.executemany(
            "INSERT INTO parts (message_id, seq, kind, text, mime_type, path, generated, provider_data_json)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(message_id, seq, *row) for seq, row in enumerate(rows)],
        )

    def _set_paths(
        self, parts: list[Part], rows: list[tuple[str, str | None, str | None, str | None, int, str | None]]
    ) -> None:
        for part, row in zip(parts, rows, strict=True):
            if isinstance(part, ImagePart) and row[3] is not None:
                part.path = str(self._resolve(row[3]))

    def _resolve(self, stored: str) -> Path:
        path = Path(stored)
        return path if path.is_absolute() else self.images_dir / path

    def _part_from_row(self, row: sqlite3.Row) -> Part:
        pd = cast(ProviderData, _load_json_dict(row["provider_data_json"]))
        kind = row["kind"]
        if kind == "image":
            stored = row["path"]
            return ImagePart(
                data=b"",
                mime_type=row["mime_type"] or "image/png",
                generated=bool(row["generated"]),
                path=None if stored is None else str(self._resolve(stored)),
                provider_data=pd,
            )
        if kind == "reasoning":
            return ReasoningPart(row["text"] or "", provider_data=pd)
        return TextPart(row["text"] or "", provider_data=pd)

    @staticmethod
    def _message_from_row(row: sqlite3.Row, parts: list[Part]) -> Message:
        status = cast(MessageStatus, row["status"])
        error = row["error"]
        if status == "streaming":
            status, error = "failed", error or INTERRUPTED
        usage_dict = _load_json_dict(row["usage_json"])
        known = Usage().to_dict()
        usage = Usage(**{k: int(v) for k, v in usage_dict.items() if k in known}) if usage_dict else None
        sources_raw = json.loads(row["sources_json"]) if row["sources_json"] else []
        sources = [Source(uri=s["uri"], title=s.get("title", "")) for s in sources_raw]
        return Message(
            role=cast(Role, row["role"]),
            parts=parts,
            model=row["model"],
            format=cast(Format | None, row["format"]),
            status=status,
            error=error,
            usage=usage,
            finish_reason=cast(FinishReason | None, row["finish_reason"]),
            sources=sources,
            id=row["id"],
            created_at=row["created_at"],
        )


# ---------------------------------------------------------------- module helpers


def _enable_wal(db: sqlite3.Connection) -> None:
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


def _migrate(db: sqlite3.Connection, db_path: Path) -> None:
    """Bring the schema to :data:`SCHEMA_VERSION`, one step per transaction."""
    while True:
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if version == SCHEMA_VERSION:
            return
        if version > SCHEMA_VERSION:
            raise ConfigError(
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


def _load_json_dict(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _is_within(path: Path, directory: Path) -> bool:
    try:
        path.resolve().relative_to(directory.resolve())
    except ValueError:
        return False
    return True


def _write_new_file(directory: Path, stem: str, ext: str, data: bytes) -> Path:
    """Write ``data`` to a new file ``stem[-n]ext`` in ``directory``, never overwriting one; mode 0600.

    A crash mid-write can leave a partial file, but never one the database points
    at: rows are committed (or the path handed out) only after the write returns.
    """
    n = 1
    while True:
        target = directory / (f"{stem}{ext}" if n == 1 else f"{stem}-{n}{ext}")
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        except FileExistsError:
            n += 1
            continue
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        except BaseException:
            with contextlib.suppress(OSError):
                target.unlink()
            raise
        return target
