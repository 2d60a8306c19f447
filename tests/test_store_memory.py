"""The store hands SQLite's page cache back when asked (after a reply), and never waits to."""

from __future__ import annotations

import ctypes
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from liaobots_tui.api.messages import Message, TextPart
from liaobots_tui.store import Store

REPLY = "a long reply line\n" * 9_000  # ~160 kB, as bench/reply_memory.py's replies


def _sqlite_memory_used() -> Callable[[], int] | None:
    """SQLite's own count of the bytes it holds (``sqlite3_memory_used``), from the library loaded."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    for line in maps.splitlines():
        if "libsqlite3" in line:
            try:
                used = ctypes.CDLL(line.split()[-1]).sqlite3_memory_used
            except (OSError, AttributeError):
                return None
            used.restype = ctypes.c_int64
            return lambda: int(used())
    return None  # SQLite linked into Python itself: not reachable this way


@pytest.fixture
def memory_used() -> Callable[[], int]:
    found = _sqlite_memory_used()
    if found is None:
        pytest.skip("SQLite's memory count is not reachable on this platform")
    return found


@pytest.fixture
def filled(store: Store) -> Iterator[Store]:
    """Five long replies written: SQLite's page cache holds their pages."""
    conversation = store.create_conversation()
    for number in range(5):
        store.add_message(conversation, Message("user", [TextPart(f"question {number}")]))
        store.add_message(conversation, Message("assistant", [TextPart(REPLY + str(number))]))
    yield store


def test_release_memory_hands_the_page_cache_back(filled: Store, memory_used: Callable[[], int]) -> None:
    cached = memory_used()
    assert filled.release_memory() is True
    # The pages of five 160 kB replies were cached (up to the 2 MB cache); next to none stay.
    assert memory_used() < cached - 500_000
    # And the store reads on as before.
    assert filled.count_conversations() == 1


def test_release_memory_does_not_wait_for_another_thread(filled: Store) -> None:
    holding, done = threading.Event(), threading.Event()

    def writer() -> None:
        with filled._lock:  # a worker thread in the middle of a write
            holding.set()
            done.wait()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        holding.wait()
        assert filled.release_memory() is False  # the UI thread's release goes on without it
    finally:
        done.set()
        thread.join()
    assert filled.release_memory() is True


def test_release_memory_of_a_closed_store_is_a_no_op(tmp_path: Path) -> None:
    store = Store(tmp_path / "h.db", tmp_path / "images")
    store.close()
    assert store.release_memory() is False


@pytest.mark.parametrize(
    "text",
    [REPLY, "Tables · 表格 — " + REPLY, "\u00e9" * 100_000 + "\U0001f600"],
    ids=["ascii", "cjk", "astral"],
)
def test_a_saved_text_is_not_held_twice(store: Store, text: str) -> None:
    """Saving a reply leaves no UTF-8 copy cached on its str (the app goes on showing that str).

    CPython counts a str's cached UTF-8 form in its size; bound as a str, a non-ASCII
    reply grew by its UTF-8 length (160 kB) for as long as it was shown.
    """
    text = (text + ".")[:-1]  # a str of this test's own (the parametrised one is shared)
    size = sys.getsizeof(text)
    conversation = store.create_conversation()
    store.add_message(conversation, Message("user", [TextPart("question")]))
    saved = store.add_message(conversation, Message("assistant", [TextPart(text)]))
    writer = store.reply_writer(saved)
    writer.flush(saved)
    stored = writer.finish(saved)
    assert stored.parts[0].text is text
    assert sys.getsizeof(text) == size
    # And it reads back as the same text, as TEXT (not a blob).
    loaded = store.load_conversation(conversation).messages[-1]
    assert loaded.message.parts[0].text == text
    types = store._db.execute("SELECT typeof(text) FROM parts WHERE kind = 'text'").fetchall()
    assert [tuple(row) for row in types] == [("text",), ("text",)]
