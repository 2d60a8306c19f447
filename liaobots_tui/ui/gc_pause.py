"""Keep Python's cyclic garbage collector from freezing the UI, and its garbage from piling up.

A full (generation 2) collection scans every tracked object it is allowed to see:
the app's start-up alone is ~100,000 objects (modules, classes, styles), and a pass
holds the event loop for its whole length (measured 100-300 ms on a busy machine).
CPython collects nothing that is frozen (``gc.freeze()``), so:

- when a conversation is shown (:func:`settle`, a natural pause) one full collection
  runs and what survives is frozen: the *base* (start-up, the shown chat) is never
  scanned again until the next one;
- a moment after each reply (:func:`collect_young`, from the memory release) one
  collection runs over what is not frozen, which is what the app made since the base:
  the reply's garbage (removed pieces, replaced blocks, footer keys) is freed at once,
  so resident memory stays flat, for the cost of scanning what the replies since the
  last settle keep alive (bounded: parked pieces keep their text, not their widgets).
  When that grows past :data:`YOUNG_MOST` objects it joins the base (frozen), so a
  pass stays short in any chat; what later dies among it waits for the next settle;
- Compare's streams (several replies at once) freeze the survivors of each full pass
  as they go (:func:`freeze_survivors`); they are unfrozen when those streams end.

Nothing is frozen when a reply starts: what was frozen then and died during the
reply (the previous reply's widgets, parked as the new one scrolls them away) could
only be freed by a full pass over everything, the stall this module avoids.

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
#: freeze_survivors froze objects while the current streams ran (unfrozen when they end).
_streams_froze = False
#: Most objects freeze_survivors leaves frozen beyond those frozen at the start (a bound on
#: the garbage it can hold back until the streams end).
SURVIVORS_MOST = 400_000
#: Most objects left unfrozen after a reply's collection (beyond, they join the frozen base).
#: Every pass scans them again; measured at ~1 µs of CPU an object on the shared 2-core machine
#: (load 15-20), so this is at most ~60 ms added to each pass while the next reply streams.
YOUNG_MOST = 60_000


def stream_started() -> None:
    """A reply began streaming: the collector runs as usual over what is not frozen.

    What the stream allocates is garbage soon (replaced blocks, the widgets of parked
    pieces): young passes free most of it as it goes, and a full pass costs what the
    replies since the base keep alive, which :func:`collect_young` keeps bounded.
    """
    global _paused, _survivors_frozen, _full_passes, _streams_froze
    if _paused == 0:
        _survivors_frozen = 0
        _full_passes = gc.get_stats()[2]["collections"]
        _streams_froze = False
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
    global _full_passes, _survivors_frozen, _streams_froze
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
        _streams_froze = True


def stream_ended() -> None:
    """A reply is rendered. When streams froze survivors, everything is collectable again."""
    global _paused, _streams_froze
    _paused = max(0, _paused - 1)
    if _paused == 0 and _streams_froze:
        # The frozen survivors hold garbage only a full pass can free; the base goes with
        # them (there is one frozen set) and is frozen again at the next settle.
        _streams_froze = False
        gc.unfreeze()


def streaming() -> bool:
    """Is a reply streaming now?"""
    return _paused > 0


def young_count() -> int:
    """Objects the next full collection would scan beyond the younger generations (not frozen)."""
    return len(gc.get_objects(generation=2))


def collect_young() -> int:
    """A reply has ended and the screen is quiet: free its garbage; how many objects were unreachable.

    One collection over what is not frozen (see the module's docstring), then, when the
    survivors are many, they are frozen with the base so that the next passes stay short.
    Does nothing while a reply streams (its own end collects).
    """
    if _paused:
        return 0
    found = gc.collect()
    if young_count() > YOUNG_MOST:
        gc.freeze()
    return found


def settle() -> None:
    """A natural pause (another conversation opened): collect everything, freeze what survives."""
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
    gc.freeze()  # start-up's objects are the first base (see settle)
    gc.enable()
