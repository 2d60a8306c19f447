"""Huge text parts read lazily: a chat holding a 50 MB reply opens without reading the 50 MB.

:meth:`Store.load_conversation <liaobots_tui.store.Store.load_conversation>` reads a text part
whose stored value is over :data:`DEFER_BYTES` as a :class:`DeferredTextPart`: a
:class:`~liaobots_tui.api.messages.TextPart` whose ``text`` is read from the database the first
time anything asks for it. Everything that needs the words (copy, export, edit & resend,
regenerate, the history sent to the model, equality) asks as it always did and gets the exact
whole text; only the history view asks its :class:`StoredText` for the end first
(:meth:`StoredText.tail`), which reads about a screen of it whatever the text's size, and
loads the rest after the first paint.

Reading uses SQLite's incremental blob I/O on the ``parts.text`` value: its size is in the
row's header, and a read at the end walks the overflow pages' links without copying them
(15 ms for 50 MB, against 0.45 s to fetch, decode and clean it whole). The whole text is
read a piece at a time into one buffer, each piece under the store's lock only while it is
read, so the UI thread's own store calls wait for a piece, never for the text; it is decoded
once (pieces and their join would be two copies of the text: 200 MB for 50 MB of CJK text).

Cleaning: the adapters clean every delta before it reaches the store (tested), but a file
written by an older version, or edited by hand, may hold controls; so a reply's bytes are still
checked as they are read (in C, a window at a time, 10 ms per 10 MB) and the text is cleaned
whole only when something is found. The tail is cleaned as it is read.

A value not read yet is a promise on a row: before any write the store reads the pending
ones of this process (:meth:`PendingTexts.resolve_all`), so deleting or rewriting the row
can never lose a text the app still shows. A row deleted by another process reads as empty.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import weakref
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from liaobots_tui.api.messages import ProviderData, TextPart
from liaobots_tui.api.sanitize import clean_text

#: Text values larger than this (UTF-8 bytes) are read lazily; smaller ones cost < 10 ms whole.
DEFER_BYTES = 1_000_000
#: Bytes read per piece when the whole text is read (each under the store's lock).
PIECE_BYTES = 1 << 20
#: Bytes checked for controls at a time (the GIL is free between windows).
_CHECK_BYTES = 1 << 20

#: Gives the store's connection, under its lock (faults translated), for one short read.
Reader = Callable[[], AbstractContextManager[sqlite3.Connection]]


class StoredText:
    """The text of one ``parts`` row, read when asked: its end first (:meth:`tail`), whole on :meth:`load`."""

    def __init__(self, reader: Reader, part_rowid: int, size: int, *, untrusted: bool) -> None:
        self._reader = reader
        self.part_rowid = part_rowid
        #: The stored value's size in UTF-8 bytes (the text has at most this many characters).
        self.size = size
        self._untrusted = untrusted
        self._lock = threading.Lock()
        self._value: str | None = None

    @property
    def loaded(self) -> bool:
        """The whole text is in memory (:meth:`load` returns at once)."""
        return self._value is not None

    def tail(self, max_bytes: int) -> str:
        """About the last ``max_bytes`` bytes of the text, from a character start (cleaned)."""
        if self._value is not None:
            return self._value[-max_bytes:]
        start = max(0, self.size - max_bytes)
        read = self._read(start)
        # None: changed under us (another process): the end of what is there now.
        data = self._select().encode("utf-8", "surrogatepass")[-max_bytes:] if read is None else read
        # Skip the continuation bytes of a character cut by ``start``.
        skip = 0
        while skip < min(4, len(data)) and data[skip] & 0xC0 == 0x80:
            skip += 1
        text = data[skip:].decode("utf-8", "replace")
        return clean_text(text) if self._untrusted else text

    def load(self) -> str:
        """The whole text (read once; later calls return the same string)."""
        value = self._value
        if value is not None:
            return value
        with self._lock:
            if self._value is None:
                self._value = self._read_whole()
            return self._value

    def _read_whole(self) -> str:
        data = self._read(0)
        if data is None:
            text = self._select()
            return clean_text(text) if self._untrusted else text
        unsafe = self._untrusted and _has_unsafe(data)
        # Decoded in one go: in pieces, the pieces and their join would be two copies of the text.
        text = data.decode("utf-8", "replace")
        del data
        return clean_text(text) if unsafe else text

    def _read(self, start: int) -> bytearray | None:
        """The value's bytes from ``start``, read a piece at a time; None when it changed or went.

        One blob handle throughout: each new one would walk the overflow pages from the start.
        A row deleted or rewritten by another process (SQLite aborts the handle) reads as None.
        """
        with self._reader() as db:
            try:
                blob = db.blobopen("parts", "text", self.part_rowid, readonly=True)
            except sqlite3.OperationalError:
                return None
        data = bytearray(self.size - start)
        at = start
        try:
            while at < self.size:
                with self._reader():  # the lock, only while a piece is read
                    try:
                        if len(blob) != self.size:
                            return None
                        blob.seek(at)
                        piece = blob.read(min(PIECE_BYTES, self.size - at))
                    except sqlite3.OperationalError:
                        return None
                if not piece:
                    return None
                data[at - start : at - start + len(piece)] = piece
                at += len(piece)
        finally:
            with self._reader():
                blob.close()
        return data

    def _select(self) -> str:
        """The value as it is now, read whole (empty when the row is gone)."""
        with self._reader() as db:
            row = db.execute("SELECT text FROM parts WHERE id = ?", (self.part_rowid,)).fetchone()
        value = None if row is None else row[0]
        if isinstance(value, bytes):
            return value.decode("utf-8", "replace")
        return value if isinstance(value, str) else ""

    def __repr__(self) -> str:
        return f"StoredText(part {self.part_rowid}, {self.size:,} bytes{', loaded' if self.loaded else ''})"


#: Bytes that are never part of a character clean_text removes (all but C0 controls other than
#: tab and newline, and DEL); deleting them leaves nothing from a clean text.
_SAFE_BYTES = bytes(b for b in range(256) if not (b < 0x20 and b not in (0x09, 0x0A)) and b != 0x7F)
#: A C1 control in UTF-8 (U+0080–U+009F).
_C1 = re.compile(rb"\xc2[\x80-\x9f]")


def _has_unsafe(data: bytes | bytearray) -> bool:
    """Whether UTF-8 ``data`` holds a character :func:`clean_text` removes, checked a window at a time.

    On the bytes, before they are decoded: the C0 controls and DEL are single bytes (found by
    deleting every other byte, in C), and a C1 control begins with the rare byte 0xC2.
    """
    for start in range(0, len(data), _CHECK_BYTES):
        if data[start : start + _CHECK_BYTES].translate(None, _SAFE_BYTES):
            return True
    return _C1.search(data) is not None


def stored_size(db: sqlite3.Connection, part_rowid: int) -> int:
    """The UTF-8 size of ``parts.text`` of a row, read from its header (0 for NULL or not text)."""
    try:
        with db.blobopen("parts", "text", part_rowid, readonly=True) as blob:
            return len(blob)
    except sqlite3.OperationalError:
        return 0


class DeferredTextPart(TextPart):
    """A :class:`TextPart` whose ``text`` is read from the store the first time it is asked for.

    It is a TextPart in every other way (``isinstance``, equality with a TextPart holding the
    same text, :func:`dataclasses.replace`, which gives a plain one).
    """

    stored: StoredText

    def __init__(
        self,
        text: str | None = None,
        provider_data: ProviderData | None = None,
        *,
        stored: StoredText | None = None,
    ) -> None:
        object.__setattr__(self, "provider_data", {} if provider_data is None else provider_data)
        if stored is None:  # dataclasses.replace(): a plain value from here on
            stored = _Given(text or "")
        object.__setattr__(self, "stored", stored)
        if text is not None:
            object.__setattr__(self, "text", text)

    def __getattr__(self, name: str) -> Any:
        # Only reached while ``text`` is not in the instance yet: read it, then keep it there.
        if name == "text":
            value = self.stored.load()
            object.__setattr__(self, "text", value)
            return value
        raise AttributeError(name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TextPart):
            return NotImplemented
        return (self.text, self.provider_data) == (other.text, other.provider_data)

    __hash__ = TextPart.__hash__

    def __repr__(self) -> str:
        return f"DeferredTextPart({self.stored!r})"


def unread_text(parts: Sequence[TextPart]) -> StoredText | None:
    """The stored text of ``parts`` when they are one huge part not read yet, else None."""
    if len(parts) == 1 and isinstance(parts[0], DeferredTextPart) and "text" not in vars(parts[0]):
        stored = parts[0].stored
        return None if stored.loaded else stored
    return None


class _Given(StoredText):
    """A text already in memory, for a DeferredTextPart built by :func:`dataclasses.replace`."""

    def __init__(self, text: str) -> None:
        super().__init__(_no_reader, 0, len(text), untrusted=False)
        self._value = text


def _no_reader() -> AbstractContextManager[sqlite3.Connection]:
    raise AssertionError("a text given in memory is never read from the store")


class PendingTexts:
    """The store's texts handed out but not read yet (weakly: a chat closed and dropped is forgotten)."""

    def __init__(self) -> None:
        self._texts: weakref.WeakSet[StoredText] = weakref.WeakSet()

    def add(self, text: StoredText) -> None:
        self._texts.add(text)

    def resolve_all(self) -> None:
        """Read every pending text now: a write may be about to delete or rewrite its row."""
        if not self._texts:
            return
        for text in list(self._texts):
            text.load()
        self._texts = weakref.WeakSet(text for text in self._texts if not text.loaded)
