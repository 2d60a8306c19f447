"""The store hands SQLite's page cache back when asked (after a reply), and never waits to."""

from __future__ import annotations

import ctypes
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
