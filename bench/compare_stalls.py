"""Where the compare screen's longest event-loop stalls go (a diagnosis, not a score).

Runs the same scene as ``bench/compare_stream.py`` (three models streaming N
deltas each into the compare screen, through the fake gateway in a child
process) and, while it runs:

- counts the focus changes (each restyles what ``:focus``/``:focus-within``
  rules match), with where each came from;
- samples the UI thread's stack every few milliseconds from a helper thread
  and, for the longest stalls, prints the frames most samples were in.

    python bench/compare_stalls.py [--deltas 3000] [--pace 0] [--stalls 3]

The sampler holds the GIL briefly each look, so this run is slower than
``compare_stream.py``: read its stall lengths only against each other.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from app_harness import GatewayProcess, StallWatch, load
from compare_stream import in_app
from textual.screen import Screen
from textual.widget import Widget

#: Seconds between looks at the UI thread's stack.
SAMPLE_EVERY = 0.002
#: Frames from these files are plumbing (the loop, message dispatch): left out of the listing.
PLUMBING = (
    "asyncio/",
    "textual/_callback.py",
    "textual/message_pump.py",
    "threading.py",
    "compare_stalls.py",
)

Frame = tuple[str, int, str]


class StackSampler:
    """A thread that records (time, frames) of one thread's stack until stopped."""

    def __init__(self, thread_id: int) -> None:
        self.thread_id = thread_id
        self.samples: list[tuple[float, list[Frame]]] = []
        self._running = True
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while self._running:
            frame = sys._current_frames().get(self.thread_id)
            if frame is not None:
                stack = [(short(f.filename), f.lineno or 0, f.name) for f in traceback.extract_stack(frame)]
                self.samples.append((time.perf_counter(), stack))
            time.sleep(SAMPLE_EVERY)

    def stop(self) -> None:
        self._running = False
        self._thread.join()

    def hot_frames(self, start: float, end: float, top: int = 14) -> tuple[int, list[tuple[int, Frame]]]:
        """Samples taken in [start, end] and the frames most of them were in (each counted once a sample)."""
        inside = [stack for at, stack in self.samples if start <= at <= end]
        counts: collections.Counter[Frame] = collections.Counter()
        for stack in inside:
            counts.update(set(stack))
        hot = [(n, f) for f, n in counts.most_common() if not any(p in f[0] for p in PLUMBING)]
        return len(inside), hot[:top]


def short(filename: str) -> str:
    for marker in ("site-packages/", "liaobots_tui/"):
        if marker in filename:
            return ("liaobots_tui/" if marker == "liaobots_tui/" else "") + filename.split(marker, 1)[1]
    return filename


class TimedStallWatch(StallWatch):
    """The harness's stall watch, also keeping when each stall began and ended."""

    def __init__(self) -> None:
        self.spans: list[tuple[float, float, float]] = []
        super().__init__()

    async def _tick(self) -> None:
        while self._running:
            before, cpu_before = time.perf_counter(), time.process_time()
            await asyncio.sleep(0.005)
            after = time.perf_counter()
            self.stalls.append(after - before - 0.005)
            self.cpu.append(time.process_time() - cpu_before)
            self.spans.append((after - before - 0.005, before, after))


async def run(deltas: int, pace: float, stalls: int) -> None:
    import compare_stream

    watches: list[TimedStallWatch] = []

    def make_watch() -> TimedStallWatch:
        watches.append(TimedStallWatch())
        return watches[-1]

    focus_moves: list[tuple[str, str, str]] = []
    set_focus = Screen.set_focus

    def counting_set_focus(screen: Screen[Any], widget: Widget | None, *args: Any, **kwargs: Any) -> None:
        if widget is not screen.focused:
            caller = next(
                (f"{short(f.filename)}:{f.lineno}" for f in reversed(traceback.extract_stack()[:-1])
                 if "textual/" not in f.filename or "screen.py" in f.filename),
                "?",
            )  # fmt: skip
            focus_moves.append((type(screen).__name__, f"{screen.focused!r} -> {widget!r}", caller))
        set_focus(screen, widget, *args, **kwargs)

    compare_stream.StallWatch = make_watch  # type: ignore[assignment,misc]
    Screen.set_focus = counting_set_focus  # type: ignore[method-assign,assignment]
    gateway = GatewayProcess(1.0 / pace if pace else 0.0)
    sampler = StackSampler(threading.get_ident())
    try:
        with tempfile.TemporaryDirectory() as tmpdir:
            result = await in_app(gateway.url, f"[[deltas={deltas}]] compare a long answer", Path(tmpdir),
                                  compare=True)  # fmt: skip
    finally:
        sampler.stop()
        gateway.close()
        Screen.set_focus = set_focus  # type: ignore[method-assign]
    how = f"paced at {pace:,.0f} deltas/s per model" if pace else "unpaced"
    longest, cpu = result["longest"] * 1000, result["cpu_longest"] * 1000
    print(f"compare, 3 models x {deltas:,} deltas, {how}: {result['total']:.2f} s, "
          f"longest stall {longest:.0f} ms ({cpu:.0f} ms CPU)")  # fmt: skip
    print(f"focus changes: {len(focus_moves)}")
    for screen_name, move, caller in focus_moves:
        print(f"  {screen_name}: {move}  (from {caller})")
    for length, start, end in sorted(watches[0].spans, reverse=True)[:stalls]:
        count, hot = sampler.hot_frames(start, end)
        print(f"stall of {length * 1000:.0f} ms, {count} samples; frames most were in:")
        for n, (filename, line, name) in hot:
            print(f"  {n:4d}  {filename}:{line} {name}")
    print(f"{load()} at the end of the run")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deltas", type=int, default=3000)
    parser.add_argument("--pace", type=float, default=0.0, help="deltas/s per model (0: unpaced)")
    parser.add_argument("--stalls", type=int, default=3, help="how many of the longest stalls to break down")
    args = parser.parse_args()
    asyncio.run(run(args.deltas, args.pace, args.stalls))


if __name__ == "__main__":
    main()
