"""Overhead of `liaobots ask` over a bare httpx-sse loop, streaming one long reply.

Both sides read the same ≥20,000-delta Chat Completions stream from the fake
gateway and write the text to /dev/null; runs alternate so machine noise hits
both alike. Prints the ratio of medians (target ≤ 1.3×).

    python bench/stream_overhead.py [--deltas 20000] [--runs 7]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time

import httpx
from httpx_sse import aconnect_sse

from liaobots_tui import cli
from liaobots_tui.demo.gateway import FakeGateway

AUTH = "bench"


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deltas", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    prompt = f"benchmark [[deltas={args.deltas}]]"
    with tempfile.TemporaryDirectory() as home, FakeGateway(auth_code=AUTH, balance=1e9) as gw:
        os.environ.update(LIAOBOTS_HOME=home, LIAOBOTS_AUTH_CODE=AUTH, LIAOBOTS_BASE_URL=gw.urls[0])
        time_raw(gw.urls[0], prompt)  # warm-up: imports, sockets, the gateway's reply cache
        time_ask(prompt)
        raw, ask = [], []
        for _ in range(args.runs):
            raw.append(time_raw(gw.urls[0], prompt))
            ask.append(time_ask(prompt))
    r, a = statistics.median(raw), statistics.median(ask)
    print(f"deltas per reply     : {args.deltas}")
    print(f"raw httpx-sse median : {r:.3f} s")
    print(f"liaobots ask median  : {a:.3f} s")
    print(f"ratio (ask / raw)    : {a / r:.2f}x  (target <= 1.3x)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
