"""Is the app's resident memory flat per reply? N long replies in one chat, RSS after each.

The fake gateway (a child process) streams N realistic Markdown replies of about
160 kB each (``[[deltas=33000]]``: headings, lists, fences, tables), unpaced, one
after another into one chat of the app (headless ``App.run_test``, 120x40), each
app in a fresh process so its RSS is its own. After each reply has finished and
the app is idle, printed: settled RSS, its growth over the previous reply, the
peak while it streamed (VmHWM, reset per reply), Python objects tracked by the
collector, Markdown block widgets alive, and how much of the RSS glibc could hand
back (``malloc_trim`` run on a copy of the figure: measured, not applied), and the
longest pass of the cyclic garbage collector while each reply streamed and after it
(each pass stalls the event loop for its whole length; CPU time, the wall time adds
others' load). Each reply's resident memory is also split (``heap_split``): pymalloc's
arenas (Python objects up to 512 bytes: used and free blocks), glibc's heap (larger
objects and C libraries: used, free inside it, mmapped blocks), SQLite's own count, and
the kernel's anonymous RSS; and how each part grew from reply 2 to the last.

``--trees A B [C ...]`` alternates two or more checkouts (each app process runs that
checkout's ``liaobots_tui``), one line per run: before/after in one run, at the same load.

``--trace`` runs a second, separate child under ``tracemalloc`` (which slows it
several times and adds its own memory, so its RSS is not reported; its replies are
shorter, ``--trace-deltas``): the Python heap after each reply, and the
allocations that grew between reply ``--diff-from`` (2) and the last reply,
grouped by traceback (what holds the memory that stays), plus the object types
whose counts grew.

``--sizes`` asks, in one run, what a reply's size costs: for each size (kB of Markdown) a
fresh app process streams ``--repeat`` replies of that size into one chat; printed per size
are the RSS at start, the peak while the first reply streamed and the settled RSS after it,
then the peak and settled RSS after each repeat and the growth per repeat against the text
(the "flat" verdict, see :data:`FLAT_SLACK_MB`). With ``--trees`` it runs every tree per size.

    python bench/reply_memory.py [--replies 5] [--deltas 33000] [--trace | --only-trace]
                                 [--trace-replies 4] [--trace-deltas 12000] [--frames 10]
    python bench/reply_memory.py --trees /work/main . [--rounds 3] [--replies 4]
    python bench/reply_memory.py --sizes 16 160 1600 [--repeat 3] [--trees /work/main .]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import ctypes
import ctypes.util
import gc
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from app_harness import GatewayProcess, chat_app, load, peak_rss_mb, reset_peak, rss_mb

SIZE = (120, 40)
#: Seconds to let the app settle after a reply (it releases memory half a second after one).
SETTLE_SECONDS = 1.5
#: At most this many seconds more for the app's memory release after a reply: on a loaded machine
#: its timers ran late, and a reply measured before it was released read as growth (then "shrank").
RELEASE_WAIT_SECONDS = 30.0
#: The fake account's credits: enough for many long replies (the default ran out after ~7).
BALANCE = 100_000.0


def trimmable_mb() -> float:
    """RSS glibc gives back on ``malloc_trim(0)`` now (0 where there is no glibc).

    It is measured, so it is applied: call it last, after the figures it would change.
    """
    name = ctypes.util.find_library("c")
    if not name:
        return 0.0
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return 0.0
    before = rss_mb()
    trim(0)
    return before - rss_mb()


class GcPasses:
    """Every pass of the cyclic collector (automatic or asked for): generation, wall and CPU time.

    A pass holds the event loop for its whole length, so the longest one is a stall the
    user can feel; its CPU time is its own work (the wall time adds others' load).
    """

    def __init__(self) -> None:
        self.passes: list[tuple[int, float, float]] = []
        self._start = (0.0, 0.0)
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = (time.perf_counter(), time.process_time())
        else:
            wall, cpu = self._start
            self.passes.append((info["generation"], time.perf_counter() - wall, time.process_time() - cpu))

    def take(self) -> list[tuple[int, float, float]]:
        """The passes since the last take."""
        taken, self.passes = self.passes, []
        return taken

    def close(self) -> None:
        gc.callbacks.remove(self._callback)


def longest_ms(passes: list[tuple[int, float, float]], generation: int | None = None) -> tuple[float, float]:
    """The longest pass (of ``generation``, or any): (wall, CPU) in ms."""
    chosen = [p for p in passes if generation is None or p[0] == generation]
    return (max((p[1] for p in chosen), default=0.0) * 1000, max((p[2] for p in chosen), default=0.0) * 1000)


def trim_heap() -> None:
    """``malloc_trim(0)`` where glibc has it (as the app's memory release does)."""
    name = ctypes.util.find_library("c")
    if name:
        try:
            ctypes.CDLL(name).malloc_trim(0)
        except (OSError, AttributeError):
            pass


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
        "keepcost")]  # fmt: skip


def heap_split() -> dict[str, float]:
    """Where the resident memory is, in MB: glibc's heap (in use / free inside it), its mmapped
    blocks, Python's own allocator (pymalloc arenas: used / free blocks inside them), SQLite's
    allocations, and the kernel's split of RSS (anonymous, file, shared memory).

    Python objects of up to 512 bytes live in pymalloc's arenas (mmapped, 1 MiB each in 3.11);
    bigger ones, and C libraries' (SQLite's page cache), in glibc's heap.
    """
    split: dict[str, float] = {}
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    if libc is not None and hasattr(libc, "mallinfo2"):
        libc.mallinfo2.restype = _Mallinfo2
        info = libc.mallinfo2()
        split.update(glibc_used=info.uordblks / 2**20, glibc_free=info.fordblks / 2**20,
                     glibc_mmap=info.hblkhd / 2**20, glibc_top=info.keepcost / 2**20)  # fmt: skip
    split.update(glibc_arenas())
    split.update(pymalloc_stats())
    split["sqlite"] = sqlite_memory_used() / 2**20
    try:
        for line in Path("/proc/self/smaps_rollup").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("Rss", "Anonymous", "Pss_File", "Pss_Shmem"):
                split[key.lower()] = int(rest.split()[0]) / 1024
    except OSError:
        pass
    return split


def glibc_arenas() -> dict[str, float]:
    """glibc's arenas (``malloc_info``): how many, and the MB the threads' arenas hold (not main's).

    A thread that finds the main arena locked gets an arena of its own (up to 8 per core),
    with its own heap and free space: one made at some reply shows as a jump there.
    """
    name = ctypes.util.find_library("c")
    libc = ctypes.CDLL(name) if name else None
    if libc is None or not hasattr(libc, "malloc_info"):
        return {}
    libc.fdopen.restype = ctypes.c_void_p
    libc.fdopen.argtypes = [ctypes.c_int, ctypes.c_char_p]
    libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    with tempfile.TemporaryFile() as caught:
        stream = libc.fdopen(os.dup(caught.fileno()), b"w")
        if not stream:
            return {}
        libc.malloc_info(0, stream)
        libc.fclose(stream)
        caught.seek(0)
        text = caught.read().decode(errors="replace")
    heaps = re.findall(r'<heap nr="(\d+)">(.*?)</heap>', text, re.S)
    thread_bytes = 0
    for number, body in heaps:
        current = re.search(r'<system type="current" size="(\d+)"/>', body)
        if number != "0" and current:
            thread_bytes += int(current.group(1))
    return {"glibc_arenas": float(len(heaps)), "glibc_threads": thread_bytes / 2**20}


def pymalloc_stats() -> dict[str, float]:
    """pymalloc's arenas, from ``sys._debugmallocstats`` (written to the C stderr: caught in a file)."""
    with tempfile.TemporaryFile() as caught:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(caught.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        caught.seek(0)
        text = caught.read().decode(errors="replace")
    found: dict[str, float] = {}
    for label, key in (("# bytes in allocated blocks", "py_used"), ("# bytes in available blocks", "py_free"),
                       ("# bytes lost to pool headers", "py_headers"),
                       ("# bytes lost to quantization", "py_quant"),
                       ("# arenas allocated current", "py_arenas")):  # fmt: skip
        match = re.search(re.escape(label) + r"\s*=\s*([\d,]+)", text)
        if match:
            value = float(match.group(1).replace(",", ""))
            found[key] = value if key == "py_arenas" else value / 2**20
    return found


def sqlite_memory_used() -> int:
    """Bytes SQLite has allocated now (``sqlite3_memory_used``: its page caches, statements); 0 if unknown."""
    for line in Path("/proc/self/maps").read_text().splitlines():
        if "libsqlite3" in line:
            try:
                lib = ctypes.CDLL(line.split()[-1])
                lib.sqlite3_memory_used.restype = ctypes.c_int64
                return int(lib.sqlite3_memory_used())
            except (OSError, AttributeError):
                return 0
    return 0


def type_counts() -> collections.Counter[str]:
    return collections.Counter(type(o).__qualname__ for o in gc.get_objects())


async def child(url: str, tmp: Path, replies: int, deltas: int, trace: bool, frames: int,
                diff_from: int) -> dict[str, Any]:  # fmt: skip

    releases: list[tuple[float, float]] = []  # (wall, CPU) seconds of each post-reply memory release
    try:
        from liaobots_tui.ui import memory_release
    except ImportError:  # a tree without it (a baseline)
        has_release = False
    else:
        has_release = True
        real_release = memory_release.release

        def timed_release(app: Any) -> bool:
            wall, cpu = time.perf_counter(), time.process_time()
            done = real_release(app)
            releases.append((time.perf_counter() - wall, time.process_time() - cpu))
            return done

        memory_release.release = timed_release  # type: ignore[assignment]
    rows: list[dict[str, float]] = []
    snapshots: dict[int, tracemalloc.Snapshot] = {}
    counts: dict[int, collections.Counter[str]] = {}
    if trace:
        tracemalloc.start(frames)
    passes = GcPasses()
    async with chat_app(url, tmp, SIZE) as (app, pilot):
        screen: Any = app.screen
        start_rss = rss_mb()
        for number in range(1, replies + 1):
            reset_peak()
            screen.prompt.load_text(f"[[deltas={deltas}]] answer {number}")
            passes.take()
            start = time.perf_counter()
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            seconds = time.perf_counter() - start
            streamed = passes.take()
            # Idle: whatever the app does once a reply ended (parking, the memory release a
            # moment after it) has run.
            await asyncio.sleep(SETTLE_SECONDS)
            # And the release after this reply has run (measured before it, the reply's garbage counts).
            waited = time.monotonic()
            while has_release and len(releases) < number and time.monotonic() - waited < RELEASE_WAIT_SECONDS:
                await asyncio.sleep(0.05)
            for _ in range(5):
                await pilot.pause()
            settled = passes.take()
            box = screen.view.boxes()[-1]
            assert box.message.status == "complete", box.message.error
            row = {
                "gc_full": sum(1 for p in streamed if p[0] == 2),
                "gc_stream_wall": longest_ms(streamed)[0],
                "gc_stream_cpu": longest_ms(streamed)[1],
                "gc_after_wall": longest_ms(settled)[0],
                "gc_after_cpu": longest_ms(settled)[1],
                "frozen": gc.get_freeze_count(),
                "released": len(releases),
                "release_wait": time.monotonic() - waited,
                "chars": len(box.copy_text),
                "seconds": seconds,
                "peak": peak_rss_mb(),
                "settled": rss_mb(),
                "objects": len(gc.get_objects()),
                # Python's memory blocks in use (frozen or not, tracked or not: strings, ints too):
                # beside RSS, what grows in the Python heap and what is the allocator's.
                "memory_blocks": sys.getallocatedblocks(),
                "blocks": len(app.screen.query("MarkdownBlock")),
                # Every widget of the screen: each costs ~22 kB mounted (queue, task, styles, caches).
                "widgets": sum(1 for _ in app.screen.walk_children()),
                # The reply's text as Python holds it (1, 2 or 4 bytes a character: Chinese makes 2),
                # the floor of what a reply must keep: "flat" is measured against it.
                "text_mb": sys.getsizeof(box.message.text) / 2**20,
                **heap_split(),
            }
            if trace:
                # What stays, not what awaits the collector: a full collection first (timed:
                # the app pays this, at some point, for every reply's garbage).
                before = time.perf_counter()
                row["garbage"] = gc.collect()
                row["collect_ms"] = (time.perf_counter() - before) * 1000
                row["objects_live"] = len(gc.get_objects())
                row["heap"] = tracemalloc.get_traced_memory()[0] / 2**20
                if number in (diff_from, replies):
                    snapshots[number] = tracemalloc.take_snapshot()
                    counts[number] = type_counts()
            rows.append(row)
        if not trace:
            # What no collection reached (frozen, or waiting for Python's next full pass): one
            # full collection over everything, as a measure only (the app never forces one).
            gc.unfreeze()
            cpu = time.process_time()
            rows[-1]["left_garbage"] = gc.collect()
            rows[-1]["left_collect_ms"] = (time.process_time() - cpu) * 1000
            trim_heap()
            rows[-1]["after_full"] = rss_mb()
    passes.close()
    result: dict[str, Any] = {"start": start_rss, "rows": rows, "releases": releases}
    if trace and diff_from in snapshots and replies in snapshots and diff_from != replies:
        keep = [tracemalloc.Filter(False, tracemalloc.__file__)]
        old = snapshots[diff_from].filter_traces(keep)
        new = snapshots[replies].filter_traces(keep)
        stats = new.compare_to(old, "traceback")
        top = []
        for stat in stats[:25]:
            lines = [f"{f.filename.split('site-packages/')[-1]}:{f.lineno}" for f in stat.traceback]
            top.append({"kB": stat.size_diff / 1024, "count": stat.count_diff, "where": lines[-frames:]})
        result["top"] = top
        by_file = new.compare_to(old, "filename")
        result["by_file"] = [
            {"kB": s.size_diff / 1024, "file": s.traceback[0].filename.split("site-packages/")[-1]}
            for s in by_file[:15]
        ]
        grown = counts[replies] - counts[diff_from]
        result["types"] = grown.most_common(20)
    else:
        result["trim"] = trimmable_mb()
    return result


def run_child(url: str, args: argparse.Namespace, trace: bool, tree: Path | None = None) -> dict[str, Any]:
    """One app process (``tree``: the checkout whose ``liaobots_tui`` it runs; default: as imported)."""
    replies, deltas = (args.trace_replies, args.trace_deltas) if trace else (args.replies, args.deltas)
    env = None if tree is None else {**os.environ, "PYTHONPATH": str(tree)}
    with tempfile.TemporaryDirectory() as tmpdir:
        command = [sys.executable, __file__, "--child", url, tmpdir, "--replies", str(replies),
                   "--deltas", str(deltas), "--frames", str(args.frames),
                   "--diff-from", str(args.diff_from)]  # fmt: skip
        if trace:
            command.append("--trace")
        out = subprocess.run(command, capture_output=True, text=True, check=False, env=env, cwd=tree)
    if out.returncode:
        raise RuntimeError(f"the app process failed ({tree or 'this tree'}):\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


#: The parts of heap_split a report shows: (key, label).
HEAP_PARTS = (("anonymous", "anonymous RSS"), ("py_used", "pymalloc used"), ("py_free", "pymalloc free"),
              ("glibc_used", "glibc used"), ("glibc_free", "glibc free"), ("glibc_mmap", "glibc mmapped"),
              ("glibc_threads", "threads' arenas"), ("sqlite", "SQLite"))  # fmt: skip


def heap_line(row: dict[str, float]) -> str:
    """One reply's heap split (see heap_split), MB."""
    return (f"anonymous {row.get('anonymous', 0):.1f} MB = pymalloc {row['py_used']:.1f} used + "
            f"{row['py_free']:.1f} free in {row['py_arenas']:.0f} arenas; "
            f"glibc heap {row.get('glibc_used', 0):.1f} used + {row.get('glibc_free', 0):.1f} free, "
            f"{row.get('glibc_mmap', 0):.1f} mmapped, {row.get('glibc_arenas', 0):.0f} arenas "
            f"({row.get('glibc_threads', 0):.1f} in threads' ones); "
            f"of it SQLite {row['sqlite']:.2f}")  # fmt: skip


#: "Flat": settled RSS grows per reply (after the second) by at most the reply's own text as
#: Python holds it plus this much (MB): a turn's few widgets (~8 of ~22 kB), its pieces'
#: records and allocator slack. A leak (a widget tree per block kept, the text twice) is
#: several times that.
FLAT_SLACK_MB = 0.5


def flat_line(rows: list[dict[str, float]]) -> str:
    """Growth per reply from reply 2 to the last (settled RSS and Python's memory blocks) against
    the reply's text: the verdict on "flat" (see FLAT_SLACK_MB)."""
    replies = len(rows) - 2
    per_reply = (rows[-1]["settled"] - rows[1]["settled"]) / replies
    text = max(row.get("text_mb", 0.0) for row in rows)
    blocks = (rows[-1].get("memory_blocks", 0) - rows[1].get("memory_blocks", 0)) / replies
    widgets = (rows[-1].get("widgets", 0) - rows[1].get("widgets", 0)) / replies
    verdict = "flat" if per_reply <= text + FLAT_SLACK_MB else "NOT flat"
    return (f"from reply 2 to {len(rows)}: {per_reply:+.2f} MB a reply (its text {text:.2f} MB + "
            f"{per_reply - text:+.2f}), {blocks:+,.0f} memory blocks and {widgets:+.0f} widgets a "
            f"reply: {verdict} (<= text + {FLAT_SLACK_MB} MB)")  # fmt: skip


def late_releases(rows: list[dict[str, float]]) -> str:
    """Replies whose memory release ran after the settle time (the bench waited for it), or ""."""
    late = [row["release_wait"] for row in rows if row.get("release_wait", 0.0) > 0.1]
    missing = sum(1 for number, row in enumerate(rows, 1) if row.get("released", number) < number)
    text = f"; the release came late after {len(late)} replies (up to +{max(late):.1f} s)" if late else ""
    return text + (f"; NO release after {missing} replies" if missing else "")


def report(args: argparse.Namespace, result: dict[str, Any]) -> None:
    rows = result["rows"]
    print(f"memory per reply: {args.replies} replies in one chat, unpaced, fresh app process; {load()}")
    previous = result["start"]
    print(f"  app started: {previous:.0f} MB")
    for number, row in enumerate(rows, 1):
        print(f"  reply {number}: {row['chars'] / 1000:,.0f} kB in {row['seconds']:.1f} s; settled "
              f"{row['settled']:.0f} MB ({row['settled'] - previous:+.1f} MB), peak {row['peak']:.0f} MB; "
              f"{row['objects']:,.0f} objects ({row.get('frozen', 0):,.0f} frozen), "
              f"{row['blocks']:.0f} block widgets")  # fmt: skip
        if "gc_stream_cpu" in row:
            print(f"      longest gc pass while it streamed {row['gc_stream_cpu']:.0f} ms CPU "
                  f"({row['gc_stream_wall']:.0f} wall, {row['gc_full']} full passes); after it "
                  f"{row['gc_after_cpu']:.0f} ms CPU ({row['gc_after_wall']:.0f} wall)")  # fmt: skip
        if "py_used" in row:
            print(f"      {heap_line(row)}")
        previous = row["settled"]
    if len(rows) > 2 and "py_used" in rows[1]:
        first, last = rows[1], rows[-1]
        print(
            f"  from reply 2 to {len(rows)}: "
            + ", ".join(f"{label} {last.get(key, 0) - first.get(key, 0):+.1f}" for key, label in HEAP_PARTS)
            + " MB"
        )
    growth = [b["settled"] - a["settled"] for a, b in zip(rows, rows[1:], strict=False)]
    if growth:
        print(f"  growth per reply after the first: {', '.join(f'{g:+.1f}' for g in growth)} MB "
              f"(target: flat, < 350 MB after two)")  # fmt: skip
    if len(rows) > 2:
        print(f"  {flat_line(rows)}{late_releases(rows)}")
    if result.get("releases"):
        walls = [wall * 1000 for wall, _ in result["releases"]]
        cpus = [cpu * 1000 for _, cpu in result["releases"]]
        print(f"  the app's memory release after each reply (a loop stall, 0.5 s after the end): "
              f"{min(walls):.0f}-{max(walls):.0f} ms wall, "
              f"{min(cpus):.0f}-{max(cpus):.0f} ms CPU")  # fmt: skip
    last = rows[-1]
    if "left_garbage" in last:
        print(f"  garbage left after the last reply (a full collection over everything, forced by the bench "
              f"only): {last['left_garbage']:,} objects, {last['left_collect_ms']:.0f} ms CPU; then "
              f"{last['after_full']:.0f} MB")  # fmt: skip
    print(f"  malloc_trim(0) afterwards would return {result['trim']:.1f} MB")


def report_ab(args: argparse.Namespace) -> None:
    """Two checkouts alternating, one fresh app process each per round: RSS per reply and gc pauses."""
    trees = [Path(t).resolve() for t in args.trees]
    print(f"memory per reply, A/B: {args.replies} replies of {args.deltas:,} deltas, unpaced; "
          f"{args.rounds} rounds alternating {' vs '.join(map(str, trees))}")  # fmt: skip
    for number in range(1, args.rounds + 1):
        for tree in trees:
            gateway = GatewayProcess(0.0, balance=BALANCE)  # a fresh one: its own credits
            try:
                result = run_child(gateway.url, args, trace=False, tree=tree)
            except RuntimeError as error:
                print(f"  round {number} {tree.name or tree}: {error}")
                continue
            finally:
                gateway.close()
            rows = result["rows"]
            settled = "/".join(f"{row['settled']:.0f}" for row in rows)
            pairs = zip(rows, rows[1:], strict=False)
            growth = ", ".join(f"{b['settled'] - a['settled']:+.1f}" for a, b in pairs)
            memory_blocks = "/".join(f"{row.get('memory_blocks', 0) / 1000:.0f}" for row in rows)
            arenas = "/".join(f"{row.get('glibc_arenas', 0):.0f}" for row in rows)
            threads_mb = "/".join(f"{row.get('glibc_threads', 0):.1f}" for row in rows)
            stream_gc = max(row["gc_stream_cpu"] for row in rows)
            after_gc = max(row["gc_after_cpu"] for row in rows)
            cpus = [cpu * 1000 for _, cpu in result.get("releases", [])]
            release = f"; the release {min(cpus):.0f}-{max(cpus):.0f} ms CPU" if cpus else ""
            if len(rows) > 2 and "py_used" in rows[1]:
                release += (
                    f"; reply 2 to {len(rows)}: "
                    + ", ".join(
                        f"{label} {rows[-1].get(key, 0) - rows[1].get(key, 0):+.1f}"
                        for key, label in HEAP_PARTS
                    )
                    + " MB"
                )
            if len(rows) > 2:
                release += f"; {flat_line(rows)}"
            release += late_releases(rows)
            print(f"  round {number} {tree.name or tree}: settled {settled} MB (per reply after the first: "
                  f"{growth}); Python memory blocks {memory_blocks} thousand; glibc arenas {arenas} "
                  f"(threads' {threads_mb} MB); "
                  f"longest gc pass CPU: streaming {stream_gc:.0f} ms, after a reply "
                  f"{after_gc:.0f} ms{release}; {rows[-1]['objects']:,.0f} objects at the end, "
                  f"garbage not reached "
                  f"{rows[-1].get('left_garbage', 0):,} ({rows[-1].get('after_full', 0):.0f} MB once "
                  f"collected); {load()}")  # fmt: skip


#: Characters the demo gateway's Markdown reply holds per delta (33,000 deltas: 161,871 characters).
CHARS_PER_DELTA = 161_871 / 33_000


def deltas_for(kilobytes: float) -> int:
    """Deltas of the demo gateway's Markdown reply of about ``kilobytes`` kB (1,000 characters)."""
    return max(1, round(kilobytes * 1000 / CHARS_PER_DELTA))


def size_line(rows: list[dict[str, float]], start: float) -> str:
    """One size's figures: RSS at start, then peak and settled per reply, growth per repeat."""
    first = rows[0]
    line = (f"{first['chars'] / 1000:,.0f} kB ({first['text_mb']:.2f} MB as Python holds it) in "
            f"{first['seconds']:.1f} s: started {start:.0f} MB, peak {first['peak']:.0f} MB "
            f"({first['peak'] - start:+.1f}), settled {first['settled']:.0f} MB "
            f"({first['settled'] - start:+.1f})")  # fmt: skip
    if len(rows) > 1:
        peaks = "/".join(f"{row['peak']:.0f}" for row in rows[1:])
        settled = "/".join(f"{row['settled']:.0f}" for row in rows[1:])
        pairs = zip(rows, rows[1:], strict=False)
        growth = ", ".join(f"{b['settled'] - a['settled']:+.2f}" for a, b in pairs)
        line += f"; repeats: peak {peaks} MB, settled {settled} MB (per repeat {growth} MB)"
    if len(rows) > 2:
        line += f"; {flat_line(rows)}"
    return line + late_releases(rows)


def report_sizes(args: argparse.Namespace) -> None:
    """Peak and settled RSS per reply size, each size in a fresh app process (per tree with --trees)."""
    trees: list[Path | None] = [Path(t).resolve() for t in args.trees] if args.trees else [None]
    sizes = ", ".join(f"{kb:g}" for kb in args.sizes)
    print(f"memory per reply size: {sizes} kB Markdown replies, {args.repeat} of each in one chat, "
          f"unpaced, a fresh app process per size; {load()}")  # fmt: skip
    for kilobytes in args.sizes:
        for number in range(1, args.rounds + 1 if args.trees else 2):
            for tree in trees:
                args.replies, args.deltas = args.repeat, deltas_for(kilobytes)
                gateway = GatewayProcess(0.0, balance=BALANCE)
                try:
                    result = run_child(gateway.url, args, trace=False, tree=tree)
                except RuntimeError as error:
                    print(f"  {kilobytes:g} kB {tree or ''}: {error}")
                    continue
                finally:
                    gateway.close()
                who = f" round {number} {tree.name}" if tree is not None else ""
                print(f"  {kilobytes:g} kB{who}: {size_line(result['rows'], result['start'])}; {load()}")


def report_trace(args: argparse.Namespace, traced: dict[str, Any]) -> None:
    print(f"traced run (tracemalloc, {args.trace_replies} replies of {args.trace_deltas:,} deltas; "
          f"its RSS is not comparable): Python heap after each reply")  # fmt: skip
    for number, row in enumerate(traced["rows"], 1):
        print(f"  reply {number}: {row['objects']:,.0f} objects, of which {row['garbage']:,.0f} garbage "
              f"(full collection {row['collect_ms']:.0f} ms under tracing); then heap {row['heap']:.1f} MB, "
              f"{row['objects_live']:,.0f} objects")  # fmt: skip
    print(f"  heap growth from reply {args.diff_from} to {args.trace_replies}, by file:")
    for entry in traced.get("by_file", []):
        print(f"    {entry['kB']:+9.1f} kB  {entry['file']}")
    print("  by traceback (innermost last):")
    for entry in traced.get("top", []):
        print(f"    {entry['kB']:+9.1f} kB in {entry['count']:+d} blocks")
        for where in entry["where"]:
            print(f"        {where}")
    print("  object types whose count grew:")
    for name, count in traced.get("types", []):
        print(f"    {count:+8d}  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replies", type=int, default=5)
    parser.add_argument("--deltas", type=int, default=33_000, help="deltas per reply (33,000: ~160 kB)")
    parser.add_argument("--trace", action="store_true", help="also a tracemalloc run: what holds memory")
    parser.add_argument("--only-trace", action="store_true", help="the tracemalloc run alone")
    parser.add_argument("--trace-replies", type=int, default=4)
    parser.add_argument("--trace-deltas", type=int, default=12_000, help="tracing is slow: shorter replies")
    parser.add_argument("--frames", type=int, default=10, help="traceback depth for --trace")
    parser.add_argument("--diff-from", type=int, default=2, help="--trace: compare this reply with the last")
    parser.add_argument(
        "--trees",
        nargs="+",
        metavar="TREE",
        help="two or more checkouts run alternately (each round: one app process per checkout)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="--trees: rounds")
    parser.add_argument(
        "--sizes", nargs="+", type=float, metavar="KB", help="reply sizes (kB): peak and settled RSS each"
    )
    parser.add_argument("--repeat", type=int, default=3, help="--sizes: replies of each size in one chat")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, tmpdir = args.child
        result = asyncio.run(child(url, Path(tmpdir), args.replies, args.deltas, args.trace,
                                   args.frames, args.diff_from))  # fmt: skip
        print(json.dumps(result))
        return
    if args.sizes:
        report_sizes(args)
        return
    if args.trees:
        if len(args.trees) < 2:
            parser.error("--trees needs at least two checkouts")
        report_ab(args)
        return
    gateway = GatewayProcess(0.0, balance=BALANCE)
    try:
        if not args.only_trace:
            report(args, run_child(gateway.url, args, trace=False))
        if args.trace or args.only_trace:
            report_trace(args, run_child(gateway.url, args, trace=True))
    finally:
        gateway.close()


if __name__ == "__main__":
    main()
