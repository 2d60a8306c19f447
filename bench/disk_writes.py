"""Bytes written to disk while a never-ending reply streams into the history.

A loopback server (a child process, stdlib only) streams one Chat Completions reply
that never ends. :class:`ChatSession` saves it as it arrives, with the app's flush
interval; once the reply holds ``--size`` MB of text the consumer cancels the turn,
which saves the partial reply as cancelled. The figure is the bytes the measuring
process handed to ``write()`` (``wchar`` in ``/proc/self/io``) and the bytes it sent
to the block layer (``write_bytes``), divided by the reply's size in UTF-8. Target
(issue 8): at most 10x.

The same turn runs against two source trees in fresh interpreters, so one run prints
both sides: ``before`` (``git archive`` of ``--before-ref``, default ``main``) and
``after`` (this checkout).

    python bench/disk_writes.py [--size 20] [--delta-chars 50] [--before-ref main]
    python bench/disk_writes.py --only-after
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

AUTH = "bench-disk-writes"
REPO = Path(__file__).resolve().parent.parent
#: The server gives up after this many times the target, so a client that never cancels still ends.
SERVER_LIMIT_FACTOR = 4


def _io_counters() -> dict[str, int]:
    with open("/proc/self/io") as fh:
        return {key: int(value) for key, value in (line.split(": ") for line in fh)}


# ---------------------------------------------------------------- the never-ending server


class _EndlessReply(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    delta_chars = 50
    limit_bytes = 0

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        # Words and spaces, one paragraph: what a runaway model produces.
        text = ("lorem ipsum dolor sit amet " * (self.delta_chars // 27 + 1))[: self.delta_chars]
        chunk = {
            "id": "c1",
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {"content": text}}],
        }
        event = f"data: {json.dumps(chunk)}\n\n".encode()
        frame = f"{len(event):x}\r\n".encode() + event + b"\r\n"
        sent = 0
        try:
            while sent < self.limit_bytes:  # bounded: a stuck client cannot keep this alive forever
                self.wfile.write(frame)
                sent += len(text)
        except (BrokenPipeError, ConnectionResetError):
            return
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(delta_chars: int, limit_bytes: int) -> None:
    """Child process: print the port, serve until stdin closes."""
    _EndlessReply.delta_chars = delta_chars
    _EndlessReply.limit_bytes = limit_bytes
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EndlessReply)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()
    server.shutdown()


# ---------------------------------------------------------------- one measured turn


async def _turn(url: str, home: Path, size_bytes: int) -> dict[str, object]:
    from liaobots_tui.api.messages import Message, RequestOptions, TextDelta, TextPart
    from liaobots_tui.api.transport import GatewayClient, Timeouts
    from liaobots_tui.chat import ChatSession, TurnStarted
    from liaobots_tui.store import Store

    received = 0
    conversation: list[int] = []
    enough = asyncio.Event()

    with Store(home / "history.sqlite3", home / "images") as store:
        async with GatewayClient([url], AUTH, timeouts=Timeouts(read=60)) as client:
            session = ChatSession(client, store)  # the app's flush interval

            async def consume() -> None:
                nonlocal received
                prompt = Message("user", [TextPart("tell me everything")])
                # aclosing: the cancel closes the reply stream now (saving it), inside the measurement.
                stream = session.send(None, prompt, RequestOptions("gpt-5.4"), format="openai")
                async with contextlib.aclosing(stream) as events:
                    async for event in events:
                        if isinstance(event, TurnStarted):
                            conversation.append(event.conversation_id)
                        elif isinstance(event, TextDelta):
                            received += len(event.text.encode())
                            if received >= size_bytes:
                                enough.set()
                                await asyncio.Event().wait()  # hold here until cancelled, like a UI

            before = _io_counters()
            task = asyncio.create_task(consume())
            waiter = asyncio.create_task(enough.wait())
            await asyncio.wait([task, waiter], return_when=asyncio.FIRST_COMPLETED)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
            waiter.cancel()
            after = _io_counters()
        reply = store.load_conversation(conversation[0]).messages[-1]
    wal = home / "history.sqlite3-wal"
    return {
        "reply_bytes": len(reply.text.encode()),
        "received_bytes": received,
        "status": reply.status,
        "wchar": after["wchar"] - before["wchar"],
        "write_bytes": after["write_bytes"] - before["write_bytes"],
        "db_bytes": (home / "history.sqlite3").stat().st_size + (wal.stat().st_size if wal.exists() else 0),
    }


def measure(url: str, size_bytes: int) -> None:
    """Child process: one turn in a fresh data dir; print the figures as JSON."""
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(asyncio.run(_turn(url, Path(tmp), size_bytes))))


# ---------------------------------------------------------------- driver


def _run_tree(tree: Path, url: str, size_bytes: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    # This file runs from the tree under test's interpreter path, but the bench code is ours.
    out = subprocess.run(
        [sys.executable, __file__, "--measure", url, "--size-bytes", str(size_bytes)],
        env=env,
        cwd=tree,
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _export(ref: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref, "liaobots_tui"], check=True, capture_output=True
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--size", type=float, default=20, help="reply size in MB before the cancel (default 20)"
    )
    parser.add_argument(
        "--delta-chars", type=int, default=50, help="characters per streamed delta (default 50)"
    )
    parser.add_argument("--before-ref", default="main", help="git ref measured as 'before' (default main)")
    parser.add_argument("--only-after", action="store_true", help="measure this checkout only")
    parser.add_argument("--measure", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--size-bytes", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    size_bytes = args.size_bytes or int(args.size * 1_000_000)
    if args.serve:
        serve(args.delta_chars, size_bytes * SERVER_LIMIT_FACTOR)
        return
    if args.measure:
        measure(args.measure, size_bytes)
        return

    server = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve",
            "--size-bytes",
            str(size_bytes),
            "--delta-chars",
            str(args.delta_chars),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = f"http://127.0.0.1:{server.stdout.readline().strip()}"
        rows: list[tuple[str, dict[str, float]]] = []
        with tempfile.TemporaryDirectory() as tmp:
            if not args.only_after:
                rows.append(
                    (
                        f"before ({args.before_ref})",
                        _run_tree(_export(args.before_ref, Path(tmp)), url, size_bytes),
                    )
                )
            rows.append(("after (this checkout)", _run_tree(REPO, url, size_bytes)))
    finally:
        if server.stdin is not None:
            server.stdin.close()
        server.wait(timeout=30)

    print(f"== a never-ending reply cancelled at {args.size:g} MB ({args.delta_chars} chars per delta) ==")
    header = ("tree", "reply MB", "status", "write() MB", "ratio", "to disk MB", "ratio")
    print(
        f"{header[0]:<24}"
        + "".join(f" {h:>{w}}" for h, w in zip(header[1:], (9, 10, 11, 7, 11, 7), strict=True))
    )
    for name, r in rows:
        reply = r["reply_bytes"] or 1
        print(
            f"{name:<24} {r['reply_bytes'] / 1e6:>9.1f} {r['status']!s:>10} {r['wchar'] / 1e6:>11.1f}"
            f" {r['wchar'] / reply:>6.1f}x {r['write_bytes'] / 1e6:>11.1f} {r['write_bytes'] / reply:>6.1f}x"
        )
    if len(rows) == 2:
        before, after = rows[0][1]["wchar"], rows[1][1]["wchar"]
        print(f"write() bytes, before / after: {before / max(after, 1):.1f}x less written")
    print("target: at most 10x the reply's size")


if __name__ == "__main__":
    main()
