"""Where a test run's time goes: each test's wall time against its CPU time, and each worker's fixed costs.

A pytest plugin, loaded with ``-p bench.suite_census`` (in the controller and, through xdist, in
every worker), that writes one JSON file per process into ``$SUITE_CENSUS_DIR``. For every test
(setup, call and teardown together) it records the wall time, the process's CPU time (all its
threads: the fake gateway's threads count), the CPU of children reaped meanwhile (``liaobots``
subprocesses) and how long the main thread sat runnable but not running (``/proc`` schedstat: a
loaded machine). What is left, ``wall - cpu - children - run queue``, is time the worker's core
was offered and not used: the test was waiting (a read timeout, a subprocess, a thread, a poll).
Per process it records its start (from ``/proc``), the CPU spent before pytest loaded this plugin
(interpreter, pytest, plugins), collection (imports, assertion rewriting) and the end.

    SUITE_CENSUS_DIR=/tmp/census pytest -n auto -p no:cacheprovider -p bench.suite_census
    python -m bench.suite_census /tmp/census [--top 40]

Not a test: it prints figures, never judges them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _process_started_at() -> float:
    """This process's start, wall clock seconds since the epoch (``/proc/self/stat`` field 22)."""
    boot = next(
        float(line.split()[1])
        for line in Path("/proc/stat").read_text().splitlines()
        if line.startswith("btime")
    )
    fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    return boot + int(fields[19]) / _CLOCK_TICKS


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _children_cpu() -> float:
    times = os.times()
    return times.children_user + times.children_system


def _run_queue_wait() -> float:
    """Seconds the main thread has been runnable but not running (0 where schedstat is missing)."""
    try:
        return int(Path("/proc/thread-self/schedstat").read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


_LOADED_AT = time.time()
_CPU_AT_LOAD = _cpu()


class Census:
    """The figures of one process (the controller or one worker)."""

    def __init__(self) -> None:
        self.process: dict[str, Any] = {
            "name": os.environ.get("PYTEST_XDIST_WORKER", "controller"),
            "started": _process_started_at(),
            "plugin_loaded": _LOADED_AT,
            "cpu_at_plugin_load": _CPU_AT_LOAD,
        }
        self.tests: list[dict[str, Any]] = []
        self.failed: list[str] = []

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self) -> None:
        self.process["session_started"] = time.time()
        self.process["cpu_at_session_start"] = _cpu()

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self) -> None:
        self.process["collection_started"] = time.time()
        self.process["cpu_at_collection_start"] = _cpu()

    def pytest_collection_finish(self) -> None:
        self.process["collected"] = time.time()
        self.process["cpu_at_collected"] = _cpu()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, None, None]:
        wall, cpu, children, queued = time.time(), _cpu(), _children_cpu(), _run_queue_wait()
        yield
        end = time.time()
        self.tests.append(
            {
                "id": item.nodeid,
                "start": wall,
                "wall": end - wall,
                "cpu": _cpu() - cpu,
                "children": _children_cpu() - children,
                "queued": _run_queue_wait() - queued,
            }
        )

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self.failed.append(f"{report.nodeid} ({report.when})")

    def pytest_sessionfinish(self) -> None:
        folder = os.environ.get("SUITE_CENSUS_DIR")
        if not folder:
            return
        self.process["finished"] = time.time()
        self.process["cpu_at_finish"] = _cpu()
        self.process["children_cpu_at_finish"] = _children_cpu()
        path = Path(folder) / f"{self.process['name']}.json"
        path.write_text(json.dumps({"process": self.process, "tests": self.tests, "failed": self.failed}))


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(Census(), "suite_census")


# ---------------------------------------------------------------- report


def _waiting(test: dict[str, Any]) -> float:
    return max(0.0, float(test["wall"] - test["cpu"] - test["children"] - test["queued"]))


def report(folder: Path, top: int) -> None:
    """Print the waiting tests, each worker's idle and busy time, and the run's fixed costs."""
    runs = {path.stem: json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))}
    controller = runs.pop("controller", None)
    tests = [dict(test, worker=name) for name, run in runs.items() for test in run["tests"]]
    print(f"{len(tests)} tests on {len(runs)} workers")
    for name, run in runs.items():
        for failed in run.get("failed", []):
            print(f"FAILED in {name}: {failed}")
    print(f"\nThe {top} tests waiting longest (wall - cpu - children - run queue, seconds):")
    print(f"{'wait':>6} {'wall':>6} {'cpu':>6} {'child':>6} {'queue':>6}  test")
    for test in sorted(tests, key=_waiting, reverse=True)[:top]:
        print(
            f"{_waiting(test):6.2f} {test['wall']:6.2f} {test['cpu']:6.2f} {test['children']:6.2f}"
            f" {test['queued']:6.2f}  {test['worker']} {test['id']}"
        )
    by_file: dict[str, list[float]] = {}
    for test in tests:
        sums = by_file.setdefault(test["id"].split("::")[0], [0.0, 0.0, 0.0])
        sums[0] += _waiting(test)
        sums[1] += test["wall"]
        sums[2] += test["cpu"] + test["children"]
    print("\nFiles waiting longest (sum of waiting, wall, cpu incl. children):")
    for name, (waiting, wall, cpu) in sorted(by_file.items(), key=lambda kv: -kv[1][0])[:15]:
        print(f"{waiting:6.1f} {wall:6.1f} {cpu:6.1f}  {name}")
    end = max(run["process"]["finished"] for run in runs.values())
    begin = (
        controller["process"]["started"]
        if controller
        else min(r["process"]["started"] for r in runs.values())
    )
    print(f"\nRun: {end - begin:.1f} s from the controller's start to the last worker's end")
    print(
        f"{'worker':>8} {'start':>6} {'boot':>6} {'bootcpu':>7} {'collect':>7} {'collcpu':>7}"
        f" {'tests':>6} {'cpu':>6} {'child':>6} {'queue':>6} {'wait':>6} {'end':>6}"
    )
    if controller:
        p = controller["process"]
        print(
            f"{'ctl':>8} {0.0:6.1f} {p['session_started'] - p['started']:6.1f}"
            f" {p['cpu_at_session_start']:7.1f}   (to its session start, configure and warm-up included;"
            f" {p['cpu_at_finish']:.1f} s CPU in all)"
        )
    for name, run in runs.items():
        p, own = run["process"], run["tests"]
        started = p["started"] - begin
        boot = p.get("collection_started", p["plugin_loaded"]) - p["started"]
        collect = p.get("collected", p["finished"]) - p.get("collection_started", p["finished"])
        collect_cpu = p.get("cpu_at_collected", 0.0) - p.get("cpu_at_collection_start", 0.0)
        print(
            f"{name:>8} {started:6.1f} {boot:6.1f} {p.get('cpu_at_collection_start', 0.0):7.1f}"
            f" {collect:7.1f} {collect_cpu:7.1f} {sum(t['wall'] for t in own):6.1f}"
            f" {sum(t['cpu'] for t in own):6.1f} {sum(t['children'] for t in own):6.1f}"
            f" {sum(t['queued'] for t in own):6.1f} {sum(_waiting(t) for t in own):6.1f}"
            f" {p['finished'] - begin:6.1f}"
        )
    print(
        "(start: seconds after the controller started; boot: to collection start, bootcpu its CPU;"
        " collect: collection wall and CPU; tests: sum of test walls; end: worker's finish)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args(argv)
    report(args.folder, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
