"""Where the compare screen's longest event-loop stalls go (a diagnosis, not a score).

Runs the same scene as ``bench/compare_stream.py`` (three models streaming N
deltas each into the compare screen, through the fake gateway in a child
process) and, while it runs:

- counts the focus changes (each restyles what ``:focus``/``:focus-within``
  rules match), with where each came from;
- samples the UI thread's stack every few milliseconds from a helper thread
  and, for the longest stalls, prints the frames most samples were in;
- breaks the compare screen's frames (screen updates) down: CPU per frame, of it
  layout and drawing, arrangements of the whole screen per layout (Textual's
  stale full map made it two), widgets on screen, how many columns each frame
  redraws something in (with CPU per such frame), and the full garbage
  collections (how long, and how many ran inside a frame);
- per frame, the lanes whose widgets asked for its layout (and which widgets, per lane)
  and the lanes it arranged containers of (a lane's mounts are arranged in the next
  frame whoever asked): frames are grouped by both counts, with their CPU.

    python bench/compare_stalls.py [--deltas 3000] [--pace 0] [--stalls 3] [--trace]

``--trace`` replaces the stack sampler by ``bench/loop_trace.py``: every loop callback over
10 ms of CPU with what it was (a frame, a timer's callback, a widget's message), per stall
and per kind, and the stalls before the first delta (the screen opening) apart.

Since the compare screen draws each frame in a loop turn after its layout's
(``textual_compat.draw_after_layout_apart``), a frame here is its layout and its
draw-only work; the drawing put off runs in a timer callback of its own (``--trace``
lists it as such) and is not in the per-frame breakdown.

The sampler holds the GIL briefly each look, so this run is slower than
``compare_stream.py``: read its stall lengths only against each other.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from app_harness import GatewayProcess, StallWatch, load
from compare_stream import in_app
from loop_trace import LoopTrace
from textual._compositor import Compositor
from textual._styles_cache import StylesCache
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
#: Per compare frame: CPU of layout and drawing, and counts of what it did (see FrameBreakdown).
FRAME_KEYS = ("layout", "draw", "arrangements", "columns", "boxes", "measured", "afresh", "drawn", "lines")


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


class FrameBreakdown:
    """CPU per compare-screen frame (layout, drawing), screen arrangements, widgets, full gc passes."""

    def __init__(self) -> None:
        self.frames: list[dict[str, float]] = []
        self.full_passes: list[tuple[float, bool]] = []  # (CPU seconds, inside a frame)
        self._frame: dict[str, float] | None = None
        self._gc_start = 0.0
        self._undo: list[tuple[object, str, object]] = []
        self._wrap_time(Compositor, "reflow", "layout")
        self._wrap_time(Compositor, "render_update", "draw")
        self._wrap_count(Compositor, "_arrange_root", "arrangements")
        # What a frame lays out and draws: box models resolved, widgets measured (content height), drawn
        # (and their lines), and rendered afresh (content not cached).
        self._wrap_count(Widget, "_get_box_model", "boxes")
        self._wrap_count(Widget, "get_content_height", "measured")
        self._wrap_count(Widget, "_render_content", "afresh")
        render_widget = StylesCache.render_widget

        def counted_render(cache: StylesCache, widget: Widget, crop: Any) -> Any:
            if self._frame is not None:
                self._frame["drawn"] += 1
                self._frame["lines"] += crop.height
            return render_widget(cache, widget, crop)

        self._patch(StylesCache, "render_widget", counted_render)
        import textual.widget as widget_module

        arrange = widget_module.arrange

        def counted_arrange(widget: Any, *args: Any, **kwargs: Any) -> Any:
            # An arrangement worked out (not found in the widget's cache): which lane's.
            if self._frame is not None:
                for index in self._lanes_of([widget]):
                    self._frame[f"arranged{index}"] = self._frame.get(f"arranged{index}", 0.0) + 1
            return arrange(widget, *args, **kwargs)

        self._patch(widget_module, "arrange", counted_arrange)
        self._screen: Any = None
        #: Per frame (by id): the classes of the widgets that asked for its layout.
        self._asked: dict[int, list[str]] = {}
        draw = Compositor.render_update

        def counted_draw(compositor: Compositor, *args: Any, **kwargs: Any) -> Any:
            if self._frame is not None and self._screen is not None:
                self._frame["columns"] = self._columns_changed(compositor)
                for index, rows in enumerate(self._rows_changed(compositor)):
                    self._frame[f"rows{index}"] = rows
            return draw(compositor, *args, **kwargs)

        self._patch(Compositor, "render_update", counted_draw)
        update = Screen._on_timer_update

        def timed_update(screen: Screen[Any]) -> None:
            if type(screen).__name__ != "CompareScreen":
                update(screen)
                return
            self._frame = dict.fromkeys(FRAME_KEYS, 0.0)
            self._screen = screen
            # Which lanes asked for a layout since the last frame (a widget's Layout names it).
            asked = screen._layout_widgets
            for index in self._lanes_of([*asked, *(w for ws in asked.values() for w in ws)]):
                self._frame[f"laid{index}"] = 1.0
            self._asked[id(self._frame)] = self._askers_by_lane([w for ws in asked.values() for w in ws])
            self._frame["start"] = time.perf_counter()
            start = time.process_time()
            try:
                update(screen)
            finally:
                frame, self._frame = self._frame, None
                frame["cpu"] = time.process_time() - start
                frame["widgets"] = len(screen._compositor._full_map or {})
                self.frames.append(frame)

        self._patch(Screen, "_on_timer_update", timed_update)
        gc.callbacks.append(self._on_gc)

    def _lanes_of(self, widgets: list[Any]) -> set[int]:
        lanes: set[int] = set()
        for widget in widgets:
            node = widget
            while node is not None and type(node).__name__ != "LaneColumn":
                node = node._parent
            if node is not None:
                lanes.add(node.lane.index)
        return lanes

    def _askers_by_lane(self, widgets: list[Any]) -> list[str]:
        """``lane N: Class,Class`` per lane whose widgets asked for this frame's layout (``other``: none)."""
        by_lane: dict[str, set[str]] = collections.defaultdict(set)
        for widget in widgets:
            lanes = self._lanes_of([widget])
            by_lane[f"lane {min(lanes)}" if lanes else "other"].add(type(widget).__name__)
        return [f"{lane}: {','.join(sorted(names))}" for lane, names in sorted(by_lane.items())]

    def _rows_changed(self, compositor: Compositor) -> list[float]:
        """Rows each column redraws this frame (its changed cells / its width)."""
        rows: list[float] = []
        for column in getattr(self._screen, "columns", []):
            region = column.region
            cells = sum(region.intersection(dirty).area for dirty in compositor._dirty_regions)
            rows.append(cells / max(region.width, 1))
        return rows

    def at(self, start: float, end: float) -> dict[str, float] | None:
        """The frame that began between ``start`` and ``end`` (perf_counter), if any."""
        return next((f for f in self.frames if start <= f["start"] <= end), None)

    @staticmethod
    def work(frame: dict[str, float]) -> str:
        """What a frame laid out and drew: lanes, widgets placed/measured, drawn (lines), afresh."""
        laid = [i for i in range(4) if frame.get(f"laid{i}")]
        arranged = [f"{i}:{frame[f'arranged{i}']:.0f}" for i in range(4) if frame.get(f"arranged{i}")]
        counts = {key: f"{frame[key]:.0f}" for key in FRAME_KEYS}
        return (f"lanes laid out {laid} (arrangements per lane {' '.join(arranged)});"
                f" widgets on screen {frame['widgets']:.0f}, boxes {counts['boxes']},"
                f" measured {counts['measured']}, drawn {counts['drawn']} ({counts['lines']} lines),"
                f" rendered afresh {counts['afresh']}")  # fmt: skip

    def longest(self, count: int) -> None:
        """The ``count`` longest frames: CPU, layout, drawing, lanes laid out, rows redrawn per column."""
        print(f"the {count} longest compare frames (lanes laid out; rows redrawn per column):")
        for frame in sorted(self.frames, key=lambda f: f["cpu"], reverse=True)[:count]:
            laid = [i for i in range(4) if frame.get(f"laid{i}")]
            rows = [f"{frame.get(f'rows{i}', 0):.0f}" for i in range(4) if f"rows{i}" in frame]
            asked = "; ".join(self._asked.get(id(frame), []))
            print(f"  {frame['cpu'] * 1000:4.0f} ms (layout {frame['layout'] * 1000:3.0f}, drawing"
                  f" {frame['draw'] * 1000:3.0f}) widgets {frame['widgets']:.0f}; laid out {laid};"
                  f" rows {'/'.join(rows)}; asked by {asked}")  # fmt: skip
            print(f"         {self.work(frame)}")

    def by_lanes_laid(self) -> None:
        """Frames by how many lanes they laid out: count, CPU median and longest."""
        groups: dict[int, list[float]] = collections.defaultdict(list)
        arranging: dict[int, list[float]] = collections.defaultdict(list)
        for frame in self.frames:
            groups[sum(1 for i in range(4) if frame.get(f"laid{i}"))].append(frame["cpu"])
            arranging[sum(1 for i in range(4) if frame.get(f"arranged{i}"))].append(frame["cpu"])
        for what, by_count in (("laying out (asked by)", groups), ("arranging", arranging)):
            for count, times in sorted(by_count.items()):
                times.sort()
                median, longest = times[len(times) // 2] * 1000, times[-1] * 1000
                print(f"  frames {what} {count} lane(s): {len(times)}, CPU median {median:.0f} ms,"
                      f" longest {longest:.0f} ms")  # fmt: skip

    def _columns_changed(self, compositor: Compositor) -> float:
        """How many of the compare screen's columns this frame redraws something in."""
        columns = [column.region for column in getattr(self._screen, "columns", [])]
        dirty = list(compositor._dirty_regions)
        return float(sum(1 for column in columns if any(column.overlaps(region) for region in dirty)))

    def _patch(self, owner: object, name: str, value: object) -> None:
        self._undo.append((owner, name, getattr(owner, name)))
        setattr(owner, name, value)

    def _wrap_time(self, owner: type, name: str, key: str) -> None:
        original = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                if self._frame is not None:
                    self._frame[key] += time.process_time() - start

        self._patch(owner, name, timed)

    def _wrap_count(self, owner: type, name: str, key: str) -> None:
        original = getattr(owner, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            if self._frame is not None:
                self._frame[key] += 1
            return original(*args, **kwargs)

        self._patch(owner, name, counted)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._gc_start = time.process_time()
        else:
            self.full_passes.append((time.process_time() - self._gc_start, self._frame is not None))

    def stop(self) -> None:
        gc.callbacks.remove(self._on_gc)
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)

    def report(self) -> None:
        if not self.frames:
            return
        cpu = sorted(f["cpu"] for f in self.frames)
        laid = [f for f in self.frames if f["layout"]]
        share = sum(f["layout"] for f in self.frames) / max(sum(cpu), 1e-9)
        drawn = sum(f["draw"] for f in self.frames) / max(sum(cpu), 1e-9)
        widgets = sorted(f["widgets"] for f in self.frames)
        per_layout = sum(f["arrangements"] for f in laid) / max(len(laid), 1)
        print(f"compare frames: {len(cpu)}, {sum(cpu):.2f} s CPU in all,"
              f" median {cpu[len(cpu) // 2] * 1000:.0f} ms,"
              f" p90 {cpu[int(len(cpu) * 0.9)] * 1000:.0f} ms, longest {cpu[-1] * 1000:.0f} ms;"
              f" layout {share:.0%} and drawing {drawn:.0%} of their CPU")  # fmt: skip
        print(f"  screen arrangements per layout frame: {per_layout:.2f};"
              f" widgets on screen: median {widgets[len(widgets) // 2]}, most {widgets[-1]}")  # fmt: skip
        by_columns: dict[int, list[float]] = collections.defaultdict(list)
        for frame in self.frames:
            if frame["columns"]:
                by_columns[int(frame["columns"])].append(frame["cpu"])
        for count, times in sorted(by_columns.items()):
            times.sort()
            median, longest = times[len(times) // 2] * 1000, times[-1] * 1000
            print(f"  frames redrawing {count} column(s): {len(times)},"
                  f" CPU median {median:.0f} ms, longest {longest:.0f} ms")  # fmt: skip
        inside = [t for t, in_frame in self.full_passes if in_frame]
        longest = max((t for t, _ in self.full_passes), default=0.0)
        print(f"  full gc passes: {len(self.full_passes)} (longest {longest * 1000:.0f} ms CPU),"
              f" {len(inside)} inside a frame")  # fmt: skip


class TimedStallWatch(StallWatch):
    """The harness's stall watch, also keeping when each stall began and ended."""

    def __init__(self) -> None:
        #: (wall stall, start, end, CPU) per tick.
        self.spans: list[tuple[float, float, float, float]] = []
        super().__init__()

    async def _tick(self) -> None:
        while self._running:
            before, cpu_before = time.perf_counter(), time.process_time()
            await asyncio.sleep(0.005)
            after, cpu = time.perf_counter(), time.process_time() - cpu_before
            self.stalls.append(after - before - 0.005)
            self.cpu.append(cpu)
            self.spans.append((after - before - 0.005, before, after, cpu))


async def run(deltas: int, pace: float, stalls: int, trace: bool = False) -> None:
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
    breakdown = FrameBreakdown()
    # 3 ms: a stall's smaller callbacks (an after-refresh batch, a delta's handling) show too.
    tracer = LoopTrace(threshold=0.003) if trace else None
    sampler = None if trace else StackSampler(threading.get_ident())
    try:
        with tempfile.TemporaryDirectory() as tmpdir:
            result = await in_app(gateway.url, f"[[deltas={deltas}]] compare a long answer", Path(tmpdir),
                                  compare=True)  # fmt: skip
    finally:
        if sampler is not None:
            sampler.stop()
        if tracer is not None:
            tracer.stop()
        breakdown.stop()
        gateway.close()
        Screen.set_focus = set_focus  # type: ignore[method-assign]
    how = f"paced at {pace:,.0f} deltas/s per model" if pace else "unpaced"
    longest, cpu = result["longest"] * 1000, result["cpu_longest"] * 1000
    print(f"compare, 3 models x {deltas:,} deltas, {how}: {result['total']:.2f} s, "
          f"longest stall {longest:.0f} ms ({cpu:.0f} ms CPU)")  # fmt: skip
    breakdown.report()
    breakdown.by_lanes_laid()
    breakdown.longest(stalls)
    print(f"focus changes: {len(focus_moves)}")
    for screen_name, move, caller in focus_moves:
        print(f"  {screen_name}: {move}  (from {caller})")
    spans = watches[0].spans
    # Traced: the stalls longest in CPU (what an idle machine would see; wall time carries the load).
    ranked = sorted(spans, key=lambda span: span[3] if tracer is not None else span[0], reverse=True)
    for length, start, end, cpu_spent in ranked[:stalls]:
        if tracer is not None:
            when = start - spans[0][1]
            print(f"stall of {cpu_spent * 1000:.0f} ms CPU ({length * 1000:.0f} ms wall) at {when:.2f} s;"
                  f" callbacks over {tracer.threshold * 1000:.0f} ms CPU in it:")  # fmt: skip
            for turn in tracer.within(start, end):
                split = f"layout {turn.layout * 1000:.0f}, drawing {turn.draw * 1000:.0f}"
                split += f", gc {turn.gc * 1000:.0f}"
                print(f"  {turn.cpu * 1000:5.0f} ms CPU  {turn.what}  ({split}) {' '.join(turn.notes)}")
                frame = breakdown.at(turn.start, turn.end)
                if frame is not None and (turn.layout or turn.draw):
                    print(f"           {breakdown.work(frame)}")
            continue
        assert sampler is not None
        count, hot = sampler.hot_frames(start, end)
        print(f"stall of {length * 1000:.0f} ms, {count} samples; frames most were in:")
        for n, (filename, line, name) in hot:
            print(f"  {n:4d}  {filename}:{line} {name}")
    if tracer is not None:
        print("long callbacks by kind (count, total CPU, longest):")
        for what, count, total, longest in tracer.kinds()[:14]:
            print(f"  {count:4d} {total * 1000:7.0f} ms {longest * 1000:5.0f} ms  {what}")
    print(f"{load()} at the end of the run")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deltas", type=int, default=3000)
    parser.add_argument("--pace", type=float, default=0.0, help="deltas/s per model (0: unpaced)")
    parser.add_argument("--stalls", type=int, default=3, help="how many of the longest stalls to break down")
    parser.add_argument("--trace", action="store_true", help="what each long loop callback was (no sampler)")
    args = parser.parse_args()
    asyncio.run(run(args.deltas, args.pace, args.stalls, args.trace))


if __name__ == "__main__":
    main()
