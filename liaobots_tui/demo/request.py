"""A chat request as the fake gateway sees it, and the checks the four formats share.

Each format's module (:mod:`openai_chat`, :mod:`anthropic`, :mod:`openai_responses`,
:mod:`gemini`) validates its own body the way the real API does and reduces it to one
:class:`ChatRequest`, or raises :class:`ApiError` with the 400/404 that format would send.
The helpers here raise in the caller's format (``api``).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any, Literal

from liaobots_tui.demo import envelopes
from liaobots_tui.demo.documents import Documents
from liaobots_tui.demo.envelopes import ApiError
from liaobots_tui.demo.replies import model_info

WireFormat = Literal["openai", "anthropic", "responses", "gemini"]


@dataclass
class ImageSpec:
    """What a Gemini image model was asked to draw."""

    aspect_ratio: str = "1:1"
    image_size: str = "1K"


@dataclass
class ChatRequest:
    """One chat request reduced to what the fake needs to answer it."""

    wire: WireFormat
    model: str
    stream: bool
    #: Text of the last user turn: picks the canned reply.
    prompt: str
    #: All text sent (system, history, prompt): the input-token estimate.
    input_text: str = ""
    input_images: int = 0
    #: PDFs and text files seen in the request (the reply says so).
    documents: Documents = field(default_factory=Documents)
    max_tokens: int | None = None
    #: The model thinks on this request (hidden reasoning tokens count even when not shown).
    reasons: bool = False
    #: Thinking text is sent back (Anthropic thinking, Responses summary, Gemini includeThoughts, R1).
    show_reasoning: bool = False
    #: Responses: a reasoning item is emitted (``reasoning`` was in the request).
    reasoning_item: bool = False
    #: Responses ``include: ["reasoning.encrypted_content"]``.
    encrypted_reasoning: bool = False
    #: Chat ``stream_options.include_usage``.
    include_usage: bool = False
    #: Chat: pad chunks with ``obfuscation`` (the default, unless ``include_obfuscation:false``).
    obfuscation: bool = True
    image: ImageSpec | None = None
    want_text: bool = True
    google_search: bool = False
    #: Gemini ``alt=sse``; without it the stream is one JSON array.
    sse: bool = True
    instructions: str | None = None
    previous_response_id: str | None = None
    store: bool = True
    body: dict[str, Any] = field(default_factory=dict, repr=False)


def fail(api: envelopes.Api, message: str, param: str | None = None) -> ApiError:
    return envelopes.bad_request(api, message, param=param)


def check_model(api: envelopes.Api, model: object, method: str = "generateContent") -> str:
    if not isinstance(model, str) or not model:
        raise fail(
            api, "model: Field required" if api == "anthropic" else "you must provide a model parameter"
        )
    if model_info(model) is None:
        raise envelopes.model_not_found(api, model, method)
    return model


def is_reasoning_openai(model: str) -> bool:
    return model.startswith(("gpt-5", "o1", "o3", "o4"))


def check_temperature(model: str, body: dict[str, Any]) -> None:
    temp = body.get("temperature")
    if temp is not None and is_reasoning_openai(model) and temp != 1:
        raise envelopes.bad_request(
            "openai",
            f"Unsupported value: 'temperature' does not support {temp} with this model. "
            "Only the default (1) value is supported.",
            param="temperature",
            code="unsupported_value",
        )


def positive_int(api: envelopes.Api, value: object, name: str, minimum: int = 1) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        if api == "anthropic":
            raise fail(api, f"{name}: Input should be greater than or equal to {minimum}")
        raise fail(
            api,
            f"Invalid '{name}': integer below minimum value. Expected a value >= {minimum}, "
            f"but got {value!r} instead.",
            name,
        )
    return value


def stream_flag(api: envelopes.Api, body: dict[str, Any]) -> bool:
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise fail(
            api, f"Invalid type for 'stream': expected a boolean, but got {type(stream).__name__}.", "stream"
        )
    return stream


def is_base64(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True
