"""What the app benchmarks share: the fake gateway in a child process, a stall watch, RSS.

``bench/tui_stream.py``, ``bench/compare_stream.py`` and ``bench/reply_memory.py`` import this
(run as scripts, ``bench/`` is first on ``sys.path``). The gateway runs in a subprocess:
in-process its threads would wait for the GIL behind the UI and the stream would look slower
than it is.
"""

from __future__ import annotations

import asyncio
import os
import resource
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

GATEWAY_CHILD = """
import sys
from liaobots_tui.demo.gateway import FakeGateway
gw = FakeGateway("demo", domains=1, delta_delay=float(sys.argv[1]), balance=float(sys.argv[2]))
gw.start()
print(gw.urls[0], flush=True)
sys.stdin.read()  # until the parent closes our stdin
gw.stop()
"""

#: Seconds the stall watch sleeps between looks at the loop.
TICK = 0.005


class GatewayProcess:
    """The fake gateway in a child process; ``url`` is its one domain."""

    def __init__(self, delta_delay: float = 0.0, balance: float = 100.0) -> None:
        # balance: the fake account's credits (each long reply costs some: a run of many runs out).
        self.proc = subprocess.Popen(
            [sys.executable, "-c", GATEWAY_CHILD, str(delta_delay), str(balance)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(10)


class StallWatch:
    """A ticker on the running loop: how late each 5 ms sleep woke up.

    Also the CPU time this process used during each stall: on a machine shared
    with other jobs a stall's wall time includes the time the OS gave to others,
    its CPU time is what the loop itself spent (what an idle machine would see).
    """

    def __init__(self) -> None:
        self.stalls: list[float] = []
        self.cpu: list[float] = []
        self._running = True
        self._task = asyncio.create_task(self._tick())

    async def _tick(self) -> None:
        while self._running:
            before, cpu_before = time.perf_counter(), time.process_time()
            await asyncio.sleep(TICK)
            self.stalls.append(time.perf_counter() - before - TICK)
            self.cpu.append(time.process_time() - cpu_before)

    async def stop(self) -> dict[str, float]:
        self._running = False
        await self._task
        return {
            "longest": max(self.stalls, default=0.0),
            "p99": p99(self.stalls),
            "cpu_longest": max(self.cpu, default=0.0),
            "cpu_p99": p99(self.cpu),
            "ticks": len(self.stalls),
        }


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0


def peak_rss_mb() -> float:
    """This process's peak RSS. VmHWM starts afresh at exec; ru_maxrss may include the parent's at fork."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    """This process's resident memory now (VmRSS)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mb()


def reset_peak() -> None:
    """Start VmHWM afresh (Linux: writing 5 to clear_refs), so each reply gets its own peak."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


@asynccontextmanager
async def chat_app(url: str, tmp: Path, size: tuple[int, int]) -> AsyncIterator[tuple[Any, Any]]:
    """The app on a fresh history in ``tmp``, talking to ``url``, booted and idle: (app, pilot)."""
    from liaobots_tui.config import Settings
    from liaobots_tui.store import Store
    from liaobots_tui.ui.app import LiaobotsApp

    with Store(tmp / "m.sqlite3", tmp / "img") as store:
        settings = Settings(auth_code="demo", base_urls=[url], model="gpt-5.4")
        app = LiaobotsApp(settings, store=store, config_path=tmp / "c.toml")
        async with app.run_test(size=size) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            yield app, pilot


def load() -> str:
    """The load average beside a figure (timing on a shared machine is noisy)."""
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
