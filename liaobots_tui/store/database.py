"""The :class:`Store`: conversations and messages in SQLite, handed back as frozen records.

Messages go in as ``api.messages`` values (or records, to keep a status and times)
and come back as :class:`~liaobots_tui.store.records.MessageRecord`: the value plus
its row id, status, error and timestamps. Nothing handed in is changed: every write
returns the record as stored.

Concurrency: the app and ``liaobots ask -c`` may write the same file at once.
WAL lets readers run beside a writer; every write is one short ``BEGIN
IMMEDIATE`` transaction (taking the write lock up front, so two writers queue on
``busy_timeout`` instead of failing with "database is locked" on lock upgrade).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from liaobots_tui.api.messages import ImagePart, Message, Part
from liaobots_tui.api.sanitize import clean_line
from liaobots_tui.errors import InputError, StorageError
from liaobots_tui.store import big_text, codec, search, versions
from liaobots_tui.store.big_text import DeferredTextPart, PendingTexts, StoredText, stored_size
from liaobots_tui.store.codec import PartRow, load_json_dict, str_or_none
from liaobots_tui.store.faults import translated
from liaobots_tui.store.images import ImageFiles
from liaobots_tui.store.records import MessageRecord, StoredConversation
from liaobots_tui.store.schema import connect
from liaobots_tui.store.search import SearchHit
from liaobots_tui.store.streaming import ReplyWriter
from liaobots_tui.store.versions import Version

TITLE_MAX = 60
#: The settings key of a fork naming where it came from: {"conversation": id, "message": id}.
FORKED_FROM = "forked_from"


def title_from_text(text: str) -> str:
    """A conversation title: the first non-blank line, at most 60 characters (cut with …)."""
    for line in text.splitlines():
        line = " ".join(line.split())
        if line:
            return line if len(line) <= TITLE_MAX else line[: TITLE_MAX - 1].rstrip() + "…"
    return ""


#: Longest text part of a prompt that ↑ recalls (see Store.recent_prompts).
RECALL_CHARS = 100_000


class _Unset:
    """Type of :data:`UNSET`: "argument not given" where None is a real value."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET = _Unset()


@dataclass(frozen=True)
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
    (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id AND m.seq > 0) AS message_count,
    (SELECT m.model FROM messages m WHERE m.conversation_id = c.id AND m.role = 'assistant' AND m.seq > 0
        AND m.model IS NOT NULL ORDER BY m.seq DESC LIMIT 1) AS last_model,
    (SELECT m.format FROM messages m WHERE m.conversation_id = c.id AND m.role = 'assistant' AND m.seq > 0
        AND m.format IS NOT NULL ORDER BY m.seq DESC LIMIT 1) AS last_format
FROM conversations c
"""

# Matches the title or any visible text part; ESCAPE so a search for "50%" or
# "snake_case" is literal. LIKE is case-insensitive for ASCII letters. Chunks are
# searched too: a reply whose process died mid-stream keeps its text there. Only the chosen
# versions (seq > 0): what the chat shows when opened.
_SEARCH_SQL = """
WHERE c.title LIKE :pattern ESCAPE '\\'
    OR EXISTS (
        SELECT 1 FROM messages m JOIN parts p ON p.message_id = m.id
        WHERE m.conversation_id = c.id AND m.seq > 0 AND p.kind = 'text' AND p.text LIKE :pattern ESCAPE '\\'
    )
    OR EXISTS (
        SELECT 1 FROM messages m JOIN part_chunks k ON k.message_id = m.id
        JOIN parts p ON p.message_id = m.id AND p.seq = k.part_seq
        WHERE m.conversation_id = c.id AND m.seq > 0 AND p.kind = 'text' AND k.text LIKE :pattern ESCAPE '\\'
    )
"""


def _like_pattern(search: str) -> str:
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class Store:
    """The history database. One instance per process is enough; it is thread-safe.

    Args:
        db_path: the SQLite file (created with its directory if missing, mode 0600).
        images_dir: root of image files, one subdirectory per conversation.

    Every method raises :class:`~liaobots_tui.errors.StorageError` (one line) for a
    fault of the file or the disk: read-only, locked past the busy timeout, full,
    damaged. A damaged value inside a row reads as empty instead (see :mod:`.codec`).

    Raises:
        StorageError: the file cannot be created or opened, is not a usable database,
            or was written by a newer version of liaobots-tui.
    """

    def __init__(self, db_path: Path, images_dir: Path) -> None:
        self.db_path = db_path
        self.images_dir = images_dir
        self._images = ImageFiles(images_dir)
        # One connection shared under a lock: Textual thread workers may call in.
        self._lock = threading.RLock()
        self._db = connect(db_path)
        #: Huge texts handed out by load_conversation and not read yet (read before any write).
        self._pending = PendingTexts()

    # ------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Close the database; further calls fail. Safe to call twice."""
        with self._lock:
            self._db.close()

    def release_memory(self) -> bool:
        """Hand back the pages SQLite keeps cached (``PRAGMA shrink_memory``); False when busy.

        Its page cache fills to ``cache_size`` (2 MB) with the pages each reply wrote and
        folded (measured: +0.4 MB a 160 kB reply until full), resident for good though the
        next reply reads next to none of them. Never waits: another thread writing keeps
        the cache this time.
        """
        if not self._lock.acquire(blocking=False):
            return False
        try:
            self._db.execute("PRAGMA shrink_memory")
        except sqlite3.Error:  # closed, or a fault of the file: nothing to hand back
            return False
        finally:
            self._lock.release()
        return True

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
        if not isinstance(latest, int | float) or now > latest:  # None, or a damaged value
            return now
        return float(latest) + 1e-6

    def _touch(self, db: sqlite3.Connection, conversation_id: int) -> None:
        """Move the conversation to the top of the history (inside a write transaction)."""
        db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (self._stamp(db), conversation_id))

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """The connection, for reads: faults become StorageError."""
        with self._lock, translated(self.db_path):
            yield self._db

    @contextlib.contextmanager
    def _write_with_images(self) -> Iterator[tuple[sqlite3.Connection, list[Path]]]:
        """A :meth:`_write` that may write image files (listed by the caller): removed if it fails."""
        written: list[Path] = []
        try:
            with self._write() as db:
                yield db, written
        except BaseException:
            ImageFiles.discard(written)
            raise

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction, holding the write lock from the start; faults become StorageError."""
        # A write may delete or rewrite a row whose text was handed out unread (see big_text).
        self._pending.resolve_all()
        with self._lock, translated(self.db_path):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:  # also when COMMIT itself failed
                    # A failing ROLLBACK (I/O error) must not hide the error that caused it.
                    with contextlib.suppress(sqlite3.Error):
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
        with self._read() as db:
            rows = db.execute(sql, params).fetchall()
        return [_summary(row) for row in rows]

    def conversations_titled(self, search: str, *, limit: int = 10) -> list[ConversationSummary]:
        """Conversations whose title holds ``search`` (case-insensitive for ASCII), newest first.

        Beside :meth:`search_messages`, which looks in message text only: a renamed chat is
        found by its name too.
        """
        sql = _SUMMARY_SQL + " WHERE c.title LIKE :pattern ESCAPE '\\'"
        sql += " ORDER BY c.updated_at DESC, c.id DESC LIMIT :limit"
        with self._read() as db:
            rows = db.execute(sql, {"pattern": _like_pattern(search), "limit": max(0, limit)}).fetchall()
        return [_summary(row) for row in rows]

    def count_conversations(self, search: str | None = None) -> int:
        """How many conversations :meth:`list_conversations` would page through."""
        sql = "SELECT COUNT(*) FROM conversations c"
        params: dict[str, Any] = {}
        if search:
            sql += _SEARCH_SQL
            params["pattern"] = _like_pattern(search)
        with self._read() as db:
            return int(db.execute(sql, params).fetchone()[0])

    def latest_conversation_id(self) -> int | None:
        """The most recently updated conversation (``ask -c`` continues it), or None."""
        with self._read() as db:
            row = db.execute(
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

    def load_conversation(self, conversation_id: int) -> StoredConversation:
        """The whole conversation, its chosen records. Images come back lazy: ``path`` set, ``data`` empty.

        A message still marked ``"streaming"`` comes back as ``"failed"`` with error
        ``"interrupted"`` (see the module docstring); the file is not changed.

        Raises:
            InputError: ``no conversation N``.
        """
        with self._read() as db:
            # One read transaction: a concurrent writer cannot show us half a change.
            db.execute("BEGIN")
            try:
                conv = self._conversation_row(conversation_id)
                msg_rows = db.execute(
                    "SELECT * FROM messages WHERE conversation_id = ? AND seq > 0 ORDER BY seq",
                    (conversation_id,),
                ).fetchall()
                chunk_rows = db.execute(
                    "SELECT k.message_id, k.part_seq, k.text FROM part_chunks k JOIN messages m"
                    " ON k.message_id = m.id WHERE m.conversation_id = ? AND m.seq > 0 ORDER BY k.id",
                    (conversation_id,),
                ).fetchall()
                chunks: dict[tuple[int, int], list[str]] = {}
                for message_id, part_seq, chunk in chunk_rows:
                    chunks.setdefault((message_id, part_seq), []).append(codec.text(chunk))
                huge = self._huge_reply_texts(db, conversation_id, chunks)
                # Row ids are ints read from the database: safe to write into the statement.
                unread = ", ".join(str(int(part_id)) for part_id in huge)
                part_rows = db.execute(
                    "SELECT p.id, p.message_id, p.seq, p.kind, p.mime_type, p.path, p.generated,"
                    f" p.provider_data_json, CASE WHEN p.id IN ({unread}) THEN NULL ELSE p.text END AS text"
                    " FROM parts p JOIN messages m ON p.message_id = m.id"
                    " WHERE m.conversation_id = ? AND m.seq > 0 ORDER BY m.seq, p.seq",
                    (conversation_id,),
                ).fetchall()
            finally:
                if db.in_transaction:
                    db.execute("COMMIT")
        replies = {row["id"] for row in msg_rows if row["role"] != "user"}
        parts_by_message: dict[int, list[Part]] = {}
        for row in part_rows:
            part: Part
            size = huge.get(row["id"])
            if size is not None:
                # Read when first asked for: the history view asks for its end only (see big_text).
                stored = StoredText(self._read, row["id"], size, untrusted=True)
                self._pending.add(stored)
                part = DeferredTextPart(stored=stored, provider_data=codec.part_provider_data(row))
            else:
                appended = "".join(chunks.get((row["message_id"], row["seq"]), ()))
                part = codec.part_from_row(
                    self._images, row, appended=appended, untrusted=row["message_id"] in replies
                )
            parts_by_message.setdefault(row["message_id"], []).append(part)
        messages = [codec.message_from_row(row, parts_by_message.get(row["id"], [])) for row in msg_rows]
        system = codec.text(conv["system"]) or None
        return StoredConversation(conv["id"], codec.text(conv["title"]), system, messages)

    @staticmethod
    def _huge_reply_texts(
        db: sqlite3.Connection, conversation_id: int, chunks: dict[tuple[int, int], list[str]]
    ) -> dict[int, int]:
        """Part row id → size of the chosen replies' text parts over DEFER_BYTES, read from row headers.

        A part with streamed chunks (its process died mid-reply) is read whole, as before.
        """
        rows = db.execute(
            "SELECT p.id, p.message_id, p.seq FROM parts p JOIN messages m ON p.message_id = m.id"
            " WHERE m.conversation_id = ? AND m.seq > 0 AND m.role != 'user' AND p.kind = 'text'",
            (conversation_id,),
        ).fetchall()
        sizes = {row[0]: stored_size(db, row[0]) for row in rows if (row[1], row[2]) not in chunks}
        return {part_id: size for part_id, size in sizes.items() if size > big_text.DEFER_BYTES}

    def conversation_settings(self, conversation_id: int) -> dict[str, Any]:
        """The per-conversation settings dict given at create/update (model, format, …)."""
        with self._read():
            row = self._conversation_row(conversation_id)
        return load_json_dict(row["settings_json"])

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

    def fork_conversation(self, conversation_id: int, message_id: int) -> int:
        """A new conversation holding the chosen messages up to and with ``message_id``; returns its id.

        System prompt and settings are copied; the settings name the origin under
        :data:`FORKED_FROM` and the title starts "Fork of". Images are copied into the
        new conversation's directory, so deleting either chat leaves the other whole.

        Raises:
            InputError: no such conversation, or the message is not on its chosen path.
        """
        conversation = self.load_conversation(conversation_id)
        index = next((i for i, r in enumerate(conversation.messages) if r.id == message_id), None)
        if index is None:
            raise InputError(f"message {message_id} is not in conversation {conversation_id}")
        settings = {
            **self.conversation_settings(conversation_id),
            FORKED_FROM: {"conversation": conversation_id, "message": message_id},
        }
        title = title_from_text(f"Fork of {conversation.title or f'chat {conversation_id}'}")
        fork_id = self.create_conversation(title=title, system=conversation.system, settings=settings)
        copies = [dataclasses.replace(r, id=None) for r in conversation.messages[: index + 1]]
        try:
            self.add_messages(fork_id, copies)
        except BaseException:
            with contextlib.suppress(StorageError):  # the first error is the one to report
                self.delete_conversation(fork_id)
            raise
        return fork_id

    def rename_conversation(self, conversation_id: int, title: str) -> None:
        """Set the title. Raises InputError when the conversation does not exist."""
        self.update_conversation(conversation_id, title=title)

    def delete_conversation(self, conversation_id: int) -> None:
        """Delete the conversation, its messages and its image files. A missing one is no error."""
        with self._write() as db:
            db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
        # Files after the rows: a crash in between leaves unused files, never dangling rows.
        self._images.delete_conversation(conversation_id)

    # ------------------------------------------------------------ messages

    def add_message(self, conversation_id: int, message: Message | MessageRecord) -> MessageRecord:
        """Append ``message`` to the conversation and return its record (see :meth:`add_messages`)."""
        return self.add_messages(conversation_id, [message])[0]

    def add_messages(
        self, conversation_id: int, messages: Sequence[Message | MessageRecord]
    ) -> list[MessageRecord]:
        """Append ``messages`` in one transaction and return their records as stored.

        A plain :class:`Message` is stored as complete; a :class:`MessageRecord` keeps its
        status, error and times (its ``id`` is ignored: a new row is written).

        One transaction keeps a prompt and its reply placeholder together when
        another process (the app, ``liaobots ask -c``) writes the same conversation.
        Image bytes not yet on disk are written under ``images_dir/<conversation>/``
        before the rows that point at them. An image whose file lives elsewhere
        (an attachment picked from disk, another conversation) is copied in, so
        the history survives the original being moved or its conversation deleted.
        The records returned carry the new ids, ``created_at`` (now, where it was 0)
        and each image's ``path``; what was passed in is not changed. Moves the
        conversation to the top of the history; gives an untitled conversation the
        first line of the first user text as its title.

        Raises:
            InputError: ``no conversation N``.
        """
        saved: list[tuple[MessageRecord, int, list[PartRow]]] = []
        with self._write_with_images() as (db, written):
            conv = self._conversation_row(conversation_id)
            title = conv["title"]
            for given in messages:
                parent = versions.parent_for_next(db, conversation_id)
                saved.append(self._insert(db, conversation_id, given, parent, True, written))
                if not title and saved[-1][0].role == "user":
                    title = title_from_text(saved[-1][0].text)
            self._touch_titled(db, conversation_id, conv["title"], title)
        return self._as_stored(saved)

    def add_turn(
        self,
        conversation_id: int,
        prompt: Message,
        replies: Sequence[MessageRecord],
        chosen: int | None,
    ) -> list[MessageRecord]:
        """Append a prompt and several replies to it in one transaction; the records as stored, prompt first.

        The replies are versions of each other (``‹ 2/3 ›``), numbered in the order given:
        reply ``chosen`` continues the conversation, the others are set aside (a comparison's
        replies that were not kept; they were charged all the same). With ``chosen`` None
        the whole turn is set aside: its prompt becomes a version of whatever is appended
        next, and choosing a version above it does not walk into it (see
        :func:`versions.choose`) until it is chosen itself.

        Raises:
            InputError: ``no conversation N``.
        """
        saved: list[tuple[MessageRecord, int, list[PartRow]]] = []
        with self._write_with_images() as (db, written):
            conv = self._conversation_row(conversation_id)
            parent = versions.parent_for_next(db, conversation_id)
            saved.append(self._insert(db, conversation_id, prompt, parent, chosen is not None, written))
            prompt_id = saved[0][1]
            for index, reply in enumerate(replies):
                on_path = index == chosen
                saved.append(self._insert(db, conversation_id, reply, prompt_id, on_path, written))
            title = conv["title"] or (title_from_text(prompt.text) if chosen is not None else "")
            self._touch_titled(db, conversation_id, conv["title"], title)
        return self._as_stored(saved)

    def _insert(
        self,
        db: sqlite3.Connection,
        conversation_id: int,
        given: Message | MessageRecord,
        parent_id: int | None,
        on_path: bool,
        written: list[Path],
    ) -> tuple[MessageRecord, int, list[PartRow]]:
        """Write one message below ``parent_id``: last on the chosen path, or set aside (``seq = -id``).

        A message set aside is written never chosen (``chosen_at`` NULL).
        """
        record = given if isinstance(given, MessageRecord) else MessageRecord(given)
        if not record.created_at:
            record = dataclasses.replace(record, created_at=time.time())
        message = record.message
        if on_path:
            seq = db.execute(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE conversation_id = ? AND seq > 0",
                (conversation_id,),
            ).fetchone()[0]
        else:  # the id this row will get, so no other row holds it; set to -id below all the same
            seq = -int(db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM messages").fetchone()[0])
        cur = db.execute(
            "INSERT INTO messages (conversation_id, seq, role, model, format, status, error,"
            " finish_reason, usage_json, sources_json, ended_at, created_at, parent_id,"
            " chosen_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                conversation_id,
                seq,
                message.role,
                *codec.message_values(record),
                record.created_at,
                parent_id,
                time.time() if on_path else None,
            ),
        )
        message_id = int(cast(int, cur.lastrowid))
        if not on_path:
            db.execute("UPDATE messages SET seq = -id WHERE id = ?", (message_id,))
        rows = codec.part_rows(self._images, conversation_id, message_id, message.parts, written)
        _insert_parts(db, message_id, rows)
        search.index_message(db, message_id)
        return record, message_id, rows

    def _touch_titled(self, db: sqlite3.Connection, conversation_id: int, before: str, title: str) -> None:
        """Move the conversation to the top of the history, giving it ``title`` when that changed."""
        assignments = "updated_at = ?"
        params: list[Any] = [self._stamp(db)]
        if title and title != before:
            assignments += ", title = ?"
            params.append(title)
        db.execute(f"UPDATE conversations SET {assignments} WHERE id = ?", (*params, conversation_id))

    def _as_stored(self, saved: list[tuple[MessageRecord, int, list[PartRow]]]) -> list[MessageRecord]:
        return [
            dataclasses.replace(record, id=message_id).revised(
                parts=codec.set_paths(self._images, record.parts, rows)
            )
            for record, message_id, rows in saved
        ]

    def update_message(self, record: MessageRecord) -> MessageRecord:
        """Rewrite a saved message whole: parts, status, error, usage, finish reason, sources, model, end.

        Returns the record as stored (images pointing at their files).

        Writes the whole text: while a reply streams, flush it with :meth:`reply_writer`,
        whose writes grow only with what is new.

        Raises:
            ValueError: the message was never saved (``id`` is None).
            InputError: the message no longer exists.
        """
        if record.id is None:
            raise ValueError("update_message needs a saved message (id is None)")
        message_id = record.id
        with self._write_with_images() as (db, written):
            row = db.execute("SELECT conversation_id FROM messages WHERE id = ?", (message_id,)).fetchone()
            if row is None:
                raise InputError(f"no message {message_id}")
            conversation_id = int(row[0])
            db.execute(
                "UPDATE messages SET model = ?, format = ?, status = ?, error = ?, finish_reason = ?,"
                " usage_json = ?, sources_json = ?, ended_at = ? WHERE id = ?",
                (*codec.message_values(record), message_id),
            )
            rows = codec.part_rows(self._images, conversation_id, message_id, record.parts, written)
            db.execute("DELETE FROM part_chunks WHERE message_id = ?", (message_id,))
            db.execute("DELETE FROM parts WHERE message_id = ?", (message_id,))
            _insert_parts(db, message_id, rows)
            search.index_message(db, message_id)
            self._touch(db, conversation_id)
        return record.revised(parts=codec.set_paths(self._images, record.parts, rows))

    def delete_messages_from(self, conversation_id: int, message_id: int) -> None:
        """Delete ``message_id``, every later message of the conversation and their versions.

        Image files stay until the conversation is deleted: edit & resend re-adds the
        same attachments by path. Nothing happens when the message is not on the
        conversation's chosen path.
        """
        with self._write() as db:
            seq = self._chosen_seq(db, conversation_id, message_id)
            if seq is not None:
                versions.delete_from(db, conversation_id, seq)

    def keep_versions_from(self, conversation_id: int, message_id: int) -> None:
        """Take ``message_id`` and every later message off the chosen path, keeping them as versions.

        What is appended next becomes a new version of ``message_id`` (regenerate, edit &
        resend). A reply that holds nothing (failed or stopped before its first byte) is
        deleted instead: there is nothing to go back to. Nothing happens when the message
        is not on the chosen path.
        """
        with self._write() as db:
            seq = self._chosen_seq(db, conversation_id, message_id)
            if seq is None:
                return
            empty = db.execute(
                "SELECT NOT EXISTS (SELECT 1 FROM parts WHERE message_id = :id)"
                " AND NOT EXISTS (SELECT 1 FROM part_chunks WHERE message_id = :id)"
                " AND (SELECT role FROM messages WHERE id = :id) != 'user'"
                " AND NOT EXISTS (SELECT 1 FROM messages WHERE conversation_id = :conversation"
                " AND seq > :seq)",
                {"id": message_id, "conversation": conversation_id, "seq": seq},
            ).fetchone()[0]
            if empty:
                versions.delete_from(db, conversation_id, seq)
            else:
                versions.set_aside_from(db, conversation_id, seq)

    def recent_prompts(self, limit: int = 500) -> list[str]:
        """The text of the user's latest prompts in every chat, newest first, each text once.

        For ↑ in the prompt: what was typed, wherever it was sent (earlier versions too).
        Read at start-up, so bounded: a prompt holding a text longer than
        :data:`RECALL_CHARS` (a pasted log) is not recalled, and never read into memory.
        """
        with self._read() as db:
            rows = db.execute(
                "SELECT m.id, p.text FROM messages m JOIN parts p ON p.message_id = m.id"
                " WHERE m.role = 'user' AND p.kind = 'text' AND NOT EXISTS (SELECT 1 FROM parts q"
                "  WHERE q.message_id = m.id AND q.kind = 'text' AND length(q.text) > ?)"
                " ORDER BY m.id DESC, p.seq LIMIT ?",
                (RECALL_CHARS, limit * 4),  # duplicates and multi-part prompts take more rows than prompts
            ).fetchall()
        texts: dict[int, list[str]] = {}
        for message_id, part_text in rows:
            texts.setdefault(int(message_id), []).append(codec.text(part_text))
        prompts: list[str] = []
        seen: set[str] = set()
        for pieces in texts.values():  # newest first: dicts keep the order rows came in
            prompt = "".join(pieces).rstrip()
            if prompt and prompt not in seen:
                seen.add(prompt)
                prompts.append(prompt)
                if len(prompts) == limit:
                    break
        return prompts

    def replies_set_aside(self, conversation_id: int) -> list[MessageRecord]:
        """The replies off the chosen path (earlier versions), oldest first, without their parts.

        They were charged like the chosen ones: what a chat cost counts them too.
        """
        with self._read() as db:
            rows = db.execute(
                "SELECT * FROM messages WHERE conversation_id = ? AND seq < 0 AND role != 'user' ORDER BY id",
                (conversation_id,),
            ).fetchall()
        return [codec.message_from_row(row, []) for row in rows]

    def versions(self, conversation_id: int) -> dict[int, Version]:
        """Message id → its :class:`Version`, for the chosen messages that have other versions."""
        with self._read() as db:
            return versions.versions(db, conversation_id)

    def choose_version(self, conversation_id: int, message_id: int, step: int = 0) -> int | None:
        """Choose the version ``step`` places from ``message_id`` (0: that message itself).

        The chosen path below it becomes the one last chosen there. Returns the id of the
        message now chosen, or None when there is no such version (past the first or last,
        or not in the conversation); then nothing changes. Does not move the conversation
        up the history list.
        """
        with self._write() as db:
            target = message_id if step == 0 else versions.sibling(db, conversation_id, message_id, step)
            if target is None or not versions.choose(db, conversation_id, target):
                return None
            return target

    def search_messages(self, text: str, *, limit: int = 50, offset: int = 0) -> list[SearchHit]:
        """One page of the chosen messages matching every word of ``text`` (as prefixes), newest first."""
        with self._read() as db:
            return search.search(db, text, limit, offset)

    def _chosen_seq(self, db: sqlite3.Connection, conversation_id: int, message_id: int) -> int | None:
        row = db.execute(
            "SELECT seq FROM messages WHERE id = ? AND conversation_id = ? AND seq > 0",
            (message_id, conversation_id),
        ).fetchone()
        return None if row is None else int(row[0])

    def reply_writer(self, reply: MessageRecord) -> ReplyWriter:
        """The writer that flushes saved ``reply`` while it streams and closes it out.

        Raises:
            ValueError: the message was never saved (``id`` is None).
        """
        if reply.id is None:
            raise ValueError("reply_writer needs a saved message (id is None)")
        return ReplyWriter(self, reply.id)

    def close_out(self, message_id: int, record: MessageRecord) -> None:
        """Write only the final status, error, finish reason and end time of a reply.

        The last resort when the whole reply cannot be written (a full disk): a few
        bytes in place, so the history does not keep it as "streaming".

        Raises:
            StorageError: not even that could be written.
            InputError: the message no longer exists.
        """
        with self._write() as db:
            cur = db.execute(
                "UPDATE messages SET status = ?, error = ?, finish_reason = ?, ended_at = ? WHERE id = ?",
                (record.status, record.error, record.finish_reason, record.ended_at, message_id),
            )
            if cur.rowcount == 0:
                raise InputError(f"no message {message_id}")

    def save_generated_image(
        self, conversation_id: int, image: ImagePart, stem: str | None = None
    ) -> ImagePart:
        """Write a generated image to its file now, as it arrives; returns the part to record.

        The result points at the file (``path``), holds no bytes, and carries the MIME
        type of the format detected in the bytes, which also chose the extension.
        ``stem``: the file name without extension (see ``image_names.picture_stem``);
        a number is added when that name is taken.

        Raises:
            UnsafeImage: not a PNG/JPEG/WebP/GIF that decodes, or too many pixels;
                nothing is written.
            StorageError: the file could not be written.
        """
        with translated(self.db_path):
            return self._images.save_generated(conversation_id, image, stem)


def _summary(row: sqlite3.Row) -> ConversationSummary:
    settings = load_json_dict(row["settings_json"])
    model = str_or_none(row["last_model"]) or str_or_none(settings.get("model"))
    fmt = str_or_none(row["last_format"]) or str_or_none(settings.get("format"))
    return ConversationSummary(
        id=row["id"],
        title=codec.text(row["title"]),
        created_at=codec.timestamp(row["created_at"]),
        updated_at=codec.timestamp(row["updated_at"]),
        model=clean_line(model, 200) if model else None,
        format=clean_line(fmt, 40) if fmt else None,
        message_count=row["message_count"],
    )


def _insert_parts(db: sqlite3.Connection, message_id: int, rows: list[PartRow]) -> None:
    # The text goes as UTF-8 bytes: bound as a str, it stayed cached on the reply (see bound_text).
    db.executemany(
        "INSERT INTO parts (message_id, seq, kind, text, mime_type, path, generated, provider_data_json)"
        " VALUES (?, ?, ?, CAST(? AS TEXT), ?, ?, ?, ?)",
        [(message_id, seq, row[0], codec.bound_text(row[1]), *row[2:]) for seq, row in enumerate(rows)],
    )
