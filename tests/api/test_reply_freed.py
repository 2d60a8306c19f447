"""A finished exchange leaves no cycle behind: its response, request and body go by reference counting.

httpx binds a streamed response and its stream to each other (``BoundAsyncStream``
holds the response, the response its stream), so an exchange left alone is cyclic
garbage holding the request and its body: the whole conversation as JSON, a longer
one with every turn. The app keeps Python's full collections off while replies stream
and freezes what streams build (``ui/gc_pause.py``), so such a cycle stayed resident
until the next conversation opened (measured: +0.5 MB a 160 kB reply, growing with
the chat). These tests run with the cyclic collector off: what is not freed by its
reference count here would wait for it in the app.
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import httpx
import pytest

from liaobots_tui.api.messages import FinishEvent, TextDelta
from tests.api.test_transport import OK_BODY, Gateway, error_json, html, make_client, run, sse


@pytest.fixture
def no_cyclic_collector() -> Iterator[None]:
    """The cyclic collector off for the test: only reference counting frees."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Watched:
    """A gateway action that answers as ``action`` does, keeping only weak references to
    each request and response it saw (a strong one would keep them alive)."""

    def __init__(self, action: Gateway) -> None:
        self._action = action
        self.requests: list[weakref.ref[httpx.Request]] = []
        self.responses: list[weakref.ref[httpx.Response]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        response = self._action(request)
        self.requests.append(weakref.ref(request))
        self.responses.append(weakref.ref(response))
        return response

    def alive(self) -> list[object]:
        return [obj for ref in (*self.requests, *self.responses) if (obj := ref()) is not None]

    async def freed(self) -> bool:
        """Are they all freed, once the loop ran what closing them scheduled?

        httpx's ``aiter_bytes`` leaves its inner ``aiter_raw`` to the loop's async generator
        finalizer, which closes it in a task of its own: a few loop turns (counted, not timed).
        """
        for _turn in range(LOOP_TURNS):
            if not self.alive():
                return True
            await asyncio.sleep(0)
        return not self.alive()


#: Loop turns the finalizer's tasks get (it needs two or three).
LOOP_TURNS = 50


def watched(**plan: object) -> Watched:
    gateway = Gateway(**plan)  # type: ignore[arg-type]
    gateway.requests = _NoList()  # the test gateway's own list would keep every request alive
    return Watched(gateway)


class _NoList(list[httpx.Request]):
    def append(self, item: httpx.Request) -> None:
        """Kept nowhere."""


@pytest.mark.usefixtures("no_cyclic_collector")
async def test_a_streamed_reply_frees_its_request_and_response_once_read() -> None:
    watch = watched(a=sse(*OK_BODY))
    async with make_client(watch) as client:  # type: ignore[arg-type]
        events, _parser = await run(client)
        assert isinstance(events[0], TextDelta) and isinstance(events[-1], FinishEvent)
        assert watch.requests and await watch.freed()


@pytest.mark.usefixtures("no_cyclic_collector")
async def test_failed_over_and_refused_answers_free_theirs_too() -> None:
    # A proxy page on the first domain (failover), an error on the second (the outcome).
    watch = watched(a=html(502), b=error_json(401, {"error": {"message": "bad code"}}))
    async with make_client(watch) as client:  # type: ignore[arg-type]
        await run(client)
        assert len(watch.requests) == 2 and await watch.freed()
