"""Getting one request answered: domain order, failover before any byte, rate-limit retries.

The gateway docs list a primary domain and three backups serving the same paths.
:class:`FailoverTransport` tries them starting at the one that answered last, as
remembered by a :class:`DomainMemory` that its owner passes in (the app keeps one
for its lifetime, so a dead primary costs one failed connect per session, not one
per request; a CLI run keeps one per process).

The rule that shapes everything here: **never send a request twice once any byte
of its reply arrived** — an LLM request costs credit and may already be
generating. So:

* connect errors, connect/write/pool timeouts, a connection closed before the
  status line, and HTTP 502/503/504 (proxy pages, usually HTML) move on to the
  next domain, each tried once (:class:`DomainEvent` announces a switch);
* 429, 529, 503 with a wait hint, or any ``RateLimitError`` from the error parser
  wait and resend to the same domain: the server's hint (``Retry-After``,
  ``retry-after-ms``, Gemini ``retryDelay``) or 1, 2, 4 s with jitter, at most
  ``max_retries`` times and ``max_retry_wait`` seconds in total
  (:class:`RetryEvent` before each wait);
* out of credit, auth failures and other 4xx/5xx become one ``LiaobotsError``;
* a 2xx is handed to the caller still open: reading it is the client's job.

Error bodies are read up to a cap and scrubbed of the auth code *before* they are
parsed, so no summary or cut made later can leave a piece of it behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import random
import re
import socket
import ssl
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from liaobots_tui.api.lean_httpx import httpx
from liaobots_tui.api.limits import check_deadline
from liaobots_tui.api.messages import DomainEvent, RetryEvent
from liaobots_tui.errors import (
    AllDomainsUnreachable,
    GatewayUnavailable,
    LiaobotsError,
    RateLimitError,
    StreamTimeout,
)

#: Statuses that mean "this domain's front door is broken", not "the model said no".
_FAILOVER_STATUSES = frozenset({502, 503, 504})

ErrorParser = Callable[[int, str, Mapping[str, str]], LiaobotsError]
# A string, so that defining it does not import httpx (lean_httpx imports it on first use).
Exchange: TypeAlias = "AsyncGenerator[DomainEvent | RetryEvent | LiaobotsError | httpx.Response, None]"


@dataclass
class Timeouts:
    """Timeouts in seconds. ``read`` is the longest silence tolerated mid-reply.

    ``deadline``, when set, bounds a whole request: failover, retries and reading
    the reply (a server that trickles a byte now and then never meets ``read``).
    """

    connect: float = 10.0
    read: float = 120.0
    write: float = 30.0
    pool: float = 10.0
    deadline: float | None = None

    def to_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


def _unbind(response: httpx.Response) -> None:
    """Break the cycle a streamed response is in, once closed, so that reference counting frees it.

    httpx binds a streamed response and its stream to each other; left so, the response,
    its request and the request's body (the whole conversation as JSON) wait for a full
    collection, which the app holds off while replies stream (``ui/gc_pause.py``).
    """
    response.stream = httpx.ByteStream(b"")


class DomainMemory:
    """Which domain answered last, per configured domain list.

    One object per owner (the app, a CLI run, a test): nothing is process-global,
    so two clients share what they learned only when they are given the same memory.
    """

    def __init__(self) -> None:
        self._active: dict[tuple[str, ...], str] = {}

    def active(self, base_urls: tuple[str, ...]) -> str:
        """The domain to try first for ``base_urls`` (the first one until one answered)."""
        return self._active.get(base_urls, base_urls[0])

    def remember(self, base_urls: tuple[str, ...], base_url: str) -> None:
        self._active[base_urls] = base_url

    def forget(self) -> None:
        """Start again from the first domain (a config reload with new domains)."""
        self._active.clear()


@dataclass
class RetryPolicy:
    """How rate-limit and overload answers are waited out."""

    max_retries: int = 3
    max_retry_wait: float = 60.0
    #: Random extra fraction on computed backoff delays (not on server hints).
    jitter: float = 0.25
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep)

    def backoff(self, retries_done: int) -> float:
        base = float(2**retries_done)
        return base * (1.0 + self.jitter * random.random()) if self.jitter else base


#: A plain ``http(s)://name[:port][/path]`` (lower-case ASCII name, no user, query or IPv6), which
#: host_of reads itself: the status bar shows the domain at start-up, and httpx (~40 ms to import)
#: is not needed before the first request. Anything else is read by httpx, as every URL was.
_PLAIN_URL = re.compile(r"(https?)://([a-z0-9-]+(?:\.[a-z0-9-]+)*\.?)(?::([0-9]{1,5}))?(?:/\S*)?")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def host_of(base_url: str) -> str:
    """``ai.liaobots.work`` (or ``127.0.0.1:8080`` when a port is given) for messages."""
    plain = _PLAIN_URL.fullmatch(base_url)
    if plain is not None and "xn--" not in base_url:  # punycode: httpx shows the name decoded
        scheme, host, port_text = plain.groups()
        port = int(port_text) if port_text else 0
        return f"{host}:{port}" if port and port != _DEFAULT_PORTS[scheme] else host
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL:
        return base_url
    host = url.host or base_url
    return f"{host}:{url.port}" if url.port else host


def connect_reason(exc: Exception) -> str:
    """A short, code-free reason for a failed attempt (never the raw exception text)."""
    if isinstance(exc, httpx.ConnectTimeout):
        return "connect timeout"
    if isinstance(exc, httpx.WriteTimeout):
        return "write timeout"
    if isinstance(exc, httpx.PoolTimeout):
        return "no free connection (pool timeout)"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return "invalid URL"
    if isinstance(exc, httpx.ProxyError):
        return "proxy error"
    if isinstance(exc, httpx.LocalProtocolError):
        return "invalid request"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        return "connection closed before a reply"
    # httpx's own text is often just "All connection attempts failed"; the cause chain
    # (httpcore -> anyio -> the socket error) says what really happened.
    cause: BaseException | None = exc
    seen: list[BaseException] = []  # a loop in the chain ends the walk; chains are a few links long
    while cause is not None and not any(cause is earlier for earlier in seen):
        seen.append(cause)
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return "DNS lookup failed"
        if isinstance(cause, ssl.SSLError):
            return "TLS error"
        if isinstance(cause, ConnectionResetError):
            return "connection reset"
        if isinstance(cause, OSError) and cause.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return "network unreachable"
        cause = cause.__cause__ or cause.__context__
    text = str(exc).lower()
    if "refused" in text:
        return "connection refused"
    if "name or service" in text or "nodename" in text or "name resolution" in text or "getaddrinfo" in text:
        return "DNS lookup failed"
    if "ssl" in text or "certificate" in text or "tls" in text:
        return "TLS error"
    if "unreachable" in text:
        return "network unreachable"
    if "reset" in text:
        return "connection reset"
    if "timed out" in text:
        return "connect timeout"
    return "connection failed"


def _overload_reason(status: int | None, error: LiaobotsError) -> str:
    if status in (503, 529) or "overload" in error.message.lower():
        return "Overloaded"
    return "Rate limited"


class FailoverTransport:
    """Sends one request over the configured domains (see the module docstring).

    Args:
        client: Gives the ``httpx.AsyncClient`` to send with (owned by the caller, who may
            make it on the first call).
        base_urls: Domains in preference order, already normalised.
        memory: Where the domain that answered last is kept.
        timeouts: For wording "no reply for N s" (the client applies them).
        retry: How rate limits are waited out.
        scrub: Removes the auth code from a raw error body before it is parsed.
        max_error_body: Most bytes of an error body read to classify it.
    """

    def __init__(
        self,
        client: Callable[[], httpx.AsyncClient],
        base_urls: tuple[str, ...],
        *,
        memory: DomainMemory,
        timeouts: Timeouts,
        retry: RetryPolicy,
        scrub: Callable[[str], str],
        max_error_body: int,
    ) -> None:
        self._client = client
        self._base_urls = base_urls
        self._memory = memory
        self._timeouts = timeouts
        self._retry = retry
        self._scrub = scrub
        self._max_error_body = max_error_body

    @property
    def active_base_url(self) -> str:
        """The domain that answered last for these domains (the first one until then)."""
        return self._memory.active(self._base_urls)

    def _order(self) -> list[str]:
        urls = self._base_urls
        active = self.active_base_url
        start = urls.index(active) if active in urls else 0
        return list(urls[start:] + urls[:start])

    async def exchange(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str],
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        parse_error: ErrorParser,
        deadline: float | None = None,
    ) -> Exchange:
        """Failover and retries. Ends with an open 2xx ``httpx.Response`` or a ``LiaobotsError``.

        The response stays open while the consumer handles it (this generator is
        suspended at the ``yield``) and is closed when the generator is closed.
        """
        served_from = self.active_base_url
        retries_done = 0
        waited = 0.0
        while True:
            failures: list[str] = []
            #: The proxy statuses the domains answered with (a domain that answered is reachable).
            statuses: list[int] = []
            order = self._order()
            outcome: httpx.Response | LiaobotsError | None = None
            for base in order:
                try:
                    check_deadline(deadline, self._timeouts.deadline)
                except LiaobotsError as exc:
                    yield exc
                    return
                try:
                    client = self._client()
                    request = client.build_request(
                        method, base + path, headers=headers, json=json_body, params=params
                    )
                    response = await client.send(request, stream=True)
                except httpx.ReadTimeout:
                    # The request went out and nothing came back: it may be running. Do not resend.
                    outcome = StreamTimeout(f"no reply for {self._timeouts.read:g} s")
                    break
                except (httpx.TransportError, httpx.InvalidURL) as exc:
                    failures.append(f"{host_of(base)}: {connect_reason(exc)}")
                    continue
                try:
                    status = response.status_code
                    if 200 <= status < 300:
                        self._memory.remember(self._base_urls, base)
                        if base != served_from:
                            yield DomainEvent(base)
                        yield response
                        return
                    if status in (502, 504):
                        failures.append(f"{host_of(base)}: HTTP {status}")
                        statuses.append(status)
                        continue
                    body = self._scrub(await self._read_error_body(response))
                    error = parse_error(status, body, response.headers)
                    if status in _FAILOVER_STATUSES and not (
                        isinstance(error, RateLimitError) and error.retry_after is not None
                    ):
                        failures.append(f"{host_of(base)}: HTTP {status}")
                        statuses.append(status)
                        continue
                    # This domain answered: it is the one to use from now on.
                    self._memory.remember(self._base_urls, base)
                    if base != served_from:
                        served_from = base
                        yield DomainEvent(base)
                    outcome = error
                    break
                finally:
                    # A failure while closing must not turn into a failover (or mask the real outcome).
                    with contextlib.suppress(httpx.HTTPError):
                        await response.aclose()
                    _unbind(response)

            if outcome is None:
                yield _all_failed(failures, statuses, len(order))
                return
            if not isinstance(outcome, RateLimitError):
                yield outcome
                return
            # Rate limited or overloaded: wait and resend to the same domain, within bounds.
            hint = outcome.retry_after
            delay = hint if hint is not None else self._retry.backoff(retries_done)
            too_long = waited + delay > self._retry.max_retry_wait
            if retries_done >= self._retry.max_retries or too_long:
                if hint is not None and too_long:
                    outcome.message = f"{outcome.message} (the server asks to wait {hint:g} s)"
                    outcome.args = (outcome.message,)
                yield outcome
                return
            retries_done += 1
            yield RetryEvent(delay, retries_done + 1, _overload_reason(outcome.status, outcome))
            await self._retry.sleep(delay)
            waited += delay

    async def _read_error_body(self, response: httpx.Response) -> str:
        """Up to ``max_error_body`` decoded bytes of an error body; a broken read keeps what arrived."""
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in response.aiter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size >= self._max_error_body:
                    break
        except httpx.HTTPError:
            pass
        return b"".join(chunks)[: self._max_error_body].decode("utf-8", "replace")


def _all_failed(failures: list[str], statuses: list[int], tried: int) -> LiaobotsError:
    """The error when no domain served the request: the gateway's, when every one answered with one."""
    detail = "; ".join(failures)
    if statuses and len(statuses) == tried:
        # Each domain answered, so the network is fine: "unreachable" would send the user the wrong way.
        return GatewayUnavailable(f"every domain answered with a server error ({detail})", status=statuses[0])
    return AllDomainsUnreachable(detail)


def normalise_base_urls(base_urls: Sequence[str]) -> tuple[str, ...]:
    """Configured domains without blanks and trailing slashes, order kept."""
    return tuple(u.strip().rstrip("/") for u in base_urls if u.strip())
