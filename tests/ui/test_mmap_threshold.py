"""Once the app has painted, glibc maps every large block on its own (its mmap threshold is
fixed), so a long reply's big blocks are handed back whole instead of leaving holes in the heap."""

from __future__ import annotations

import ctypes
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
    # Freeing a mapped 1 MB block made glibc raise its threshold to 1 MB, after which every
    # smaller block, a reply's text among them, came from the heap.
    libc.free(libc.malloc(1024 * 1024))
    block = libc.malloc(2 * memory_release.MMAP_THRESHOLD)
    try:
        assert is_mapped(block)
    finally:
        libc.free(block)


def test_the_first_paint_fixes_the_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[None] = []
    monkeypatch.setattr(memory_release, "fix_mmap_threshold", lambda: bool(calls.append(None)))
    FirstPaint().mark()  # what the app does once its first chat is on screen
    assert calls == [None]
