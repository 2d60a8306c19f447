"""The suite's frozen worker heap (``tests/worker_heap.py``): the app's collections in a test leave it frozen,
and a test module that looks at the collector itself gets the real ``gc`` module."""

from __future__ import annotations

import types

from liaobots_tui.ui import gc_pause
from tests.worker_heap import KEEPING_THE_WORKER_HEAP, looks_at_the_collector


def test_a_chat_shown_in_a_test_leaves_the_worker_heap_frozen() -> None:
    # Imported here, not at the top: a module that imports gc gets the real collector (below).
    import gc

    assert gc_pause.gc is KEEPING_THE_WORKER_HEAP
    assert gc.get_freeze_count() > 0  # the worker's heap, frozen once before the first test
    worker_object: list[list[int]] = [[1]]
    gc.freeze()  # as the worker heap was
    test_object: list[list[int]] = [[2]]
    gc_pause.settle()  # what showing a chat does: a full pass, then the survivors frozen
    # Identity, not the frozen count: frozen objects freed by their reference counts (another
    # thread's, a finalizer's) change the count at any time.
    collectable = gc.get_objects()  # every generation but the frozen one
    assert not any(o is worker_object for o in collectable)  # still frozen
    assert any(o is test_object for o in collectable)  # the app froze nothing of the test's
    assert KEEPING_THE_WORKER_HEAP.get_stats is gc.get_stats  # the rest is the real module


def test_a_module_that_imports_gc_looks_at_the_collector() -> None:
    import gc

    assert looks_at_the_collector(types.ModuleType("plain")) is False
    watching = types.ModuleType("watching")
    watching.gc = gc  # type: ignore[attr-defined]
    assert looks_at_the_collector(watching) is True
    assert looks_at_the_collector(None) is False


def test_what_a_test_imported_joins_the_frozen_worker_heap_after_it() -> None:
    import gc
    import sys

    from tests import worker_heap

    imported = types.ModuleType("tests._imported_by_a_test")
    kept_by_the_module: list[list[int]] = [[3]]
    imported.kept = kept_by_the_module  # type: ignore[attr-defined]
    sys.modules[imported.__name__] = imported  # as a lazy import in a Pilot test
    try:
        worker_heap.keep_what_the_worker_kept()  # what the suite runs after each test
        assert not any(o is kept_by_the_module for o in gc.get_objects())  # frozen with the worker
        # The fake's frozen count is the one taken at that freeze, not a walk of the list. Not
        # compared with the real count as it is: a frozen object freed by its reference count since
        # (another thread's, a finalizer's) lowers that at any time. Freeing one here lowers it for sure.
        at_the_freeze = KEEPING_THE_WORKER_HEAP.get_freeze_count()
        assert at_the_freeze >= gc.get_freeze_count() > 0
        kept_by_the_module.clear()  # frees the frozen [3]
        assert gc.get_freeze_count() < KEEPING_THE_WORKER_HEAP.get_freeze_count() == at_the_freeze
    finally:
        del sys.modules[imported.__name__]
