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


def stream_started() -> None:
    """A reply began streaming: what exists now is left out of every collection until it ends.

    The collector keeps running over what the stream allocates: its garbage (replaced
    blocks, the widgets of parked pieces) is freed as it goes, and a pass costs what
    the stream keeps alive, which is bounded (parked pieces keep their text, not their
    widgets). With the collector off, that garbage piled up and was then frozen with
    the survivors: resident memory grew by about 50 MB per long reply.
    """
    global _paused
    if _paused == 0:
        gc.freeze()
    _paused += 1


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
