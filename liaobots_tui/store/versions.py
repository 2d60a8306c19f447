"""Versions of messages: the messages of a conversation as a tree, one path of it chosen.

Each message points at the message before it on its path (``parent_id``; None for a
first message). Messages with the same parent are *versions* of each other:
regenerate adds a version of a reply, edit & resend a version of a prompt.

The chosen path is what everything else reads: its messages have ``seq`` 1..n, as
before versions existed, so loading, counting and sending a conversation need not
know about the tree. Messages off the chosen path keep their rows, parts and images
with ``seq = -id`` (unique, and below every chosen one). Choosing a version puts its
path back: its ancestors, itself, and below it the path last chosen there (the child
with the latest ``chosen_at`` at each step), so coming back to a version finds the
conversation as it was left.

A comparison's replies are versions of each other below their prompt: the kept one
chosen, the others never chosen (``chosen_at`` NULL). A comparison closed with none
kept is set aside whole, its prompt never chosen: the walk below a chosen version
does not enter such a prompt, which shows as a version of the next prompt instead.

All functions run inside the store's write (or read) transaction.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Version:
    """Where a message of the chosen path stands among its versions: ``number`` of ``count``."""

    number: int
    count: int


def parent_for_next(db: sqlite3.Connection, conversation_id: int) -> int | None:
    """The last message of the chosen path: the parent of a message appended now."""
    row = db.execute(
        "SELECT id FROM messages WHERE conversation_id = ? AND seq > 0 ORDER BY seq DESC LIMIT 1",
        (conversation_id,),
    ).fetchone()
    return None if row is None else int(row[0])


def set_aside_from(db: sqlite3.Connection, conversation_id: int, seq: int) -> None:
    """Take the chosen path's messages from ``seq`` on off it, keeping them as versions."""
    db.execute("UPDATE messages SET seq = -id WHERE conversation_id = ? AND seq >= ?", (conversation_id, seq))


def delete_from(db: sqlite3.Connection, conversation_id: int, seq: int) -> None:
    """Delete the chosen path's messages from ``seq`` on, with every version below them."""
    db.execute(
        "WITH RECURSIVE doomed (id) AS ("
        " SELECT id FROM messages WHERE conversation_id = :conversation AND seq >= :seq"
        " UNION SELECT m.id FROM messages m JOIN doomed d ON m.parent_id = d.id"
        ") DELETE FROM messages WHERE id IN doomed",
        {"conversation": conversation_id, "seq": seq},
    )


def versions(db: sqlite3.Connection, conversation_id: int) -> dict[int, Version]:
    """For each message of the chosen path that has other versions: which one it is, of how many."""
    rows = db.execute(
        "SELECT m.id, m.parent_id, s.id AS sibling FROM messages m JOIN messages s"
        " ON s.conversation_id = m.conversation_id AND s.parent_id IS m.parent_id"
        " WHERE m.conversation_id = ? AND m.seq > 0 ORDER BY m.id, s.id",
        (conversation_id,),
    ).fetchall()
    siblings: dict[int, list[int]] = {}
    for message_id, _parent, sibling in rows:
        siblings.setdefault(int(message_id), []).append(int(sibling))
    return {
        message_id: Version(ids.index(message_id) + 1, len(ids))
        for message_id, ids in siblings.items()
        if len(ids) > 1
    }


def sibling(db: sqlite3.Connection, conversation_id: int, message_id: int, step: int) -> int | None:
    """The version ``step`` places after (before, when negative) ``message_id``; None past the ends."""
    row = db.execute(
        "SELECT parent_id FROM messages WHERE id = ? AND conversation_id = ?", (message_id, conversation_id)
    ).fetchone()
    if row is None:
        return None
    ids = [
        int(r[0])
        for r in db.execute(
            "SELECT id FROM messages WHERE conversation_id = ? AND parent_id IS ? ORDER BY id",
            (conversation_id, row[0]),
        )
    ]
    index = ids.index(message_id) + step
    return ids[index] if 0 <= index < len(ids) else None


def choose(db: sqlite3.Connection, conversation_id: int, message_id: int) -> bool:
    """Make the path through ``message_id`` the chosen one; False when it is not in the conversation."""
    path: list[int] = []
    current: int | None = message_id
    seen: set[int] = set()
    while current is not None and current not in seen:  # a damaged file may hold a loop
        row = db.execute(
            "SELECT parent_id FROM messages WHERE id = ? AND conversation_id = ?", (current, conversation_id)
        ).fetchone()
        if row is None:
            return False
        seen.add(current)
        path.append(current)
        current = None if row[0] is None else int(row[0])
    path.reverse()
    while True:  # below it: the child chosen last, down to the end
        # Not into a prompt never chosen (a comparison closed with no reply kept): it waits
        # as a version of the next prompt, and only shows once chosen itself. Below such a
        # prompt no reply was ever chosen either: the first (the first model's) shows.
        row = db.execute(
            "SELECT id FROM messages WHERE conversation_id = ? AND parent_id = ?"
            " AND (chosen_at IS NOT NULL OR role != 'user')"
            " ORDER BY chosen_at IS NULL, chosen_at DESC, CASE WHEN chosen_at IS NULL THEN id END,"
            " id DESC LIMIT 1",
            (conversation_id, path[-1]),
        ).fetchone()
        if row is None or int(row[0]) in seen:
            break
        seen.add(int(row[0]))
        path.append(int(row[0]))
    set_aside_from(db, conversation_id, 1)
    now = time.time()
    db.executemany(
        "UPDATE messages SET seq = ?, chosen_at = ? WHERE id = ?",
        [(seq, now, chosen) for seq, chosen in enumerate(path, start=1)],
    )
    return True
