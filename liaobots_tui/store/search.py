"""Full-text search over every message: the FTS5 index ``message_text`` and its queries.

The index holds one row per message (rowid = message id) with the message's text
parts joined by newlines; thinking and images are not indexed. The store re-indexes
a message whenever it writes it whole (:meth:`Store.add_messages`,
:meth:`Store.update_message`, which a streaming reply ends with), a trigger drops the
row of a deleted message, and the schema upgrade indexes every existing message. A
reply still streaming is indexed as far as it was when it started; the rest is
indexed when it ends.

What the user types is never FTS5 syntax: each word becomes a quoted prefix term,
so ``c++``, ``"``, ``AND`` or ``NEAR(`` search for text, never fail as a query.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from liaobots_tui.api.sanitize import clean_line
from liaobots_tui.store import codec
from liaobots_tui.store.codec import load_json_dict, str_or_none

#: Marks around matched words inside FTS5 snippets; removed from indexed text first.
_OPEN, _CLOSE = "\x01", "\x02"
_MARKS = re.compile(f"[{_OPEN}{_CLOSE}]")
_SPACES = re.compile(r"\s+")
_UNSAFE_BUT_MARKS = re.compile(r"[\x00\x03-\x1f\x7f-\x9f]")
#: Words of context a snippet shows around the matches.
SNIPPET_TOKENS = 16
#: Most characters of a snippet kept (it is untrusted text, shown on one line).
SNIPPET_MAX = 240


@dataclass(frozen=True)
class SearchHit:
    """One message matching a search, newest first."""

    conversation_id: int
    message_id: int
    title: str
    role: str
    #: The reply's model; for a prompt, the conversation's model (None if unknown).
    model: str | None
    created_at: float
    #: One line of the message around the matches, with the matched words marked by
    #: ``highlights`` (start, end) spans into it.
    snippet: str
    highlights: tuple[tuple[int, int], ...]


def fts_query(text: str) -> str | None:
    """The FTS5 query for what the user typed: every word, as a prefix, in any order.

    None when no word has a letter or digit (nothing to look for).
    """
    terms = [
        '"' + word.replace('"', '""') + '"*' for word in text.split() if any(ch.isalnum() for ch in word)
    ]
    return " ".join(terms) if terms else None


def _body(texts: list[str]) -> str:
    return "\n".join(texts).replace(_OPEN, " ").replace(_CLOSE, " ")


def index_message(db: sqlite3.Connection, message_id: int) -> None:
    """(Re)index one message from its text parts and their streamed chunks (inside a write)."""
    parts = db.execute(
        "SELECT seq, text FROM parts WHERE message_id = ? AND kind = 'text' ORDER BY seq", (message_id,)
    ).fetchall()
    chunks: dict[int, list[str]] = {}
    for part_seq, text in db.execute(
        "SELECT part_seq, text FROM part_chunks WHERE message_id = ? ORDER BY id", (message_id,)
    ):
        chunks.setdefault(part_seq, []).append(codec.text(text))
    texts = [codec.text(text) + "".join(chunks.get(seq, ())) for seq, text in parts]
    db.execute("DELETE FROM message_text WHERE rowid = ?", (message_id,))
    if any(texts):
        db.execute("INSERT INTO message_text (rowid, body) VALUES (?, ?)", (message_id, _body(texts)))


def index_all(db: sqlite3.Connection) -> None:
    """Index every message of the database (the upgrade to schema 3), in one pass over parts."""
    chunks: dict[tuple[int, int], list[str]] = {}
    for message_id, part_seq, text in db.execute(
        "SELECT message_id, part_seq, text FROM part_chunks ORDER BY id"
    ):
        chunks.setdefault((message_id, part_seq), []).append(codec.text(text))
    db.execute("DELETE FROM message_text")
    current: int | None = None
    texts: list[str] = []
    rows: list[tuple[int, str]] = []

    def done() -> None:
        if current is not None and any(texts):
            rows.append((current, _body(texts)))

    for message_id, seq, text in db.execute(
        "SELECT message_id, seq, text FROM parts WHERE kind = 'text' ORDER BY message_id, seq"
    ):
        if message_id != current:
            done()
            current, texts = message_id, []
        texts.append(codec.text(text) + "".join(chunks.get((message_id, seq), ())))
        if len(rows) >= 1000:
            db.executemany("INSERT INTO message_text (rowid, body) VALUES (?, ?)", rows)
            rows = []
    done()
    db.executemany("INSERT INTO message_text (rowid, body) VALUES (?, ?)", rows)


# Newest first by walking the index in rowid (message id) order, so a page stops early
# instead of ranking every hit of a common word. Earlier versions (seq < 0) are left out:
# a hit opens the chat at a message the user can see.
_SEARCH_SQL = f"""
SELECT t.rowid AS message_id, m.conversation_id, m.role, m.model, m.created_at, c.title, c.settings_json,
    snippet(message_text, 0, '{_OPEN}', '{_CLOSE}', '…', {SNIPPET_TOKENS}) AS snippet
FROM message_text t
JOIN messages m ON m.id = t.rowid
JOIN conversations c ON c.id = m.conversation_id
WHERE message_text MATCH :query AND m.seq > 0
ORDER BY t.rowid DESC
LIMIT :limit OFFSET :offset
"""


def search(db: sqlite3.Connection, text: str, limit: int, offset: int) -> list[SearchHit]:
    """One page of messages matching ``text`` (see :func:`fts_query`), newest first."""
    query = fts_query(text)
    if query is None:
        return []
    rows = db.execute(_SEARCH_SQL, {"query": query, "limit": max(0, limit), "offset": max(0, offset)})
    hits: list[SearchHit] = []
    for row in rows.fetchall():
        model = str_or_none(row["model"]) or str_or_none(load_json_dict(row["settings_json"]).get("model"))
        snippet, highlights = _marked(codec.text(row["snippet"]))
        hits.append(
            SearchHit(
                conversation_id=int(row["conversation_id"]),
                message_id=int(row["message_id"]),
                title=clean_line(codec.text(row["title"]), 200),
                role=clean_line(codec.text(row["role"]), 20),
                model=clean_line(model, 200) if model else None,
                created_at=codec.timestamp(row["created_at"]),
                snippet=snippet,
                highlights=highlights,
            )
        )
    return hits


def _marked(raw: str) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The snippet as one clean line, and the (start, end) spans of its marked matches."""
    # As clean_line does, but keeping the two marks until the spans are known.
    line = _UNSAFE_BUT_MARKS.sub("", _SPACES.sub(" ", raw)).strip()
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0
    for index, piece in enumerate(_MARKS.split(line)):
        piece = piece[: SNIPPET_MAX - length]
        if index % 2 == 1 and piece:
            spans.append((length, length + len(piece)))
        out.append(piece)
        length += len(piece)
    return "".join(out), tuple(spans)
