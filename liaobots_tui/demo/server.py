"""HTTP side of the fake gateway: one threaded server per domain and the request handler.

The handler routes Liaobots' paths, checks each format's auth header, applies
the gateway's faults (dead domain, HTML 502, plain 503, rate limits, overload,
out of credit, and in-stream error / drop / stall), and writes replies with
HTTP/1.1 chunked transfer encoding, so an abrupt cut is visible to the client
as an incomplete body. ``/_fake/*`` is the unauthenticated admin API.
"""

from __future__ import annotations

import hmac
import io
import json
import socket
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from liaobots_tui.demo import envelopes
from liaobots_tui.demo.anthropic import parse_anthropic
from liaobots_tui.demo.envelopes import Api, ApiError
from liaobots_tui.demo.gemini import parse_gemini
from liaobots_tui.demo.openai_chat import parse_chat
from liaobots_tui.demo.openai_responses import parse_responses
from liaobots_tui.demo.registry import encoder_for
from liaobots_tui.demo.replies import MODELS
from liaobots_tui.demo.reply import Encoder, plan_reply
from liaobots_tui.demo.request import ChatRequest

if TYPE_CHECKING:
    from liaobots_tui.demo.gateway import FakeGateway

_FLUSH_BYTES = 32 * 1024
_GEMINI_PATH = "/v1beta/models/"


class DomainServer(ThreadingHTTPServer):
    """Serves one of the gateway's domains; all domains share the gateway's state."""

    daemon_threads = True
    allow_reuse_address = True
    allow_reuse_port = True  # a dead domain's port is held by another socket meanwhile (gateway._hold_port)

    def __init__(self, port: int, gateway: FakeGateway, index: int) -> None:
        self.gateway = gateway
        self.index = index
        super().__init__(("127.0.0.1", port), Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up mid-reply is normal here (timeouts, cancelled streams); stay quiet.
        pass


class _ChunkWriter:
    """Chunked transfer encoding with batching: small SSE events are coalesced until flushed."""

    def __init__(self, wfile: io.BufferedIOBase, immediate: bool) -> None:
        self.wfile = wfile
        self.immediate = immediate
        self.pending: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> None:
        self.pending.append(data)
        self.size += len(data)
        if self.immediate or self.size >= _FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            data = b"".join(self.pending)
            self.wfile.write(b"%x\r\n%b\r\n" % (len(data), data))
            self.pending.clear()
            self.size = 0

    def finish(self) -> None:
        self.flush()
        self.wfile.write(b"0\r\n\r\n")


def _json_bytes(obj: Any, api: Api | None) -> bytes:
    # OpenAI and Google pretty-print their JSON bodies; Anthropic sends them compact.
    if api == "anthropic":
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()
    return json.dumps(obj, ensure_ascii=False, indent=2).encode()


def _api_for_path(path: str) -> Api:
    if path.startswith("/v1beta"):
        return "gemini"
    if path.startswith("/v1/messages"):
        return "anthropic"
    return "openai"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "liaobots-fake/1.0"
    sys_version = ""
    server: DomainServer

    # ------------------------------------------------------------ plumbing

    @property
    def gateway(self) -> FakeGateway:
        return self.server.gateway

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as separate writes; without NODELAY, Nagle plus the client's
        # delayed ACK would hold the body back ~40 ms on every answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.gateway._track(self.server.index, self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.gateway._untrack(self.server.index, self.connection)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the stdlib's parameter name)
        log = self.gateway._log
        if log is not None:
            log(f"[domain {self.server.index}] {format % args}")

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(
        self, status: int, obj: Any, api: Api | None = None, headers: dict[str, str] | None = None
    ) -> None:
        self._send(status, _json_bytes(obj, api), "application/json; charset=utf-8", headers)

    def _send_error(self, err: ApiError, api: Api, *, array: bool = False) -> None:
        if isinstance(err.body, str):
            self._send(err.status, err.body.encode(), f"{err.content_type}; charset=utf-8", err.headers)
        else:
            self._send_json(err.status, [err.body] if array else err.body, api, err.headers)

    def _cut(self) -> None:
        """End the connection abruptly: no response, or no end to the one under way."""
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # ------------------------------------------------------------ routing

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        path = url.path
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            raw = self._read_body()
        except (OSError, ValueError):
            self._cut()
            return
        if path.startswith("/_fake/"):
            self._admin(path, raw)
            return
        try:
            decoded: Any = json.loads(raw) if raw else None
        except (ValueError, UnicodeDecodeError):
            decoded = None
        gw = self.gateway
        index = self.server.index
        gw._record(index, self.command, path, query, headers, decoded)
        faults = gw.faults
        if index in faults.dead_domains:
            self._cut()
            return
        api = _api_for_path(path)
        try:
            if index in faults.html_502_domains:
                raise envelopes.html_502()
            if index in faults.status_503_domains:
                raise envelopes.text_503()
            self._route(path, query, headers, raw, api)
        except ApiError as err:
            # Gemini's streaming endpoint without alt=sse answers a JSON array, errors included.
            array = api == "gemini" and path.endswith(":streamGenerateContent") and query.get("alt") != "sse"
            self._send_error(err, api, array=array)
        except OSError:
            self.close_connection = True

    def _route(self, path: str, query: dict[str, str], headers: dict[str, str], raw: bytes, api: Api) -> None:
        method = self.command
        if path in ("/", "/health") and method == "GET":
            self._send(200, b"Liaobots fake gateway: ok\n", "text/plain; charset=utf-8")
        elif path == "/v1/models" and method == "GET":
            self._check_bearer(headers)
            data = [
                {"id": m.id, "object": "model", "created": m.created, "owned_by": m.owned_by}
                for m in MODELS.values()
            ]
            self._send_json(200, {"object": "list", "data": data}, "openai")
        elif path == "/api/v1/credits" and method == "GET":
            self._check_bearer(headers)
            self._send_json(200, self.gateway.ledger.credits_body(query), "openai")
        elif path == "/v1/chat/completions" and method == "POST":
            self._check_bearer(headers)
            self._chat("openai", raw, parse_chat)
        elif path == "/v1/responses" and method == "POST":
            self._check_bearer(headers)
            known_responses, known_items = self.gateway._known_responses, self.gateway._known_items
            self._chat("openai", raw, lambda body: parse_responses(body, known_responses, known_items))
        elif path == "/v1/messages" and method == "POST":
            self._check_key(headers.get("x-api-key"), "anthropic")
            self._chat("anthropic", raw, lambda body: parse_anthropic(body, headers))
        elif path.startswith(_GEMINI_PATH) and ":" in path and method == "POST":
            self._check_key(headers.get("x-goog-api-key") or query.get("key"), "gemini")
            model, _, action = path[len(_GEMINI_PATH) :].rpartition(":")
            if action not in ("generateContent", "streamGenerateContent"):
                raise envelopes.not_found_path("gemini", method, path)
            self._chat("gemini", raw, lambda body: parse_gemini(body, model, action, query))
        else:
            raise envelopes.not_found_path(api, method, path)

    def _check_bearer(self, headers: dict[str, str]) -> None:
        value = headers.get("authorization")
        scheme, _, token = (value or "").partition(" ")
        self._check_key(token.strip() if scheme.lower() == "bearer" else ("" if value else None), "openai")

    def _check_key(self, given: str | None, api: Api) -> None:
        if not given:
            raise envelopes.auth_error(api, missing=True)
        if not hmac.compare_digest(given.encode(), self.gateway._auth_code.encode()):
            raise envelopes.auth_error(api, missing=False)

    # ------------------------------------------------------------ chat

    def _chat(self, api: Api, raw: bytes, parse_body: Callable[[dict[str, Any]], ChatRequest]) -> None:
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise envelopes.malformed_json(api) from None
        if not isinstance(body, dict):
            raise envelopes.bad_request(api, "The request body must be a JSON object.")
        model = str(body.get("model") or self.path.rpartition("/")[2].partition(":")[0])
        gw = self.gateway
        refusal = gw._take_fault(api, model)
        if refusal is not None:
            raise refusal
        req = parse_body(body)
        reply = plan_reply(req, gw._new_id())
        encoder = encoder_for(req, reply)
        faults = gw.faults
        # Billing happens just before the reply's end goes out, so a client that has seen the end
        # always finds the usage record.
        if req.stream:
            self._stream(encoder, api, lambda: gw._complete(req, reply, encoder))
        elif faults.drop_after is not None:
            self._cut()
        else:
            if faults.stall_after is not None:
                gw._stop_event.wait(faults.stall_seconds)
            if faults.mid_stream_error_after is not None:
                raise envelopes.server_error(api)
            payload = encoder.body()
            gw._complete(req, reply, encoder)
            self._send_json(200, payload, api, self._reply_headers(api))

    def _reply_headers(self, api: Api) -> dict[str, str]:
        if api == "anthropic":
            return {"request-id": f"req_{self.gateway._new_id()[:24]}"}
        if api == "openai":
            return {"x-request-id": f"req_{self.gateway._new_id()[:32]}", "openai-processing-ms": "42"}
        return {}

    def _stream(self, encoder: Encoder, api: Api, on_complete: Callable[[], None]) -> bool:
        """Write the stream, injecting the configured faults. True when it ended normally.

        ``on_complete`` runs once no fault can strike any more, before the terminal event is written.
        """
        gw = self.gateway
        faults = gw.faults
        error_after, drop_after, stall_after = (
            faults.mid_stream_error_after,
            faults.drop_after,
            faults.stall_after,
        )
        delay = gw._delta_delay()
        self.send_response(200)
        self.send_header("Content-Type", encoder.content_type)
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in self._reply_headers(api).items():
            self.send_header(name, value)
        self.end_headers()
        out = _ChunkWriter(self.wfile, immediate=delay > 0)
        sent = 0
        stalled = False

        def due(threshold: int | None, terminal: bool) -> bool:
            # A threshold beyond the reply's length fires just before the end, so the fault always shows.
            return threshold is not None and (sent >= threshold or terminal)

        for frame in encoder.frames():
            if frame.delta or frame.terminal:
                if due(error_after, frame.terminal):
                    for data in encoder.error_frames():
                        out.write(data)
                    out.finish()
                    return False
                if due(drop_after, frame.terminal):
                    out.flush()
                    self._cut()
                    return False
                if not stalled and due(stall_after, frame.terminal):
                    out.flush()
                    stalled = True
                    if gw._stop_event.wait(faults.stall_seconds):
                        self._cut()
                        return False
            if frame.terminal:
                on_complete()
            out.write(frame.data)
            if frame.delta:
                sent += 1
                if delay > 0:
                    if gw._stop_event.wait(delay):
                        self._cut()
                        return False
        out.finish()
        return True

    # ------------------------------------------------------------ admin

    def _admin(self, path: str, raw: bytes) -> None:
        gw = self.gateway
        # Marking this very domain dead must not cut the admin answer itself.
        gw._untrack(self.server.index, self.connection)
        method = self.command
        if path == "/_fake/faults" and method == "GET":
            self._send_json(200, gw.faults.to_dict())
        elif path == "/_fake/faults" and method == "POST":
            try:
                changes = json.loads(raw or b"{}")
                if not isinstance(changes, dict):
                    raise ValueError("expected a JSON object of Faults fields")
                gw.faults.update(changes)
            except (ValueError, TypeError) as exc:
                self._send_json(400, {"error": str(exc)})
                return
            self._send_json(200, gw.faults.to_dict())
        elif path == "/_fake/reset" and method == "POST":
            gw.reset()
            self._send_json(200, {"ok": True})
        elif path == "/_fake/requests" and method == "GET":
            self._send_json(200, [r.to_dict() for r in gw.requests])
        else:
            self._send_json(404, {"error": f"no admin endpoint {method} {path}"})
