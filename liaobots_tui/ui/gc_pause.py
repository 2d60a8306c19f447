"""Keep Python's cyclic garbage collector from freezing the UI during a stream.

A long history is thousands of widgets, and a full (generation 2) collection scans
every tracked object: measured at 0.5-1.2 s per pass while a 100,000-character
reply streamed, the app's longest stalls by far. While a reply streams, what
existed before it is frozen (``gc.freeze()``), so collections scan only what the
stream allocated; when it ends everything is collectable again. Switching
conversations (when the old widgets are gone) collects once.
"""

from __future__ import annotations

import gc

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
    if _paused:
        return
    gc.unfreeze()
    gc.collect()
    gc.freeze()
