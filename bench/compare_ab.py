"""The compare scene of ``bench/compare_stream.py``, alternating two checkouts in one run (A/B).

Timing on a shared machine drifts with the load, so a figure is only worth comparing
with one taken at the same time: each round runs the scene (three models streaming N
deltas each into the compare screen, or one model in the chat screen with ``--chat``)
once per checkout, each in a fresh process with that checkout first on the path and
using that checkout's own ``bench/compare_stream.py``. Per run: the longest and 99th
percentile event-loop stall in CPU time of the app's process (its own work, others'
load left out) and in wall time, the whole run's CPU time, and the load average.

    python bench/compare_ab.py /work/main . [--pace 400] [--rounds 3] [--deltas 3000] [--chat]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import asyncio, json, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, str(Path(sys.argv[1]) / "bench"))
from app_harness import GatewayProcess
import compare_stream

async def main(pace: float, deltas: int, compare: bool) -> None:
    gateway = GatewayProcess(1.0 / pace if pace else 0.0)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            cpu = time.process_time()
            prompt = f"[[deltas={deltas}]] compare a long answer"
            result = await compare_stream.in_app(gateway.url, prompt, Path(tmp), compare=compare)
            result["cpu_total"] = time.process_time() - cpu
            print(json.dumps(result))
    finally:
        gateway.close()

asyncio.run(main(float(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "compare"))
"""


def run_once(tree: Path, pace: float, deltas: int, compare: bool) -> dict[str, float] | None:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    args = [sys.executable, "-c", CHILD, str(tree), str(pace), str(deltas), "compare" if compare else "chat"]
    done = subprocess.run(args, env=env, cwd=tree, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        print(f"  {tree}: failed\n{done.stderr[-2000:]}")
        return None
    result: dict[str, float] = json.loads(lines[-1])
    result["load"] = os.getloadavg()[0]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs=2, type=Path, help="two checkouts: A (e.g. /work/main) and B")
    parser.add_argument("--pace", type=float, default=400.0, help="deltas/s per model (0: unpaced)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--deltas", type=int, default=3000)
    parser.add_argument("--chat", action="store_true", help="one model in the chat screen instead")
    args = parser.parse_args()
    trees = [tree.resolve() for tree in args.trees]
    scene = "1 model in the chat screen" if args.chat else "3 models in the compare screen"
    how = f"paced at {args.pace:,.0f} deltas/s per model" if args.pace else "unpaced"
    print(f"{scene}, {args.deltas:,} deltas each, {how}, {args.rounds} round(s)")
    print(f"A = {trees[0]}, B = {trees[1]}")
    results: dict[Path, list[dict[str, float]]] = {tree: [] for tree in trees}
    for round_number in range(args.rounds):
        for name, tree in zip("AB", trees, strict=True):
            result = run_once(tree, args.pace, args.deltas, not args.chat)
            if result is None:
                continue
            results[tree].append(result)
            print(
                f"round {round_number + 1} {name}: longest stall {result['cpu_longest'] * 1000:5.0f} ms CPU"
                f" (p99 {result['cpu_p99'] * 1000:5.0f}), {result['longest'] * 1000:5.0f} ms wall"
                f" (p99 {result['p99'] * 1000:5.0f}); run {result['cpu_total']:.1f} s CPU,"
                f" {result['total']:.1f} s wall; load {result['load']:.1f}",
                flush=True,
            )
    a, b = (results[tree] for tree in trees)
    target_ms = 50 if args.chat else 100  # issue 11's paced chat stall; issue 13's Compare
    if a and b:
        for label, key in (("longest stall, CPU", "cpu_longest"), ("p99 stall, CPU", "cpu_p99")):
            a_ms = [r[key] * 1000 for r in a]
            b_ms = [r[key] * 1000 for r in b]
            ratio = statistics.median(a_ms) / max(statistics.median(b_ms), 1e-6)
            a_range = f"{min(a_ms):5.0f}-{max(a_ms):5.0f} ms"
            b_range = f"{min(b_ms):5.0f}-{max(b_ms):5.0f} ms"
            verdict = f"median A/B {ratio:.2f}x; target < {target_ms} ms"
            print(f"{label:20s} A {a_range} | B {b_range}  ({verdict})")


if __name__ == "__main__":
    main()
