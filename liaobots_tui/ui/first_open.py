"""The chat shown at start: no frame is drawn until it is in, and the first paint waits for it.

Without the hold, the chat screen without its messages was laid out and drawn twice before
the frame that shows them (0.07 s of CPU at start), for a user who waits for the chat.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from typing import Any

from textual.screen import Screen
from textual.worker import Worker, WorkerState

from liaobots_tui.ui.textual_compat import frames_held

#: A worker's states once it has ended.
_OVER = (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED)


class FirstOpen:
    """Holds ``screen``'s frames while its first chat opens; ``then`` runs once, when that is over."""

    def __init__(self, screen: Screen[Any], then: Callable[[], None]) -> None:
        self._screen = screen
        self._then = then
        self._held: ExitStack | None = None
        self._worker: Worker[None] | None = None

    def start(self, opening: Callable[[], Awaitable[None]]) -> None:
        """Hold the frames and run ``opening`` in the screen's "open" worker group."""
        self._held = ExitStack()
        self._held.enter_context(frames_held(self._screen))
        self._worker = self._screen.run_worker(self._open(opening), group="open", exclusive=True)

    async def _open(self, opening: Callable[[], Awaitable[None]]) -> None:
        try:
            await opening()
        finally:
            self.over()

    def worker_changed(self, event: Worker.StateChanged) -> None:
        """Give the screen's worker state changes here: the opening may be cancelled before it began
        (another chat opened first), and the frames and the first paint must not wait for it."""
        if event.worker is self._worker and event.state in _OVER:
            self.over()

    def over(self) -> None:
        """The first chat is in (or will not be): the screen is drawn again, and ``then`` runs once."""
        held, self._held = self._held, None
        if held is not None:
            held.close()
            self._then()
