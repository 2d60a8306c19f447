"""Once the app has painted, glibc maps every large block on its own (its mmap threshold is
fixed), so a long reply's big blocks are handed back whole instead of leaving holes in the heap."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from liaobots_tui.ui import memory_release
from liaobots_tui.ui.first_paint import FirstPaint

LIBC = memory_release._glibc()
pytestmark = pytest.mark.skipif(LIBC is None, reason="glibc only")


#: Run in a fresh interpreter: a worker's heap may hold free chunks big enough for every block
#: (glibc carves a block from free space first and maps it only where the heap would grow).
PROBE = """
import ctypes, sys
from liaobots_tui.ui import memory_release

libc = memory_release._glibc()
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
if sys.argv[1] == "fixed":
    assert memory_release.fix_mmap_threshold()
# Freeing a mapped 1 MB block makes glibc raise its threshold to 1 MB, after which every
# smaller block, a reply's text among them, comes from the heap.
libc.free(libc.malloc(1024 * 1024))
size = 2 * memory_release.MMAP_THRESHOLD
blocks = [libc.malloc(size) for _ in range(64)]  # 8 MB: more than the heap has free
word = ctypes.sizeof(ctypes.c_size_t)
print(sum(ctypes.c_size_t.from_address(block - word).value & 2 == 2 for block in blocks))
"""


def mapped_blocks_of_64(mode: str) -> int:
    """Of 64 blocks of twice the threshold, after a 1 MB block was freed: how many are mappings
    of their own (glibc's chunk header: the IS_MMAPPED bit)."""
    run = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True)
    return int(run.stdout)


def test_large_blocks_stay_out_of_the_heap_once_the_threshold_is_fixed() -> None:
    assert mapped_blocks_of_64("fixed") >= 60  # a few may fill free space the heap had
    assert mapped_blocks_of_64("glibc's own") <= 4  # what it was: the heap grew instead


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
