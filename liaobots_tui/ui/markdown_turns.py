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


@asynccontextmanager
async def markdown_turn(widget: Widget) -> AsyncIterator[None]:
    """Hold the app's Markdown write turn for ``widget``'s write, then until the screen was updated."""
    app = widget.app
    lock = _turns.get(app)
    if lock is None:
        lock = _turns[app] = asyncio.Lock()
    async with lock:
        yield
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
