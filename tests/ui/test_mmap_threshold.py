"""Once the app has painted, glibc maps every large block on its own (its mmap threshold is
fixed), so a long reply's big blocks are handed back whole instead of leaving holes in the heap."""

from __future__ import annotations

import ctypes
import threading
from typing import Any

import pytest

from liaobots_tui.ui import memory_release
from liaobots_tui.ui.first_paint import FirstPaint

LIBC = memory_release._glibc()
pytestmark = pytest.mark.skipif(LIBC is None, reason="glibc only")


def is_mapped(block: int) -> bool:
    """Is this malloc'd block a mapping of its own? (glibc's chunk header: the IS_MMAPPED bit.)"""
    return bool(ctypes.c_size_t.from_address(block - ctypes.sizeof(ctypes.c_size_t)).value & 2)


def test_a_block_over_the_threshold_is_mapped_even_after_a_bigger_one_was_freed() -> None:
    libc: Any = LIBC
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    assert memory_release.fix_mmap_threshold()
    # Freeing a mapped 16 MB block made glibc raise its threshold to 16 MB, after which every
    # smaller block, a reply's text among them, came from the heap.
    libc.free(libc.malloc(16 * 1024 * 1024))
    # A block that fits a free chunk of the heap comes from there whatever the threshold: so
    # many that the heap's free space (a few MB in this process) cannot hold them all.
    blocks = [libc.malloc(2 * memory_release.MMAP_THRESHOLD) for _ in range(200)]
    try:
        assert is_mapped(blocks[-1])
    finally:
        for block in blocks:
            libc.free(block)


def test_the_first_paint_fixes_the_threshold_off_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(
        memory_release, "fix_mmap_threshold", lambda: bool(calls.append(threading.current_thread().name))
    )
    painted = FirstPaint()
    painted.mark()  # what the app does once its first chat is on screen
    assert painted.threshold_fixer is not None
    painted.threshold_fixer.join()
    # In a thread of its own: loading ctypes does not hold the loop right after the paint.
    assert calls == ["mmap-threshold"]


def test_glibc_is_found_without_a_child_process(monkeypatch: pytest.MonkeyPatch) -> None:
    import ctypes.util

    def no_lookup(name: str) -> str | None:
        raise AssertionError("find_library runs ldconfig in a child process")

    monkeypatch.setattr(ctypes.util, "find_library", no_lookup)
    memory_release._glibc.cache_clear()
    try:
        assert memory_release._glibc() is not None
    finally:
        memory_release._glibc.cache_clear()
