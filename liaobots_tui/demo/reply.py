"""A fake reply planned up front, and the encoder every format's reply goes through.

:func:`plan_reply` decides everything about a reply before the first byte is sent
(deltas, tokens, finish reason, image, sources, signatures); each format's
:class:`Encoder` subclass then renders it byte for byte as the real API sends it,
streaming (:meth:`Encoder.frames`) or whole (:meth:`Encoder.body`).

Frames marked ``delta`` are the content deltas fault injection counts; the
frame marked ``terminal`` is the first one after the content.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from liaobots_tui.demo.images import IMAGE_TOKENS, pixel_size, render_png
from liaobots_tui.demo.replies import (
    count_tokens,
    reasoning_text,
    reply_deltas,
    signature,
    split_deltas,
    subject_of,
)
from liaobots_tui.demo.request import ChatRequest

#: Tokens an input image costs (Gemini's flat rate for small images; close enough for all four).
IMAGE_INPUT_TOKENS = 258


@dataclass
class Reply:
    """Everything one reply will contain, decided before the first byte is sent."""

    id: str
    model: str
    text_deltas: list[str]
    reasoning_deltas: list[str]
    #: "stop", or "length" when the max-tokens limit cut the text.
    finish: str
    input_tokens: int
    #: Visible output tokens, generated image included.
    text_tokens: int
    #: Thinking tokens; spent (and billed) even when the thinking text is not shown.
    reasoning_tokens: int
    signature: str
    created: int = field(default_factory=lambda: int(time.time()))
    image_b64: str | None = None
    image_pixels: tuple[int, int] | None = None
    sources: list[tuple[str, str]] = field(default_factory=list)

    @property
    def output_tokens(self) -> int:
        return self.text_tokens + self.reasoning_tokens

    @property
    def text(self) -> str:
        return "".join(self.text_deltas)

    @property
    def reasoning(self) -> str:
        return "".join(self.reasoning_deltas)


def plan_reply(req: ChatRequest, reply_id: str) -> Reply:
    """The reply to ``req``: canned text cut at the token limit, thinking, image and sources."""
    deltas = reply_deltas(req.model, req.prompt) if req.want_text else []
    if deltas and (seen := req.documents.note()):
        deltas = [seen, *deltas]  # the files arrived: the reply says what it saw
    thinking = reasoning_text(req.model, req.prompt, req.input_images) if req.reasons else ""
    reasoning_tokens = count_tokens(thinking)
    finish = "stop"
    # A [[deltas=N]] benchmark prompt promises exactly N deltas, so the token limit does not cut it.
    if req.max_tokens is not None and "[[deltas=" not in req.prompt:
        budget = req.max_tokens - reasoning_tokens
        kept: list[str] = []
        prefix = ""
        for d in deltas:
            prefix += d
            if count_tokens(prefix) > budget:
                finish = "length"
                break
            kept.append(d)
        deltas = kept
    text_tokens = count_tokens("".join(deltas))
    reply = Reply(
        id=reply_id,
        model=req.model,
        text_deltas=deltas,
        reasoning_deltas=split_deltas(thinking) if req.show_reasoning else [],
        finish=finish,
        input_tokens=count_tokens(req.input_text) + IMAGE_INPUT_TOKENS * req.input_images + 3,
        text_tokens=text_tokens,
        reasoning_tokens=reasoning_tokens,
        signature=signature("thought", req.model, req.prompt, reply_id, size=96),
    )
    if req.wire == "gemini" and req.image is not None and finish == "stop":
        width, height = pixel_size(req.image.aspect_ratio, req.image.image_size)
        png = render_png(width, height, subject_of(req.prompt))
        reply.image_b64 = base64.b64encode(png).decode("ascii")
        reply.image_pixels = (width, height)
        reply.text_tokens += IMAGE_TOKENS[req.image.image_size]
    if req.wire == "gemini" and req.google_search:
        topic = subject_of(req.prompt, 4)
        reply.sources = [
            (_redirect(reply_id, "a"), f"{topic} - Wikipedia"),
            (_redirect(reply_id, "b"), f"{topic}: latest news"),
        ]
    return reply


def _redirect(reply_id: str, salt: str) -> str:
    token = signature("grounding", reply_id, salt, size=60).replace("+", "-").replace("/", "_").rstrip("=")
    return f"https://vertexaisearch.cloud.google.com/grounding-api-redirect/{token}"


@dataclass
class Frame:
    """Bytes to write, and whether they carry one content delta (for fault injection)."""

    data: bytes
    delta: bool = False
    terminal: bool = False


def compact_json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def sse_event(name: str, obj: Any) -> bytes:
    return f"event: {name}\ndata: {compact_json(obj)}\n\n".encode()


def sse_data(obj: Any) -> bytes:
    return f"data: {compact_json(obj)}\n\n".encode()


class Encoder:
    """Renders one :class:`Reply`; a new instance per request (Responses counts sequence numbers)."""

    content_type = "text/event-stream; charset=utf-8"

    def __init__(self, req: ChatRequest, reply: Reply) -> None:
        self.req = req
        self.reply = reply

    def frames(self) -> Iterator[Frame]:
        """The streamed reply, frame by frame."""
        raise NotImplementedError

    def error_frames(self) -> list[bytes]:
        """What ends a stream that fails mid-way (after HTTP 200)."""
        raise NotImplementedError

    def body(self) -> Any:
        """The non-streaming JSON body."""
        raise NotImplementedError
