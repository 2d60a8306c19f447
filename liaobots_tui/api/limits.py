"""How much we accept from the gateway, and the readers that enforce it.

Every reply is read through :func:`iter_body`, which counts the bytes *after*
decompression (httpx's decoded stream: a 2 MB gzip body that inflates to 2 GiB
stops at the cap, one decoded chunk past it at most) and checks an optional
overall deadline between reads. JSON is decoded with :func:`loads`, which turns
nesting deep enough to exhaust the stack into a one-line :class:`BadResponseError`.

The figures are chosen so that a legitimate reply never meets them: a 4K image
from Gemini arrives as one ~20–30 MB base64 ``data:`` line, so one SSE line may be
64 MB; account replies are a few kilobytes per page, so 4 MB is generous.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from liaobots_tui.api.lean_httpx import httpx
from liaobots_tui.errors import BadResponseError, DeadlineExceeded, ReplyTooLarge

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Caps on what one request may bring back (bytes are counted after decompression)."""

    #: Longest SSE line (a 4K image arrives as one base64 ``data:`` line of ~30 MB).
    max_sse_line: int = 64 * MiB
    #: Most bytes one streamed reply may bring in total.
    max_stream_bytes: int = 256 * MiB
    #: Most bytes of a whole (non-streamed) chat reply body.
    max_reply_body: int = 64 * MiB
    #: Most bytes of an account or model-list reply (credits, one usage page, /v1/models).
    max_account_body: int = 4 * MiB
    #: Most bytes of an error body we read to classify it (an HTML page may be large).
    max_error_body: int = 64 * 1024
    #: Most usage pages one ``usage --all`` walk requests.
    max_usage_pages: int = 200
    #: Most usage records one walk collects.
    max_usage_records: int = 20_000
    #: Most seconds one usage walk may take.
    max_usage_seconds: float = 120.0
    #: Most model ids kept from ``/v1/models``.
    max_models: int = 5_000


DEFAULT_LIMITS = Limits()


def size_text(size: int) -> str:
    """``64 MB``, ``4 MB``, ``64 KB`` for messages."""
    if size >= MiB:
        return f"{size / MiB:g} MB"
    return f"{size / 1024:g} KB" if size >= 1024 else f"{size} bytes"


def deadline_at(seconds: float | None) -> float | None:
    """The monotonic time a request must be done by, or None for no overall deadline."""
    return None if seconds is None else time.monotonic() + seconds


def check_deadline(deadline: float | None, seconds: float | None) -> None:
    """Raise :class:`DeadlineExceeded` once ``deadline`` has passed."""
    if deadline is not None and time.monotonic() >= deadline:
        raise DeadlineExceeded(f"no complete reply within the {seconds or 0:g} s request deadline")


async def iter_body(
    response: httpx.Response,
    *,
    max_bytes: int,
    what: str,
    deadline: float | None = None,
    deadline_seconds: float | None = None,
) -> AsyncGenerator[bytes, None]:
    """The decoded body in chunks, stopping with :class:`ReplyTooLarge` past ``max_bytes``.

    ``deadline`` (monotonic) also bounds each wait for the next chunk, so a server
    that trickles one byte a minute cannot outlive it. Transport errors propagate.
    """
    received = 0
    chunks = response.aiter_bytes().__aiter__()
    while True:
        try:
            if deadline is None:
                chunk = await chunks.__anext__()
            else:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    check_deadline(deadline, deadline_seconds)
                async with asyncio.timeout(remaining):
                    chunk = await chunks.__anext__()
        except StopAsyncIteration:
            return
        except TimeoutError:
            check_deadline(deadline, deadline_seconds)
            raise
        received += len(chunk)
        if received > max_bytes:
            raise ReplyTooLarge(f"{what} is larger than {size_text(max_bytes)}; stopped reading")
        yield chunk


async def read_body(
    response: httpx.Response,
    *,
    max_bytes: int,
    what: str,
    deadline: float | None = None,
    deadline_seconds: float | None = None,
) -> bytes:
    """The whole decoded body, at most ``max_bytes`` (see :func:`iter_body`)."""
    body = iter_body(
        response, max_bytes=max_bytes, what=what, deadline=deadline, deadline_seconds=deadline_seconds
    )
    async with aclosing(body):
        chunks = [chunk async for chunk in body]
    return b"".join(chunks)


def loads(text: str | bytes, what: str) -> Any:
    """``json.loads`` that reports deep nesting as :class:`BadResponseError` (ValueError otherwise).

    Raises:
        BadResponseError: JSON nested too deeply to decode.
        ValueError: not JSON at all (callers word that themselves).
    """
    try:
        return json.loads(text)
    except RecursionError:
        raise BadResponseError(f"{what} is JSON nested too deeply to read") from None
