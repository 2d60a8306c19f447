"""A fake Liaobots gateway on 127.0.0.1: all four chat formats, credits, images and injectable faults.

Used by the test suite, ``liaobots serve-demo`` (:func:`serve_forever`) and
``liaobots demo``. Each "domain" is its own HTTP server on its own port, sharing
one account and one :class:`Faults` set, so failover can be exercised end to end:

    with FakeGateway("demo", domains=4) as gw:
        gw.faults.dead_domains.add(0)           # primary refuses connections
        gw.faults.rate_limit = 2                # next two chats get 429 + Retry-After
        httpx.post(gw.urls[1] + "/v1/chat/completions", ...)

Replies are deterministic (:meth:`FakeGateway.reply_text_for`); a prompt with
``[[deltas=N]]`` streams exactly N text deltas. Admin endpoints (no auth) let a
subprocess flip faults: ``POST /_fake/faults`` (JSON object of Faults fields),
``POST /_fake/reset``, ``GET /_fake/requests``, ``GET /_fake/faults``.

Stdlib + Pillow only; nothing here imports textual or rich.
"""

from __future__ import annotations

import dataclasses
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from types import FrameType, TracebackType
from typing import Any, Self

from liaobots_tui.demo import envelopes
from liaobots_tui.demo.envelopes import Api, ApiError
from liaobots_tui.demo.ledger import Ledger
from liaobots_tui.demo.openai_responses import ResponsesEncoder
from liaobots_tui.demo.replies import reply_text
from liaobots_tui.demo.reply import Encoder, Reply
from liaobots_tui.demo.request import ChatRequest
from liaobots_tui.demo.server import DomainServer

__all__ = ["FakeGateway", "Faults", "RecordedRequest", "serve_forever"]

_POLL_SECONDS = 0.02  # how fast a domain's server loop notices it must stop listening


class _WatchedSet(set[int]):
    """A set that calls back when it changes: a domain marked dead must stop listening at once."""

    def __init__(self, items: Iterable[int] = (), on_change: Callable[[], None] | None = None) -> None:
        super().__init__(items)
        self._on_change = on_change

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change()

    def __reduce__(self) -> Any:
        # Copies (dataclasses.asdict, deepcopy, pickle) are plain sets without the callback.
        return (set, (list(self),))

    def add(self, element: int) -> None:
        super().add(element)
        self._changed()

    def discard(self, element: object) -> None:
        super().discard(element)
        self._changed()

    def remove(self, element: int) -> None:
        super().remove(element)
        self._changed()

    def pop(self) -> int:
        value = super().pop()
        self._changed()
        return value

    def clear(self) -> None:
        super().clear()
        self._changed()

    def update(self, *others: Iterable[int]) -> None:
        super().update(*others)
        self._changed()

    def difference_update(self, *others: Iterable[Any]) -> None:
        super().difference_update(*others)
        self._changed()

    def intersection_update(self, *others: Iterable[Any]) -> None:
        super().intersection_update(*others)
        self._changed()

    def symmetric_difference_update(self, other: Iterable[int]) -> None:
        super().symmetric_difference_update(other)
        self._changed()

    def __ior__(self, other: AbstractSet[int]) -> Self:  # type: ignore[override,misc]
        self.update(other)
        return self

    def __isub__(self, other: AbstractSet[object]) -> Self:
        self.difference_update(other)
        return self

    def __iand__(self, other: AbstractSet[object]) -> Self:
        self.intersection_update(other)
        return self

    def __ixor__(self, other: AbstractSet[int]) -> Self:  # type: ignore[override,misc]
        self.symmetric_difference_update(other)
        return self


_SET_FIELDS = ("dead_domains", "html_502_domains", "status_503_domains")


@dataclass
class Faults:
    """Failures the gateway injects; mutable at any time and shared by all domains.

    Counters (``rate_limit``, ``overloaded``) are used up one chat request at a
    time; the ``*_after`` thresholds apply to every stream until reset. They
    count content deltas, thinking deltas included (a Gemini image counts as
    one); a threshold beyond the reply's length fires just before the reply's end.
    Non-streaming requests: ``drop_after`` cuts the connection, ``stall_after``
    delays the answer, ``mid_stream_error_after`` turns it into a 500.
    """

    #: These domains refuse connections (their port stops listening).
    dead_domains: set[int] = field(default_factory=set)
    #: These domains answer every request with a CDN's HTML 502 page.
    html_502_domains: set[int] = field(default_factory=set)
    #: These domains answer every request with a proxy's plain-text 503.
    status_503_domains: set[int] = field(default_factory=set)
    #: The next N chat requests get 429 (Retry-After header; Gemini: RetryInfo; Anthropic alternates 429/529).
    rate_limit: int = 0
    #: Seconds advertised by rate-limit answers.
    retry_after: float = 0.0
    #: The next N chat requests get 529 overloaded_error (Anthropic) / 503 (the others).
    overloaded: int = 0
    #: Deltas sent before an in-stream error event in the format's shape.
    mid_stream_error_after: int | None = None
    #: Deltas sent before the connection is cut (no terminal event, incomplete chunked body).
    drop_after: int | None = None
    #: Deltas sent before the stream stalls for ``stall_seconds`` (read timeouts).
    stall_after: int | None = None
    stall_seconds: float = 30.0
    #: Chat requests get the format's out-of-credit answer (also automatic when the balance is <= 0).
    out_of_credit: bool = False
    #: Seconds between deltas (a slow stream).
    delta_delay: float = 0.0

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SET_FIELDS:
            value = _WatchedSet(value, self._notify if name == "dead_domains" else None)
        object.__setattr__(self, name, value)
        if name == "dead_domains":
            self._notify()

    def _notify(self) -> None:
        listener = self.__dict__.get("_listener")
        if listener is not None:
            listener()

    def __getstate__(self) -> dict[str, Any]:
        # Copies and pickles carry the fault values only, never the owning gateway's callback.
        return {k: v for k, v in self.__dict__.items() if k != "_listener"}

    def _listen(self, listener: Callable[[], None] | None) -> None:
        object.__setattr__(self, "_listener", listener)

    def reset(self) -> None:
        """Back to no faults at all."""
        for f in dataclasses.fields(self):
            setattr(
                self,
                f.name,
                f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default,
            )

    def update(self, changes: dict[str, Any]) -> None:
        """Set fields from a JSON object (the admin endpoint); lists become sets.

        Raises:
            ValueError: an unknown field name.
        """
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ValueError(f"unknown Faults field(s): {', '.join(unknown)}")
        for name, value in changes.items():
            setattr(self, name, set(value) if name in _SET_FIELDS else value)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (sets as sorted lists)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = sorted(value) if f.name in _SET_FIELDS else value
        return out


@dataclass
class RecordedRequest:
    """One request as the gateway received it (admin ``/_fake/*`` requests are not recorded)."""

    domain: int
    method: str
    path: str
    query: dict[str, str]
    #: Header names lower-cased. Kept out of the repr: they carry the auth code.
    headers: dict[str, str] = field(repr=False)
    #: The decoded JSON body, or None (no body, or not JSON).
    json: Any = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class FakeGateway:
    """The fake gateway: ``domains`` HTTP servers on 127.0.0.1 sharing one account.

    Args:
        auth_code: the login code every endpoint expects.
        domains: how many domains (ports) to serve; ``urls[0]`` is the primary.
        balance: credits left at start (``amount`` is this plus what the seeded history spent).
        delta_delay: default seconds between stream deltas (``faults.delta_delay`` overrides when > 0).
        port: first port, domain i listens on ``port + i``; 0 picks free ports.
        usage_records_seed: how many historical usage records to start with.
    """

    def __init__(
        self,
        auth_code: str = "demo",
        *,
        domains: int = 4,
        balance: float = 100.0,
        delta_delay: float = 0.0,
        port: int = 0,
        usage_records_seed: int = 120,
    ) -> None:
        if domains < 1:
            raise ValueError("a gateway needs at least one domain")
        self._auth_code = auth_code
        self._domain_count = domains
        self._base_delay = delta_delay
        self._ports: list[int] = [port + i for i in range(domains)] if port else []
        self._servers: list[DomainServer | None] = [None] * domains
        self._threads: list[threading.Thread | None] = [None] * domains
        #: Sockets keeping a dead domain's port bound (not listening: connections are refused).
        self._port_holds: list[socket.socket | None] = [None] * domains
        self._conns: list[set[socket.socket]] = [set() for _ in range(domains)]
        self._lock = threading.RLock()
        self._listen_lock = threading.RLock()
        self._stop_event = threading.Event()
        self._started = False
        self._anthropic_turn = 0
        self._known_responses: set[str] = set()
        self._known_items: set[str] = set()
        #: Optional request logger (``serve_forever`` prints requests with it).
        self._log: Callable[[str], None] | None = None
        self.ledger = Ledger(balance, usage_records_seed)
        self.requests: list[RecordedRequest] = []
        self._faults = Faults()
        self._faults._listen(self._sync_listeners)

    def __repr__(self) -> str:
        state = "running" if self._started else "stopped"
        return f"<FakeGateway {state} domains={self._domain_count} ports={self._ports}>"

    # ------------------------------------------------------------ public state

    @property
    def faults(self) -> Faults:
        return self._faults

    @faults.setter
    def faults(self, value: Faults) -> None:
        self._faults._listen(None)
        self._faults = value
        value._listen(self._sync_listeners)
        self._sync_listeners()

    @property
    def balance(self) -> float:
        return self.ledger.balance

    @balance.setter
    def balance(self, value: float) -> None:
        with self.ledger.lock:
            self.ledger.balance = value

    @property
    def amount(self) -> float:
        return self.ledger.amount

    @amount.setter
    def amount(self, value: float) -> None:
        with self.ledger.lock:
            self.ledger.amount = value

    @property
    def usage_records(self) -> list[dict[str, Any]]:
        """All usage records, newest first (the live list)."""
        return self.ledger.records

    @property
    def urls(self) -> list[str]:
        """Base URLs, one per domain; the first is the primary."""
        if not self._ports:
            raise RuntimeError("the gateway picks its ports when started; call start() first")
        return [f"http://127.0.0.1:{p}" for p in self._ports]

    def reply_text_for(self, model: str, prompt: str) -> str:
        """The reply text this gateway sends to ``model`` for ``prompt``.

        ``prompt`` is the text of the last user turn (its text parts joined with newlines).
        This is the full reply; a ``max_tokens``-style limit in the request can cut it short.
        """
        return reply_text(model, prompt)

    def reset(self) -> None:
        """Clear all faults and the recorded requests (what ``POST /_fake/reset`` does)."""
        self._faults.reset()
        with self._lock:
            self.requests.clear()

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start serving every domain in background threads (a dead domain stays closed). Idempotent."""
        with self._listen_lock:
            if self._started:
                return
            self._stop_event.clear()
            servers: list[DomainServer] = []
            try:
                for i in range(self._domain_count):
                    servers.append(DomainServer(self._ports[i] if self._ports else 0, self, i))
            except OSError:
                for server in servers:  # a port was taken: release the ones already bound
                    server.server_close()
                raise
            self._ports = [s.server_address[1] for s in servers]
            self._servers = list(servers)
            self._started = True
            for i in range(self._domain_count):
                self._threads[i] = self._serve(i)
            self._sync_listeners()

    def stop(self) -> None:
        """Stop every domain and close open connections (stalled streams end too). Idempotent."""
        with self._listen_lock:
            if not self._started:
                return
            self._started = False
            self._stop_event.set()
            # Each server loop takes up to a poll interval to notice; stop them all at once.
            closers = [
                threading.Thread(target=self._close_domain, args=(i,)) for i in range(self._domain_count)
            ]
            for t in closers:
                t.start()
            for t in closers:
                t.join()
            for i in range(self._domain_count):
                self._release_port(i)

    def __enter__(self) -> FakeGateway:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _serve(self, index: int) -> threading.Thread:
        server = self._servers[index]
        assert server is not None
        thread = threading.Thread(
            target=server.serve_forever, args=(_POLL_SECONDS,), name=f"fake-gateway-{index}", daemon=True
        )
        thread.start()
        return thread

    def _close_domain(self, index: int) -> None:
        server = self._servers[index]
        if server is not None:
            if self._threads[index] is not None:
                server.shutdown()
            server.server_close()
            self._servers[index] = None
            self._threads[index] = None
        with self._lock:
            conns = list(self._conns[index])
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _sync_listeners(self) -> None:
        """Make each domain's port listen, or not, as ``faults.dead_domains`` says."""
        with self._listen_lock:
            if not self._started:
                return
            dead = set(self._faults.dead_domains)
            for i in range(self._domain_count):
                if i in dead and self._servers[i] is not None:
                    # Held before the server closes: a port left free meanwhile could be taken by
                    # any socket on the machine (another test's gateway, a client's own port), and
                    # the domain could not come back ("Address already in use", seen in the suite).
                    self._port_holds[i] = _hold_port(self._ports[i])
                    self._close_domain(i)
                elif i not in dead and self._servers[i] is None:
                    self._servers[i] = DomainServer(self._ports[i], self, i)
                    self._threads[i] = self._serve(i)
                    self._release_port(i)

    def _release_port(self, index: int) -> None:
        hold = self._port_holds[index]
        if hold is not None:
            hold.close()
            self._port_holds[index] = None

    # ------------------------------------------------------------ used by the request handler

    def _track(self, index: int, conn: socket.socket) -> None:
        with self._lock:
            self._conns[index].add(conn)

    def _untrack(self, index: int, conn: socket.socket) -> None:
        with self._lock:
            self._conns[index].discard(conn)

    def _record(
        self, index: int, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: Any
    ) -> None:
        with self._lock:
            self.requests.append(RecordedRequest(index, method, path, query, headers, body))

    def _new_id(self) -> str:
        return uuid.uuid4().hex + uuid.uuid4().hex[:16]

    def _delta_delay(self) -> float:
        return self._faults.delta_delay if self._faults.delta_delay > 0 else self._base_delay

    def _take_fault(self, api: Api, model: str) -> ApiError | None:
        """Use up one queued refusal (rate limit, overload) or refuse for lack of credit."""
        with self._lock:
            faults = self._faults
            if faults.rate_limit > 0:
                faults.rate_limit -= 1
                turn = False
                if api == "anthropic":
                    turn = self._anthropic_turn % 2 == 1
                    self._anthropic_turn += 1
                return envelopes.rate_limited(api, model, faults.retry_after, overloaded_turn=turn)
            if faults.overloaded > 0:
                faults.overloaded -= 1
                return envelopes.overloaded(api)
            if faults.out_of_credit or self.ledger.balance <= 0:
                return envelopes.out_of_credit(api)
        return None

    def _complete(self, req: ChatRequest, reply: Reply, encoder: Encoder) -> None:
        """A reply went out whole: bill it, and remember stored Responses ids."""
        self.ledger.charge(req.model, reply.input_tokens, reply.output_tokens)
        if isinstance(encoder, ResponsesEncoder) and req.store:
            with self._lock:
                self._known_responses.add(encoder.resp_id)
                self._known_items.update((encoder.rs_id, encoder.msg_id))


def serve_forever(port: int = 8765, auth_code: str = "demo", *, delta_delay: float = 0.0) -> None:
    """Run a fake gateway in the foreground (``liaobots serve-demo``) until Ctrl-C.

    Args:
        port: first port; the four domains listen on port … port+3.
        auth_code: the login code clients must send.
        delta_delay: seconds between stream deltas, for a realistic typing speed.
    """
    gateway = FakeGateway(auth_code, port=port, delta_delay=delta_delay)
    gateway._log = lambda line: print(line, file=sys.stderr, flush=True)
    # Ctrl-C is ours before anything says it may be pressed: one right after the banner stops cleanly.
    restore = _stop_on_signals()
    try:
        gateway.start()
        print("Fake Liaobots gateway running. Domains:")
        for i, url in enumerate(gateway.urls):
            print(f"  {url}{'  (primary)' if i == 0 else ''}")
        if auth_code == "demo":
            print("Auth code: demo")
        print(
            "Admin: POST /_fake/faults, POST /_fake/reset, GET /_fake/requests. Press Ctrl-C to stop.",
            flush=True,
        )
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nStopping.", flush=True)
    finally:
        gateway.stop()
        restore()


def _stop_on_signals() -> Callable[[], None]:
    """Ctrl-C (even when the shell started us with SIGINT ignored) and SIGTERM raise KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


def _hold_port(port: int) -> socket.socket:
    """A socket bound to ``port`` on loopback, not listening: the port stays ours, connections are refused.

    Both it and the domain's server set SO_REUSEPORT, so it can be bound while the server still
    listens, and the server bound again while it still holds the port.
    """
    hold = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    hold.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    hold.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    hold.bind(("127.0.0.1", port))
    return hold
