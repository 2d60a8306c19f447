"""Load figures for the hardening issue: a huge reply, a big history, a long usage list.

Not a test (no pass/fail besides the stated targets being printed next to the figures):

1. **Long reply** — one 200,000-delta reply streamed through :class:`ChatSession`
   (real transport, real store, flushes every second). The fake gateway runs in a
   child process so its own buffers do not count. Reports the reply's size, the
   peak of Python allocations during the turn (``tracemalloc``, a separate run
   since tracing slows Python down), the growth of the process's peak RSS, and
   the time taken.
2. **Big history** — a database with 10,000 conversations (4 messages each):
   time to open it cold and list the first page (target < 1 s), count, a deep
   page, and a full-text search.
3. **Long usage history** — the fake gateway seeded with 50,000 usage records:
   time to fetch the first page (what the app shows) against walking every page.

    python bench/load.py [--deltas 200000] [--conversations 10000] [--usage-records 50000]
                         [--only reply|history|usage]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from multiprocessing.connection import Connection
from pathlib import Path

AUTH = "bench-load"
MODEL = "gpt-5.4"


# ---------------------------------------------------------------- 1. a 200,000-delta reply


def _gateway_child(conn: Connection) -> None:
    """Run a fake gateway in this (child) process; send its URLs, serve until told to stop."""
    from liaobots_tui.demo.gateway import FakeGateway

    with FakeGateway(auth_code=AUTH, balance=1e12) as gw:
        conn.send(gw.urls)
        conn.recv()


def _max_rss_bytes() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # Linux reports KiB


async def _one_turn(urls: list[str], home: Path, deltas: int) -> tuple[str, str, float]:
    from liaobots_tui.api.messages import Message, RequestOptions, TextDelta, TextPart
    from liaobots_tui.api.transport import GatewayClient, Timeouts
    from liaobots_tui.chat import ChatSession, TurnEnded
    from liaobots_tui.store import Store

    count = 0
    status = "?"
    text = ""
    start = time.perf_counter()
    with Store(home / "history.sqlite3", home / "images") as store:
        async with GatewayClient(urls, AUTH, timeouts=Timeouts(read=60)) as client:
            session = ChatSession(client, store)
            prompt = Message("user", [TextPart(f"long reply [[deltas={deltas}]]")])
            async for event in session.send(None, prompt, RequestOptions(MODEL)):
                if isinstance(event, TextDelta):
                    count += 1  # like the CLI: each delta is handled, then dropped
                elif isinstance(event, TurnEnded):
                    status = event.reply.status
                    text = event.reply.text
    elapsed = time.perf_counter() - start
    if count != deltas:
        raise SystemExit(f"expected {deltas} deltas, got {count} (reply {status})")
    return text, status, elapsed


def bench_reply(deltas: int) -> None:
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_gateway_child, args=(child,), daemon=True)
    proc.start()
    try:
        urls = parent.recv()
        with tempfile.TemporaryDirectory() as tmp:
            # Warm-up: imports, first connection, SQLite schema (none of it belongs to the reply).
            asyncio.run(_one_turn(urls, Path(tmp), 10))
            rss_before = _max_rss_bytes()
            text, status, elapsed = asyncio.run(_one_turn(urls, Path(tmp), deltas))
            rss_growth = _max_rss_bytes() - rss_before
            db_size = (Path(tmp) / "history.sqlite3").stat().st_size
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(_one_turn(urls, Path(tmp), 10))
            tracemalloc.start()
            base, _ = tracemalloc.get_traced_memory()
            traced_text, _, traced_elapsed = asyncio.run(_one_turn(urls, Path(tmp), deltas))
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        parent.send("stop")
    finally:
        proc.join(timeout=10)
        if proc.is_alive():
            proc.kill()
    text_bytes = len(text.encode())
    text_mem = sys.getsizeof(traced_text)
    growth = peak - base
    print("== 1. one long reply through ChatSession ==")
    print(f"deltas                      : {deltas:,}  (reply {status})")
    size = f"{len(text):,} chars, {text_bytes:,} bytes UTF-8, {text_mem:,} B as a str"
    print(f"reply text                  : {size}")
    rate = f"{deltas / elapsed:,.0f} deltas/s; {traced_elapsed:.2f} s under tracemalloc"
    print(f"time                        : {elapsed:.2f} s  ({rate})")
    print(f"peak Python allocations     : {growth:,} B  = {growth / text_mem:.1f}x the final text")
    print(f"peak RSS growth             : {rss_growth:,} B  = {rss_growth / text_mem:.1f}x the final text")
    print(f"history database afterwards : {db_size:,} B")
    print()


# ---------------------------------------------------------------- 2. 10,000 conversations


def _fill_history(db: Path, images: Path, conversations: int) -> None:
    """Create the schema through Store, then bulk-insert rows exactly as Store writes them."""
    from liaobots_tui.store import Store

    Store(db, images).close()
    con = sqlite3.connect(db)
    now = time.time() - conversations * 60
    usage = json.dumps({"input_tokens": 120, "output_tokens": 480})
    reply = "A table has rows and columns. " * 40
    with con:
        for c in range(1, conversations + 1):
            t = now + c * 60
            settings = json.dumps({"model": MODEL, "format": "openai"})
            con.execute(
                "INSERT INTO conversations (id, title, system, settings_json, created_at, updated_at)"
                " VALUES (?, ?, NULL, ?, ?, ?)",
                (c, f"Question number {c} about tables", settings, t, t + 30),
            )
            for seq in range(1, 5):
                role = "user" if seq % 2 else "assistant"
                mid = (c - 1) * 4 + seq
                model, fmt, used = (None, None, None) if role == "user" else (MODEL, "openai", usage)
                con.execute(
                    "INSERT INTO messages (id, conversation_id, seq, role, model, format, status, usage_json,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?, 'complete', ?, ?)",
                    (mid, c, seq, role, model, fmt, used, t + seq),
                )
                body = f"question {c}.{seq}: how do tables work?" if role == "user" else reply
                if c == conversations // 2 and seq == 3:
                    body += " needle"
                con.execute(
                    "INSERT INTO parts (message_id, seq, kind, text) VALUES (?, 0, 'text', ?)", (mid, body)
                )
    con.close()


def _timed(label: str, fn: object, target: float | None = None) -> object:
    start = time.perf_counter()
    result = fn()  # type: ignore[operator]
    elapsed = time.perf_counter() - start
    goal = f"  (target < {target:g} s: {'ok' if elapsed < target else 'MISSED'})" if target else ""
    print(f"{label:<28}: {elapsed * 1000:8.1f} ms{goal}")
    return result


def bench_history(conversations: int) -> None:
    from liaobots_tui.store import Store

    print(f"== 2. a history of {conversations:,} conversations ==")
    with tempfile.TemporaryDirectory() as tmp:
        db, images = Path(tmp) / "history.sqlite3", Path(tmp) / "images"
        start = time.perf_counter()
        _fill_history(db, images, conversations)
        size = db.stat().st_size
        built = time.perf_counter() - start
        print(f"{'build (bulk insert)':<28}: {built:8.2f} s, database {size / 1e6:.1f} MB")

        def open_and_list() -> list[object]:
            with Store(db, images) as store:
                return list(store.list_conversations(limit=50))

        page = _timed("cold open + first page (50)", open_and_list, 1.0)
        assert len(page) == 50  # type: ignore[arg-type]
        with Store(db, images) as store:
            _timed("first page again (warm)", lambda: store.list_conversations(limit=50), 1.0)
            _timed("count", store.count_conversations)
            last = conversations - 50
            _timed("last page (offset)", lambda: store.list_conversations(limit=50, offset=last))
            found = _timed("search 'needle' (all text)", lambda: store.list_conversations(search="needle"))
            assert len(found) == 1  # type: ignore[arg-type]
            _timed("load one conversation", lambda: store.load_conversation(conversations // 2))
            latest = _timed("latest id (ask -c)", store.latest_conversation_id)
            assert latest == conversations
    print()


# ---------------------------------------------------------------- 3. 50,000 usage records


def bench_usage(records: int) -> None:
    from liaobots_tui.api.account import fetch_usage_page, iter_usage
    from liaobots_tui.api.transport import GatewayClient
    from liaobots_tui.demo.gateway import FakeGateway

    print(f"== 3. a usage history of {records:,} records ==")
    start = time.perf_counter()
    with FakeGateway(auth_code=AUTH, usage_records_seed=records) as gw:
        print(f"{'seed the fake gateway':<28}: {time.perf_counter() - start:8.2f} s")

        async def first_page() -> int:
            async with GatewayClient(gw.urls, AUTH) as client:
                return len((await fetch_usage_page(client, page_size=50)).records)

        async def load_all(page_size: int) -> int:
            async with GatewayClient(gw.urls, AUTH) as client:
                return sum([1 async for _ in iter_usage(client, page_size=page_size)])

        asyncio.run(first_page())  # warm-up
        n = _timed("first page (50 records)", lambda: asyncio.run(first_page()), 1.0)
        assert n == 50
        n = _timed("load all, pages of 100", lambda: asyncio.run(load_all(100)))
        assert n == records, n
    print()


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--deltas", type=int, default=200_000)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--usage-records", type=int, default=50_000)
    parser.add_argument("--only", choices=("reply", "history", "usage"))
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]} on {sys.platform}, {os.cpu_count()} CPUs\n")
    if args.only in (None, "reply"):
        bench_reply(args.deltas)
    if args.only in (None, "history"):
        bench_history(args.conversations)
    if args.only in (None, "usage"):
        bench_usage(args.usage_records)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
