"""Peak memory and time-to-error of `liaobots ask` against a gateway that attacks it.

Three attacks from ``tests/hardening/hostile_gateway.py``: one 300 MB SSE line, a
line that never ends, and a gzip body of ~2 MB that inflates to 2 GiB. For each,
the real CLI runs in a subprocess; the figures are its peak RSS (``wait4``) and
the seconds from the moment the gateway had sent 64 MB of decoded bytes (the
line cap) to the moment the CLI exited with its one-line error. Targets: peak
RSS < 400 MB, error within 5 s of the cap.

With ``--compare PATH`` the same runs use the code at PATH (e.g. ``/work/main``)
as well, side by side; those runs get a 2 GiB address-space limit so an
unbounded client cannot take the machine down (it fails with MemoryError there).

    python bench/hostile_gateway.py [--compare /work/main]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.hardening.hostile_gateway import Attack, HostileGateway, gzip_size  # noqa: E402

CODE = "bench-hostile-0123456789"
MiB = 1024 * 1024
RSS_TARGET_MB = 400
ERROR_TARGET_S = 5.0
#: Address-space limit for the comparison runs (old code may try to hold it all).
SAFETY_CAP = 2048 * MiB

ATTACKS = [
    (Attack.HUGE_LINE, "300 MB line"),
    (Attack.ENDLESS_LINE, "endless line"),
    (Attack.GZIP_BOMB, "2 MB gzip -> 2 GiB"),
]


@dataclass
class Run:
    peak_rss_mb: float
    seconds_after_cap: float | None
    exit_code: int
    last_line: str


def run_cli(code_root: Path, attack: Attack, *, cap_memory: bool) -> Run:
    with HostileGateway(attack, CODE) as gateway, tempfile.TemporaryDirectory() as home:
        env = {
            **os.environ,
            "PYTHONPATH": str(code_root),
            "LIAOBOTS_AUTH_CODE": CODE,
            "LIAOBOTS_BASE_URL": gateway.url,
            "XDG_DATA_HOME": f"{home}/data",
            "XDG_CONFIG_HOME": f"{home}/config",
            "XDG_CACHE_HOME": f"{home}/cache",
        }

        def limit() -> None:
            if cap_memory:
                resource.setrlimit(resource.RLIMIT_AS, (SAFETY_CAP, SAFETY_CAP))

        err_path = Path(home) / "stderr"
        with open(err_path, "w") as err, open(os.devnull, "w") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "liaobots_tui", "ask", "hello"],
                cwd=code_root,
                env=env,
                stdout=out,
                stderr=err,
                preexec_fn=limit,
            )
            _, status, usage = os.wait4(proc.pid, 0)
            ended = time.monotonic()
        proc.returncode = os.waitstatus_to_exitcode(status)
        lines = err_path.read_text(errors="replace").strip().splitlines()
        after_cap = ended - gateway.marked[0] if gateway.marked else None
        return Run(usage.ru_maxrss / 1024, after_cap, proc.returncode, lines[-1][:150] if lines else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", type=Path, help="another checkout to measure side by side (/work/main)")
    args = parser.parse_args()

    print(f"gzip bomb on the wire: {gzip_size(2048 * MiB) / MiB:.1f} MB inflating to 2048 MB")
    header = f"{'attack':<20} {'code':<8} {'peak RSS':>10} {'after cap':>10} {'exit':>5}  last stderr line"
    print(header)
    print("-" * len(header))
    ok = True
    for attack, label in ATTACKS:
        runs = [("this", run_cli(ROOT, attack, cap_memory=False))]
        if args.compare:
            runs.append(("compare", run_cli(args.compare, attack, cap_memory=True)))
        for name, run in runs:
            after = f"{run.seconds_after_cap:.2f} s" if run.seconds_after_cap is not None else "n/a"
            rss = f"{run.peak_rss_mb:>7.0f} MB"
            print(f"{label:<20} {name:<8} {rss} {after:>10} {run.exit_code:>5}  {run.last_line}")
        mine = runs[0][1]
        ok = ok and mine.peak_rss_mb < RSS_TARGET_MB
        ok = ok and mine.seconds_after_cap is not None and mine.seconds_after_cap < ERROR_TARGET_S
        if len(runs) == 2:
            ratio = runs[1][1].peak_rss_mb / mine.peak_rss_mb
            print(f"{'':<20} ratio    {ratio:>7.1f}x peak RSS (compare / this)")
    print(f"targets (peak RSS < {RSS_TARGET_MB} MB, error within {ERROR_TARGET_S:g} s of the cap): "
          f"{'met' if ok else 'MISSED'}")  # fmt: skip


if __name__ == "__main__":
    main()
