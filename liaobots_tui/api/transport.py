"""The gateway client: chat requests with streamed replies, and JSON calls for the account.

One :class:`GatewayClient` owns one ``httpx.AsyncClient`` and sends through a
:class:`~liaobots_tui.api.failover.FailoverTransport` (domain order, failover
before any byte, rate-limit retries). This module reads what comes back, within
:class:`~liaobots_tui.api.limits.Limits`:

* after a 2xx nothing is ever resent: a stall, a dropped connection, a line or a
  body past its cap, or the overall deadline ends the reply with one
  :class:`ErrorEvent`, and what was parsed so far stays in the parser. A reply
  whose parser already saw its finish (then a usage chunk or end marker that
  never comes, or comes broken) ends normally instead;
* replies are opened with ``client.send(stream=True)`` and closed in a
  ``finally`` (what ``client.stream()`` does), so cancelling the consumer or
  closing the generator closes the connection at once.

The auth code travels only in request headers. Every byte the gateway sends is
scrubbed of it before any parser or summary sees it (each SSE event's data, each
body, each error body), and every error text leaving this module is scrubbed
again, with a piece of the code left at a cut masked too (``api/sanitize.py``).
"""

from __future__ import annotations

import asyncio
import importlib
import ssl
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping, Sequence
from contextlib import aclosing, suppress
from dataclasses import replace
from functools import cache
from types import TracebackType
from typing import Any

from liaobots_tui import __version__
from liaobots_tui.api.base import Adapter, ReplyParser
from liaobots_tui.api.failover import (
    DomainMemory,
    FailoverTransport,
    RetryPolicy,
    Timeouts,
    host_of,
    normalise_base_urls,
)
from liaobots_tui.api.http_errors import error_from_http, to_event
from liaobots_tui.api.lean_httpx import httpx
from liaobots_tui.api.limits import DEFAULT_LIMITS, Limits, deadline_at, loads, read_body
from liaobots_tui.api.messages import Conversation, ErrorEvent, FinishEvent, RequestOptions, StreamEvent
from liaobots_tui.api.sanitize import MIN_SECRET_LEN, clean_line, scrub_cut, scrub_secret
from liaobots_tui.api.sse import SSEDecoder, iter_sse_batches
from liaobots_tui.errors import (
    BadResponseError,
    ConfigError,
    LiaobotsError,
    NetworkError,
    StreamTimeout,
)

__all__ = ["DomainMemory", "GatewayClient", "Limits", "Timeouts", "host_of"]

USER_AGENT = f"liaobots-tui/{__version__}"

#: How much of an error body we read to classify it (they are small; an HTML page may not be).
MAX_ERROR_BODY = DEFAULT_LIMITS.max_error_body


@cache
def shared_tls_context() -> ssl.SSLContext:
    """The TLS settings every client of this process uses, made once.

    httpx builds a context per client by default, loading the whole CA bundle each time
    (0.1-0.15 s of CPU): the app makes a client per (re)connect and one per auth-code
    check. The context is what httpx's default would be (its CA bundle, SSL_CERT_FILE /
    SSL_CERT_DIR honoured); an ``SSLContext`` may be shared by many connections.
    """
    return httpx.create_ssl_context()


#: What prepare_http has done in this process: the HTTP stack imported, the TLS settings loaded.
_ready = {"stack": False, "tls": False}


def prepare_http(*, tls: bool = True) -> None:
    """Import the HTTP stack and (``tls``) load the TLS settings: the costly part of a first request.

    :class:`GatewayClient` runs it in a worker thread before its first request. On the
    app's event loop it was one step of 110-190 ms of CPU right after the first paint
    (measured: importing httpx and httpcore, anyio's asyncio backend that httpcore's first
    lock loads, and the CA bundle), while the user could be typing already. Idempotent.
    """
    if not _ready["stack"]:
        httpx.AsyncClient  # noqa: B018 - the name's first look-up imports httpx (see lean_httpx)
        with suppress(ImportError):  # what httpcore's first lock imports on asyncio
            importlib.import_module("anyio._backends._asyncio")
        _ready["stack"] = True
    if tls and not _ready["tls"]:
        shared_tls_context()
        _ready["tls"] = True


def http_prepared(*, tls: bool = True) -> bool:
    """Has :func:`prepare_http` done that much already?"""
    return _ready["stack"] and (_ready["tls"] or not tls)


class GatewayClient:
    """Talks to the gateway over the configured domains. Use as ``async with``.

    Args:
        base_urls: Domains in preference order, e.g. ``["https://ai.liaobots.work", …]``.
        auth_code: The login code; sent only as a header the adapter chooses.
        timeouts: Timeouts (defaults: connect 10 s, read 120 s, no overall deadline).
        transport: An httpx transport to use instead of the network (tests).
        max_retries: Resends after a rate limit/overload answer (not failover).
        max_retry_wait: Most seconds spent waiting across those resends.
        sleep: How to wait (tests pass a recorder).
        jitter: Random extra fraction on computed backoff delays (not on server hints).
        domain_memory: Which domain answered last, shared by the clients its owner
            creates (the app passes one for its lifetime); a fresh one by default.
        limits: Caps on what a reply may bring (defaults: :data:`DEFAULT_LIMITS`).

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
        domain_memory: DomainMemory | None = None,
        limits: Limits | None = None,
    ) -> None:
        urls = normalise_base_urls(base_urls)
        if not urls:
            raise ConfigError("no gateway domain configured")
        # Checked here because httpx would fail later with an encoding error, or h11 with
        # an "illegal header value" message that quotes the header, i.e. the code itself.
        if any(not 0x21 <= ord(ch) <= 0x7E for ch in auth_code):
            raise ConfigError("the auth code may only contain printable ASCII characters without spaces")
        self._base_urls = urls
        self._auth_code = auth_code
        # Below MIN_SECRET_LEN a "code" is a test/demo value: scrubbing it would mangle words.
        self._secret: str | None = auth_code if len(auth_code) >= MIN_SECRET_LEN else None
        self._timeouts = timeouts or Timeouts()
        self.limits = limits or DEFAULT_LIMITS
        self._transport = transport
        # Built on first use (see _client): making one imports httpcore (and trio or anyio
        # when installed) and loads the CA bundle, ~0.3-0.4 s that the app's first paint
        # and `liaobots chats` should not wait for.
        self._http: httpx.AsyncClient | None = None
        self._failover = FailoverTransport(
            lambda: self._client,
            urls,
            memory=domain_memory if domain_memory is not None else DomainMemory(),
            timeouts=self._timeouts,
            retry=RetryPolicy(max(0, max_retries), max(0.0, max_retry_wait), max(0.0, jitter), sleep),
            scrub=self.scrub,
            max_error_body=self.limits.max_error_body,
        )

    async def _prepare(self) -> None:
        """Before the first request: the HTTP stack imported off the event loop (see prepare_http)."""
        tls = self._transport is None  # a given transport (tests) brings its own
        if not http_prepared(tls=tls):
            await asyncio.to_thread(prepare_http, tls=tls)

    @property
    def _client(self) -> httpx.AsyncClient:
        """The ``httpx.AsyncClient``, made on first use."""
        if self._http is None:
            self._http = httpx.AsyncClient(
                transport=self._transport,
                verify=True if self._transport is not None else shared_tls_context(),
                timeout=self._timeouts.to_httpx(),
                headers={"User-Agent": USER_AGENT},
                # A redirect could carry our auth header to another host; the gateway never redirects.
                follow_redirects=False,
            )
        return self._http

    def __repr__(self) -> str:
        # Explicit so the auth code can never show up in a repr or a traceback's locals dump.
        return f"GatewayClient(base_urls={list(self._base_urls)!r})"

    @property
    def base_urls(self) -> tuple[str, ...]:
        return self._base_urls

    @property
    def active_base_url(self) -> str:
        """The domain that answered last (per this client's domain memory; the first one until then)."""
        return self._failover.active_base_url

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

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
        await self._prepare()
        deadline = deadline_at(self._timeouts.deadline)
        headers = {**request.headers, **adapter.auth_headers(self._auth_code)}
        path = request.path if request.path.startswith("/") else "/" + request.path
        streaming = options.stream and request.stream
        exchange = self._failover.exchange(
            request.method,
            path,
            headers=headers,
            json_body=request.json,
            parse_error=adapter.parse_error,
            deadline=deadline,
        )
        async with aclosing(exchange) as items:
            async for item in items:
                if isinstance(item, LiaobotsError):
                    yield self._event_for(item)
                    return
                if isinstance(item, httpx.Response):
                    # aclosing: close the inner generators now, not whenever they are collected.
                    async with aclosing(self._read_reply(item, parser, streaming, deadline)) as events:
                        async for event in events:
                            yield event
                    return
                yield item

    async def get_json(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """GET ``path`` with Bearer auth (same failover and retries) and decode its JSON.

        The body may be at most ``limits.max_account_body`` bytes (after decompression)
        and is scrubbed of the auth code before it is decoded.

        Raises:
            LiaobotsError: a subclass per failure (AuthError, AllDomainsUnreachable,
                RateLimitError after the retries, BadResponseError for non-JSON or
                nesting too deep, ReplyTooLarge past the cap, DeadlineExceeded…).
        """
        await self._prepare()
        deadline = deadline_at(self._timeouts.deadline)
        headers = {"Authorization": f"Bearer {self._auth_code}", "Accept": "application/json"}
        path = path if path.startswith("/") else "/" + path
        exchange = self._failover.exchange(
            "GET", path, headers=headers, params=params, parse_error=error_from_http, deadline=deadline
        )
        async with aclosing(exchange) as items:
            async for item in items:
                if isinstance(item, LiaobotsError):
                    raise self.scrub_error(item)
                if isinstance(item, httpx.Response):
                    try:
                        raw = await read_body(
                            item,
                            max_bytes=self.limits.max_account_body,
                            what=f"The reply to GET {path}",
                            deadline=deadline,
                            deadline_seconds=self._timeouts.deadline,
                        )
                    except LiaobotsError as exc:
                        raise self.scrub_error(exc) from None
                    except httpx.ReadTimeout:
                        raise self.scrub_error(StreamTimeout(self._stall_message())) from None
                    except httpx.DecodingError:
                        raise BadResponseError("The reply could not be decoded (bad compression).") from None
                    except httpx.HTTPError:
                        raise NetworkError("The connection dropped while reading the reply.") from None
                    text = self.scrub(raw.decode("utf-8", "replace"))
                    try:
                        return loads(text, f"The reply to GET {path}")
                    except ValueError:
                        # The snippet is the gateway's text: already scrubbed above.
                        error = BadResponseError(f"GET {path} did not return JSON ({_snippet(text)})")
                        raise self.scrub_error(error) from None
                    except LiaobotsError as exc:
                        raise self.scrub_error(exc) from None
        raise AssertionError("unreachable: exchange always ends with a response or an error")

    def scrub(self, text: str) -> str:
        """``text`` without this client's auth code (unchanged when the code is too short to scrub)."""
        return scrub_secret(text, self._secret)

    def scrub_error(self, error: LiaobotsError) -> LiaobotsError:
        """``error`` with this client's auth code masked in its message (changed in place, returned).

        For errors built from gateway data outside this module (account replies):
        everything this client raises or yields is scrubbed already.
        """
        error.message = scrub_cut(error.message, self._secret)
        error.args = (error.message,)
        return error

    # ------------------------------------------------------------------ internals

    def _event_for(self, error: LiaobotsError) -> ErrorEvent:
        return self._scrub_event(to_event(error))

    def _scrub_event(self, event: ErrorEvent) -> ErrorEvent:
        title, message = scrub_cut(event.title, self._secret), scrub_cut(event.message, self._secret)
        if title == event.title and message == event.message:
            return event
        return replace(event, title=title, message=message)

    def _checked(self, event: StreamEvent) -> StreamEvent:
        """The last scrub of the events that carry server words (text was scrubbed as raw data)."""
        if isinstance(event, ErrorEvent):
            return self._scrub_event(event)
        if isinstance(event, FinishEvent) and event.raw:
            raw = clean_line(scrub_cut(event.raw, self._secret), 80)
            return event if raw == event.raw else replace(event, raw=raw)
        return event

    def _stall_message(self) -> str:
        return f"no data for {self._timeouts.read:g} s"

    async def _read_reply(
        self, response: httpx.Response, parser: ReplyParser, streaming: bool, deadline: float | None
    ) -> AsyncGenerator[StreamEvent, None]:
        """Parse a 2xx reply. No resend from here on, whatever happens."""
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        limits = self.limits
        secret = self._secret
        failure: ErrorEvent | None = None
        try:
            if streaming and content_type != "application/json":
                batches = iter_sse_batches(
                    response,
                    max_line=limits.max_sse_line,
                    max_bytes=limits.max_stream_bytes,
                    deadline=deadline,
                    deadline_seconds=self._timeouts.deadline,
                )
                async with aclosing(batches):
                    async for batch in batches:
                        for name, data in batch:
                            if secret is not None and secret in data:
                                data = scrub_secret(data, secret)
                            for event in parser.feed(name, data):
                                yield self._checked(event)
                            if parser.done:
                                return
                for event in parser.end():
                    yield self._checked(event)
                return
            body = await read_body(
                response,
                max_bytes=limits.max_reply_body,
                what="The reply",
                deadline=deadline,
                deadline_seconds=self._timeouts.deadline,
            )
        except LiaobotsError as exc:  # a cap or the deadline
            failure = self._event_for(exc)
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
            if parser.finished:
                # The reply itself was complete; only what trails it (usage, an end marker) went
                # missing: a stall, a drop or an oversized trailer there loses nothing the user reads.
                for event in parser.end():
                    yield self._checked(event)
                return
            parser.done = True
            yield failure
            return

        # A whole JSON body: a non-stream reply, or a gateway answering a stream request with JSON.
        text = self.scrub(body.decode("utf-8", "replace"))
        try:
            decoded = loads(text, "The reply")
        except LiaobotsError as exc:
            parser.done = True
            yield self._event_for(exc)
            return
        except ValueError:
            if streaming:
                # Mislabelled event stream after all: parse it as one.
                for event in self._sse_from_text(text, parser):
                    yield event
                return
            parser.done = True
            yield self._event_for(BadResponseError(f"The reply is not valid JSON ({_snippet(text)})."))
            return
        for event in parser.feed_body(decoded):
            yield self._checked(event)

    def _sse_from_text(self, text: str, parser: ReplyParser) -> list[StreamEvent]:
        decoder = SSEDecoder(self.limits.max_sse_line)
        events: list[StreamEvent] = []
        try:
            pairs = [*decoder.feed(text.encode("utf-8")), *decoder.close()]
        except LiaobotsError as exc:
            parser.done = True
            return [self._event_for(exc)]
        for name, data in pairs:
            events.extend(parser.feed(name, data))
            if parser.done:
                break
        else:
            events.extend(parser.end())
        return [self._checked(e) for e in events]


def _snippet(text: str) -> str:
    """The start of a body for a message: one clean line of at most 80 characters, quoted."""
    line = clean_line(text[:400], 80)
    return repr(line) if line else "empty body"
