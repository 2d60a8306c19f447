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
  streams' tickers: past :data:`STREAM_GROWTH_MOST` new memory blocks it is frozen as it is,
  without a pass: see below);
- a moment after each reply (:func:`collect_young`, from the memory release) one
  collection runs over what is not frozen, which is what the app made since the base
  and still holds: a reply's garbage is freed by reference counting as it goes (removed
  widgets, their styles, old layout maps: see ``textual_compat.removed_widgets_free_at_once``
  and ``arrangements_without_cycles``), so this pass finds little and costs the scan of
  the survivors; they join the base (frozen) when they pass :data:`YOUNG_MOST`, so the
  next pass scans only the next reply's. Past :data:`YOUNG_SCAN_MOST` (the first
  reply's, with the modules it imported) they are frozen with no pass at all. What
  streams froze as it was (:func:`between_frames`) stays frozen too: the cyclic garbage
  among it is a few dozen objects now, and it is freed at the next :func:`settle`, or at
  a release once the frozen heap grew past :data:`FROZEN_GROWTH_MOST` since the last
  settle (a full pass then, the bound on what waits). Until then the full pass held back
  stays deferred (:func:`stream_ended`).

Nothing is frozen when a reply starts. What was frozen and dies later (the previous
reply's widgets, parked as the new one scrolls them away) is freed by its refcount,
frozen or not; only a cycle among it would wait for a full pass.

At start-up the collector is held (:func:`held_for_start`) until the first chat is
painted: importing the app and building its first screen ran ~200 collections
(0.10 s of CPU before the first paint, plus the full pass of :func:`settle`), and
next to nothing built then is garbage. Once the chat is on screen, what there is
is frozen and the collector runs again.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager

_paused = 0
#: between_frames froze the young heap, garbage among it, since the last settle.
_held_back = False
#: Memory blocks allocated when the streams began or between_frames last froze.
_blocks_mark = 0
#: The interpreter's gen-2 threshold in force when the first stream began (put back at the end).
_threshold = 10
#: A gen-2 threshold never reached: no automatic full pass while streams run.
_NEVER = 1 << 30
#: The gen-2 threshold is ours (streaming, or deferred to the reply's collection); _threshold is theirs.
_holding = False
#: Most objects left unfrozen after a reply's collection (beyond, they join the frozen base).
#: Every pass scans them again; measured at ~1 µs of CPU an object on the shared 2-core machine
#: (load 15-20), so this is at most ~10 ms added to each pass. Frozen, what later dies is freed
#: by its refcount all the same (only cycles wait for a settle, and replies make next to none).
YOUNG_MOST = 10_000
#: Most objects the collection after a reply scans (about 1 µs each under load: ~30 ms). A
#: reply's garbage is freed by reference counting as it streams (measured after 160 kB
#: replies: 13-260 objects in cycles a reply), so more are frozen without a pass (collect_young).
YOUNG_SCAN_MOST = 30_000
#: Objects the frozen heap may grow by since the last settle before a reply's release runs a
#: full settle (a 3,000-delta reply's survivors are ~20,000-50,000 objects).
FROZEN_GROWTH_MOST = 300_000
#: gc.get_freeze_count() after the last settle (or the start-up freeze).
_frozen_at_settle = 0
#: Most memory blocks the streams may allocate before their young heap is frozen as it is
#: (see between_frames): the bound on what a full pass would scan. A 3,000-delta reply
#: grows by ~300,000, three side by side by ~450,000-630,000 (measured).
STREAM_GROWTH_MOST = 500_000


def stream_started() -> None:
    """A reply began streaming: no automatic full (generation 2) pass until every stream has ended.

    A full pass scans every object not frozen: with a reply streaming that is all the
    reply has built (measured 47,000-205,000 objects, 50-200 ms of CPU each, seven of
    them in a 3,000-delta reply, each inside a frame). Young passes (generations 0 and
    1) run as usual and free what dies young; what survives them waits for the reply's
    end (:func:`collect_young`), bounded by :func:`between_frames`.
    """
    global _paused, _blocks_mark
    if _paused == 0:
        _blocks_mark = sys.getallocatedblocks()
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
    """While streams run, now and then (a ticker): the young heap frozen when it grew past its bound.

    Past :data:`STREAM_GROWTH_MOST` memory blocks allocated since the streams began (or
    since the last freeze), what is young is frozen as it is, with no pass: a pass over
    that many objects held the loop for 0.9 s of CPU (three long replies side by side in
    Compare, 630,000 objects), and even counting them (``gc.get_objects``) took 0.15 s.
    The interpreter's count of allocated blocks costs nothing and grew with the young
    heap, block for object, in both the chat and Compare (measured). The garbage frozen
    with it (cycles only: the rest is freed by its refcount, frozen or not) waits for the
    next settle, bounded by :data:`FROZEN_GROWTH_MOST` (:func:`collect_young`). True when
    it froze.
    """
    global _blocks_mark, _held_back
    if not _paused or sys.getallocatedblocks() - _blocks_mark <= STREAM_GROWTH_MOST:
        return False
    gc.freeze()
    _held_back = True
    _blocks_mark = sys.getallocatedblocks()
    return True


def stream_ended() -> None:
    """A reply is rendered. When no other streams, the full pass it held back stays deferred.

    The interpreter's count of young passes since the last full one grew while the
    stream ran: put back as it was, the threshold would start a full pass over all the
    reply built at the next young pass, inside the final render. Instead it is due as
    many young passes from now as usual, and the reply's own collection a moment later
    (:func:`collect_young`, the memory release) resets the count and puts it back.
    What between_frames froze while streaming stays frozen (see collect_young).
    """
    global _paused
    if _paused == 0:
        return
    _paused -= 1
    if _paused == 0:
        _hold_full_passes(gc.get_count()[2] + _threshold)


def forget_streams() -> None:
    """The app is gone (quit mid-reply, or before the release after its reply): nothing is held.

    No stream is counted any more and the interpreter's gen-2 threshold is its own again,
    as in a fresh process (for whatever runs next in this one: tests, embedding).
    """
    global _paused
    _paused = 0
    _release_full_passes()


def streaming() -> bool:
    """Is a reply streaming now?"""
    return _paused > 0


def young_count() -> int:
    """Objects the next full collection would scan beyond the younger generations (not frozen)."""
    return len(gc.get_objects(generation=2))


def unfrozen_count() -> int:
    """Objects a collection now would scan: every generation but the frozen one."""
    return sum(len(gc.get_objects(generation=generation)) for generation in range(3))


def collect_young() -> int:
    """A reply has ended and the screen is quiet: free its garbage; how many objects were unreachable.

    One collection over what is not frozen (see the module's docstring), then, when the
    survivors are many, they are frozen with the base so that the next passes stay short.
    What streams froze (:func:`between_frames`) waits for the next settle, unless the frozen
    heap grew past :data:`FROZEN_GROWTH_MOST` since the last one: then a full :func:`settle`.
    When more than :data:`YOUNG_SCAN_MOST` objects are not frozen (the first reply's, which
    imported the Markdown and highlighting modules), they are frozen as they are, with no
    pass: what is garbage among them is a few dozen cycles, left with the rest of the
    frozen heap's under the same bound. Does nothing while a reply streams (its own end
    collects).
    """
    global _held_back
    if _paused:
        return 0
    if _held_back and gc.get_freeze_count() - _frozen_at_settle > FROZEN_GROWTH_MOST:
        return settle()
    if unfrozen_count() > YOUNG_SCAN_MOST:
        gc.freeze()
        _held_back = True
        _release_full_passes()
        return 0
    found = gc.collect()
    _release_full_passes()
    if young_count() > YOUNG_MOST:
        gc.freeze()
    return found


def settle() -> int:
    """A natural pause (another conversation opened): collect everything, freeze what survives.

    How many objects were unreachable.
    """
    global _held_back, _frozen_at_settle
    if _paused or _held_at_start:
        return 0  # held at start: nothing to collect yet (start_painted)
    gc.unfreeze()
    found = gc.collect()
    _held_back = False
    _release_full_passes()
    gc.freeze()
    _frozen_at_settle = gc.get_freeze_count()
    return found


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
    global _held_at_start, _frozen_at_settle
    if not _held_at_start:
        return
    _held_at_start = False
    gc.freeze()  # start-up's objects are the first base (see settle)
    _frozen_at_settle = gc.get_freeze_count()
    gc.enable()
