"""What opening a chat that holds a huge reply costs beyond starting the app, measured in one run.

``bench/app_startup.py``'s ``huge`` scenario times the whole process, start-up
included, so a faster start-up hides a slower open and the other way round. Here each
round runs, in the same terminal and alternated, the app on a small history (20 chats
of 4 short messages) and on the same history whose newest chat holds one reply of
``--huge-mb`` MB of realistic Markdown. What the huge reply adds is the difference
(per round, CPU and wall time to the reply's last words drawn); the target is that it
does not grow with the reply (< 2 s whole, < 300 MB).

``--baseline DIR`` runs another checkout (e.g. ``/work/main``) in the same rounds and
prints the ratios.

The CPU time of a whole process at a load of 10+ on 2 cores varies by +-0.5 s run to run,
more than some of what is measured; so each round also times, in a fresh process per tree,
the two steps that read the reply before it is drawn: the store's load of the chat, and
building the history widget for the reply (``LazyText``: cutting the text into sections), and
then what reading the whole text costs (a tree that reads a huge reply from its end first does
that after the first paint, in a thread; the baseline has read it already: 0).

    python bench/open_huge.py [--runs 3] [--huge-mb 50] [--baseline /work/main]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from app_startup import (  # noqa: E402  (a sibling bench script, not a package)
    HERE,
    HUGE_MARKER,
    NEWEST_MARKER,
    Run,
    _app_argv,
    _env,
    run_in_terminal,
    seed_history,
)


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


#: Run in a fresh process with a tree on the path: CPU seconds of the steps before the first paint.
STEPS = """
import json, sys, time
from pathlib import Path
from liaobots_tui.store import Store
from liaobots_tui.ui.widgets.lazy_text import LazyText
home = Path(sys.argv[1])
with Store(home / "history.sqlite3", home / "images") as store:
    cid = store.latest_conversation_id()
    start = time.process_time()
    part = store.load_conversation(cid).messages[-1].message.parts[0]
    # A tree that reads a huge text lazily hands the view its stored text (read from the end).
    stored = getattr(part, "stored", None)
    if stored is None or stored.loaded:
        stored = part.text
    loaded = time.process_time()
    widget = LazyText(stored)
    built = time.process_time()
    whole = len(part.text)
    read = time.process_time()
    print(json.dumps({"load": loaded - start, "widget": built - loaded, "sections": len(widget.sections),
                      "whole": read - built}))
"""


def steps(tree: Path, home: Path) -> dict[str, float]:
    """The CPU time of the store's load and of the reply's widget, in a fresh process on ``tree``."""
    import json
    import subprocess

    env = _env(tree, home)
    out = subprocess.run(
        [sys.executable, "-c", STEPS, str(home)], env=env, capture_output=True, text=True, check=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--huge-mb", type=float, default=50.0)
    parser.add_argument("--baseline", type=Path, help="another checkout, run in the same rounds")
    args = parser.parse_args()
    trees = ([args.baseline.resolve()] if args.baseline else []) + [HERE]
    with tempfile.TemporaryDirectory() as tmp:
        small, huge = Path(tmp) / "small", Path(tmp) / "huge"
        small.mkdir()
        huge.mkdir()
        seed_history(small, 20)
        seed_history(huge, 20, huge_mb=args.huge_mb)
        runs: dict[tuple[Path, str], list[Run]] = {(t, k): [] for t in trees for k in ("small", "huge")}
        timed: dict[Path, list[dict[str, float]]] = {tree: [] for tree in trees}
        for round_ in range(args.runs):
            for tree in trees:  # alternated: the same load for both
                load = os.getloadavg()[0]
                small_run = run_in_terminal(_app_argv(), _env(tree, small), NEWEST_MARKER)
                huge_run = run_in_terminal(_app_argv(), _env(tree, huge), HUGE_MARKER)
                timed[tree].append(steps(tree, huge))
                runs[tree, "small"].append(small_run)
                runs[tree, "huge"].append(huge_run)
                print(
                    f"round {round_ + 1} [{tree}] load {load:.1f}: small {small_run.cpu:.2f} s cpu"
                    f" ({small_run.first_paint:.2f} s wall), huge {huge_run.cpu:.2f} s cpu"
                    f" ({huge_run.first_paint:.2f} s wall), {huge_run.rss_mb:.0f} MB at paint,"
                    f" {huge_run.settled_rss_mb:.0f} MB settled; in-process: store load"
                    f" {timed[tree][-1]['load']:.2f} s, widget {timed[tree][-1]['widget']:.3f} s cpu"
                    f" ({timed[tree][-1]['sections']:.0f} sections cut before the first paint),"
                    f" the whole text read after it {timed[tree][-1]['whole']:.2f} s",
                    flush=True,
                )
    summary: dict[Path, tuple[float, float]] = {}
    for tree in trees:
        small_runs, huge_runs = runs[tree, "small"], runs[tree, "huge"]
        pairs = list(zip(small_runs, huge_runs, strict=True))
        added_cpu = _median([h.cpu - s.cpu for s, h in pairs])
        added_wall = _median([h.first_paint - s.first_paint for s, h in pairs])
        whole = _median([h.cpu for h in huge_runs])
        summary[tree] = (added_cpu, whole)
        print(
            f"{tree}: open a {args.huge_mb:g} MB reply: whole {whole:.2f} s cpu"
            f" ({_median([h.first_paint for h in huge_runs]):.2f} s wall), beyond start-up"
            f" {added_cpu:.2f} s cpu ({added_wall:.2f} s wall); peak RSS"
            f" {max(h.rss_mb for h in huge_runs):.0f} MB at paint,"
            f" {max(h.settled_rss_mb for h in huge_runs):.0f} MB settled; in-process medians: store load"
            f" {_median([t['load'] for t in timed[tree]]):.2f} s, widget"
            f" {_median([t['widget'] for t in timed[tree]]):.3f} s cpu, the whole text read after the"
            f" first paint {_median([t['whole'] for t in timed[tree]]):.2f} s"
        )
    if len(trees) == 2:
        (before_added, before_whole), (after_added, after_whole) = (summary[t] for t in trees)
        print(
            f"  this tree / baseline: beyond start-up {after_added / max(before_added, 1e-3):.2f}x cpu,"
            f" whole {after_whole / before_whole:.2f}x cpu"
        )


if __name__ == "__main__":
    main()
