"""Where the chat screen's longest event-loop stalls go while a reply streams (a diagnosis, not a score).

Runs the scene of ``bench/tui_stream.py``'s paced part (the fake gateway in a child
process streams N deltas at ``--pace`` deltas/s into the chat app) and measures, in
CPU time of the UI thread (``time.thread_time``: what an idle machine would see,
whatever else runs on it):

- each event-loop iteration (a stall is one iteration: every ready callback runs
  before the loop looks at its timers again), with the callbacks it ran and the
  CPU time of each;
- every garbage collection (generation and CPU time), from ``gc.callbacks``;
- how many times the screen was arranged per layout pass: a second arrangement is a
  region look-up that found the full map still marked stale after the layout;
- with ``--profile``, a cProfile of each iteration; the longest ones are printed
  (cumulative time per function, plumbing left out). Profiling slows everything
  about twice: read those iterations against each other.

Only the iterations from the moment the prompt is sent count (the app's start, its
first paint of the whole screen, is reported apart on one line). Besides the long
iterations, the split of every frame's CPU over the whole stream is printed (totals
and per-frame median and p90): a figure that moves little with the load, for comparing
two checkouts (``PYTHONPATH=/work/main python bench/stream_stalls.py`` measures main's
app with this script).

With ``--no-gc`` the cyclic collector is off for the whole run (explicit collections
still run): what is left in the longest iterations is the app's own work.

With ``--widgets`` each of the longest iterations also lists which widgets it measured
(``get_content_height``) and rendered afresh, by class and height, with their CPU (an
outer call's time includes its children's), and what happened since the frame before:
characters written to the live piece (and the largest backlog a slice was cut from),
pieces sealed, pinned, flattened, blocks folded, widgets mounted (by class) and widgets
that asked for a layout. Measured so: the longest
frames were those that mounted 15-25 widgets at once (a dozen lines of list items, a
fence and a table in one slice), about a millisecond of CPU each.

    python bench/stream_stalls.py [--deltas 4000] [--pace 400] [--top 5] [--profile] [--no-gc] [--widgets]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import importlib
import inspect
import io
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app_harness import GatewayProcess, load, p99

#: What each iteration's CPU time is split into (outermost calls only), without a profiler's overhead.
PARTS = (
    ("textual.screen", "Screen", "_refresh_layout", "screen refresh"),
    ("textual._compositor", "Compositor", "reflow", "  layout (reflow)"),
    ("textual._compositor", "Compositor", "_arrange_root", "    arrange"),
    ("textual._compositor", "Compositor", "render_update", "  render (update)"),
    ("textual.widget", "Widget", "render_lines", "    widgets' lines"),
    ("textual.widget", "Widget", "_render_content", "      content rendered afresh"),
    ("textual.strip", "Strip", "divide", "    strips cut at widget edges"),
    ("textual.widget", "Widget", "_on_compose", "compose"),
    ("textual.css.stylesheet", "Stylesheet", "update_nodes", "stylesheet update"),
    ("textual.css.stylesheet", "Stylesheet", "apply", "  style apply (per node)"),
    ("liaobots_tui.ui.widgets.markdown_column", "MarkdownColumn", "flush", "column flush"),
    ("liaobots_tui.ui.widgets.markdown_column", "MarkdownColumn", "park_offscreen", "parking"),
    ("liaobots_tui.ui.widgets.markdown_column", "MarkdownColumn", "_sync_children", "  sync children"),
    ("liaobots_tui.ui.widgets.markdown_pieces", "", "next_cut", "next_cut"),
    ("liaobots_tui.ui.widgets.flat_blocks", "", "fold_finished", "live piece's blocks folded"),
    ("liaobots_tui.ui.widgets.flat_blocks", "", "fold_a_step", "sealed piece's blocks folded (a step)"),
    ("liaobots_tui.ui.textual_compat", "", "render_subtree", "  blocks drawn into lines (fold)"),
)

#: The bench's ticker (``tui_stream.ui_run``) starts as the prompt is sent: before it, the app's start.
STREAM_MARK = "ui_run.<locals>.ticker"

#: Stats lines from these files are plumbing (the loop, message dispatch): left out.
PLUMBING = ("asyncio/", "_callback.py", "message_pump.py", "stream_stalls.py", "{built-in method", "<")


class LoopMeter:
    """CPU time per loop iteration and per callback, and per garbage collection."""

    def __init__(self, *, profile: bool, widgets: bool = False) -> None:
        self.profile = profile
        self.widgets = widgets
        #: Per iteration (parallel to ``iterations``), with ``--widgets``: what each widget cost.
        self.widget_costs: list[dict[str, list[float]]] = []
        #: The current iteration's widget costs: "what widget" -> [CPU seconds, calls].
        self.costs: dict[str, list[float]] = {}
        #: What the column did since the last screen refresh (``--widgets``): moved into the costs
        #: of the iteration that refreshes the screen next.
        self.events: dict[str, list[float]] = {}
        #: (CPU seconds, [(callback, CPU seconds)], profile or None, gc seconds) per iteration.
        self.iterations: list[tuple[float, list[tuple[str, float]], cProfile.Profile | None, float]] = []
        #: (generation, CPU seconds, objects frozen at the time) per collection.
        self.collections: list[tuple[int, float, int]] = []
        #: CPU seconds per part, per iteration (parallel to ``iterations``).
        self.split: list[dict[str, float]] = []
        #: Objects the collector tracks (frozen ones left out) at the start of each full collection.
        self.gen2_objects: list[int] = []
        #: CPU seconds spent collecting during the current iteration.
        self.gc_in_iteration = 0.0
        self._handles: list[tuple[str, float]] = []
        self._gc_start = 0.0
        self._restore: list[Callable[[], None]] = []
        #: CPU seconds per part (see PARTS) in the current iteration.
        self.parts: dict[str, float] = {}
        #: Layout passes (reflow) and whole-screen arrangements in the current iteration.
        self.layouts = 0
        self.arrangements = 0
        self._in_layout = False
        #: CPU seconds of whole-screen arrangements made outside a layout pass (a stale map's look-up).
        self.again_seconds = 0.0
        #: (layout passes, whole-screen arrangements) per iteration that laid out.
        self.layout_counts: list[tuple[int, int]] = []
        #: CPU seconds of each iteration before the prompt was sent (the app's start).
        self.boot: list[float] = []
        #: While the reply streams: scrollbar draws and their rows, containers arranged afresh.
        self.counts = {"scrollbar draws": 0, "scrollbar rows": 0, "arrangements": 0}
        #: Containers arranged afresh while it streamed, by class.
        self.arranged: dict[str, int] = {}
        self.streaming = False

    def start(self) -> None:
        loop_class = asyncio.base_events.BaseEventLoop
        handle_class = asyncio.events.Handle
        run_once: Any = loop_class._run_once  # type: ignore[attr-defined]
        handle_run: Any = handle_class._run
        meter = self

        def timed_run_once(loop: Any) -> None:
            meter._handles = []
            meter.parts = {}
            meter.costs = {}
            meter.gc_in_iteration = 0.0
            meter.layouts = meter.arrangements = 0
            profiler = cProfile.Profile(time.thread_time) if meter.profile else None
            before = time.thread_time()
            if profiler is not None:
                profiler.enable()
            try:
                run_once(loop)
            finally:
                if profiler is not None:
                    profiler.disable()
                spent = time.thread_time() - before
                if not meter.streaming:
                    meter.streaming = any(STREAM_MARK in name for name, _ in meter._handles)
                if not meter.streaming:
                    meter.boot.append(spent)
                elif meter._handles:
                    keep = profiler if profiler is not None and spent > 0.015 else None
                    meter.iterations.append((spent, meter._handles, keep, meter.gc_in_iteration))
                    meter.split.append(meter.parts)
                    if "screen refresh" in meter.parts:
                        meter.costs.update(meter.events)
                        meter.events = {}
                    meter.widget_costs.append(meter.costs)
                if meter.layouts and meter.streaming:
                    meter.layout_counts.append((meter.layouts, meter.arrangements))

        def timed_handle_run(handle: Any) -> None:
            before = time.thread_time()
            try:
                handle_run(handle)
            finally:
                callback = getattr(handle, "_callback", None)
                name = getattr(callback, "__qualname__", None) or repr(callback)[:80]
                task = getattr(callback, "__self__", None)
                if isinstance(task, asyncio.Task):
                    coro = task.get_coro()
                    name = f"task {getattr(coro, '__qualname__', task.get_name())}"
                meter._handles.append((name, time.thread_time() - before))

        loop_class._run_once = timed_run_once  # type: ignore[attr-defined]
        handle_class._run = timed_handle_run  # type: ignore[method-assign]
        gc.callbacks.append(self._on_gc)
        for module_name, class_name, attribute, label in PARTS:
            self._wrap(module_name, class_name, attribute, label)
        self._count_arrangements()
        self._count_draws()
        if self.widgets:
            self._watch_widgets()
        self._restore += [
            lambda: setattr(loop_class, "_run_once", run_once),
            lambda: setattr(handle_class, "_run", handle_run),
            lambda: gc.callbacks.remove(self._on_gc),
        ]

    def _wrap(self, module_name: str, class_name: str, attribute: str, label: str) -> None:
        module = importlib.import_module(module_name)
        owner: Any = getattr(module, class_name) if class_name else module
        original = owner.__dict__[attribute] if class_name else getattr(module, attribute)
        meter = self
        depth = [0]

        def add(before: float) -> None:
            depth[0] -= 1
            if depth[0] == 0:
                meter.parts[label] = meter.parts.get(label, 0.0) + time.thread_time() - before

        if inspect.iscoroutinefunction(original):

            async def wrapped_async(*args: Any, **kwargs: Any) -> Any:
                # A coroutine's time is counted per step, not across its awaits.
                before = time.thread_time()
                depth[0] += 1
                try:
                    return await original(*args, **kwargs)
                finally:
                    add(before)

            replacement: Any = wrapped_async
        else:

            def wrapped(*args: Any, **kwargs: Any) -> Any:
                before = time.thread_time()
                depth[0] += 1
                try:
                    return original(*args, **kwargs)
                finally:
                    add(before)

            replacement = wrapped
        setattr(owner, attribute, replacement)
        self._restore.append(lambda: setattr(owner, attribute, original))
        if not class_name:
            # Imported by name elsewhere: patch those references too.
            for other in list(sys.modules.values()):
                if getattr(other, attribute, None) is original and other is not module:
                    setattr(other, attribute, replacement)
                    self._restore.append(lambda other=other: setattr(other, attribute, original))

    def _count_arrangements(self) -> None:
        from textual._compositor import Compositor

        reflow, arrange_root = Compositor.reflow, Compositor._arrange_root
        meter = self

        def counted_reflow(compositor: Any, *args: Any, **kwargs: Any) -> Any:
            meter.layouts += 1
            meter._in_layout = True
            try:
                return reflow(compositor, *args, **kwargs)
            finally:
                meter._in_layout = False

        def counted_arrange_root(compositor: Any, *args: Any, **kwargs: Any) -> Any:
            # Only whole-screen arrangements: the visible-only one of a scroll is another thing.
            full = not kwargs.get("visible_only", True)
            meter.arrangements += full
            before = time.thread_time()
            try:
                return arrange_root(compositor, *args, **kwargs)
            finally:
                if full and not meter._in_layout:
                    meter.again_seconds += time.thread_time() - before

        Compositor.reflow = counted_reflow  # type: ignore[method-assign]
        Compositor._arrange_root = counted_arrange_root  # type: ignore[method-assign]
        self._restore += [
            lambda: setattr(Compositor, "reflow", reflow),
            lambda: setattr(Compositor, "_arrange_root", arrange_root),
        ]

    def _count_draws(self) -> None:
        """Scrollbar draws (and rows) and containers arranged afresh (an arrangement cache miss)."""
        import textual.widget
        from textual.scrollbar import ScrollBar
        from textual.widget import Widget

        render, arrange = Widget._render_content, textual.widget.arrange
        meter = self

        def counted_render(widget: Any) -> Any:
            if meter.streaming and isinstance(widget, ScrollBar):
                meter.counts["scrollbar draws"] += 1
                meter.counts["scrollbar rows"] += widget.size.height if widget.vertical else widget.size.width
            return render(widget)

        def counted_arrange(widget: Any, *args: Any, **kwargs: Any) -> Any:
            if meter.streaming:
                meter.counts["arrangements"] += 1
                kind = type(widget).__name__
                meter.arranged[kind] = meter.arranged.get(kind, 0) + 1
            return arrange(widget, *args, **kwargs)

        Widget._render_content = counted_render  # type: ignore[method-assign]
        textual.widget.arrange = counted_arrange  # type: ignore[assignment]
        self._restore += [
            lambda: setattr(Widget, "_render_content", render),
            lambda: setattr(textual.widget, "arrange", arrange),
        ]

    def _watch_widgets(self) -> None:
        """Which widgets a frame measures, renders afresh, mounts or lays out (class, rows, CPU)."""
        from textual.widget import Widget

        meter = self
        depth = [0]

        def watch(attribute: str, what: str) -> None:
            original = Widget.__dict__[attribute]

            def watched(widget: Any, *args: Any, **kwargs: Any) -> Any:
                before = time.thread_time()
                depth[0] += 1
                try:
                    return original(widget, *args, **kwargs)
                finally:
                    depth[0] -= 1
                    spent = time.thread_time() - before
                    # Nested calls of the same kind are in their outer call's time: count the outer only.
                    key = f"{what} {type(widget).__name__} h{widget.size.height}"
                    entry = meter.costs.setdefault(key, [0.0, 0])
                    entry[0] += spent
                    entry[1] += 1

            setattr(Widget, attribute, watched)
            self._restore.append(lambda: setattr(Widget, attribute, original))

        watch("_render_content", "content")
        watch("get_content_height", "height")
        self._note_events()

    def _note_events(self) -> None:
        """What the column did in an iteration: characters written, pieces sealed, blocks folded, mounted."""
        from textual.widget import Widget

        from liaobots_tui.ui.widgets import markdown_column
        from liaobots_tui.ui.widgets.markdown_column import MarkdownColumn, PieceMarkdown

        meter = self

        def note(key: str, amount: float) -> None:
            entry = meter.events.setdefault(key, [0.0, 0])
            entry[1] += amount

        write, seal, fold = MarkdownColumn._write, MarkdownColumn._seal, markdown_column.fold_finished
        post_mount = Widget._post_register

        async def noted_write(column: Any, segment: Any, text: str) -> None:
            note("event: characters written", len(text))
            await write(column, segment, text)

        flush_live = MarkdownColumn._flush_live

        async def noted_flush_live(column: Any, live: Any) -> bool:
            # The backlog a slice was cut from: past BUDGET_CHARS a slice is bigger (see RAMP_CHARS).
            queued = sum(map(len, live.pending))
            if queued:
                entry = meter.events.setdefault("event: largest backlog sliced (chars)", [0.0, 0])
                entry[1] = max(entry[1], queued)
            return bool(await flush_live(column, live))

        async def noted_seal(column: Any, *args: Any) -> None:
            note("event: piece sealed", 1)
            await seal(column, *args)

        def noted_fold(markdown: Any, most: Any = None) -> int:
            folded = fold(markdown, most)
            note("event: blocks folded", folded)
            return folded

        def noted_post_mount(widget: Any, app: Any) -> None:
            note(f"event: mounted {type(widget).__name__}", 1)
            post_mount(widget, app)

        pin, step = MarkdownColumn.__dict__["_pin"], markdown_column.fold_a_step
        flatten = PieceMarkdown.flatten
        sync = MarkdownColumn._sync_children

        def noted_pin(segment: Any, markdown: Any) -> None:
            note("event: piece pinned", 1)
            pin.__func__(segment, markdown)

        def noted_step(markdown: Any) -> bool:
            stepped = step(markdown)
            note("event: sealed piece folded a step", stepped)
            return stepped

        def noted_flatten(markdown: Any) -> bool:
            flat = flatten(markdown)
            note("event: piece flattened", flat)
            return flat

        def noted_sync(column: Any) -> None:
            note("event: parked runs synced", 1)
            sync(column)

        MarkdownColumn._pin = staticmethod(noted_pin)  # type: ignore[method-assign,assignment]
        markdown_column.fold_a_step = noted_step  # type: ignore[assignment]
        PieceMarkdown.flatten = noted_flatten  # type: ignore[method-assign]
        MarkdownColumn._sync_children = noted_sync  # type: ignore[method-assign]
        self._restore += [
            lambda: setattr(MarkdownColumn, "_pin", pin),
            lambda: setattr(markdown_column, "fold_a_step", step),
            lambda: setattr(PieceMarkdown, "flatten", flatten),
            lambda: setattr(MarkdownColumn, "_sync_children", sync),
        ]
        refresh = Widget.refresh

        def noted_refresh(widget: Any, *regions: Any, **kwargs: Any) -> Any:
            if kwargs.get("layout"):
                note(f"event: layout asked by {type(widget).__name__}", 1)
            return refresh(widget, *regions, **kwargs)

        Widget.refresh = noted_refresh  # type: ignore[method-assign]
        self._restore.append(lambda: setattr(Widget, "refresh", refresh))
        MarkdownColumn._write = noted_write  # type: ignore[method-assign]
        MarkdownColumn._flush_live = noted_flush_live  # type: ignore[method-assign]
        MarkdownColumn._seal = noted_seal  # type: ignore[method-assign]
        markdown_column.fold_finished = noted_fold  # type: ignore[assignment]
        Widget._post_register = noted_post_mount  # type: ignore[method-assign]
        self._restore += [
            lambda: setattr(MarkdownColumn, "_write", write),
            lambda: setattr(MarkdownColumn, "_flush_live", flush_live),
            lambda: setattr(MarkdownColumn, "_seal", seal),
            lambda: setattr(markdown_column, "fold_finished", fold),
            lambda: setattr(Widget, "_post_register", post_mount),
        ]

    def stop(self) -> None:
        for undo in reversed(self._restore):  # wrappers of wrappers: the outer one first
            undo()

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if not self.streaming:
            return  # the app's start: reported apart
        if phase == "start":
            if info["generation"] == 2:
                self.gen2_objects.append(len(gc.get_objects()))
            self._gc_start = time.thread_time()
        else:
            spent = time.thread_time() - self._gc_start
            self.gc_in_iteration += spent
            self.collections.append((info["generation"], spent, gc.get_freeze_count()))


async def run(deltas: int, pace: float, top: int, profile: bool, no_gc: bool, widgets: bool = False) -> None:
    import tui_stream

    if no_gc:
        gc.disable()

    meter = LoopMeter(profile=profile, widgets=widgets)
    gateway = GatewayProcess(1.0 / pace if pace else 0.0)
    original_ui_run = tui_stream.ui_run
    try:
        with tempfile.TemporaryDirectory() as tmpdir:
            meter.start()
            try:
                result = await original_ui_run(gateway.url, f"[[deltas={deltas}]] stream a long answer",
                                               Path(tmpdir))  # fmt: skip
            finally:
                meter.stop()
    finally:
        gateway.close()
    cpu = [s for s, _, _, _ in meter.iterations]
    how = f"paced at {pace:,.0f} deltas/s" if pace else "unpaced"
    collector = "collector off" if no_gc else "collector on"
    print(f"chat screen, {deltas:,} deltas {how}, {collector}: {result['total']:.2f} s; {load()}")
    print(f"loop iterations: {len(cpu):,}; CPU per iteration: longest {max(cpu) * 1000:.1f} ms, "
          f"p99 {p99(cpu) * 1000:.1f} ms, median {statistics.median(cpu) * 1000:.2f} ms; "
          f"over 30 ms: {sum(1 for s in cpu if s > 0.03)}, "
          f"over 50 ms: {sum(1 for s in cpu if s > 0.05)}")  # fmt: skip
    print(f"  (the stall watch saw: longest {result['max_stall'] * 1000:.0f} ms wall, "
          f"{result['cpu_max_stall'] * 1000:.0f} ms CPU; before the prompt was sent, the app's start: "
          f"{len(meter.boot)} iterations, longest {max(meter.boot, default=0) * 1000:.1f} ms CPU, "
          f"not counted above)")  # fmt: skip
    print("while it streamed: " + ", ".join(f"{what} {n:,}" for what, n in meter.counts.items()))
    most = sorted(meter.arranged.items(), key=lambda kind: kind[1], reverse=True)[:8]
    print("  arranged afresh, by class: " + ", ".join(f"{kind} {n:,}" for kind, n in most))
    frames = [parts for parts in meter.split if "screen refresh" in parts]
    if frames:
        print(f"every frame of the stream ({len(frames)} that refreshed the screen), CPU per part: "
              f"total, per-frame median / p90 / longest")  # fmt: skip
        for _, _, _, label in PARTS:
            per_frame = sorted(parts.get(label, 0.0) * 1000 for parts in frames)
            if per_frame[-1] > 0:
                p90 = per_frame[min(len(per_frame) - 1, int(len(per_frame) * 0.9))]
                print(f"  {sum(per_frame):8.0f} ms  {statistics.median(per_frame):5.1f} / {p90:5.1f} / "
                      f"{per_frame[-1]:5.1f}  {label}")  # fmt: skip
    by_gen: dict[tuple[int, bool], list[float]] = {}
    for generation, seconds, frozen in meter.collections:
        by_gen.setdefault((generation, bool(frozen)), []).append(seconds)
    for (generation, frozen), times in sorted(by_gen.items()):
        when = "while frozen (streaming)" if frozen else "not frozen"
        print(f"gc generation {generation}, {when}: {len(times)} collections, "
              f"longest {max(times) * 1000:.1f} ms, total {sum(times) * 1000:.0f} ms")  # fmt: skip
    passes = sum(n for n, _ in meter.layout_counts)
    arranged = sum(n for _, n in meter.layout_counts)
    twice = sum(1 for n, a in meter.layout_counts if a > n)
    print(f"layout passes: {passes:,}; whole-screen arrangements per layout pass: "
          f"{arranged / max(passes, 1):.2f} ({twice:,} of {len(meter.layout_counts):,} "
          f"iterations that laid out arranged the screen again, "
          f"{meter.again_seconds * 1000:.0f} ms CPU in those extra arrangements)")  # fmt: skip
    print(f"objects a full collection scanned: {', '.join(f'{n:,}' for n in meter.gen2_objects)}")
    totals: dict[str, list[float]] = {}
    for _, handles, _, _ in meter.iterations:
        for name, seconds in handles:
            totals.setdefault(name, []).append(seconds)
    print("callbacks by longest single run (CPU):")
    for name, times in sorted(totals.items(), key=lambda x: max(x[1]), reverse=True)[:12]:
        print(f"  {max(times) * 1000:7.1f} ms longest, {sum(times) * 1000:7.0f} ms total, "
              f"{len(times):6d} runs  {name}")  # fmt: skip
    order = sorted(range(len(meter.iterations)), key=lambda i: meter.iterations[i][0], reverse=True)
    long_parts: dict[str, float] = {}
    long_ones = [i for i in order if meter.iterations[i][0] > 0.03]
    for i in long_ones:
        for label, seconds in meter.split[i].items():
            long_parts[label] = long_parts.get(label, 0.0) + seconds
    if long_ones:
        print(f"the {len(long_ones)} iterations over 30 ms, CPU split (a coroutine counts per step; "
              f"nested parts are indented):")  # fmt: skip
        whole = sum(meter.iterations[i][0] for i in long_ones)
        print(f"  {whole * 1000:8.0f} ms  all")
        print(f"  {sum(meter.iterations[i][3] for i in long_ones) * 1000:8.0f} ms  gc")
        for label, _, _, _ in [(p[3], 0, 0, 0) for p in PARTS]:
            if label in long_parts:
                print(f"  {long_parts[label] * 1000:8.0f} ms  {label}")
    for index in order[:top]:
        spent, handles, profiler, collecting = meter.iterations[index]
        heavy = sorted(handles, key=lambda x: x[1], reverse=True)[:4]
        print(
            f"iteration of {spent * 1000:.1f} ms CPU ({collecting * 1000:.1f} ms in gc): "
            + ", ".join(f"{name} {seconds * 1000:.1f} ms" for name, seconds in heavy)
        )
        print("    split: " + ", ".join(f"{label.strip()} {seconds * 1000:.1f}"
                                      for label, seconds in meter.split[index].items()))  # fmt: skip
        if meter.widgets:
            costs = sorted(meter.widget_costs[index].items(), key=lambda x: x[1][0], reverse=True)
            events = [(key[7:], n) for key, (_, n) in costs if key.startswith("event: ")]
            costs = [(key, cost) for key, cost in costs if not key.startswith("event: ")]
            print("    widgets: " + ", ".join(f"{key} x{int(n)} {seconds * 1000:.1f}"
                                          for key, (seconds, n) in costs[:14]))  # fmt: skip
            done = ", ".join(f"{key} {int(n)}" for key, n in events) or "nothing"
            print(f"    since the frame before: {done}")
        if profiler is not None:
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("cumulative").print_stats(60)
            lines = [
                line for line in out.getvalue().splitlines()
                if line.strip()[:1].isdigit() and not any(p in line for p in PLUMBING)
            ]  # fmt: skip
            for line in lines[:28]:
                print("   ", line.strip()[:150])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deltas", type=int, default=4000)
    parser.add_argument("--pace", type=float, default=400.0, help="deltas/s (0: unpaced)")
    parser.add_argument("--top", type=int, default=5, help="how many of the longest iterations to show")
    parser.add_argument("--profile", action="store_true", help="cProfile each iteration (slower)")
    parser.add_argument("--no-gc", action="store_true", help="the cyclic collector off for the whole run")
    parser.add_argument("--widgets", action="store_true",
                        help="per long iteration: widgets measured, rendered afresh, mounted")  # fmt: skip
    args = parser.parse_args()
    asyncio.run(run(args.deltas, args.pace, args.top, args.profile, args.no_gc, args.widgets))


if __name__ == "__main__":
    main()
