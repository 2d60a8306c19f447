"""GatewayClient's first request prepares the HTTP stack in a worker thread, not on the event loop.

On the app's loop the first request (the balance, right after the first paint) imported
httpx, httpcore and anyio's asyncio backend and read the CA bundle in one step of
110-190 ms: a frozen screen while the user may be typing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from liaobots_tui.api import transport
from liaobots_tui.api.transport import GatewayClient, http_prepared, prepare_http

CODE = "secret-login-code-123"


@pytest.fixture
def unprepared(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, bool]]]:
    """The process as if no request was made yet; yields (thread name, tls) per preparation."""
    monkeypatch.setattr(transport, "_ready", {"stack": False, "tls": False})
    calls: list[tuple[str, bool]] = []

    def recorded(*, tls: bool = True) -> None:
        calls.append((threading.current_thread().name, tls))
        prepare_http(tls=tls)

    monkeypatch.setattr(transport, "prepare_http", recorded)
    yield calls


def client() -> GatewayClient:
    answer = httpx.MockTransport(lambda request: httpx.Response(200, json={"ok": True}))
    return GatewayClient(["https://a.test"], CODE, transport=answer)


async def test_first_request_prepares_in_a_worker_thread_once(unprepared: list[tuple[str, bool]]) -> None:
    async with client() as gateway:
        assert await gateway.get_json("/api/v1/credits") == {"ok": True}
        assert await gateway.get_json("/api/v1/credits") == {"ok": True}
    async with client() as another:
        assert await another.get_json("/v1/models") == {"ok": True}
    # A transport given (tests, a proxy of one's own) brings its TLS: the CA bundle is not read for it.
    assert unprepared == [(unprepared[0][0], False)]
    assert unprepared[0][0] != threading.main_thread().name
    assert http_prepared(tls=False) and not http_prepared(tls=True)


def test_prepare_http_loads_the_tls_settings_once(unprepared: list[tuple[str, bool]]) -> None:
    prepare_http(tls=False)
    assert http_prepared(tls=False) and not http_prepared(tls=True)
    prepare_http()
    assert http_prepared(tls=True)
    assert transport.shared_tls_context() is transport.shared_tls_context()
