"""Starved mode: every idle wait of a Pilot test lasts one loop turn, as on a starved machine.

Why: Textual's idle waits (``textual._wait.wait_for_idle``, behind ``Pilot.pause()``, each key of
``Pilot.press`` and ``wait_for_scheduled_animations``) decide the app is done when the process's CPU
time stops advancing for 20 ms. Beside two busy loops a process starved of CPU looks exactly that
idle while it still has work queued, so the wait ends early, at a point that depends on the
scheduler: each busy run of the suite turned up a different race, once in five runs. Here every
such wait ends after one turn of the event loop, the earliest a starved machine could end it, on
every run: a test that relies on an idle wait fails at once instead of once in five busy runs.

Opt-in: ``LIAOBOTS_STARVED_PAUSES=1 pytest -n auto tests/ui`` (``tests/conftest.py`` installs it in
every test process when the variable is set). ``Pilot.pause(delay)`` is a timed wait and the suite
never calls it; under starved mode it is one loop turn too. The animator's own events
(``wait_for_animation``) are conditions, not idle guesses, and stay as they are.

Threads are shuffled too: the interpreter hands the GIL over every 10 µs (SWITCH_INTERVAL, not
5 ms), so the fake gateway's threads, the store's and the event loop interleave at many more
points, as a loaded scheduler makes them. With both, the whole suite passed (UI: 375 in 319 s on
-n 2 at load ~17; the rest: 1,364 in 108 s).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

#: The variable that turns starved mode on (any value but empty or ``0``).
STARVED_PAUSES = "LIAOBOTS_STARVED_PAUSES"
#: Seconds between GIL hand-overs in starved mode (Python's default: 0.005).
SWITCH_INTERVAL = 1e-5


def wanted() -> bool:
    """Starved mode was asked for in the environment."""
    return os.environ.get(STARVED_PAUSES, "") not in ("", "0")


async def one_loop_turn(min_sleep: float = 0.0, max_sleep: float = 0.0) -> None:
    """What a starved machine's idle wait can amount to: control back to the loop once."""
    await asyncio.sleep(0)


def install() -> None:
    """Replace Textual's idle wait, wherever it was imported by name, with one loop turn; shuffle threads.

    Textual's modules import ``wait_for_idle`` into their own namespace, so each binding is
    replaced (``textual._wait``, ``textual.pilot``, ``textual.app``). Installed for the whole test
    process: undoing it mid-run would let tests depend on the order they ran in.
    """
    import sys

    import textual._wait
    import textual.app
    import textual.pilot

    for module in (textual._wait, textual.pilot, textual.app):
        module.wait_for_idle = one_loop_turn  # type: ignore[assignment]
    original_pause = textual.pilot.Pilot.pause

    async def pause(self: Any, delay: float | None = None) -> None:
        await original_pause(self, None)

    textual.pilot.Pilot.pause = pause  # type: ignore[method-assign]
    sys.setswitchinterval(SWITCH_INTERVAL)
