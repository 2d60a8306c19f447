"""Overhead of `liaobots ask` over a bare httpx-sse loop on the same loopback stream.

Two measurements, each alternating A/B runs so machine noise hits both alike and
comparing medians:

* in-process: `cli.main(["ask", ...])` against an httpx-sse loop in this process
  (the hot loop alone, imports already paid);
* whole process: `python -m liaobots_tui ask ...` against `python -c <raw loop>`,
  start to exit, for a long reply (streaming cost) and a 1-delta reply (fixed
  cost: interpreter, imports, config, store, connection); and against the same
  raw loop importing httpx as lean as `liaobots` does (no httpx CLI extra, no
  trio), which leaves our own work as the difference.

Both sides read the same Chat Completions stream from the fake gateway (running
in this process) and write the text to /dev/null.

    python bench/stream_overhead.py [--deltas 10000] [--runs 7]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import httpx
from httpx_sse import aconnect_sse

from liaobots_tui import cli
from liaobots_tui.demo.gateway import FakeGateway

AUTH = "bench"

#: The raw client as its own process: the least a script can do for the same reply.
RAW_SCRIPT = """
import asyncio, json, sys
import httpx
from httpx_sse import aconnect_sse

async def main(base_url, prompt):
    body = {"model": "gpt-5.4", "stream": True, "messages": [{"role": "user", "content": prompt}]}
    out = sys.stdout
    async with httpx.AsyncClient(timeout=60) as client:
        async with aconnect_sse(client, "POST", base_url + "/v1/chat/completions", json=body,
                                headers={"Authorization": "Bearer bench"}) as source:
            async for sse in source.aiter_sse():
                if sse.data == "[DONE]":
                    break
                for choice in json.loads(sse.data).get("choices") or []:
                    text = choice.get("delta", {}).get("content")
                    if text:
                        out.write(text)
    out.write("\\n")
    out.flush()

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""

#: The same script with the two optional extras `liaobots` keeps out of httpx (api/lean_httpx.py):
#: httpx's command-line client (rich, click, pygments) and httpcore's trio support. Against this
#: one, what is left of the difference is our own start-up and per-delta work.
LEAN_RAW_SCRIPT = (
    "import sys\n"
    "sys.modules['httpx._main'] = None\n"
    "sys.modules['trio'] = None\n"
    "import httpx, httpcore\n"
    "del sys.modules['httpx._main'], sys.modules['trio']\n" + RAW_SCRIPT
)


async def raw_loop(base_url: str, prompt: str, sink: object) -> int:
    """The least a client can do: POST, iterate SSE, decode JSON, write the text."""
    body = {"model": "gpt-5.4", "stream": True, "messages": [{"role": "user", "content": prompt}]}
    count = 0
    async with httpx.AsyncClient(timeout=60) as client:
        headers = {"Authorization": f"Bearer {AUTH}"}
        async with aconnect_sse(client, "POST", f"{base_url}/v1/chat/completions", json=body,
                                headers=headers) as source:  # fmt: skip
            async for sse in source.aiter_sse():
                if sse.data == "[DONE]":
                    break
                chunk = json.loads(sse.data)
                for choice in chunk.get("choices") or []:
                    text = choice.get("delta", {}).get("content")
                    if text:
                        sink.write(text)  # type: ignore[attr-defined]
                        count += 1
    return count


def time_raw(base_url: str, prompt: str) -> float:
    with open(os.devnull, "w") as sink:
        start = time.perf_counter()
        asyncio.run(raw_loop(base_url, prompt, sink))
        return time.perf_counter() - start


def time_ask(prompt: str) -> float:
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        start = time.perf_counter()
        code = cli.main(["ask", "-m", "gpt-5.4", prompt])
        elapsed = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"liaobots ask failed with exit code {code}")
    return elapsed


#: Children run as an installed copy would: from bytecode (pip compiles what it installs), kept in a
#: cache of the bench's own so the checkout stays clean. Under PYTHONDONTWRITEBYTECODE every child
#: would compile our ~60 modules afresh (~130 ms) while the raw script's httpx loads compiled.
#: Both write to a buffered stdout, as they would for a user.
CHILD_ENV: dict[str, str] = {}


def time_process(command: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one child process, start to exit.

    The CPU time is the steadier figure on a loaded machine: waiting for a core is not in it.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False, env=CHILD_ENV
    )
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{command[:4]} failed ({done.returncode}): {done.stderr.decode(errors='replace')}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


Timing = tuple[float, float]  # (wall, cpu) seconds


def alternate(runs: int, commands: list[list[str]]) -> list[Timing]:
    """Median (wall, cpu) of each command over `runs` rounds that run them in turn, after one
    warm-up run each (which also writes the bytecode cache)."""
    for command in commands:
        time_process(command)
    samples: list[list[Timing]] = [[] for _ in commands]
    for _ in range(runs):
        for command, timings in zip(commands, samples, strict=True):
            timings.append(time_process(command))
    return [
        (statistics.median(s[0] for s in timings), statistics.median(s[1] for s in timings))
        for timings in samples
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deltas", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    prompt = f"benchmark [[deltas={args.deltas}]]"
    one = "benchmark [[deltas=1]]"
    with tempfile.TemporaryDirectory() as home, FakeGateway(auth_code=AUTH, balance=1e9) as gw:
        base = gw.urls[0]
        os.environ.update(LIAOBOTS_HOME=home, LIAOBOTS_AUTH_CODE=AUTH, LIAOBOTS_BASE_URL=base)
        CHILD_ENV.update(os.environ, PYTHONPYCACHEPREFIX=os.path.join(home, "pycache"))
        CHILD_ENV.pop("PYTHONDONTWRITEBYTECODE", None)
        CHILD_ENV.pop("PYTHONUNBUFFERED", None)  # stdout buffered as a user has it (else a syscall a write)
        time_raw(base, prompt)  # warm-up: imports, sockets, the gateway's reply cache
        time_ask(prompt)
        raw, ask = [], []
        for _ in range(args.runs):
            raw.append(time_raw(base, prompt))
            ask.append(time_ask(prompt))
        r, a = statistics.median(raw), statistics.median(ask)

        def raw_cmd(p: str) -> list[str]:
            return [sys.executable, "-c", RAW_SCRIPT, base, p]

        def ask_cmd(p: str) -> list[str]:
            return [sys.executable, "-m", "liaobots_tui", "ask", "-m", "gpt-5.4", p]

        def lean_raw_cmd(p: str) -> list[str]:
            return [sys.executable, "-c", LEAN_RAW_SCRIPT, base, p]

        (pr, pr_cpu), (pl, pl_cpu), (pa, pa_cpu) = alternate(
            args.runs, [raw_cmd(prompt), lean_raw_cmd(prompt), ask_cmd(prompt)]
        )
        (fr, fr_cpu), (fl, fl_cpu), (fa, fa_cpu) = alternate(
            args.runs, [raw_cmd(one), lean_raw_cmd(one), ask_cmd(one)]
        )
    print(f"load average         : {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"deltas per reply     : {args.deltas}, {args.runs} alternated runs, medians")
    print(f"in-process           : raw {r:.3f} s, ask {a:.3f} s, ratio {a / r:.2f}x")
    print(f"whole process, wall  : raw {pr:.3f} s, ask {pa:.3f} s, ratio {pa / pr:.2f}x  (target <= 1.15x)")
    print(f"whole process, cpu   : raw {pr_cpu:.3f} s, ask {pa_cpu:.3f} s, ratio {pa_cpu / pr_cpu:.2f}x")
    print(f"  vs lean raw, wall  : lean raw {pl:.3f} s, ratio {pa / pl:.2f}x")
    print(f"  vs lean raw, cpu   : lean raw {pl_cpu:.3f} s, ratio {pa_cpu / pl_cpu:.2f}x")
    print(f"1-delta reply, wall  : raw {fr:.3f} s, ask {fa:.3f} s, ask - raw {1000 * (fa - fr):+.0f} ms"
          f"  (target <= +60 ms)")  # fmt: skip
    print(f"1-delta reply, cpu   : raw {fr_cpu:.3f} s, ask {fa_cpu:.3f} s, "
          f"ask - raw {1000 * (fa_cpu - fr_cpu):+.0f} ms")  # fmt: skip
    print(f"  vs lean raw, wall  : lean raw {fl:.3f} s, ask - lean raw {1000 * (fa - fl):+.0f} ms")
    print(f"  vs lean raw, cpu   : lean raw {fl_cpu:.3f} s, "
          f"ask - lean raw {1000 * (fa_cpu - fl_cpu):+.0f} ms")  # fmt: skip
    sys.stdout.flush()


if __name__ == "__main__":
    main()
