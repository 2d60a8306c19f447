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
"""

from __future__ import annotations

import gc
import types
from typing import Any


class _GcKeepingTheWorkerHeap:
    """The ``gc`` module, but freezing and unfreezing do nothing: the frozen worker heap stays frozen."""

    def freeze(self) -> None:
        """The app would freeze its survivors: they stay collectable, and the worker heap stays apart."""

    def unfreeze(self) -> None:
        """The app would unfreeze everything before a full pass: that would include the worker heap."""

    def __getattr__(self, name: str) -> Any:
        return getattr(gc, name)


#: What ``gc_pause`` sees as ``gc`` in a test that does not look at the collector itself.
KEEPING_THE_WORKER_HEAP: Any = _GcKeepingTheWorkerHeap()


def freeze_worker_heap() -> None:
    """Collect the worker's heap and freeze what survives: no later pass scans it."""
    gc.collect()
    gc.freeze()


def refreeze_worker_heap() -> None:
    """After a test that froze and unfroze for real: everything collected and frozen again as the base."""
    gc.unfreeze()
    freeze_worker_heap()


def looks_at_the_collector(module: types.ModuleType | None) -> bool:
    """The test module imports ``gc`` itself: it asserts on what is frozen, so it gets the real module."""
    return module is not None and any(value is gc for value in vars(module).values())
