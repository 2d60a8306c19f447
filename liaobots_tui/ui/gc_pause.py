"""Keep Python's cyclic garbage collector from freezing the UI, and its garbage from piling up.

A full (generation 2) collection scans every tracked object it is allowed to see:
the app's start-up alone is ~100,000 objects (modules, classes, styles), and a pass
holds the event loop for its whole length (measured 100-300 ms on a busy machine).
CPython collects nothing that is frozen (``gc.freeze()``), so:

- when a conversation is shown (:func:`settle`, a natural pause) one full collection
  runs and what survives is frozen: the *base* (start-up, the shown chat) is never
  scanned again until the next one;
- while replies stream (a chat's, or Compare's side by side) no full pass runs by
  itself (:func:`stream_started`): left to the interpreter's count, seven of them ran
  in a 3,000-delta reply, each inside a frame, each scanning all the reply had built
  (50-200 ms of CPU). Young passes (generations 0 and 1) run as usual and free what
  dies young. What survives them is bounded (:func:`between_frames`, from the
  streams' tickers: past :data:`STREAM_YOUNG_MOST` objects one pass runs between
  frames and its survivors are frozen);
- a moment after each reply (:func:`collect_young`, from the memory release) one
  collection runs over what is not frozen, which is what the app made since the base:
  the reply's garbage (removed pieces, replaced blocks, footer keys) is freed at once,
  so resident memory stays flat, for the cost of scanning what the replies since the
  last settle keep alive (bounded: parked pieces keep their text, not their widgets).
  When that grows past :data:`YOUNG_MOST` objects it joins the base (frozen), so a
  pass stays short in any chat; what later dies among it waits for the next settle.
  Until then the full pass held back stays deferred (:func:`stream_ended`).

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
#: Objects freeze_survivors froze since the first stream started.
_survivors_frozen = 0
#: Full passes (generation 2) counted when the bound was last looked at (:func:`between_frames`).
_full_passes = 0
#: Passes of generation 1 counted when the young heap was last measured (:func:`between_frames`).
_middle_passes = 0
#: The interpreter's gen-2 threshold in force when the first stream began (put back at the end).
_threshold = 10
#: A gen-2 threshold never reached: no automatic full pass while streams run.
_NEVER = 1 << 30
#: The gen-2 threshold is ours (streaming, or deferred to the reply's collection); _threshold is theirs.
_holding = False
#: Most objects freeze_survivors leaves frozen beyond those frozen at the start (a bound on
#: the garbage it can hold back until the next settle).
SURVIVORS_MOST = 400_000
#: Most objects left unfrozen after a reply's collection (beyond, they join the frozen base).
#: Every pass scans them again; measured at ~1 µs of CPU an object on the shared 2-core machine
#: (load 15-20), so this is at most ~60 ms added to each pass while the next reply streams.
YOUNG_MOST = 60_000
#: Most objects the young heap may hold while streams run before one full pass runs between
#: frames (its survivors then frozen): the bound on what holding full passes back can keep.
#: A 3,000-delta reply builds ~100,000-200,000, three side by side ~400,000.
STREAM_YOUNG_MOST = 600_000
#: Generation-1 passes between two measures of the young heap (each measure lists it: ~1 ms).
MEASURE_EVERY = 10


def stream_started() -> None:
    """A reply began streaming: no automatic full (generation 2) pass until every stream has ended.

    A full pass scans every object not frozen: with a reply streaming that is all the
    reply has built (measured 47,000-205,000 objects, 50-200 ms of CPU each, seven of
    them in a 3,000-delta reply, each inside a frame). Young passes (generations 0 and
    1) run as usual and free what dies young; what survives them waits for the reply's
    end (:func:`collect_young`), bounded by :func:`between_frames`.
    """
    global _paused, _survivors_frozen, _full_passes, _middle_passes
    if _paused == 0:
        _survivors_frozen = 0
        stats = gc.get_stats()
        _full_passes, _middle_passes = stats[2]["collections"], stats[1]["collections"]
        _hold_full_passes(_NEVER)
    _paused += 1


def _hold_full_passes(count: int) -> None:
    """Set the gen-2 threshold to ``count`` (gen-1 passes), the interpreter's own one kept aside."""
    global _threshold, _holding
    young, middle, threshold = gc.get_threshold()
    if not _holding:
        _threshold, _holding = threshold, True
    gc.set_threshold(young, middle, count)


def _release_full_passes() -> None:
    """The interpreter's own gen-2 threshold again (after a collection reset its count)."""
    global _holding
    if _holding:
        young, middle, _held = gc.get_threshold()
        gc.set_threshold(young, middle, _threshold)
        _holding = False


def between_frames() -> bool:
    """While streams run, now and then (a ticker): one full pass when the young heap passed its bound.

    Cheap when nothing is due (a look at the collector's counts; the heap is measured
    every :data:`MEASURE_EVERY` young passes). Past :data:`STREAM_YOUNG_MOST` objects
    one collection runs here, between frames, and what survives it is frozen
    (:func:`freeze_survivors`) so that the bound is counted afresh. True when it ran.
    """
    global _middle_passes
    if not _paused:
        return False
    middle = gc.get_stats()[1]["collections"]
    if middle - _middle_passes < MEASURE_EVERY:
        return False
    _middle_passes = middle
    if young_count() <= STREAM_YOUNG_MOST:
        return False
    gc.collect()
    freeze_survivors()
    return True


def freeze_survivors() -> None:
    """While streams run: what survived the last full collection is left out of the next ones.

    Called after a full pass that ran while streams run (:func:`between_frames`), this
    freezes its survivors, so the next one scans only what was built since. Garbage among
    them is held back until the next :func:`settle`, at most :data:`SURVIVORS_MOST`
    objects; past that, passes scan as before.
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
    """A reply is rendered. When no other streams, the full pass it held back stays deferred.

    The interpreter's count of young passes since the last full one grew while the
    stream ran: put back as it was, the threshold would start a full pass over all the
    reply built at the next young pass, inside the final render. Instead it is due as
    many young passes from now as usual, and the reply's own collection a moment later
    (:func:`collect_young`, the memory release) resets the count and puts it back.
    Survivors frozen while streaming stay frozen with the base (unfreezing them would
    make that collection scan the whole app); the next :func:`settle` collects them.
    """
    global _paused
    if _paused == 0:
        return
    _paused -= 1
    if _paused == 0:
        _hold_full_passes(gc.get_count()[2] + _threshold)


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
    _release_full_passes()
    if young_count() > YOUNG_MOST:
        gc.freeze()
    return found


def settle() -> None:
    """A natural pause (another conversation opened): collect everything, freeze what survives."""
    if _paused or _held_at_start:
        return  # held at start: nothing to collect yet (start_painted)
    gc.unfreeze()
    gc.collect()
    _release_full_passes()
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
