"""Chat history in SQLite: ``api.messages`` values in, frozen :class:`MessageRecord` values out.

One database file (``paths.db_file()``) and one directory of image files
(``paths.images_dir()/<conversation id>/``). The database holds only the image
paths, relative to the images dir, so a moved data dir keeps working.

The package: :mod:`.schema` (DDL, migrations, opening), :mod:`.codec` (rows to and
from messages), :mod:`.images` (image files), :mod:`.database` (the :class:`Store`),
:mod:`.records` (the stored-record types: a message with its id, status and times),
:mod:`.streaming` (flushing a reply as it streams), :mod:`.versions` (versions of
messages, one path chosen), :mod:`.search` (full-text search), :mod:`.big_text` (a reply over a
megabyte handed out unread, its end readable alone), :mod:`.faults` (storage faults as
one-line :class:`~liaobots_tui.errors.StorageError`).

Interrupted replies: the chat service writes an assistant message with status
``"streaming"``, flushes it with a :class:`ReplyWriter` while it arrives, and
writes the final status at the end. It keeps the latest record in memory, so
whatever is read back from disk with status ``"streaming"`` belongs to a process
that died (kill -9, power loss) or to another process still streaming:
:meth:`Store.load_conversation` reports it as ``"failed"`` with error
``"interrupted"`` without writing that back, so a still-running writer finishes
normally and its final update wins.
"""

from liaobots_tui.store.codec import INTERRUPTED
from liaobots_tui.store.database import (
    FORKED_FROM,
    TITLE_MAX,
    UNSET,
    ConversationSummary,
    Store,
    title_from_text,
)
from liaobots_tui.store.records import MessageRecord, MessageStatus, StoredConversation
from liaobots_tui.store.schema import BUSY_TIMEOUT_MS, MIGRATIONS, SCHEMA_VERSION
from liaobots_tui.store.search import SearchHit
from liaobots_tui.store.streaming import ReplyWriter
from liaobots_tui.store.versions import Version

__all__ = [
    "FORKED_FROM",
    "BUSY_TIMEOUT_MS",
    "INTERRUPTED",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "TITLE_MAX",
    "UNSET",
    "Version",
    "ConversationSummary",
    "MessageRecord",
    "MessageStatus",
    "StoredConversation",
    "ReplyWriter",
    "SearchHit",
    "Store",
    "title_from_text",
]
