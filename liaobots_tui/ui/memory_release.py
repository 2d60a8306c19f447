"""Give the memory a finished reply no longer needs back, once the screen is quiet.

While a reply streams, what existed before it is frozen out of the collector (see
:mod:`~liaobots_tui.ui.gc_pause`), and the cyclic garbage that reached the oldest
generation (replaced blocks, parked pieces' widgets, Rich segments) waits for a
full collection, which Python starts only when the oldest generation has grown by
a quarter. Measured (``bench/reply_memory.py``): 50,000-150,000 such objects more
after each long reply, and resident memory that kept creeping up with them. And
what Python frees, glibc keeps in its arenas, resident, unless asked to trim.

Worse, removed widgets were not garbage at all: Textual keeps every widget that
watched a reactive (Markdown fences and tables watch the app's theme, footer keys
the footer) in that reactive's watcher list until it next changes, so each reply
left 50-150 detached widgets alive with their rendered lines (measured after a full
collection).

So a moment after a reply has ended (:data:`DELAY`: the last render is on screen,
the user is reading) closed widgets are dropped from the watcher lists of the live
DOM (:func:`~liaobots_tui.ui.textual_compat.prune_closed_watchers`), the garbage
is collected once, the survivors are frozen as when a conversation is opened (later
automatic collections scan only what is new), and glibc is asked to hand free
pages back. Nothing runs while another reply streams: its own end schedules the
next release.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from collections.abc import Callable, Iterator
from functools import cache

from textual.app import App
from textual.dom import DOMNode

from liaobots_tui.ui import gc_pause
from liaobots_tui.ui.textual_compat import prune_closed_watchers

#: Seconds after a reply ends before its memory is released (after the final render).
DELAY = 0.5


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None (another libc, or not Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None  # musl and others have no malloc_trim
    return trim


def trim_heap() -> bool:
    """Ask glibc to return free heap pages to the system; False where that is not possible."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


def live_nodes(app: App[object]) -> Iterator[DOMNode]:
    """The app and every node of the screens on its stack."""
    yield app
    for screen in app.screen_stack:
        yield from screen.walk_children(with_self=True)


def release(app: App[object]) -> bool:
    """Let go of closed widgets, collect the garbage, freeze the survivors and trim the
    heap; False (nothing done) while a reply streams."""
    if gc_pause.streaming():
        return False
    prune_closed_watchers(live_nodes(app))
    gc_pause.settle()
    trim_heap()
    return True
