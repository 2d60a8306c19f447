"""Server-sent events: one incremental decoder for all four streaming formats.

Wire format (WHATWG "event stream interpretation"): lines end in LF, CRLF or a
lone CR; a blank line dispatches the event built so far; ``event:`` names it,
each ``data:`` line adds a line to its data (joined with ``"\\n"``); lines
starting with ``:`` are keep-alive comments (OpenRouter's
``: OPENROUTER PROCESSING``); ``id:``/``retry:`` and unknown fields are ignored
(we never reconnect: a re-sent LLM request costs credit). An event with no
``data:`` line is dropped. Payloads such as ``[DONE]`` pass through untouched:
the format's parser decides what they mean.

Two deliberate departures from the spec, both for truncated streams: a final
event without its trailing blank line is still dispatched at EOF (Gemini just
closes the connection), and a final line without a line ending is still read.

:class:`SSEDecoder` is pure and synchronous (adapter tests and fuzz tests feed it
bytes directly); :func:`iter_sse` drives it from an ``httpx.Response``.

Why not httpx-sse's ``aiter_sse``: it drops a final event that lacks the blank
line, dispatches events that have no ``data:``, raises unless the content type is
exactly ``text/event-stream`` (gateways are not always careful), and we need a
sync decoder anyway. Keeping a single decoder means one set of line-ending and
buffering rules to test.

Performance: line breaks are searched only in each new chunk (never the whole
buffer again) and a partial line is kept as a list of chunks joined once, so a
10 MB ``data:`` line (a base64 image) costs linear time. Lines are split on
bytes — ``\\r`` and ``\\n`` never occur inside a UTF-8 multi-byte sequence — and
each complete line is decoded on its own, so a character split across two reads
is never broken.

Bounds: a line (and an event's data lines together) longer than ``max_line``
stops the stream with :class:`ReplyTooLarge` as soon as the partial line passes
the cap, before it is joined, so an endless line costs at most the cap in memory.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator
from contextlib import aclosing

from liaobots_tui.api.lean_httpx import httpx
from liaobots_tui.api.limits import DEFAULT_LIMITS, iter_body, size_text
from liaobots_tui.errors import ReplyTooLarge

#: One line ending. Alternation order matters: CRLF must win over a lone CR.
_EOL = re.compile(rb"\r\n|\r|\n")
_BOM = b"\xef\xbb\xbf"

SSEEvent = tuple[str, str]
"""(event name, or "" when the event had no ``event:`` line; data lines joined by "\\n")."""


class SSEDecoder:
    """Incremental SSE decoder: bytes in, complete ``(event, data)`` pairs out.

    Feed arbitrary chunks with :meth:`feed`; call :meth:`close` once at EOF to
    flush a final line and event that the server did not terminate.
    """

    def __init__(self, max_line: int = DEFAULT_LIMITS.max_sse_line) -> None:
        self._max_line = max_line
        self._partial: list[bytes] = []  # pieces of the current, unfinished line
        self._partial_size = 0
        self._event_size = 0  # bytes of data lines in the pending event
        self._after_cr = False  # last chunk ended in CR: a leading LF next belongs to it
        self._first_line = True  # strip a UTF-8 BOM from the very first line only
        self._event = ""
        self._data: list[str] = []
        self._has_data = False

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        """Decode one chunk; returns the events it completed (possibly none)."""
        events: list[SSEEvent] = []
        if not chunk:
            return events
        pos = 0
        if self._after_cr:
            self._after_cr = False
            if chunk[0] == 0x0A:  # the LF of a CRLF split across two reads
                pos = 1
        end = len(chunk)
        if chunk.find(b"\n", pos) < 0 and chunk.find(b"\r", pos) < 0:
            # The middle of a long line (a base64 image, or an attack): memchr-fast, no regex scan.
            if pos < end:
                self._grow(end - pos)
                self._partial.append(chunk[pos:] if pos else chunk)
            return events
        if not pos and end <= self._max_line and chunk.find(b"\r") < 0:
            if not self._first_line or not self._partial:
                self._feed_lf(chunk, events)
                return events
        for match in _EOL.finditer(chunk, pos):
            piece = chunk[pos : match.start()]
            if self._partial:
                self._grow(len(piece))
                self._partial.append(piece)
                line = b"".join(self._partial)
                self._partial = []
                self._partial_size = 0
            else:
                line = piece
                if len(line) > self._max_line:
                    self._too_long()
            self._line(line, events)
            pos = match.end()
            if pos == end and chunk[-1] == 0x0D:
                self._after_cr = True
        if pos < end:
            self._grow(end - pos)
            self._partial.append(chunk[pos:])
        return events

    def _feed_lf(self, chunk: bytes, events: list[SSEEvent]) -> None:
        """:meth:`feed` for the usual chunk: LF line ends only, no longer than a line may be.

        Same rules as the general path (which it falls back to for any line other than a
        blank one or ``data: …``), with the per-line work inlined: a reply streams one
        event per token, so this loop is the decoder's whole cost.
        """
        if self._first_line:
            self._first_line = False
            if chunk.startswith(_BOM):
                chunk = chunk[len(_BOM) :]
        lines = chunk.split(b"\n")
        tail = lines.pop()  # after the last LF: the start of the next line (often empty)
        if self._partial:
            self._grow(len(lines[0]))
            self._partial.append(lines[0])
            lines[0] = b"".join(self._partial)
            self._partial = []
            self._partial_size = 0
            if len(lines[0]) > self._max_line:
                self._too_long()
        max_line = self._max_line
        data, has_data, event_size = self._data, self._has_data, self._event_size
        for line in lines:
            if not line:  # blank: dispatch
                if has_data:
                    events.append((self._event, data[0] if len(data) == 1 else "\n".join(data)))
                    data = []
                    has_data = False
                self._event = ""
                event_size = 0
            elif line[:6] == b"data: ":
                event_size += len(line) - 6
                if event_size > max_line:
                    self._too_long()
                data.append(line[6:].decode("utf-8", "replace"))
                has_data = True
            else:  # event:, a comment, data: without its space, other fields
                self._data, self._has_data, self._event_size = data, has_data, event_size
                self._line(line, events)
                data, has_data, event_size = self._data, self._has_data, self._event_size
        self._data, self._has_data, self._event_size = data, has_data, event_size
        if tail:
            self._grow(len(tail))
            self._partial.append(tail)

    def close(self) -> list[SSEEvent]:
        """End of stream: flush an unterminated last line and a pending event."""
        events: list[SSEEvent] = []
        if self._partial:
            line = b"".join(self._partial)
            self._partial = []
            self._partial_size = 0
            self._line(line, events)
        self._after_cr = False
        self._dispatch(events)
        return events

    # ------------------------------------------------------------------ internals

    def _grow(self, size: int) -> None:
        self._partial_size += size
        if self._partial_size > self._max_line:
            self._too_long()

    def _too_long(self) -> None:
        self._partial = []
        self._partial_size = 0
        raise ReplyTooLarge(f"a line of the reply stream is longer than {size_text(self._max_line)}")

    def _line(self, raw: bytes, events: list[SSEEvent]) -> None:
        if self._first_line:
            self._first_line = False
            if raw.startswith(_BOM):
                raw = raw[len(_BOM) :]
        if not raw:
            self._dispatch(events)
            return
        if raw[0] == 0x3A:  # ":" comment / keep-alive
            return
        name, colon, value = raw.partition(b":")
        if colon and value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            # Many data lines without a blank one add up to one event: bounded like one line.
            self._event_size += len(value)
            if self._event_size > self._max_line:
                self._too_long()
            self._data.append(value.decode("utf-8", "replace"))
            self._has_data = True
        elif name == b"event":
            self._event = value.decode("utf-8", "replace")
        # id, retry and unknown fields: ignored (we never reconnect).

    def _dispatch(self, events: list[SSEEvent]) -> None:
        if self._has_data:
            events.append((self._event, "\n".join(self._data)))
        self._event = ""
        self._data = []
        self._has_data = False
        self._event_size = 0


async def iter_sse_batches(
    response: httpx.Response,
    *,
    max_line: int = DEFAULT_LIMITS.max_sse_line,
    max_bytes: int = DEFAULT_LIMITS.max_stream_bytes,
    deadline: float | None = None,
    deadline_seconds: float | None = None,
) -> AsyncGenerator[list[SSEEvent], None]:
    """Yield the events each network read completed, as one list per read.

    Batching keeps the per-event cost of async-generator hops off the hot path: a
    fast stream delivers dozens of events per read. Transport errors
    (``httpx.ReadTimeout``, ``httpx.RemoteProtocolError``…) propagate unchanged:
    the caller decides what a cut-off stream means; so do :class:`ReplyTooLarge`
    (a line or the whole stream past its cap) and ``DeadlineExceeded``.
    """
    decoder = SSEDecoder(max_line)
    # Decoded bytes, not raw: a gateway may gzip the stream, and the caps count what it inflates to.
    body = iter_body(
        response,
        max_bytes=max_bytes,
        what="The reply stream",
        deadline=deadline,
        deadline_seconds=deadline_seconds,
    )
    async with aclosing(body):
        async for chunk in body:
            events = decoder.feed(chunk)
            if events:
                yield events
    events = decoder.close()
    if events:
        yield events


async def iter_sse(response: httpx.Response) -> AsyncGenerator[SSEEvent, None]:
    """Yield ``(event, data)`` for each event of a streamed response body."""
    async for batch in iter_sse_batches(response):
        for event in batch:
            yield event
