"""Give the memory a finished reply no longer needs back, once the screen is quiet.

Removed widgets were not garbage: Textual keeps every widget that watched a
reactive (Markdown fences and tables watch the app's theme, footer keys the
footer) in that reactive's watcher list until it next changes, so each long reply
left detached widgets alive with their whole removed subtrees and rendered lines
(measured after a full collection: the footer alone kept 14 keys more per reply).
And what Python frees, glibc keeps in its arenas, resident, unless asked to trim.

So a moment after a reply has ended (:data:`DELAY`: the last render is on screen,
the user is reading), once nothing was typed or clicked for :data:`QUIET` seconds
(:func:`release_when_quiet`: the collection is one stall of its own, better not met
by a key press), closed widgets are dropped from the watcher lists of the live
DOM (:func:`~liaobots_tui.ui.textual_compat.prune_closed_watchers`), which makes
them garbage for the collector's next passes, and glibc is asked to hand free pages
back. Textual's cache of two styles per widget (up to 1,024 widgets, removed ones
with their rendered lines) is emptied too
(:func:`~liaobots_tui.ui.textual_compat.forget_removed_widgets_styles`).

Textual's geometry methods (``Region.intersection``, ``shrink``, ``union``, ``grow``, ...)
memoize their results in bounded caches of up to 4,096 entries each: a tall chat's rows
are new keys in every frame, so they filled by ~2,800 entries a reply (a key tuple, a
Region, a link each: ~0.7 MB a reply until full, measured after each of four 160 kB
replies). They are emptied at each release (:func:`forget_geometry_caches`): pure
functions of their arguments, they fill again with what the screen now shows. So is Rich's
memo of each drawn string's width in cells (up to 4,096 strings of up to 512 characters: a
reply's new lines added ~150 a reply, ~60 kB, each a small string pinning its pymalloc pool
among the stream's freed ones; :func:`forget_cell_widths`).

The spatial maps of containers off screen (a list per 20 rows of a finished reply, in each of
its containers) are dropped too
(:func:`~liaobots_tui.ui.textual_compat.forget_offscreen_spatial_maps`): rebuilt if it is
scrolled back into view.

SQLite's page cache (up to 2 MB, filled by the pages each reply wrote) is handed back too
(:meth:`~liaobots_tui.store.Store.release_memory`): the next reply reads next to none of them.

Then the reply's garbage is collected (:func:`~liaobots_tui.ui.gc_pause.collect_young`):
one pass over what is not frozen, that is what the app built since the base was frozen
(the shown chat, at the last settle) and still holds, not over the whole app. Most of a
reply's garbage never reaches it: removed widgets, their styles and old layout maps are
freed by reference counting as the reply streams
(``textual_compat.removed_widgets_free_at_once``, ``arrangements_without_cycles``;
measured after a 160 kB reply: 13 objects of cyclic garbage, was 62,000), so the pass
costs the scan of the survivors (35-115 ms of CPU under load, was 135-465). A full
collection over everything was measured (``bench/reply_memory.py``) at 350-670 ms of
CPU in one loop stall after a long chat, right when the user starts typing again.
Nothing runs while another reply streams: its own end schedules the next release.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from functools import cache
from typing import Any

from rich.cells import cached_cell_len
from textual.app import App
from textual.dom import DOMNode
from textual.geometry import Offset, Region, Size, Spacing

from liaobots_tui.store import Store
from liaobots_tui.ui import gc_pause
from liaobots_tui.ui.textual_compat import (
    call_next_after,
    forget_offscreen_spatial_maps,
    forget_removed_widgets_styles,
    prune_closed_watchers,
)

#: Seconds after a reply ends before its memory is released (after the final render).
DELAY = 0.5
#: Seconds without input (keys, mouse) the release waits for: its collection holds the loop
#: for its whole length, so a key pressed meanwhile waits for it.
QUIET = 1.0
#: The shortest wait a timer is given (Textual's timers divide by their interval).
_SOON = 0.01
#: time.monotonic() of the user's last input (noticed_input), 0 before any.
_last_input = 0.0


def noticed_input() -> None:
    """The user typed or clicked (the app's event handler): the release waits for a quiet moment."""
    global _last_input
    _last_input = time.monotonic()


def release_when_quiet(app: App[object], delay: float = DELAY) -> None:
    """:func:`release` after ``delay`` seconds, and then only once no input came for :data:`QUIET`.

    While the user keeps typing it keeps waiting (a collection is cheap to postpone: the
    garbage waits, bounded by one reply's); a reply starting meanwhile makes it a no-op
    (that reply's end schedules the next).
    """

    def attempt() -> None:
        quiet_for = time.monotonic() - _last_input
        if quiet_for < QUIET and not gc_pause.streaming():
            call_next_after(app, max(QUIET - quiet_for, _SOON), attempt)
            return
        release(app)

    # On the loop's timer: Textual's one-shot timer may skip its only tick (a loop late by more
    # than its delay), and that reply's memory was never released (textual_compat.call_next_after).
    call_next_after(app, max(delay, _SOON), attempt)


@cache
def _glibc() -> Any | None:
    """glibc, loaded through ctypes, or None (another libc, or not Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    # Imported here, after the first paint (in a thread: fix_mmap_threshold_soon): ctypes costs
    # ~7 ms of CPU on an idle machine, ~30 at load 10, that the start-up does not need.
    import ctypes

    try:
        # The symbols the interpreter itself links (its libc's): no ctypes.util.find_library,
        # which runs ``ldconfig -p`` in a child process.
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    # musl and others have neither malloc_trim nor glibc's mallopt parameters.
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


def trim_heap() -> bool:
    """Ask glibc to return free heap pages to the system; False where that is not possible."""
    libc = _glibc()
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True


#: glibc's ``mallopt`` parameter number for the mmap threshold (malloc.h: M_MMAP_THRESHOLD).
_M_MMAP_THRESHOLD = -3
#: Blocks this big or bigger that do not fit the heap's free space get a mapping of their own,
#: handed back whole when freed.
MMAP_THRESHOLD = 64 * 1024


def fix_mmap_threshold() -> bool:
    """Keep large blocks out of the heap for good; False where that is not possible.

    Where the heap has no free room for a block of 128 kB or more, glibc maps it on its own,
    but the first time such a block is freed it raises that threshold to the block's size
    (up to 32 MB), and from then on every block below it grows the heap instead. A long
    reply's text and its pieces are such blocks, made and freed again and again while it
    streams: they left holes in the heap that the next reply's blocks did not fit exactly,
    so the heap grew by its free space, which ``malloc_trim`` cannot give back while a live
    block sits above it. Measured (``bench/reply_memory.py``, six 160 kB replies): settled
    RSS +1.62 MB a reply (glibc's free space +0.83 of it), +0.62 MB with the threshold fixed
    at 64 kB (the text itself is 0.31). Setting the threshold turns glibc's adjustment off.
    """
    libc = _glibc()
    if libc is None:
        return False
    return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))


def fix_mmap_threshold_soon() -> threading.Thread:
    """:func:`fix_mmap_threshold` in a daemon thread (started now; returned for a caller to wait on).

    Called at the first paint: loading ctypes there held the loop right after the chat
    was drawn; in a thread it holds the interpreter lock in slices, while the user reads.
    """
    fixer = threading.Thread(target=fix_mmap_threshold, name="mmap-threshold", daemon=True)
    fixer.start()
    return fixer


def forget_geometry_caches() -> int:
    """Empty the memo caches of Textual's geometry methods (see the module); how many entries went."""
    dropped = 0
    for kind in (Region, Offset, Size, Spacing):
        for method in vars(kind).values():
            cache_info = getattr(method, "cache_info", None)
            if cache_info is not None:
                dropped += cache_info().currsize
                method.cache_clear()
    return dropped


def forget_cell_widths() -> int:
    """Empty Rich's memo of the cell width of each string drawn (see the module); how many went."""
    dropped = int(cached_cell_len.cache_info().currsize)
    cached_cell_len.cache_clear()
    return dropped


def live_nodes(app: App[object]) -> Iterator[DOMNode]:
    """The app and every node of the screens on its stack."""
    yield app
    for screen in app.screen_stack:
        yield from screen.walk_children(with_self=True)


def release(app: App[object]) -> bool:
    """Let go of closed widgets, collect the reply's garbage and trim the heap; False (nothing
    done) while a reply streams."""
    if gc_pause.streaming():
        return False
    prune_closed_watchers(live_nodes(app))
    forget_removed_widgets_styles()
    forget_geometry_caches()
    forget_cell_widths()
    forget_offscreen_spatial_maps(live_nodes(app))
    store = getattr(app, "store", None)
    if isinstance(store, Store):
        store.release_memory()
    gc_pause.collect_young()
    trim_heap()
    return True
