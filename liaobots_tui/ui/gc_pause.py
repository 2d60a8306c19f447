"""Keep Python's cyclic garbage collector from freezing the UI during a stream.

A long history is thousands of widgets, and a full (generation 2) collection scans
every tracked object: measured at 0.5-1.2 s per pass while a 100,000-character
reply streamed, the app's longest stalls by far. While a reply streams, what
existed before it is frozen (``gc.freeze()``), so collections scan only what the
stream allocated; when it ends everything is collectable again. Switching
conversations (when the old widgets are gone) collects once.

At start-up the collector is held (:func:`held_for_start`) until the first chat is
painted: importing the app and building its first screen ran ~200 collections
(0.10 s of CPU before the first paint, plus the full pass of :func:`settle`), and
next to nothing built then is garbage. Once the chat is on screen, what there is
is frozen and the collector runs again.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_paused = 0
#: Objects freeze_survivors froze since the first stream started, and full passes seen since.
_survivors_frozen = 0
_full_passes = 0
#: Most objects freeze_survivors leaves frozen beyond those frozen at the start (a bound on
#: the garbage it can hold back until the streams end).
SURVIVORS_MOST = 400_000


def stream_started() -> None:
    """A reply began streaming: what exists now is left out of every collection until it ends.

    The collector keeps running over what the stream allocates: its garbage (replaced
    blocks, the widgets of parked pieces) is freed as it goes, and a pass costs what
    the stream keeps alive, which is bounded (parked pieces keep their text, not their
    widgets). With the collector off, that garbage piled up and was then frozen with
    the survivors: resident memory grew by about 50 MB per long reply.
    """
    global _paused, _survivors_frozen, _full_passes
    if _paused == 0:
        gc.freeze()
        _survivors_frozen = 0
        _full_passes = gc.get_stats()[2]["collections"]
    _paused += 1


def freeze_survivors() -> None:
    """While streams run: what survived the last full collection is left out of the next ones.

    Several replies streaming at once (Compare) allocate fast enough that full passes
    come every second or so, each scanning everything the streams built (measured: up
    to 0.3-0.4 s of CPU in a frame). Called now and then (between frames), this freezes
    the survivors of the full pass that just ran, so the next one scans only what was
    built since. Garbage among them (widgets of a piece parked later) is held back until
    the streams end, at most :data:`SURVIVORS_MOST` objects; past that, passes scan as before.
    """
    global _full_passes, _survivors_frozen
    if not _paused:
        return
    passes = gc.get_stats()[2]["collections"]
    if passes == _full_passes:
        return
    _full_passes = passes
    if _survivors_frozen < SURVIVORS_MOST:
        # Counted here, not with gc.get_freeze_count(): that walks every frozen object (the
        # whole app, ~20-50 ms a call, measured as a stall of its own); this lists only what
        # the full pass left in the oldest generation, the survivors about to be frozen.
        _survivors_frozen += len(gc.get_objects(2))
        gc.freeze()


def stream_ended() -> None:
    """The reply is rendered: everything is collectable again (a later pass frees old garbage)."""
    global _paused
    _paused = max(0, _paused - 1)
    if _paused == 0:
        gc.unfreeze()


def streaming() -> bool:
    """Is a reply streaming now (the collector paused over what existed before it)?"""
    return _paused > 0


def settle() -> None:
    """A natural pause (another conversation opened): collect what earlier views left behind."""
    if _paused or _held_at_start:
        return  # held at start: nothing to collect yet (start_painted)
    gc.unfreeze()
    gc.collect()
    gc.freeze()


#: The collector is off since the app began starting (held_for_start) and the first chat is not painted yet.
_held_at_start = False


@contextmanager
def held_for_start() -> Iterator[None]:
    """No automatic collection from here until the first chat is painted (:func:`start_painted`).

    Whatever happens inside (the app fails to start, shows setup and quits), the
    collector runs again on the way out.
    """
    global _held_at_start
    if not gc.isenabled():  # someone else turned it off: theirs to turn back on
        yield
        return
    gc.disable()
    _held_at_start = True
    try:
        yield
    finally:
        if _held_at_start:
            _held_at_start = False
            gc.enable()


def start_painted() -> None:
    """The first chat is on screen (or setup waits for the user): collection goes on as usual.

    What start-up built is frozen as it is, not collected: a full pass here cost
    0.05-0.09 s of CPU right after the first paint, to free ~6,000 objects (measured
    with a 1,000-chat history). They are freed at the next :func:`settle` (another
    chat opened), which unfreezes and collects everything. A no-op unless the collector
    is held (held_for_start), so tests building the app directly are not affected.
    """
    global _held_at_start
    if not _held_at_start:
        return
    _held_at_start = False
    if not _paused:  # a stream froze what it needed when it started
        gc.freeze()
    gc.enable()
