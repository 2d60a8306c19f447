"""Streamed Markdown writes take turns: one at a time in the app, with a screen update after each.

Textual's ``Markdown.append`` holds ``App.batch_update`` (no screen updates at all)
while it awaits the mount of the blocks it builds. One streaming reply leaves gaps
between its appends, and the screen is updated in them. Three replies streaming side
by side (Compare) overlap their appends, so the batch is almost never released:
measured, the compare screen went seconds without a single update, and the update
that finally came laid out and drew everything that had piled up (a stall of
0.5-1 s of CPU). So each streamed write here waits for its turn, and the turn is
handed on only once the screen has been updated (or :data:`UPDATE_WAIT` seconds have
passed, so a screen that is not updating never holds the text back).

Only streaming appends take turns: a piece mounted with its whole text (a stored
reply, a finished piece drawn again) renders as before, so opening a chat does not
wait a frame per piece.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from textual.app import App
from textual.widget import Widget

#: Longest wait (seconds) for the screen update after a write before the next write may start.
UPDATE_WAIT = 0.5

_turns: weakref.WeakKeyDictionary[App[object], asyncio.Lock] = weakref.WeakKeyDictionary()
#: Writes waiting for their turn, per app.
_waiting: weakref.WeakKeyDictionary[App[object], int] = weakref.WeakKeyDictionary()


@asynccontextmanager
async def markdown_turn(widget: Widget) -> AsyncIterator[None]:
    """Hold the app's Markdown write turn for ``widget``'s write, then until the screen was updated
    (twice when another write waits: see :func:`_after_write_settled`)."""
    app = widget.app
    lock = _turns.get(app)
    if lock is None:
        lock = _turns[app] = asyncio.Lock()
    _waiting[app] = _waiting.get(app, 0) + 1
    try:
        await lock.acquire()
    finally:
        _waiting[app] -= 1
    try:
        yield
        await _screen_updated(widget)
        if _waiting.get(app):
            await _after_write_settled(widget)
    finally:
        lock.release()


async def _after_write_settled(widget: Widget) -> None:
    """Another write waits: let what this write's update set off be drawn in a frame of its own.

    After the update that shows a write, its column folds the blocks the write finished and
    parks what scrolled away ("after refresh" callbacks, run just before this turn's): each asks
    for a layout of that column. Handed on at once, the turn put the next column's write in
    that same frame: measured in Compare, a third of the frames laid out two or three columns,
    at two to three times the CPU of a frame laying out one. The widgets that asked post their
    layout request from their own queues: a couple of loop turns first, so the screen has them
    when it is asked for the update after them.
    """
    for _ in range(2):
        await asyncio.sleep(0)
    await _screen_updated(widget)


async def _screen_updated(widget: Widget) -> None:
    """Wait until the screen was updated (it runs "after refresh" callbacks then), at most UPDATE_WAIT."""
    if not widget.is_attached or not widget.app.is_running:
        return
    updated = asyncio.Event()
    # The screen's own queue: the widget's queue may be behind with its own work.
    if not widget.app.screen.call_after_refresh(updated.set):
        return
    try:
        await asyncio.wait_for(updated.wait(), UPDATE_WAIT)
    except TimeoutError:
        pass
