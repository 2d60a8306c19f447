"""What ran in the event loop's long turns: each callback's CPU time and what it was (a diagnosis aid).

A stall seen by the stall watch is one or more callbacks of the loop run back to back.
This wraps ``asyncio.Handle._run`` so every callback that takes more than a threshold of
CPU time is recorded with when it ran and what it was: a screen update (a frame, with its
layout and drawing), a timer's callback (by name), a widget's message handler (by widget
class and message), or another task (by coroutine). Used by ``bench/compare_stalls.py``
(``--trace``); import it before the app runs and call :meth:`LoopTrace.stop` after.
"""

from __future__ import annotations

import asyncio
import gc
import time
from dataclasses import dataclass, field
from typing import Any

from textual._compositor import Compositor
from textual.message_pump import MessagePump
from textual.timer import Timer


@dataclass
class Turn:
    """One long callback: when it ran (wall, perf_counter), its CPU time and what it was."""

    start: float
    end: float
    cpu: float
    what: str
    layout: float = 0.0
    draw: float = 0.0
    gc: float = 0.0
    notes: list[str] = field(default_factory=list)
    #: The messages whose handling started in it (widget class.message class).
    messages: list[str] = field(default_factory=list)


class LoopTrace:
    """Records the loop's callbacks over ``threshold`` seconds of CPU (see the module docstring)."""

    def __init__(self, threshold: float = 0.010) -> None:
        self.threshold = threshold
        self.turns: list[Turn] = []
        self._current: Turn | None = None
        self._undo: list[tuple[object, str, object]] = []
        self._gc_start = 0.0
        handle_run = asyncio.events.Handle._run
        trace = self

        def timed_run(handle: asyncio.Handle) -> None:
            turn = Turn(time.perf_counter(), 0.0, 0.0, "")
            outer, trace._current = trace._current, turn
            cpu = time.process_time()
            try:
                handle_run(handle)
            finally:
                turn.cpu = time.process_time() - cpu
                trace._current = outer
                if turn.cpu >= trace.threshold:
                    turn.end = time.perf_counter()
                    turn.what = describe(handle)
                    if turn.what.endswith("(queue)") and turn.messages:
                        turn.what = turn.what.replace("(queue)", "/".join(sorted(set(turn.messages))))
                    trace.turns.append(turn)

        self._patch(asyncio.events.Handle, "_run", timed_run)
        self._time(Compositor, "reflow", "layout")
        self._time(Compositor, "render_update", "draw")
        dispatch = MessagePump._dispatch_message

        async def noted_dispatch(pump: MessagePump, message: Any) -> None:
            previous = getattr(pump, "_trace_message", None)
            pump._trace_message = message  # type: ignore[attr-defined]
            if trace._current is not None:
                trace._current.messages.append(f"{type(pump).__name__}.{type(message).__name__}")
            try:
                await dispatch(pump, message)
            finally:
                pump._trace_message = previous  # type: ignore[attr-defined]

        self._patch(MessagePump, "_dispatch_message", noted_dispatch)
        gc.callbacks.append(self._on_gc)

    def _patch(self, owner: object, name: str, value: object) -> None:
        self._undo.append((owner, name, getattr(owner, name)))
        setattr(owner, name, value)

    def _time(self, owner: type, name: str, key: str) -> None:
        original = getattr(owner, name)
        trace = self

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                if trace._current is not None:
                    setattr(trace._current, key, getattr(trace._current, key) + time.process_time() - start)

        self._patch(owner, name, timed)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_start = time.process_time()
        elif self._current is not None:
            spent = time.process_time() - self._gc_start
            self._current.gc += spent
            if info["generation"] == 2:
                self._current.notes.append(f"full gc {spent * 1000:.0f} ms")

    def stop(self) -> None:
        gc.callbacks.remove(self._on_gc)
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)

    def within(self, start: float, end: float) -> list[Turn]:
        """The long callbacks that ran between ``start`` and ``end`` (perf_counter)."""
        return [turn for turn in self.turns if turn.end >= start and turn.start <= end]

    def kinds(self) -> list[tuple[str, int, float, float]]:
        """(what, count, total CPU, longest CPU) per kind of long callback, longest first."""
        by_kind: dict[str, list[float]] = {}
        for turn in self.turns:
            by_kind.setdefault(turn.what, []).append(turn.cpu)
        rows = [(what, len(cpus), sum(cpus), max(cpus)) for what, cpus in by_kind.items()]
        return sorted(rows, key=lambda row: row[3], reverse=True)


def describe(handle: asyncio.Handle) -> str:
    """What a loop callback was: a frame, a timer's callback, a widget's message, a task."""
    callback = getattr(handle, "_callback", None)
    task = getattr(callback, "__self__", None)
    if not isinstance(task, asyncio.Task):
        return getattr(callback, "__qualname__", repr(callback))
    coro = task.get_coro()
    frame = getattr(coro, "cr_frame", None)
    owner = frame.f_locals.get("self") if frame is not None else None
    if isinstance(owner, Timer):
        target = owner._callback
        name = getattr(target, "__qualname__", None) or owner.name
        return f"timer {name}"
    if isinstance(owner, MessagePump):
        message = getattr(owner, "_trace_message", None)
        return f"{type(owner).__name__} {type(message).__name__ if message is not None else '(queue)'}"
    return getattr(coro, "__qualname__", repr(coro))
