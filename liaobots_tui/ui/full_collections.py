"""Full garbage collections on their own turn while replies stream side by side (Compare).

Python starts a full (generation 2) collection from inside whatever allocates when the
count says so: while three replies stream, that was inside a frame (the frames allocate
most), and the pass (60-180 ms of CPU, measured) came on top of the frame's own layout
and drawing: the comparison's longest stalls. While a comparison streams, automatic full
passes are held back (:func:`hold`) and the screen runs one, when one is due by the same
count, between frames (:func:`collect_if_due`), then freezes its survivors
(:func:`~liaobots_tui.ui.gc_pause.freeze_survivors`) so the next pass scans only what was
built since. Young generations are collected as usual throughout. :func:`release` puts
the interpreter's thresholds back.
"""

from __future__ import annotations

import gc

from liaobots_tui.ui import gc_pause

#: A full-pass threshold that is never reached while held (gen-1 passes between full ones).
_NEVER = 1 << 30

_held = 0
#: The gen-2 threshold in force when the first hold began.
_threshold = 10


def hold() -> None:
    """From now on full collections run only from :func:`collect_if_due` (until :func:`release`)."""
    global _held, _threshold
    if _held == 0:
        young, middle, _threshold = gc.get_threshold()
        gc.set_threshold(young, middle, _NEVER)
    _held += 1


def release() -> None:
    """Automatic full collections again (when the last hold ends)."""
    global _held
    if _held == 0:
        return
    _held -= 1
    if _held == 0:
        young, middle, _never = gc.get_threshold()
        gc.set_threshold(young, middle, _threshold)


def due() -> bool:
    """Would Python have started a full collection by now (held back)?"""
    return _held > 0 and gc.get_count()[2] >= _threshold


def collect_if_due() -> bool:
    """Run the held-back full collection if one is due, and freeze what survives it. True when it ran."""
    if not due():
        return False
    gc.collect(2)
    gc_pause.freeze_survivors()
    return True
