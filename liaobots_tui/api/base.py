"""The contract every wire-format adapter fulfils.

An adapter is pure: it turns a :class:`Conversation` plus :class:`RequestOptions`
into an :class:`HttpRequest` (path, headers, JSON body), and a fresh
:class:`ReplyParser` turns what came back (SSE events one by one, or one JSON
body) into :data:`StreamEvent` values while assembling the reply's parts with
their provider data. No I/O happens here; ``transport.py`` does the HTTP.

Parsers are the trust boundary for content: every string they put in an event
or a part has passed ``api/sanitize.py`` (reply and thinking text through
``clean_text``, one-line fields such as finish reasons through ``clean_line``).
The transport has already scrubbed the auth code from the raw data they get.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from liaobots_tui.api.http_errors import bad_response, error_from_http
from liaobots_tui.api.messages import (
    Conversation,
    ErrorEvent,
    Format,
    Part,
    PartsBuilder,
    RequestOptions,
    StreamEvent,
)
from liaobots_tui.api.sanitize import clean_line
from liaobots_tui.errors import LiaobotsError


@dataclass
class HttpRequest:
    """What to send, relative to a gateway domain (failover swaps only the domain)."""

    path: str
    json: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    stream: bool = True
    method: str = "POST"


class ReplyParser(ABC):
    """Parses one reply. Create a new one per request; it is stateful.

    ``done`` becomes True once a terminal event (finish or error) was returned;
    the transport stops reading then (Chat Completions' ``[DONE]`` included).
    ``finished`` is set by parsers whose format sends more after the finish
    (usage, an end marker): a stream that closes after it lost nothing.
    """

    def __init__(self) -> None:
        self.builder = PartsBuilder()
        self.done = False
        self.finished = False

    def feed(self, event: str, data: str) -> list[StreamEvent]:
        """One SSE event: its ``event:`` name ("" when absent) and joined ``data:`` text.

        Malformed data yields an :class:`ErrorEvent` (kind ``bad_response``), never raises.
        """
        if self.done or not data.strip():
            return []
        try:
            obj = json.loads(data)
        except RecursionError:
            return self.fail(bad_response("The stream holds JSON nested too deeply to read."))
        except ValueError:
            return self.fail(bad_response(f"Malformed JSON in the stream: {clean_line(data[:200], 80)!r}"))
        return self.feed_json(event, obj)

    @abstractmethod
    def feed_json(self, event: str, obj: Any) -> list[StreamEvent]:
        """One SSE event whose data decoded as JSON (of any type: check it)."""

    @abstractmethod
    def feed_body(self, body: Any) -> list[StreamEvent]:
        """The whole JSON body of a non-streaming reply (already decoded)."""

    def fail(self, error: ErrorEvent) -> list[StreamEvent]:
        """End the reply with ``error`` (nothing after it is read)."""
        self.done = True
        return [error]

    def end(self) -> list[StreamEvent]:
        """The stream closed. A reply cut off before its finish becomes an error."""
        if self.done or self.finished:
            self.done = True
            return []
        self.done = True
        return [
            ErrorEvent(
                "Connection lost",
                "The stream ended before the reply was complete.",
                retryable=True,
                kind="network",
            )
        ]

    def parts(self) -> list[Part]:
        """The reply's parts so far, provider data attached."""
        return self.builder.build()


class Adapter(ABC):
    """One wire format. Subclasses set ``format`` and implement the three methods."""

    format: ClassVar[Format]

    @abstractmethod
    def build_request(self, conversation: Conversation, options: RequestOptions) -> HttpRequest:
        """Translate the whole history into this format's request (stateless: full history every time).

        Raises:
            InputError: when an option cannot be expressed (e.g. bad aspect ratio).
        """

    @abstractmethod
    def auth_headers(self, auth_code: str) -> dict[str, str]:
        """Headers that carry the auth code, exactly as the gateway docs show for this format."""

    @abstractmethod
    def new_parser(self) -> ReplyParser:
        """A fresh parser for one reply."""

    def parse_error(self, status: int, body: str, headers: Mapping[str, str]) -> LiaobotsError:
        """Map a non-2xx HTTP answer to our error family (shared logic by default)."""
        return error_from_http(status, body, headers)
