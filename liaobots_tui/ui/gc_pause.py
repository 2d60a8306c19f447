"""Keep Python's cyclic garbage collector from freezing the UI during a stream.

A long reply is thousands of widgets, and a full (generation 2) collection scans
every tracked object: measured at 0.5-1.2 s per pass while a 100,000-character
reply streamed, the app's longest stalls by far. Textual itself pauses the
collector during smooth scrolling (``App.PAUSE_GC_ON_SCROLL``); we do the same
while a reply streams, then ``gc.freeze()`` what survived, so later collections
skip those long-lived objects. Switching conversations (when the old widgets are
gone) unfreezes and collects once, so frozen garbage does not pile up.
"""

from __future__ import annotations

import gc

_paused = 0


def stream_started() -> None:
    """A reply began streaming: no collections until it ends."""
    global _paused
    if _paused == 0:
        gc.disable()
    _paused += 1


def stream_ended() -> None:
    """The reply is rendered: move survivors out of the collector's way and resume it."""
    global _paused
    _paused = max(0, _paused - 1)
    if _paused == 0:
        gc.freeze()
        gc.enable()


def settle() -> None:
    """A natural pause (another conversation opened): collect what earlier views left behind."""
    if _paused:
        return
    gc.unfreeze()
    gc.collect()
    gc.freeze()
