"""A test worker's own heap, frozen once: the app's garbage collections in tests scan only the test's objects.

``gc_pause.settle`` (run each time a chat is shown) unfreezes everything and collects it, then
freezes what survived: in the app that is the app's own heap (~100,000 objects). In a test worker
it is also pytest, Hypothesis, every imported test module and what earlier tests left behind, so
each chat shown in a Pilot test paid a full pass over the whole worker (0.1-0.9 s of CPU).

Here the worker's heap is collected and frozen once (:func:`freeze_worker_heap`), and while a test
runs ``gc_pause`` sees :data:`KEEPING_THE_WORKER_HEAP`: the ``gc`` module with ``freeze`` and
``unfreeze`` left out. Its collections then scan what the test built, never the frozen worker
heap; the app's objects are never frozen, so what a test leaves behind is freed by the next
collection as usual. What the app does (when it collects, what it shows) is unchanged; only
which objects a pass may scan differs, which no test but the garbage collector's own observes.

Those tests (a module that imports ``gc`` itself: it freezes, unfreezes and counts frozen
objects) run with the real module, and the worker heap is collected and frozen again after
each of them (:func:`refreeze_worker_heap`), since they unfreeze it.

The worker heap grows after the first freeze: the first Pilot test imports the app's lazy
modules (Pygments' lexers, httpx's transports: ~35,000 objects) and Textual's bounded caches
(``lru_cache`` of regions, styles) fill over the next tests (~65,000 objects after 15 Pilot
tests). Left unfrozen, every collection the app runs in a later test scans them again, and so
does every count of the unfrozen objects (``gc_pause.unfrozen_count``). So after a test the
worker's survivors are collected and frozen again (:func:`keep_what_the_worker_kept`) when it
imported modules, and otherwise after the worker's 1st, 2nd, 4th, ... 64th test and every 64th
after that: a few passes a worker (~30-80 ms each) while the caches fill, none once they are full.
What the fake ``gc`` reports as the frozen count is the count at the last freeze, not a walk of
the frozen list (``gc.get_freeze_count`` walks it: 8-20 ms over a worker's ~85,000 frozen objects,
once at every chat shown); nothing the app freezes is frozen under it, so that count is exact.
"""

from __future__ import annotations

import gc
import sys
import types
from typing import Any


class _GcKeepingTheWorkerHeap:
    """The ``gc`` module, but freezing and unfreezing do nothing: the frozen worker heap stays frozen."""

    def freeze(self) -> None:
        """The app would freeze its survivors: they stay collectable, and the worker heap stays apart."""

    def unfreeze(self) -> None:
        """The app would unfreeze everything before a full pass: that would include the worker heap."""

    def get_freeze_count(self) -> int:
        """What was frozen when the worker heap was last frozen: the app's freezes do nothing here.

        Not counted again: ``gc.get_freeze_count`` walks the whole frozen list (the worker heap).
        Objects of it freed since by their refcounts are still counted, which only the app's
        differences of this count see, and they stay at zero as when nothing was frozen.
        """
        return _heap.frozen

    def __getattr__(self, name: str) -> Any:
        return getattr(gc, name)


class _WorkerHeap:
    """When the worker heap was last frozen: its frozen count, modules imported, tests run since."""

    def __init__(self) -> None:
        self.frozen = 0
        self.modules = 0
        self.tests_since = 0
        self.tests_until_next = 1


_heap = _WorkerHeap()
#: Tests between two freezes once the worker has run many (its caches are full by then).
REFREEZE_EVERY_MOST = 64


#: What ``gc_pause`` sees as ``gc`` in a test that does not look at the collector itself.
KEEPING_THE_WORKER_HEAP: Any = _GcKeepingTheWorkerHeap()


def freeze_worker_heap() -> None:
    """Collect the worker's heap and freeze what survives: no later pass scans it."""
    gc.collect()
    gc.freeze()
    _heap.frozen = gc.get_freeze_count()
    _heap.modules = len(sys.modules)
    _heap.tests_since = 0


def keep_what_the_worker_kept() -> None:
    """After a test: the worker's survivors frozen with its heap when they may have grown (see above).

    When the test imported modules, or on the schedule of the module docstring (its gap doubles
    up to :data:`REFREEZE_EVERY_MOST` tests). Run when the test's fixtures are gone, so the
    collection frees its app and what is frozen is what the worker keeps.
    """
    _heap.tests_since += 1
    if len(sys.modules) == _heap.modules and _heap.tests_since < _heap.tests_until_next:
        return
    _heap.tests_until_next = min(2 * _heap.tests_until_next, REFREEZE_EVERY_MOST)
    freeze_worker_heap()


def refreeze_worker_heap() -> None:
    """After a test that froze and unfroze for real: everything collected and frozen again as the base."""
    gc.unfreeze()
    freeze_worker_heap()


def looks_at_the_collector(module: types.ModuleType | None) -> bool:
    """The test module imports ``gc`` itself: it asserts on what is frozen, so it gets the real module."""
    return module is not None and any(value is gc for value in vars(module).values())
