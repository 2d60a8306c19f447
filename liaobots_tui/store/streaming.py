"""Saving a reply while it streams, in writes that grow with what is new.

Rewriting the whole reply at every flush makes the bytes written grow with the
square of its length (a 164 MB reply once wrote 32 GB). A :class:`ReplyWriter`
remembers how much of each part is already on disk and, at each flush, appends only
the new text as a ``part_chunks`` row; new parts are inserted once. When the reply
ends, :meth:`ReplyWriter.finish` folds the chunks back into ``parts.text`` (one more
write of the reply) so readers and search see plain rows again.

If the disk fills or the file locks up, :meth:`ReplyWriter.finish` still tries to
close the reply out: first as an append (small), then the status alone (a few
bytes), so the history says "failed" rather than "streaming" wherever SQLite allows.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from liaobots_tui.api.messages import FilePart, ImagePart, Part, ReasoningPart, TextPart
from liaobots_tui.errors import InputError, StorageError
from liaobots_tui.store import codec
from liaobots_tui.store.records import MessageRecord

if TYPE_CHECKING:
    from liaobots_tui.store.database import Store

#: Characters kept from the end of each flushed part to check that the next flush only appends.
_TAIL = 32


@dataclass(frozen=True)
class _OnDisk:
    """What one part looks like in the database after the last flush."""

    kind: str
    length: int  # characters of text on disk (parts.text plus its chunks)
    tail: str  # the last few of them
    provider_json: str | None
    image_path: str | None  # an image part's path when it was written

    def extends(self, part: TextPart | ReasoningPart, provider_json: str | None) -> bool:
        """Whether ``part`` is this one with text appended (and nothing else changed)."""
        if part.kind != self.kind or provider_json != self.provider_json:
            return False
        return len(part.text) >= self.length and part.text.startswith(self.tail, self.length - len(self.tail))


def _snapshot(part: Part, provider_json: str | None) -> _OnDisk:
    if isinstance(part, ImagePart | FilePart):
        return _OnDisk(part.kind, 0, "", provider_json, part.path)
    return _OnDisk(part.kind, len(part.text), part.text[-_TAIL:], provider_json, None)


class ReplyWriter:
    """Flushes one saved reply (status "streaming") as it grows; made by :meth:`Store.reply_writer`."""

    def __init__(self, store: Store, message_id: int) -> None:
        self._store = store
        self._message_id = message_id
        self._on_disk: list[_OnDisk] = []
        #: Until the first flush commits, the rows on disk are not known to match ``_on_disk``.
        self._first = True

    def flush(self, message: MessageRecord) -> None:
        """Write what changed since the last flush: new text is appended, new parts inserted.

        Raises:
            StorageError: the write failed (nothing of this flush is kept then).
            InputError: the message no longer exists (deleted by another process).
        """
        # The store's private helpers: this class is the store's streaming half, split out for size.
        on_disk = list(self._on_disk)
        written: list[Path] = []
        images = self._store._images
        try:
            with self._store._write() as db:
                conversation_id = self._conversation_of(db)
                if self._first:  # start from a known state: whatever parts the message had go
                    db.execute("DELETE FROM part_chunks WHERE message_id = ?", (self._message_id,))
                    db.execute("DELETE FROM parts WHERE message_id = ?", (self._message_id,))
                db.execute(
                    "UPDATE messages SET model = ?, format = ?, status = ?, error = ?, finish_reason = ?,"
                    " usage_json = ?, sources_json = ?, ended_at = ? WHERE id = ?",
                    (*codec.message_values(message), self._message_id),
                )
                for seq, part in enumerate(message.parts):
                    provider_json = codec.json_or_none(part.provider_data)
                    previous = on_disk[seq] if seq < len(on_disk) else None
                    if (
                        previous is not None
                        and not isinstance(part, ImagePart | FilePart)
                        and previous.extends(part, provider_json)
                    ):
                        if len(part.text) > previous.length:
                            db.execute(
                                "INSERT INTO part_chunks (message_id, part_seq, text)"
                                " VALUES (?, ?, CAST(? AS TEXT))",
                                (self._message_id, seq, codec.bound_text(part.text[previous.length :])),
                            )
                            on_disk[seq] = _snapshot(part, provider_json)
                        continue
                    if (
                        previous is not None
                        and isinstance(part, ImagePart | FilePart)
                        and previous.kind == part.kind
                        and part.path in (None, previous.image_path)
                        and previous.provider_json == provider_json
                    ):
                        continue  # images and files never change once written
                    # A new part, or one changed in a way appending cannot express: (re)write its row.
                    row = codec.part_row(images, conversation_id, self._message_id, seq, part, written)
                    db.execute(
                        "DELETE FROM part_chunks WHERE message_id = ? AND part_seq = ?",
                        (self._message_id, seq),
                    )
                    db.execute(
                        "INSERT OR REPLACE INTO parts (message_id, seq, kind, text, mime_type, path,"
                        " generated, provider_data_json) VALUES (?, ?, ?, CAST(? AS TEXT), ?, ?, ?, ?)",
                        (self._message_id, seq, row[0], codec.bound_text(row[1]), *row[2:]),
                    )
                    snapshot = _snapshot(part, provider_json)
                    if isinstance(part, ImagePart | FilePart) and row[3] is not None:
                        snapshot = _OnDisk(part.kind, 0, "", provider_json, str(images.resolve(row[3])))
                    if seq < len(on_disk):
                        on_disk[seq] = snapshot
                    else:
                        on_disk.append(snapshot)
                if len(message.parts) < len(on_disk):
                    db.execute(
                        "DELETE FROM parts WHERE message_id = ? AND seq >= ?",
                        (self._message_id, len(message.parts)),
                    )
                    db.execute(
                        "DELETE FROM part_chunks WHERE message_id = ? AND part_seq >= ?",
                        (self._message_id, len(message.parts)),
                    )
                    del on_disk[len(message.parts) :]
                self._store._touch(db, conversation_id)
        except BaseException:
            images.discard(written)
            raise
        self._on_disk, self._first = on_disk, False

    def finish(self, message: MessageRecord) -> MessageRecord:
        """Write the reply's final state (``message.status`` no longer "streaming"); the record as stored.

        The chunks are folded into their parts. When that fails (disk full, locked),
        the final state is appended instead; failing that too, the reply is closed out
        as failed with the storage error (a few bytes, written in place where SQLite
        still allows), so it does not stay "streaming", and the first error is raised.

        Raises:
            StorageError: the reply could not be saved whole (its status may still be).
            InputError: the message no longer exists.
        """
        try:
            stored = self._store.update_message(message)  # rewrites the parts whole and drops the chunks
            self._on_disk, self._first = [], True
            return stored
        except StorageError as exc:
            first = exc
        try:
            self.flush(message)
            return message  # everything is on disk, only not compacted: readers join the chunks
        except StorageError:
            pass
        # What the history holds is short of what was shown: say so, whatever the reply's status was.
        failed = message.failed(first.one_line())
        try:
            self._store.close_out(self._message_id, failed)
        except (StorageError, InputError):
            pass
        raise first

    def _conversation_of(self, db: sqlite3.Connection) -> int:
        row = db.execute("SELECT conversation_id FROM messages WHERE id = ?", (self._message_id,)).fetchone()
        if row is None:
            raise InputError(f"no message {self._message_id}")
        return int(row[0])
