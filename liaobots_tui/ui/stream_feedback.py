"""What the notice line says while a reply streams: a retry counting down, or a stall.

The transport waits out a rate limit silently (it only announces the wait once,
with a :class:`~liaobots_tui.api.messages.RetryEvent`) and tolerates a silent
stream until its read timeout (two minutes by default). Both look like a frozen
app unless the screen says what is going on, so every tick of the streaming
clock asks :meth:`StreamFeedback.notice`:

* during a retry wait: ``Rate limited, retrying in 3 s (attempt 2)``, counting down;
* after :data:`STALL_AFTER` seconds without any event: ``waiting for the reply: 12 s``
  before the first byte, ``no data for 12 s`` after it, with how long before it gives up.

Any event of the stream ends the notice. No textual here; the clock is injected
so tests drive it by hand.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

#: Seconds of silence before the notice says so (well under any read timeout).
STALL_AFTER = 10.0


class StreamFeedback:
    """The notice for one streaming turn at a time; :meth:`start` resets it for the next."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, read_timeout: float | None = None
    ) -> None:
        self.clock = clock
        #: The transport's read timeout: the stall notice says when it will give up.
        self.read_timeout = read_timeout
        self._last_event = 0.0
        self._data_seen = False
        self._retry_until: float | None = None
        self._retry_text = ""

    def start(self) -> None:
        """A turn starts: nothing received yet."""
        self._last_event = self.clock()
        self._data_seen = False
        self._retry_until = None

    def received(self, *, data: bool = True) -> None:
        """An event arrived (``data``: reply text, thinking or an image, not a notice)."""
        self._last_event = self.clock()
        self._retry_until = None
        if data:
            self._data_seen = True

    def retrying(self, delay: float, attempt: int, reason: str) -> None:
        """The transport waits ``delay`` seconds before attempt ``attempt``."""
        now = self.clock()
        self._last_event = now
        self._retry_until = now + max(0.0, delay)
        self._retry_text = f"{reason}, retrying in {{}} (attempt {attempt})"

    def notice(self) -> str:
        """The line to show now; "" when all is well."""
        now = self.clock()
        if self._retry_until is not None:
            left = self._retry_until - now
            if left > 0:
                return self._retry_text.format(f"{math.ceil(left)} s")
            # The wait is over and the request is out again: silence from here is a stall.
            self._last_event, self._retry_until = self._retry_until, None
        silent = now - self._last_event
        if silent < STALL_AFTER:
            return ""
        seconds = int(silent)
        text = f"no data for {seconds} s" if self._data_seen else f"waiting for the reply: {seconds} s"
        if self.read_timeout is not None and self.read_timeout > silent:
            text += f" (gives up after {self.read_timeout:g} s) · esc stops"
        return text
