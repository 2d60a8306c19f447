"""All domains answering a proxy error is the gateway's failure, said with its status (issue 10)."""

from __future__ import annotations

from liaobots_tui.api.messages import ErrorEvent
from tests.api.test_transport import Gateway, html, make_client, refuse, run, status


async def test_every_domain_answering_502_is_a_gateway_error_with_the_status() -> None:
    gateway = Gateway(a=html(502), b=html(502), c=html(502))
    async with make_client(gateway) as client:
        events, _ = await run(client)
    assert events == [
        ErrorEvent(
            "Gateway error",
            "every domain answered with a server error"
            " (a.test: HTTP 502; b.test: HTTP 502; c.test: HTTP 502)",
            retryable=True,
            kind="upstream",
            status=502,
        )
    ]


async def test_different_proxy_errors_are_still_the_gateway_s() -> None:
    gateway = Gateway(a=html(502), b=status(503, "Service Unavailable"), c=html(504))
    async with make_client(gateway) as client:
        events, _ = await run(client)
    (error,) = events
    assert isinstance(error, ErrorEvent) and error.title == "Gateway error" and error.status == 502
    assert error.message.endswith("(a.test: HTTP 502; b.test: HTTP 503; c.test: HTTP 504)")


async def test_a_domain_that_cannot_be_reached_keeps_the_network_wording() -> None:
    gateway = Gateway(a=refuse, b=html(502), c=html(502))
    async with make_client(gateway) as client:
        events, _ = await run(client)
    (error,) = events
    assert isinstance(error, ErrorEvent) and error.title == "All domains unreachable"
