"""FirstPaint: holds the app's first network requests until the chat is on screen.

The balance, the usage records and the model list are fetched at start. The first
request builds the HTTP client (the CA bundle is read, ~0.1 s of CPU) and its
reply redraws the sidebar: done before the first paint, both delayed the chat by
~0.3 s while the user waited for nothing they could read yet. So those requests
start at once (the sidebar says "refreshing…", their workers run as before) but
wait here until the chat screen has shown its first chat (or an empty one) and
Textual has painted it.

The wait lives inside the requests' workers, not in a callback scheduled for later,
so anyone waiting for the app's workers to finish (tests, the snapshot harness)
waits for these requests as before.

The garbage collector, held while the app starts (ui/gc_pause.py), runs again then,
and the syntax-highlighting lexers are built in a thread (ui/lexer_warmup.py); glibc's
mmap threshold is fixed then, in a thread (ui/memory_release.py: not paid before the first paint).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from liaobots_tui.ui import gc_pause, lexer_warmup, memory_release

P = ParamSpec("P")
R = TypeVar("R")


class FirstPaint:
    """Set once the first chat is painted; requests made before then wait for it."""

    def __init__(self) -> None:
        self._painted = asyncio.Event()
        #: The thread fixing glibc's mmap threshold, started at the first paint (None before).
        self.threshold_fixer: threading.Thread | None = None

    @property
    def done(self) -> bool:
        return self._painted.is_set()

    def mark(self) -> None:
        """The chat is painted (call it from a ``call_after_refresh``): the held requests go.

        The garbage collector held since start (gc_pause.held_for_start) runs again too.
        """
        self._painted.set()
        gc_pause.start_painted()
        lexer_warmup.start()  # the first code block of a reply no longer builds its lexer mid-stream
        # Long replies no longer leave holes in the heap (ctypes loaded off the loop).
        self.threshold_fixer = memory_release.fix_mmap_threshold_soon()

    async def wait(self) -> None:
        """Return once the chat is painted (at once afterwards)."""
        if not self._painted.is_set():
            await self._painted.wait()

    def gate(self, request: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        """``request``, made to wait for the first paint before it starts."""

        async def after_first_paint(*args: P.args, **kwargs: P.kwargs) -> R:
            await self.wait()
            return await request(*args, **kwargs)

        return after_first_paint
