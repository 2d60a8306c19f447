"""HTTP to the Liaobots gateway: domain failover, rate-limit retries, streaming replies.

One :class:`GatewayClient` owns one ``httpx.AsyncClient``. Every request tries
the configured domains starting at the one that worked last in this process
(the gateway docs list a primary and three backups serving the same paths),
so a dead primary costs one failed connect per process, not one per request.

The rule that shapes everything here: **never send a request twice once any
byte of its reply arrived** — an LLM request costs credit and may already be
generating. So:

* connect errors, connect/write/pool timeouts, a connection closed before the
  status line, and HTTP 502/503/504 (proxy pages, usually HTML) move on to the
  next domain, each tried once (:class:`DomainEvent` announces a switch);
* 429, 529, 503 with a wait hint, or any ``RateLimitError`` from the adapter
  wait and resend to the same domain: the server's hint (``Retry-After``,
  ``retry-after-ms``, Gemini ``retryDelay``) or 1, 2, 4 s with jitter, at most
  ``max_retries`` times and ``max_retry_wait`` seconds in total
  (:class:`RetryEvent` before each wait);
* out of credit, auth failures and other 4xx/5xx become one :class:`ErrorEvent`;
* after a 2xx, a stall or a dropped connection ends the reply with an error
  event; what was parsed so far stays in the parser.

Responses are opened with ``client.send(stream=True)`` and closed in a
``finally`` (what ``client.stream()`` does), so cancelling the consumer or
closing the generator closes the connection at once.

The auth code travels only in request headers. It is never put in a message:
error texts come from our own wording and gateway bodies, and every error text
leaving this module is additionally scrubbed of the code.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import random
import socket
import ssl
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any

import httpx

from liaobots_tui import __version__
from liaobots_tui.api.base import Adapter, ReplyParser
from liaobots_tui.api.http_errors import error_from_http, to_event
from liaobots_tui.api.messages import (
    Conversation,
    DomainEvent,
    ErrorEvent,
    RequestOptions,
    RetryEvent,
    StreamEvent,
)
from liaobots_tui.api.sse import SSEDecoder, iter_sse_batches
from liaobots_tui.errors import (
    AllDomainsUnreachable,
    BadResponseError,
    ConfigError,
    LiaobotsError,
    NetworkError,
    RateLimitError,
    StreamTimeout,
)

USER_AGENT = f"liaobots-tui/{__version__}"

#: How much of an error body we read to classify it (they are small; an HTML page may not be).
MAX_ERROR_BODY = 64 * 1024

#: Statuses that mean "this domain's front door is broken", not "the model said no".
_FAILOVER_STATUSES = frozenset({502, 503, 504})

#: Shorter auth codes are not scrubbed from messages (see GatewayClient._scrub).
_MIN_SCRUB_LEN = 6

#: Domain that last answered, per configured domain list, for the life of the process.
_ACTIVE: dict[tuple[str, ...], str] = {}


def reset_domain_memory() -> None:
    """Forget which domain answered last (tests; a config reload with new domains)."""
    _ACTIVE.clear()


@dataclass
class Timeouts:
    """httpx timeouts in seconds. ``read`` is the longest silence tolerated mid-reply."""

    connect: float = 10.0
    read: float = 120.0
    write: float = 30.0
    pool: float = 10.0

    def to_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


def host_of(base_url: str) -> str:
    """``ai.liaobots.work`` (or ``127.0.0.1:8080`` when a port is given) for messages."""
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL:
        return base_url
    host = url.host or base_url
    return f"{host}:{url.port}" if url.port else host


def _connect_reason(exc: Exception) -> str:
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
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
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


class GatewayClient:
    """Talks to the gateway over the configured domains. Use as ``async with``.

    Args:
        base_urls: Domains in preference order, e.g. ``["https://ai.liaobots.work", …]``.
        auth_code: The login code; sent only as a header the adapter chooses.
        timeouts: httpx timeouts (defaults: connect 10 s, read 120 s).
        transport: An httpx transport to use instead of the network (tests).
        max_retries: Resends after a rate limit/overload answer (not failover).
        max_retry_wait: Most seconds spent waiting across those resends.
        sleep: How to wait (tests pass a recorder).
        jitter: Random extra fraction on computed backoff delays (not on server hints).

    Raises:
        ConfigError: when no domain is given, or the auth code cannot be sent as a header.
    """

    def __init__(
        self,
        base_urls: Sequence[str],
        auth_code: str,
        *,
        timeouts: Timeouts | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        max_retries: int = 3,
        max_retry_wait: float = 60.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: float = 0.25,
    ) -> None:
        urls = tuple(u.strip().rstrip("/") for u in base_urls if u.strip())
        if not urls:
            raise ConfigError("no gateway domain configured")
        # Checked here because httpx would fail later with an encoding error, or h11 with
        # an "illegal header value" message that quotes the header, i.e. the code itself.
        if any(not 0x21 <= ord(ch) <= 0x7E for ch in auth_code):
            raise ConfigError("the auth code may only contain printable ASCII characters without spaces")
        self._base_urls = urls
        self._auth_code = auth_code
        self._timeouts = timeouts or Timeouts()
        self._max_retries = max(0, max_retries)
        self._max_retry_wait = max(0.0, max_retry_wait)
        self._sleep = sleep
        self._jitter = max(0.0, jitter)
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=self._timeouts.to_httpx(),
            headers={"User-Agent": USER_AGENT},
            # A redirect could carry our auth header to another host; the gateway never redirects.
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        # Explicit so the auth code can never show up in a repr or a traceback's locals dump.
        return f"GatewayClient(base_urls={list(self._base_urls)!r})"

    @property
    def base_urls(self) -> tuple[str, ...]:
        return self._base_urls

    @property
    def active_base_url(self) -> str:
        """The domain that answered last in this process (the first one until then)."""
        return _ACTIVE.get(self._base_urls, self._base_urls[0])

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> GatewayClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # ------------------------------------------------------------------ public calls

    async def stream_reply(
        self,
        adapter: Adapter,
        conversation: Conversation,
        options: RequestOptions,
        parser: ReplyParser,
    ) -> AsyncGenerator[StreamEvent, None]:
        """Send one chat request and yield its events as they arrive.

        Always ends with the parser's terminal event, or one :class:`ErrorEvent`
        (never raises a :class:`LiaobotsError`). ``parser.parts()`` holds the
        reply so far, including after an error. Transport notices
        (:class:`DomainEvent`, :class:`RetryEvent`) may come before the reply.
        """
        try:
            request = adapter.build_request(conversation, options)
        except LiaobotsError as exc:
            yield self._event_for(exc)
            return
        headers = {**request.headers, **adapter.auth_headers(self._auth_code)}
        path = request.path if request.path.startswith("/") else "/" + request.path
        streaming = options.stream and request.stream
        async with aclosing(
            self._exchange(
                request.method, path, headers=headers, json_body=request.json, parse_error=adapter.parse_error
            )
        ) as items:
            async for item in items:
                if isinstance(item, LiaobotsError):
                    yield self._event_for(item)
                    return
                if isinstance(item, httpx.Response):
                    # aclosing: close the inner generators now, not whenever they are collected.
                    async with aclosing(self._read_reply(item, parser, streaming)) as events:
                        async for event in events:
                            yield event
                    return
                yield item

    async def get_json(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """GET ``path`` with Bearer auth (same failover and retries) and decode its JSON.

        Raises:
            LiaobotsError: a subclass per failure (AuthError, AllDomainsUnreachable,
                RateLimitError after the retries, BadResponseError for non-JSON…).
        """
        headers = {"Authorization": f"Bearer {self._auth_code}", "Accept": "application/json"}
        path = path if path.startswith("/") else "/" + path
        async with aclosing(
            self._exchange("GET", path, headers=headers, params=params, parse_error=error_from_http)
        ) as items:
            async for item in items:
                if isinstance(item, LiaobotsError):
                    raise self._scrubbed(item)
                if isinstance(item, httpx.Response):
                    try:
                        body = await item.aread()
                    except httpx.ReadTimeout:
                        raise self._scrubbed(StreamTimeout(self._stall_message())) from None
                    except httpx.HTTPError:
                        raise NetworkError("The connection dropped while reading the reply.") from None
                    try:
                        return json.loads(body)
                    except ValueError:
                        # The snippet is the gateway's text: a login page may well show the code.
                        error = BadResponseError(f"GET {path} did not return JSON ({_snippet(body)})")
                        raise self._scrubbed(error) from None
        raise AssertionError("unreachable: _exchange always ends with a response or an error")

    def scrub_error(self, error: LiaobotsError) -> LiaobotsError:
        """``error`` with this client's auth code masked in its message (changed in place, returned).

        For errors built from gateway data outside this module (account replies):
        everything this client raises or yields is scrubbed already.
        """
        return self._scrubbed(error)

    # ------------------------------------------------------------------ internals

    def _scrub(self, text: str) -> str:
        code = self._auth_code
        # Below 6 characters a "code" is a test/demo value, and replacing it would mangle
        # ordinary words ("x" in "nonexistent"); real login codes are much longer.
        if len(code) < _MIN_SCRUB_LEN or code not in text:
            return text
        return text.replace(code, "[auth code]")

    def _scrubbed(self, error: LiaobotsError) -> LiaobotsError:
        error.message = self._scrub(error.message)
        error.args = (error.message,)
        return error

    def _event_for(self, error: LiaobotsError) -> ErrorEvent:
        return self._scrub_event(to_event(error))

    def _scrub_event(self, event: ErrorEvent) -> ErrorEvent:
        title, message = self._scrub(event.title), self._scrub(event.message)
        if title == event.title and message == event.message:
            return event
        return replace(event, title=title, message=message)

    def _stall_message(self) -> str:
        return f"no data for {self._timeouts.read:g} s"

    def _order(self) -> list[str]:
        start = self._base_urls.index(self.active_base_url)
        return list(self._base_urls[start:] + self._base_urls[:start])

    def _backoff(self, retries_done: int) -> float:
        base = float(2**retries_done)
        return base * (1.0 + self._jitter * random.random()) if self._jitter else base

    async def _exchange(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str],
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        parse_error: Callable[[int, str, Mapping[str, str]], LiaobotsError],
    ) -> AsyncGenerator[DomainEvent | RetryEvent | LiaobotsError | httpx.Response, None]:
        """Failover and retries. Ends with an open 2xx ``httpx.Response`` or a ``LiaobotsError``.

        The response stays open while the consumer handles it (this generator is
        suspended at the ``yield``) and is closed when the generator is closed.
        """
        served_from = self.active_base_url
        retries_done = 0
        waited = 0.0
        while True:
            failures: list[str] = []
            outcome: httpx.Response | LiaobotsError | None = None
            for base in self._order():
                try:
                    request = self._client.build_request(
                        method, base + path, headers=headers, json=json_body, params=params
                    )
                    response = await self._client.send(request, stream=True)
                except httpx.ReadTimeout:
                    # The request went out and nothing came back: it may be running. Do not resend.
                    outcome = StreamTimeout(f"no reply for {self._timeouts.read:g} s")
                    break
                except (httpx.TransportError, httpx.InvalidURL) as exc:
                    failures.append(f"{host_of(base)}: {_connect_reason(exc)}")
                    continue
                try:
                    status = response.status_code
                    if 200 <= status < 300:
                        _ACTIVE[self._base_urls] = base
                        if base != served_from:
                            yield DomainEvent(base)
                        yield response
                        return
                    if status in (502, 504):
                        failures.append(f"{host_of(base)}: HTTP {status}")
                        continue
                    body = await self._read_error_body(response)
                    error = parse_error(status, body, response.headers)
                    if status in _FAILOVER_STATUSES and not (
                        isinstance(error, RateLimitError) and error.retry_after is not None
                    ):
                        failures.append(f"{host_of(base)}: HTTP {status}")
                        continue
                    # This domain answered: it is the one to use from now on.
                    _ACTIVE[self._base_urls] = base
                    if base != served_from:
                        served_from = base
                        yield DomainEvent(base)
                    outcome = error
                    break
                finally:
                    # A failure while closing must not turn into a failover (or mask the real outcome).
                    with contextlib.suppress(httpx.HTTPError):
                        await response.aclose()

            if outcome is None:
                yield AllDomainsUnreachable("; ".join(failures))
                return
            if not isinstance(outcome, RateLimitError):
                yield outcome
                return
            # Rate limited or overloaded: wait and resend to the same domain, within bounds.
            hint = outcome.retry_after
            delay = hint if hint is not None else self._backoff(retries_done)
            if retries_done >= self._max_retries or waited + delay > self._max_retry_wait:
                if hint is not None and waited + delay > self._max_retry_wait:
                    outcome.message = f"{outcome.message} (the server asks to wait {hint:g} s)"
                    outcome.args = (outcome.message,)
                yield outcome
                return
            retries_done += 1
            yield RetryEvent(delay, retries_done + 1, _overload_reason(outcome.status, outcome))
            await self._sleep(delay)
            waited += delay

    @staticmethod
    async def _read_error_body(response: httpx.Response) -> str:
        """Up to MAX_ERROR_BODY bytes of an error body; a broken read keeps what arrived."""
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in response.aiter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size >= MAX_ERROR_BODY:
                    break
        except httpx.HTTPError:
            pass
        return b"".join(chunks)[:MAX_ERROR_BODY].decode("utf-8", "replace")

    async def _read_reply(
        self, response: httpx.Response, parser: ReplyParser, streaming: bool
    ) -> AsyncGenerator[StreamEvent, None]:
        """Parse a 2xx reply. No resend from here on, whatever happens."""
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        failure: ErrorEvent | None = None
        try:
            if streaming and content_type != "application/json":
                async with aclosing(iter_sse_batches(response)) as batches:
                    async for batch in batches:
                        for name, data in batch:
                            for event in parser.feed(name, data):
                                yield self._scrub_event(event) if isinstance(event, ErrorEvent) else event
                            if parser.done:
                                return
                for event in parser.end():
                    yield self._scrub_event(event) if isinstance(event, ErrorEvent) else event
                return
            body = await response.aread()
        except httpx.ReadTimeout:
            failure = self._event_for(StreamTimeout(self._stall_message()))
        except httpx.DecodingError:
            failure = self._event_for(BadResponseError("The reply could not be decoded (bad compression)."))
        except httpx.HTTPError:
            failure = ErrorEvent(
                "Connection lost",
                "The connection dropped before the reply was complete.",
                retryable=True,
                kind="network",
            )
        if failure is not None:
            parser.done = True
            yield failure
            return

        # A whole JSON body: a non-stream reply, or a gateway answering a stream request with JSON.
        try:
            decoded = json.loads(body)
        except ValueError:
            if streaming:
                # Mislabelled event stream after all: parse it as one.
                for event in self._sse_from_bytes(body, parser):
                    yield event
                return
            parser.done = True
            yield self._event_for(BadResponseError(f"The reply is not valid JSON ({_snippet(body)})."))
            return
        for event in parser.feed_body(decoded):
            yield self._scrub_event(event) if isinstance(event, ErrorEvent) else event

    def _sse_from_bytes(self, body: bytes, parser: ReplyParser) -> list[StreamEvent]:
        decoder = SSEDecoder()
        events: list[StreamEvent] = []
        for name, data in [*decoder.feed(body), *decoder.close()]:
            events.extend(parser.feed(name, data))
            if parser.done:
                break
        else:
            events.extend(parser.end())
        return [self._scrub_event(e) if isinstance(e, ErrorEvent) else e for e in events]


def _snippet(body: bytes) -> str:
    text = " ".join(body[:200].decode("utf-8", "replace").split())
    return repr(text[:80]) if text else "empty body"
