"""Driving the app in Pilot tests: the chat screen, waiting until the app is quiet or a condition holds.

Why not just ``pilot.pause()``: it waits for the messages queued on the current screen *when it is
called*, then for the process to look idle (process time not advancing). A message that bubbles to
a parent, or a callback queued after a refresh, lands after that first wait; and on a busy machine
a process starved of CPU looks exactly as idle as one that has finished. So one pause promises
nothing there. These helpers loop on what can be observed instead: running workers, queued
messages (``message_queue_size``), or the test's own condition. The hang guard only turns a stuck
app into a clear failure; it never paces a test.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from textual.app import App
from textual.dom import DOMNode
from textual.widgets import Input, TextArea

from liaobots_tui.ui.app import LiaobotsApp
from liaobots_tui.ui.screens.chat import ChatScreen
from tests.ui.screen_waits import draw_pending

#: Seconds after which a wait is a failure (a stuck app), far beyond any wait on a loaded machine.
HANG_GUARD = 120.0


def chat(app: LiaobotsApp) -> ChatScreen:
    screen = app.screen
    assert isinstance(screen, ChatScreen)
    return screen


def _pumps(app: App[Any]) -> Iterator[DOMNode]:
    yield app
    for screen in app.screen_stack:
        yield from screen.walk_children(with_self=True)


def busy(app: App[Any]) -> bool:
    """A worker runs, a message waits in any queue of the app or of a screen on its stack, or a
    screen's draw is put off after its layout."""
    if any(worker.is_running for worker in app.workers):
        return True
    if any(draw_pending(screen) for screen in app.screen_stack):
        return True
    return any(pump.message_queue_size for pump in _pumps(app))


async def settle(app: App[Any], pilot: Any) -> None:
    """Wait until the app is quiet: nothing running or queued, twice in a row.

    Workers may start others (reply → credits refresh) and handlers may queue callbacks for
    after the next refresh (which each pause triggers), hence the second quiet look.
    """
    deadline = time.monotonic() + HANG_GUARD
    quiet = 0
    while quiet < 2:
        running = [worker for worker in app.workers if worker.is_running]
        if running:
            await app.workers.wait_for_complete(running)
        await pilot.pause()
        quiet = 0 if busy(app) else quiet + 1
        if time.monotonic() > deadline:
            raise AssertionError(f"the app was still busy after {HANG_GUARD:.0f} s")


async def until(pilot: Any, condition: Callable[[], bool], what: str = "") -> None:
    """Pause until ``condition()`` holds: for what happens after a refresh, a timer or a bubbled message."""
    deadline = time.monotonic() + HANG_GUARD
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {HANG_GUARD:.0f} s for {what or condition}")
        await pilot.pause()


async def type_text(pilot: Any, text: str) -> None:
    """Type ``text`` into the focused field as one edit, then settle.

    Pressing it key by key costs a screen refresh per key (and in the command palette a
    search over every provider per key) while only the final text matters to the test.
    """
    await settle(pilot.app, pilot)  # a focus() just called takes effect on the next message
    field = pilot.app.focused
    if isinstance(field, Input):
        field.insert_text_at_cursor(text)
    elif isinstance(field, TextArea):
        field.insert(text)
    else:
        raise AssertionError(f"no text field has the focus to type {text!r} into: {field!r}")
    await settle(pilot.app, pilot)


async def send(app: LiaobotsApp, pilot: Any, text: str) -> None:
    """Put ``text`` in the prompt, press Enter and wait until the reply is final."""
    chat(app).prompt.load_text(text)
    await pilot.press("enter")
    await settle(app, pilot)


def palette_offers(app: App[Any], title: str) -> bool:
    """The open command palette's first hit is ``title`` (its search runs in the background)."""
    from textual.command import CommandList

    hits = app.screen.query(CommandList)
    if not hits or not hits.first().option_count:
        return False
    return title in str(hits.first().get_option_at_index(0).prompt)


async def run_from_palette(pilot: Any, query: str, title: str | None = None) -> None:
    """Open the palette, type ``query``, wait until ``title`` (default: the query) is the first hit,
    run it and settle: Enter pressed before the background search found it would pick nothing."""
    await pilot.press("ctrl+p")
    await type_text(pilot, query)
    wanted = title or query
    await until(pilot, lambda: palette_offers(pilot.app, wanted), f"the palette to offer {wanted!r}")
    await pilot.press("enter")
    await settle(pilot.app, pilot)
