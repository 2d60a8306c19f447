"""A Pilot's wait for the screen's queued messages, without a message to every widget that has none.

``Pilot._wait_for_screen`` (behind every ``pilot.pause()``, ``press`` and the start of
``run_test``) makes sure each message queued on the app and on every widget of the screen when it
is called has been handled: it posts a callback to each of them and waits until all have run.
Most of them are parked, waiting for their next message with none queued, and a parked widget
has handled every message posted to it before: the callback told nothing, and cost a message,
its dispatch and an idle event per widget (~3.7 ms of CPU a wait on a 58-widget chat screen, ~20
waits a test). Here the callback goes only to the app and widgets that are not parked (a message
queued or being handled, callbacks pending, or a widget not started yet), and the wait is
otherwise Textual's own (textual 8.2.8's ``Pilot._wait_for_screen``, its timeout the suite's
hang guard): the same messages have been handled when it returns.

Parked is read from Textual's privates (checked against 8.2.8): the pump's ``_message_queue``
(``textual._queue.Queue``: no ``values``, its ``ready_event`` awaited by the pump's loop),
``_pending_message`` and ``_next_callbacks``; if one is missing, every widget counts as not
parked and gets its callback, as in Textual.
"""

from __future__ import annotations

import asyncio
from typing import Any

from textual.message_pump import MessagePump
from textual.pilot import WaitForScreenTimeout


def parked(pump: MessagePump) -> bool:
    """``pump`` waits for its next message with none queued: it handled every message posted before."""
    queue = getattr(pump, "_message_queue", None)
    waiters = getattr(getattr(queue, "ready_event", None), "_waiters", None)
    if queue is None or waiters is None or not queue.empty():
        return False
    if getattr(pump, "_pending_message", True) is not None or getattr(pump, "_next_callbacks", True):
        return False
    return any(not waiter.done() for waiter in waiters)


async def wait_for_screen(pilot: Any, timeout: float) -> bool:
    """Wait until the app and the screen's widgets have handled the messages queued on them now.

    Returns False when the app raised meanwhile (as Textual's does); raises WaitForScreenTimeout
    after ``timeout`` seconds.
    """
    app = pilot.app
    try:
        screen = app.screen
    except Exception:  # noqa: BLE001 - no screen (yet, or any more): nothing to wait for, as in Textual
        return False
    busy = [pump for pump in (app, *screen.walk_children(with_self=True)) if not parked(pump)]
    count = 0
    all_handled = asyncio.Event()

    def handled() -> None:
        nonlocal count
        count -= 1
        if count == 0:
            all_handled.set()

    for pump in busy:
        if pump.call_later(handled):
            count += 1
    if not count:
        return True
    waits = [asyncio.create_task(all_handled.wait()), asyncio.create_task(app._exception_event.wait())]
    _, pending = await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    if len(pending) == len(waits):
        raise WaitForScreenTimeout("Timed out while waiting for widgets to process pending messages.")
    return count <= 0


def draw_pending(screen: Any) -> bool:
    """``screen`` has a draw put off after its layout still to come: until it runs, the terminal
    lacks the frame's changes (``textual_compat.draw_after_layout_apart``)."""
    draws = getattr(screen, "_draws_apart", None)
    return draws is not None and bool(draws.pending)
