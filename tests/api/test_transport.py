"""GatewayClient: failover, retries, mid-stream failures, cancellation, get_json.

A MockTransport handler plays three gateway domains; a fake adapter/parser
(defined here, not the real ones) keeps these tests about the transport only.
"""

from __future__ import annotations

import asyncio
import errno
import json
import socket
import ssl
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

import httpx
import pytest

from liaobots_tui import __version__
from liaobots_tui.api.base import Adapter, HttpRequest, ReplyParser
from liaobots_tui.api.http_errors import error_from_http, stream_error_event
from liaobots_tui.api.limits import Limits
from liaobots_tui.api.messages import (
    Conversation,
    DomainEvent,
    ErrorEvent,
    FinishEvent,
    RequestOptions,
    RetryEvent,
    StreamEvent,
    TextDelta,
    TextPart,
)
from liaobots_tui.api.transport import DomainMemory, GatewayClient, Timeouts
from liaobots_tui.errors import (
    AllDomainsUnreachable,
    AuthError,
    BadResponseError,
    ConfigError,
    InputError,
    LiaobotsError,
    RateLimitError,
    ReplyTooLarge,
)
from tests.api.replay import LOST

CODE = "secret-login-code-123"
URLS = ["https://a.test", "https://b.test", "https://c.test"]

# ---------------------------------------------------------------- fakes


class FakeParser(ReplyParser):
    """Data is {"t": text}, an error envelope, or [DONE]."""

    def feed(self, event: str, data: str) -> list[StreamEvent]:
        if data == "[DONE]":
            self.done = True
            return [FinishEvent("stop")]
        return super().feed(event, data)

    def feed_json(self, event: str, obj: Any) -> list[StreamEvent]:
        if "error" in obj:
            self.done = True
            return [stream_error_event(obj)]
        self.builder.add_text(obj["t"])
        return [TextDelta(obj["t"])]

    def feed_body(self, body: Any) -> list[StreamEvent]:
        self.done = True
        if "error" in body:
            return [stream_error_event(body)]
        self.builder.add_text(body["t"])
        return [TextDelta(body["t"]), FinishEvent("stop")]


class FakeAdapter(Adapter):
    format = "openai"

    def __init__(self) -> None:
        self.parse_error_calls: list[int] = []

    def build_request(self, conversation: Conversation, options: RequestOptions) -> HttpRequest:
        if options.model == "bad":
            raise InputError("aspect ratio 7:3 is not supported")
        return HttpRequest(
            path="/v1/chat/completions",
            json={"model": options.model, "stream": options.stream},
            headers={"X-Format": "fake"},
            stream=options.stream,
        )

    def auth_headers(self, auth_code: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {auth_code}"}

    def new_parser(self) -> ReplyParser:
        return FakeParser()

    def parse_error(self, status: int, body: str, headers: Mapping[str, str]) -> LiaobotsError:
        self.parse_error_calls.append(status)
        return error_from_http(status, body, headers)


Action = Callable[[httpx.Request], httpx.Response]


class Gateway:
    """Per-host queues of actions; the last action of a queue repeats."""

    def __init__(self, **plan: Action | list[Action]) -> None:
        self.plan = {host: (a if isinstance(a, list) else [a]) for host, a in plan.items()}
        self.calls: list[str] = []
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host.split(".")[0]
        self.calls.append(host)
        self.requests.append(request)
        actions = self.plan.get(host) or [refuse]
        action = actions.pop(0) if len(actions) > 1 else actions[0]
        return action(request)


def refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno 111] Connection refused", request=request)


def connect_timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectTimeout("timed out", request=request)


def dns_fail(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)


def status(code: int, body: str = "", headers: dict[str, str] | None = None) -> Action:
    return lambda request: httpx.Response(code, text=body, headers=headers)


def html(code: int) -> Action:
    page = f"<html><head><title>{code} Bad Gateway</title></head><body>cloudflare</body></html>"
    return lambda request: httpx.Response(code, html=page)


def error_json(code: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Action:
    return lambda request: httpx.Response(code, json=body, headers=headers)


async def _aiter(chunks: list[bytes], then: Exception | None = None) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk
    if then is not None:
        raise then


def sse(*chunks: bytes, then: Exception | None = None) -> Action:
    return lambda request: httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content=_aiter(list(chunks), then)
    )


OK_BODY = (b'data: {"t":"Hel', b'lo"}\r', b'\n\r\ndata: {"t":" w\xc3', b'\xb6rld"}\n\n', b"data: [DONE]\n\n")
OK_EVENTS: list[StreamEvent] = [TextDelta("Hello"), TextDelta(" wörld"), FinishEvent("stop")]


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def make_client(gateway: Gateway, sleeps: Sleeps | None = None, **kwargs: Any) -> GatewayClient:
    return GatewayClient(
        URLS,
        CODE,
        transport=httpx.MockTransport(gateway),
        sleep=sleeps or Sleeps(),
        jitter=kwargs.pop("jitter", 0.0),
        **kwargs,
    )


async def run(
    client: GatewayClient, *, stream: bool = True, model: str = "m", adapter: FakeAdapter | None = None
) -> tuple[list[StreamEvent], ReplyParser]:
    adapter = adapter or FakeAdapter()
    parser = adapter.new_parser()
    options = RequestOptions(model=model, stream=stream)
    events = [e async for e in client.stream_reply(adapter, Conversation(), options, parser)]
    return events, parser


# ---------------------------------------------------------------- happy path


async def test_streams_a_reply_split_into_odd_chunks() -> None:
    gateway = Gateway(a=sse(*OK_BODY))
    async with make_client(gateway) as client:
        events, parser = await run(client)
    assert events == OK_EVENTS
    assert parser.parts() == [TextPart("Hello wörld")]
    assert gateway.calls == ["a"]
    request = gateway.requests[0]
    assert str(request.url) == "https://a.test/v1/chat/completions"
    assert request.method == "POST"
    assert request.headers["authorization"] == f"Bearer {CODE}"
    assert request.headers["x-format"] == "fake"
    assert request.headers["user-agent"] == f"liaobots-tui/{__version__}"
    assert json.loads(request.content) == {"model": "m", "stream": True}


async def test_stops_reading_once_the_parser_is_done() -> None:
    # Anything after [DONE] — even a broken connection — is never read.
    gateway = Gateway(a=sse(b"data: [DONE]\n\n", b'data: {"t":"late"}\n\n', then=httpx.ReadError("x")))
    async with make_client(gateway) as client:
        events, _ = await run(client)
    assert events == [FinishEvent("stop")]


async def test_stream_that_ends_without_terminal_event_gets_parser_end() -> None:
    gateway = Gateway(a=sse(b'data: {"t":"partial"}\n\n'))
    async with make_client(gateway) as client:
        events, parser = await run(client)
    assert events == [
        TextDelta("partial"),
        LOST,
    ]
    assert parser.parts() == [TextPart("partial")]


async def test_non_stream_reply_is_fed_as_one_body() -> None:
    gateway = Gateway(a=lambda request: httpx.Response(200, json={"t": "whole"}))
    async with make_client(gateway) as client:
        events, _ = await run(client, stream=False)
    assert events == [TextDelta("whole"), FinishEvent("stop")]
    assert json.loads(gateway.requests[0].content) == {"model": "m", "stream": False}


async def test_non_stream_bad_json_is_a_bad_response() -> None:
    gateway = Gateway(a=status(200, "<html>oops</html>"))
    async with make_client(gateway) as client:
        events, parser = await run(client, stream=False)
    assert events == [
        ErrorEvent("Bad response", "The reply is not valid JSON ('<html>oops</html>').", kind="bad_response")
    ]
    assert parser.done is True


async def test_json_error_body_answering_a_stream_request() -> None:
    body = {"error": {"message": "model not found", "type": "invalid_request_error"}}
    gateway = Gateway(a=error_json(200, body))
    async with make_client(gateway) as client:
        events, _ = await run(client)
    assert events == [ErrorEvent("Upstream error", "model not found", kind="upstream")]


async def test_event_stream_mislabelled_as_json_is_still_parsed() -> None:
    body = b"".join(OK_BODY)
    gateway = Gateway(
        a=lambda request: httpx.Response(200, headers={"content-type": "application/json"}, content=body)
    )
    async with make_client(gateway) as client:
        events, _ = await run(client)
    assert events == OK_EVENTS


async def test_input_error_from_build_request_is_an_event_and_nothing_is_sent() -> None:
    gateway = Gateway(a=sse(*OK_BODY))
    async with make_client(gateway) as client:
        events, _ = await run(client, model="bad")
    assert events == [ErrorEvent("Invalid input", "aspect ratio 7:3 is not supported", kind="input")]
    assert gateway.calls == []


# ---------------------------------------------------------------- failover


async def test_failover_in_order_then_remembered_across_clients_sharing_a_memory() -> None:
    gateway = Gateway(a=refuse, b=html(502), c=sse(*OK_BODY))
    memory = DomainMemory()
    async with make_client(gateway, domain_memory=memory) as client:
        events, _ = await run(client)
        assert client.active_base_url == "https://c.test"
    assert events == [DomainEvent("https://c.test"), *OK_EVENTS]
    assert gateway.calls == ["a", "b", "c"]

    # A new client given the same memory starts at the domain that worked: no failover, no notice.
    gateway.plan["c"] = [sse(*OK_BODY)]
    async with make_client(gateway, domain_memory=memory) as client:
        assert client.active_base_url == "https://c.test"
        events, _ = await run(client)
    assert events == OK_EVENTS
    assert gateway.calls == ["a", "b", "c", "c"]

    # A client with its own memory (another owner) starts at the first domain again.
    gateway.plan.update(a=[refuse], b=[refuse], c=[sse(*OK_BODY)])
    async with make_client(gateway) as client:
        assert client.active_base_url == "https://a.test"


async def test_failover_wraps_around_from_the_remembered_domain() -> None:
    gateway = Gateway(a=refuse, b=refuse, c=sse(*OK_BODY))
    async with make_client(gateway) as client:
        await run(client)
        gateway.plan = {"a": [sse(*OK_BODY)], "b": [refuse], "c": [connect_timeout]}
        gateway.calls.clear()
        events, _ = await run(client)
        assert client.active_base_url == "https://a.test"
    assert gateway.calls == ["c", "a"]
    assert events == [DomainEvent("https://a.test"), *OK_EVENTS]


async def test_502_html_then_ok() -> None:
    gateway = Gateway(a=html(502), b=sse(*OK_BODY))
    async with make_client(gateway) as client:
        events, _ = await run(client)
    assert events == [DomainEvent("https://b.test"), *OK_EVENTS]
    assert gateway.calls == ["a", "b"]


async def test_503_without_wait_hint_fails_over_and_504_too() -> None:
    gateway = Gateway(a=status(503, "Service Unavailable"), b=html(504), c=sse(*OK_BODY))
    sleeps = Sleeps()
    async with make_client(gateway, sleeps) as client:
        events, _ = await run(client)
    assert events == [DomainEvent("https://c.test"), *OK_EVENTS]
    assert sleeps.delays == []


async def test_all_domains_dead_is_one_error_naming_each_host() -> None:
    gateway = Gateway(a=refuse, b=html(502), c=connect_timeout)
    async with make_client(gateway) as client:
        events, _ = await run(client)
        assert client.active_base_url == "https://a.test"
    assert events == [
        ErrorEvent(
            "All domains unreachable",
            "a.test: connection refused; b.test: HTTP 502; c.test: connect timeout",
            retryable=True,
            kind="network",
        )
    ]
    assert gateway.calls == ["a", "b", "c"]


async def test_reasons_for_dns_and_ports_in_host_names() -> None:
    gateway = Gateway(a=dns_fail)
    client = GatewayClient(
        ["https://a.test:8443/"], CODE, transport=httpx.MockTransport(gateway), sleep=Sleeps()
    )
    async with client:
        events, _ = await run(client)
    assert events == [
        ErrorEvent(
            "All domains unreachable", "a.test:8443: DNS lookup failed", retryable=True, kind="network"
        )
    ]


def raising(exc: Exception) -> Action:
    def action(request: httpx.Request) -> httpx.Response:
        raise exc

    return action


def chained(cause: BaseException) -> httpx.ConnectError:
    # What httpx really raises: a vague message, the socket error in the cause chain.
    try:
        try:
            raise cause
        except BaseException as inner:
            raise OSError("All connection attempts failed") from inner
    except OSError as outer:
        error = httpx.ConnectError("All connection attempts failed")
        error.__cause__ = outer
        return error


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (chained(ConnectionRefusedError(111, "Connect call failed")), "connection refused"),
        (chained(socket.gaierror(-2, "Name or service not known")), "DNS lookup failed"),
        (chained(ssl.SSLCertVerificationError("certificate verify failed")), "TLS error"),
        (chained(OSError(errno.ENETUNREACH, "Network is unreachable")), "network unreachable"),
        (httpx.ConnectError("All connection attempts failed"), "connection failed"),
        (httpx.WriteTimeout("timed out"), "write timeout"),
        (httpx.PoolTimeout("timed out"), "no free connection (pool timeout)"),
        (httpx.ProxyError("bad proxy"), "proxy error"),
        (httpx.UnsupportedProtocol("ftp"), "invalid URL"),
    ],
)
async def test_failure_reasons_come_from_the_cause_chain(exc: Exception, reason: str) -> None:
    async with make_client(Gateway(a=raising(exc), b=refuse, c=refuse)) as client:
        events, _ = await run(client)
    assert isinstance(events[0], ErrorEvent)
    assert events[0].message.split(";")[0] == f"a.test: {reason}"


async def test_connection_closed_before_the_status_line_fails_over() -> None:
    def closed(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)

    gateway = Gateway(a=closed, b=sse(*OK_BODY))
    async with make_client(gateway) as client:
        events, _ = await run(client)
    assert events == [DomainEvent("https://b.test"), *OK_EVENTS]


async def test_read_timeout_before_the_reply_is_not_resent() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    gateway = Gateway(a=slow, b=sse(*OK_BODY))
    async with make_client(gateway, timeouts=Timeouts(read=30)) as client:
        events, _ = await run(client)
    assert events == [ErrorEvent("Stream stalled", "no reply for 30 s", retryable=True, kind="network")]
    assert gateway.calls == ["a"]


# ---------------------------------------------------------------- rate limits and retries


@pytest.mark.parametrize(
    ("headers", "body", "delay"),
    [
        ({"Retry-After": "2"}, {"error": {"message": "Too many requests", "type": "rate_limit_error"}}, 2.0),
        ({"retry-after-ms": "1500"}, {"error": {"message": "slow down", "type": "rate_limit_error"}}, 1.5),
        (
            {},
            {
                "error": {
                    "code": 429,
                    "status": "RESOURCE_EXHAUSTED",
                    "message": "Resource exhausted, please retry.",
                    "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "3.5s"}],
                }
            },
            3.5,
        ),
    ],
    ids=["retry-after", "retry-after-ms", "gemini-retryDelay"],
)
async def test_429_waits_for_the_server_hint_then_resends(
    headers: dict[str, str], body: dict[str, Any], delay: float
) -> None:
    gateway = Gateway(a=[error_json(429, body, headers), sse(*OK_BODY)])
    sleeps = Sleeps()
    async with make_client(gateway, sleeps) as client:
        events, _ = await run(client)
    assert events == [RetryEvent(delay, 2, "Rate limited"), *OK_EVENTS]
    assert sleeps.delays == [delay]
    assert gateway.calls == ["a", "a"]


async def test_503_with_retry_after_is_retried_on_the_same_domain() -> None:
    gateway = Gateway(a=[status(503, "busy", {"Retry-After": "1"}), sse(*OK_BODY)])
    sleeps = Sleeps()
    async with make_client(gateway, sleeps) as client:
        events, _ = await run(client)
    assert events == [RetryEvent(1.0, 2, "Overloaded"), *OK_EVENTS]
    assert gateway.calls == ["a", "a"]


async def test_backoff_1_2_4_then_gives_up_after_max_retries() -> None:
    overloaded = error_json(
        529, {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    )
    gateway = Gateway(a=overloaded)
    sleeps = Sleeps()
    async with make_client(gateway, sleeps, max_retries=3) as client:
        events, _ = await run(client)
    assert events == [
        RetryEvent(1.0, 2, "Overloaded"),
        RetryEvent(2.0, 3, "Overloaded"),
        RetryEvent(4.0, 4, "Overloaded"),
        ErrorEvent("Rate limited", "Overloaded", retryable=True, kind="rate_limit", status=529),
    ]
    assert sleeps.delays == [1.0, 2.0, 4.0]
    assert gateway.calls == ["a", "a", "a", "a"]


async def test_backoff_jitter_stays_within_a_quarter() -> None:
    gateway = Gateway(a=[status(429, "slow down"), sse(*OK_BODY)])
    sleeps = Sleeps()
    async with make_client(gateway, sleeps, jitter=0.25) as client:
        await run(client)
    assert len(sleeps.delays) == 1
    assert 1.0 <= sleeps.delays[0] <= 1.25


async def test_total_wait_is_bounded() -> None:
    gateway = Gateway(a=status(429, "slow down", {"Retry-After": "100"}))
    sleeps = Sleeps()
    async with make_client(gateway, sleeps, max_retry_wait=60) as client:
        events, _ = await run(client)
    assert events == [
        ErrorEvent(
            "Rate limited",
            "HTTP 429: slow down (the server asks to wait 100 s)",
            retryable=True,
            kind="rate_limit",
            status=429,
        )
    ]
    assert sleeps.delays == []

    gateway = Gateway(a=status(429, "slow down", {"Retry-After": "25"}))
    sleeps = Sleeps()
    async with make_client(gateway, sleeps, max_retry_wait=60, max_retries=5) as client:
        events, _ = await run(client)
    assert sleeps.delays == [25.0, 25.0]
    assert gateway.calls == ["a", "a", "a"]
    assert events[-1].type == "error"


async def test_retry_after_failover_announces_the_domain_once() -> None:
    gateway = Gateway(a=refuse, b=[status(429, "slow", {"Retry-After": "1"}), sse(*OK_BODY)])
    async with make_client(gateway) as client:
        events, _ = await run(client)
    assert events == [DomainEvent("https://b.test"), RetryEvent(1.0, 2, "Rate limited"), *OK_EVENTS]
    assert gateway.calls == ["a", "b", "b"]


async def test_out_of_credit_is_never_retried() -> None:
    body = {
        "error": {
            "message": "You exceeded your current quota.",
            "type": "insufficient_quota",
            "code": "insufficient_quota",
        }
    }
    gateway = Gateway(a=error_json(429, body, {"Retry-After": "1"}))
    sleeps = Sleeps()
    async with make_client(gateway, sleeps) as client:
        events, _ = await run(client)
    assert events == [
        ErrorEvent("Out of credits", "You exceeded your current quota.", kind="credits", status=429)
    ]
    assert sleeps.delays == []
    assert gateway.calls == ["a"]


async def test_auth_error_is_never_retried_nor_failed_over() -> None:
    body = {"error": {"message": "Invalid auth code", "type": "authentication_error"}}
    gateway = Gateway(a=error_json(401, body), b=sse(*OK_BODY))
    sleeps = Sleeps()
    async with make_client(gateway, sleeps) as client:
        events, _ = await run(client)
    assert events == [ErrorEvent("Authentication failed", "Invalid auth code", kind="auth", status=401)]
    assert gateway.calls == ["a"]
    assert sleeps.delays == []


async def test_other_4xx_goes_through_the_adapters_parse_error() -> None:
    body = {"error": {"message": "Unsupported parameter: 'max_tokens'", "type": "invalid_request_error"}}
    gateway = Gateway(a=error_json(400, body))
    adapter = FakeAdapter()
    async with make_client(gateway) as client:
        events, _ = await run(client, adapter=adapter)
    assert adapter.parse_error_calls == [400]
    assert events == [
        ErrorEvent(
            "Upstream error", "Unsupported parameter: 'max_tokens' (HTTP 400)", kind="upstream", status=400
        )
    ]


async def test_error_bodies_are_read_bounded() -> None:
    gateway = Gateway(a=status(400, "x" * 5_000_000))
    async with make_client(gateway) as client:
        events, _ = await run(client)
    assert len(events) == 1
    assert events[0].type == "error"


# ---------------------------------------------------------------- after the first byte: never resend


async def test_dropped_connection_mid_stream_keeps_the_text_and_is_not_resent() -> None:
    drop = httpx.RemoteProtocolError("peer closed connection without sending complete message body")
    gateway = Gateway(a=sse(b'data: {"t":"Hel"}\n\ndata: {"t":"lo"}\n\n', then=drop), b=sse(*OK_BODY))
    async with make_client(gateway) as client:
        events, parser = await run(client)
    assert events == [
        TextDelta("Hel"),
        TextDelta("lo"),
        ErrorEvent(
            "Connection lost",
            "The connection dropped before the reply was complete.",
            retryable=True,
            kind="network",
        ),
    ]
    assert parser.parts() == [TextPart("Hello")]
    assert parser.done is True
    assert gateway.calls == ["a"]


async def test_read_error_mid_stream_is_connection_lost() -> None:
    gateway = Gateway(a=sse(b'data: {"t":"x"}\n\n', then=httpx.ReadError("reset")))
    async with make_client(gateway) as client:
        events, _ = await run(client)
    assert [e.type for e in events] == ["text", "error"]
    assert isinstance(events[1], ErrorEvent)
    assert events[1].title == "Connection lost"
    assert gateway.calls == ["a"]


async def test_read_timeout_mid_stream_is_a_stall_not_a_resend() -> None:
    gateway = Gateway(a=sse(b'data: {"t":"so far"}\n\n', then=httpx.ReadTimeout("timed out")))
    async with make_client(gateway, timeouts=Timeouts(read=5)) as client:
        events, parser = await run(client)
    assert events == [
        TextDelta("so far"),
        ErrorEvent("Stream stalled", "no data for 5 s", retryable=True, kind="network"),
    ]
    assert parser.parts() == [TextPart("so far")]
    assert gateway.calls == ["a"]


class HangingStream(httpx.AsyncByteStream):
    """Sends one event, then waits forever; records whether it was closed."""

    def __init__(self) -> None:
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b'data: {"t":"first"}\n\n'
        await asyncio.Event().wait()
        yield b""  # pragma: no cover

    async def aclose(self) -> None:
        self.closed = True


async def test_closing_the_generator_closes_the_response() -> None:
    stream = HangingStream()
    gateway = Gateway(a=lambda request: httpx.Response(200, stream=stream))
    async with make_client(gateway) as client:
        adapter = FakeAdapter()
        replies = client.stream_reply(
            adapter, Conversation(), RequestOptions(model="m"), adapter.new_parser()
        )
        assert await anext(replies) == TextDelta("first")
        assert stream.closed is False
        await replies.aclose()
        assert stream.closed is True


async def test_cancelling_the_consumer_closes_the_response() -> None:
    stream = HangingStream()
    gateway = Gateway(a=lambda request: httpx.Response(200, stream=stream))
    first = asyncio.Event()
    seen: list[StreamEvent] = []

    async def consume(client: GatewayClient) -> None:
        adapter = FakeAdapter()
        async for event in client.stream_reply(
            adapter, Conversation(), RequestOptions(model="m"), adapter.new_parser()
        ):
            seen.append(event)
            first.set()

    async with make_client(gateway) as client:
        task = asyncio.create_task(consume(client))
        await first.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert seen == [TextDelta("first")]
    assert stream.closed is True


async def test_cancelling_during_a_retry_wait_propagates() -> None:
    gateway = Gateway(a=status(429, "slow", {"Retry-After": "1"}))
    waiting = asyncio.Event()

    async def block(delay: float) -> None:
        waiting.set()
        await asyncio.Event().wait()

    client = GatewayClient(URLS, CODE, transport=httpx.MockTransport(gateway), sleep=block)

    async with client:
        task = asyncio.create_task(run(client))
        await waiting.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert gateway.calls == ["a"]


# ---------------------------------------------------------------- the auth code stays secret


async def test_auth_code_never_appears_in_messages_or_repr() -> None:
    # A (hypothetical) gateway that echoes the request header back in its error.
    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            400, json={"error": {"message": f"bad header {request.headers['authorization']}"}}
        )

    gateway = Gateway(a=echo)
    async with make_client(gateway) as client:
        events, _ = await run(client)
        assert CODE not in repr(client)
        with pytest.raises(LiaobotsError) as caught:
            await client.get_json("/api/v1/credits")
    assert len(events) == 1
    assert isinstance(events[0], ErrorEvent)
    assert CODE not in events[0].message
    assert events[0].message == "bad header Bearer [auth code] (HTTP 400)"
    assert CODE not in str(caught.value)


# ---------------------------------------------------------------- get_json


async def test_get_json_uses_bearer_auth_and_failover() -> None:
    gateway = Gateway(a=refuse, b=lambda request: httpx.Response(200, json={"data": {"balance": 1}}))
    async with make_client(gateway) as client:
        body = await client.get_json("/api/v1/credits", params={"include_usage": "true", "pageSize": "5"})
        assert client.active_base_url == "https://b.test"
    assert body == {"data": {"balance": 1}}
    request = gateway.requests[-1]
    assert str(request.url) == "https://b.test/api/v1/credits?include_usage=true&pageSize=5"
    assert request.method == "GET"
    assert request.headers["authorization"] == f"Bearer {CODE}"


async def test_get_json_retries_rate_limits() -> None:
    gateway = Gateway(a=[status(429, "slow", {"Retry-After": "2"}), lambda r: httpx.Response(200, json=[1])])
    sleeps = Sleeps()
    async with make_client(gateway, sleeps) as client:
        assert await client.get_json("/v1/models") == [1]
    assert sleeps.delays == [2.0]


async def test_get_json_errors_are_raised() -> None:
    async with make_client(Gateway(a=refuse, b=refuse, c=html(503))) as client:
        with pytest.raises(AllDomainsUnreachable) as unreachable:
            await client.get_json("/v1/models")
    assert (
        str(unreachable.value) == "a.test: connection refused; b.test: connection refused; c.test: HTTP 503"
    )

    async with make_client(Gateway(a=status(401, "nope"))) as client:
        with pytest.raises(AuthError):
            await client.get_json("/v1/models")

    async with make_client(Gateway(a=status(200, "<html>login</html>"))) as client:
        with pytest.raises(BadResponseError) as bad:
            await client.get_json("/v1/models")
    assert str(bad.value) == "GET /v1/models did not return JSON ('<html>login</html>')"

    async with make_client(Gateway(a=status(429, "slow")), max_retries=0) as client:
        with pytest.raises(RateLimitError):
            await client.get_json("/v1/models")


def test_needs_at_least_one_domain() -> None:
    with pytest.raises(ConfigError) as caught:
        GatewayClient(["  "], CODE)
    assert str(caught.value) == "no gateway domain configured"


@pytest.mark.parametrize("code", ["has space", "line\nbreak", "café"])
def test_unsendable_auth_code_is_a_config_error_that_does_not_quote_it(code: str) -> None:
    with pytest.raises(ConfigError) as caught:
        GatewayClient(URLS, code)
    assert code not in str(caught.value)


# ---------------------------------------------------------------- real sockets on 127.0.0.1


class RawServer:
    """A tiny asyncio TCP server writing canned bytes, to check real httpx error types."""

    def __init__(self, reply: bytes, *, hold_open: bool) -> None:
        self.reply = reply
        self.hold_open = hold_open
        self.requests = 0
        self.release = asyncio.Event()
        self.server: asyncio.Server | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.requests += 1
        await reader.readuntil(b"\r\n\r\n")
        writer.write(self.reply)
        await writer.drain()
        if self.hold_open:
            await self.release.wait()
        writer.close()

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aexit__(self, *exc: object) -> None:
        self.release.set()
        assert self.server is not None
        self.server.close()


def chunked_sse_head() -> bytes:
    event = b'data: {"t":"partial"}\n\n'
    return (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
        + b"%x\r\n%b\r\n" % (len(event), event)
    )


async def test_real_socket_drop_mid_stream_is_connection_lost() -> None:
    async with RawServer(chunked_sse_head(), hold_open=False) as url:
        async with GatewayClient([url], CODE, sleep=Sleeps()) as client:
            events, parser = await run(client)
    assert [e.type for e in events] == ["text", "error"]
    assert isinstance(events[1], ErrorEvent)
    assert events[1].title == "Connection lost"
    assert parser.parts() == [TextPart("partial")]


async def test_real_socket_stall_mid_stream_times_out_once() -> None:
    server = RawServer(chunked_sse_head(), hold_open=True)
    async with server as url:
        async with GatewayClient([url], CODE, timeouts=Timeouts(read=0.2), sleep=Sleeps()) as client:
            events, _ = await run(client)
    assert events == [
        TextDelta("partial"),
        ErrorEvent("Stream stalled", "no data for 0.2 s", retryable=True, kind="network"),
    ]
    assert server.requests == 1


async def test_real_socket_refused_names_the_port() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.close()  # nothing listens there now
    async with GatewayClient([f"http://127.0.0.1:{port}"], CODE, sleep=Sleeps()) as client:
        events, _ = await run(client)
    assert events == [
        ErrorEvent(
            "All domains unreachable", f"127.0.0.1:{port}: connection refused", retryable=True, kind="network"
        )
    ]


# ---------------------------------------------------------------- through the fake gateway


@pytest.fixture
def fake_gateway() -> Iterator[Any]:
    from liaobots_tui.demo.gateway import FakeGateway

    with FakeGateway(CODE) as gw:
        yield gw


def hello() -> Conversation:
    from liaobots_tui.api.messages import Message

    return Conversation([Message("user", [TextPart("hello")])])


@pytest.mark.faults
async def test_fake_gateway_dead_primary_html_502_and_rate_limit(fake_gateway: Any) -> None:
    from liaobots_tui.api.registry import get_adapter

    gw = fake_gateway
    gw.faults.dead_domains.add(0)
    gw.faults.html_502_domains.add(1)
    gw.faults.rate_limit = 1
    gw.faults.retry_after = 3
    sleeps = Sleeps()
    adapter = get_adapter("openai")
    parser = adapter.new_parser()
    async with GatewayClient(gw.urls, CODE, sleep=sleeps) as client:
        events = [e async for e in client.stream_reply(adapter, hello(), RequestOptions("gpt-5.4"), parser)]
        assert client.active_base_url == gw.urls[2]
    assert events[:2] == [DomainEvent(gw.urls[2]), RetryEvent(3.0, 2, "Rate limited")]
    assert [e for e in events if e.type in ("finish", "error")] == [FinishEvent("stop", raw="stop")]
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == gw.reply_text_for(
        "gpt-5.4", "hello"
    )
    assert sleeps.delays == [3.0]
    assert [r.domain for r in gw.requests] == [1, 2, 2]


@pytest.mark.faults
async def test_fake_gateway_drop_mid_stream_is_not_resent(fake_gateway: Any) -> None:
    from liaobots_tui.api.registry import get_adapter

    gw = fake_gateway
    gw.faults.drop_after = 2
    adapter = get_adapter("anthropic")
    parser = adapter.new_parser()
    async with GatewayClient(gw.urls, CODE, sleep=Sleeps()) as client:
        events = [
            e
            async for e in client.stream_reply(adapter, hello(), RequestOptions("claude-sonnet-4-6"), parser)
        ]
    assert isinstance(events[-1], ErrorEvent)
    assert events[-1].title == "Connection lost"
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert text
    assert gw.reply_text_for("claude-sonnet-4-6", "hello").startswith(text)
    assert "".join(p.text for p in parser.parts() if isinstance(p, TextPart)) == text
    assert len(gw.requests) == 1


@pytest.mark.faults
async def test_fake_gateway_all_domains_dead(fake_gateway: Any) -> None:
    from liaobots_tui.api.registry import get_adapter

    gw = fake_gateway
    gw.faults.dead_domains.update({0, 1, 3})
    gw.faults.status_503_domains.add(2)
    adapter = get_adapter("gemini")
    async with GatewayClient(gw.urls, CODE, sleep=Sleeps()) as client:
        options = RequestOptions("gemini-3-pro-preview")
        events = [e async for e in client.stream_reply(adapter, hello(), options, adapter.new_parser())]
    hosts = [url.removeprefix("http://") for url in gw.urls]
    assert events == [
        ErrorEvent(
            "All domains unreachable",
            f"{hosts[0]}: connection refused; {hosts[1]}: connection refused; {hosts[2]}: HTTP 503; "
            f"{hosts[3]}: connection refused",
            retryable=True,
            kind="network",
        )
    ]


# ---------------------------------------------------------------- boundary: scrubbing, caps, memory


async def test_the_code_in_streamed_data_is_scrubbed_before_the_parser_sees_it() -> None:
    gateway = Gateway(a=sse(f'data: {{"t":"key {CODE} ok"}}\n\n'.encode(), b"data: [DONE]\n\n"))
    async with make_client(gateway) as client:
        events, parser = await run(client)
    assert events == [TextDelta("key [auth code] ok"), FinishEvent("stop")]
    assert parser.parts() == [TextPart("key [auth code] ok")]


async def test_an_error_body_cut_at_300_leaves_no_piece_of_the_code() -> None:
    # The code straddles the 300-character cut, in JSON-escaped form so the raw scrub cannot see it.
    escaped = "".join(f"\\u{ord(ch):04x}" for ch in CODE)
    body = '{"error": {"message": "' + "x" * 290 + escaped + '"}}'
    gateway = Gateway(a=status(400, body))
    async with make_client(gateway) as client:
        events, _ = await run(client)
    assert len(events) == 1 and isinstance(events[0], ErrorEvent)
    message = events[0].message
    assert all(CODE[i : i + 6] not in message for i in range(len(CODE) - 5)), message
    assert "[auth code]" in message


async def test_a_whole_reply_body_past_its_cap_is_one_error() -> None:
    gateway = Gateway(a=lambda request: httpx.Response(200, json={"t": "x" * 5000}))
    async with make_client(gateway, limits=Limits(max_reply_body=1000)) as client:
        events, parser = await run(client, stream=False)
    assert events == [
        ErrorEvent(
            "Reply too large", "The reply is larger than 1000 bytes; stopped reading", kind="too_large"
        )
    ]
    assert parser.done


async def test_get_json_body_past_the_account_cap_is_reply_too_large() -> None:
    gateway = Gateway(a=lambda request: httpx.Response(200, json={"data": "x" * 5000}))
    async with make_client(gateway, limits=Limits(max_account_body=1000)) as client:
        with pytest.raises(ReplyTooLarge, match="GET /api/v1/credits is larger than 1000 bytes"):
            await client.get_json("/api/v1/credits")


async def test_an_expired_deadline_stops_before_the_next_attempt() -> None:
    gateway = Gateway(a=refuse, b=sse(*OK_BODY))
    async with make_client(gateway, timeouts=Timeouts(deadline=0.0)) as client:
        events, _ = await run(client)
    assert events == [
        ErrorEvent(
            "Request took too long",
            "no complete reply within the 0 s request deadline",
            retryable=True,
            kind="network",
        )
    ]
    assert gateway.calls == []


async def test_a_finished_reply_whose_connection_then_drops_is_complete() -> None:
    class FinishedEarly(FakeParser):
        def feed_json(self, event: str, obj: Any) -> list[StreamEvent]:
            events = super().feed_json(event, obj)
            self.finished = True  # like Gemini after its finishReason: more may follow, nothing is missing
            return events

        def end(self) -> list[StreamEvent]:
            self.done = True
            return [FinishEvent("stop")]

    class Adapter2(FakeAdapter):
        def new_parser(self) -> ReplyParser:
            return FinishedEarly()

    gateway = Gateway(a=sse(b'data: {"t":"all"}\n\n', then=httpx.ReadError("dropped")))
    async with make_client(gateway) as client:
        events, _ = await run(client, adapter=Adapter2())
    assert events == [TextDelta("all"), FinishEvent("stop")]


def test_domain_memory_is_per_domain_list_and_can_forget() -> None:
    memory = DomainMemory()
    urls = ("https://a.test", "https://b.test")
    assert memory.active(urls) == "https://a.test"
    memory.remember(urls, "https://b.test")
    assert memory.active(urls) == "https://b.test"
    assert memory.active(("https://c.test",)) == "https://c.test"
    memory.forget()
    assert memory.active(urls) == "https://a.test"


@pytest.mark.parametrize("hint", ["nan", "inf", "-inf", "Mon, 99 Foo 9999 99:99:99 GMT", "soon"])
async def test_a_wait_hint_that_is_not_a_finite_time_is_no_hint(hint: str) -> None:
    gateway = Gateway(a=[status(429, "slow down", {"retry-after": hint}), sse(*OK_BODY)])
    sleeps = Sleeps()
    async with make_client(gateway, sleeps) as client:
        events, _ = await run(client)
    assert sleeps.delays == [1.0]  # the computed backoff (jitter off), not the server's nonsense
    assert events[-1] == FinishEvent("stop")


async def test_http_402_is_still_out_of_credits() -> None:
    gateway = Gateway(
        a=error_json(402, {"error": {"message": "balance too low", "code": "insufficient_quota"}})
    )
    async with make_client(gateway) as client:
        events, _ = await run(client)
    assert events == [ErrorEvent("Out of credits", "balance too low", kind="credits", status=402)]
