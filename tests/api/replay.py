"""Replay a recorded SSE body through the production decoder and a parser, as the transport does."""

from __future__ import annotations

from pathlib import Path

from liaobots_tui.api.base import ReplyParser
from liaobots_tui.api.messages import ErrorEvent, StreamEvent
from liaobots_tui.api.sse import SSEDecoder

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
#: What every parser's end() says when the stream closes before the reply finished.
LOST = ErrorEvent(
    "Connection lost", "The stream ended before the reply was complete.", retryable=True, kind="network"
)


def sse_events(body: bytes | str) -> list[tuple[str, str]]:
    """The (event name, data) pairs of a whole SSE body."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    decoder = SSEDecoder()
    return decoder.feed(raw) + decoder.close()


def replay(parser: ReplyParser, body: bytes | str) -> list[StreamEvent]:
    """Feed every event until the parser is done, then close the stream."""
    events: list[StreamEvent] = []
    for name, data in sse_events(body):
        if parser.done:
            break
        events += parser.feed(name, data)
    return events + parser.end()


def replay_fixture(parser: ReplyParser, name: str) -> list[StreamEvent]:
    """Replay the recorded body ``fixtures/sse/NAME``, byte for byte."""
    return replay(parser, (FIXTURES / "sse" / name).read_bytes())
