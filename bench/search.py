"""Full-text search over a big history: time to the first page of hits.

Builds a history of ``--conversations`` chats holding ``--messages`` messages in all
(default 10,000 and 200,000, text drawn from a fixed vocabulary so some words are
rare and some are in nearly every message), through the store's own schema: the
rows go in as version 2 had them, and opening the file runs the upgrade to schema 3,
which indexes every message (timed too). Then each query's first page
(``Store.search_messages``, 50 hits) is timed, best of ``--repeat``, beside the
LIKE search over titles and text that the chats list used before (its first page of
conversations). Target (issue 13): under 50 ms for the first page.

    python bench/search.py [--conversations 10000] [--messages 200000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from liaobots_tui.store import Store  # noqa: E402
from liaobots_tui.store.schema import MIGRATIONS  # noqa: E402

TARGET_MS = 50.0
PAGE = 50
#: A Zipf-like vocabulary: the first words are in almost every message, the last in a few.
WORDS = [f"w{i}" for i in range(5000)]
QUERIES = {
    "rare word": "zanzibar",
    "common word": "the",
    "two words": "borrow checker",
    "prefix": "lifeti",
    "no hit": "xylophonequartz",
}


def build(db_path: Path, conversations: int, messages: int) -> None:
    """A schema-2 file with the history, written with raw SQL (the store would take minutes)."""
    rng = random.Random(13)
    common = ["the", "a", "of", "to", "and", "is", "in", "that", "it", "for"]
    with sqlite3.connect(db_path) as db:
        for version in (1, 2):
            MIGRATIONS[version](db)
        db.execute("PRAGMA user_version = 2")
        db.executemany(
            "INSERT INTO conversations (id, title, settings_json, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [(c, f"chat {c}", '{"model": "gpt-5.4"}', c, c) for c in range(1, conversations + 1)],
        )
        per_chat = max(1, messages // conversations)
        rows: list[tuple[object, ...]] = []
        parts: list[tuple[object, ...]] = []
        for message_id in range(1, messages + 1):
            conversation = min(conversations, (message_id - 1) // per_chat + 1)
            seq = (message_id - 1) % per_chat + 1
            role = "user" if seq % 2 else "assistant"
            words = [rng.choice(common) if rng.random() < 0.3 else WORDS[int(rng.paretovariate(1.2)) % 5000]
                     for _ in range(rng.randint(20, 120))]  # fmt: skip
            if message_id % 997 == 0:
                words.append("zanzibar")
            if message_id % 50 == 0:
                words += ["the", "borrow", "checker", "and", "lifetimes"]
            rows.append(
                (message_id, conversation, seq, role, "gpt-5.4" if role == "assistant" else None, message_id)
            )
            parts.append((message_id, " ".join(words)))
        db.executemany(
            "INSERT INTO messages (id, conversation_id, seq, role, model, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )
        db.executemany("INSERT INTO parts (message_id, seq, kind, text) VALUES (?, 0, 'text', ?)", parts)


def best_ms(call: object, repeat: int) -> float:
    assert callable(call)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "history.sqlite3"
        start = time.perf_counter()
        build(db_path, args.conversations, args.messages)
        print(
            f"built {args.conversations:,} chats, {args.messages:,} messages"
            f" in {time.perf_counter() - start:.1f} s"
        )
        start = time.perf_counter()
        store = Store(db_path, Path(tmp) / "images")
        print(f"upgrade to schema 3 (indexes every message): {time.perf_counter() - start:.1f} s")
        with store:
            print(
                f"{'query':<14} {'hits':>5} {'FTS first page':>15} {'old LIKE page':>14}"
                f" {'LIKE/FTS':>9} {'target':>8}"
            )
            worst = 0.0
            for label, query in QUERIES.items():
                hits = len(store.search_messages(query, limit=PAGE))
                fts = best_ms(lambda q=query: store.search_messages(q, limit=PAGE), args.repeat)
                like = best_ms(lambda q=query: store.list_conversations(limit=PAGE, search=q), 1)
                worst = max(worst, fts)
                print(
                    f"{label:<14} {hits:>5} {fts:>12.1f} ms {like:>11.1f} ms {like / fts:>8.1f}x"
                    f" {fts / TARGET_MS:>7.2f}x"
                )
            print(
                f"slowest first page: {worst:.1f} ms"
                f" = {worst / TARGET_MS:.2f} of the {TARGET_MS:.0f} ms target"
            )


if __name__ == "__main__":
    main()
