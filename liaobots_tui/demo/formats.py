"""The fake gateway's replies on the wire: one encoder per format, streaming and not.

:func:`plan_reply` decides everything about a reply up front (deltas, tokens,
finish reason, image, sources, signatures); an :class:`Encoder` then renders it
exactly as docs/protocols.md describes:

- Chat Completions: role chunk, ``: keep-alive`` comment, content deltas
  (``reasoning_content`` first for DeepSeek R1), finish chunk, the ``choices: []``
  usage chunk when asked, ``data: [DONE]``.
- Anthropic: named events, ``message_start``, ``ping``, a thinking block with
  ``thinking_delta`` + ``signature_delta``, a text block, ``message_delta`` with
  cumulative usage, ``message_stop``.
- Responses: named events with ``sequence_number`` and item ids, reasoning
  summary events when a summary was requested, ``response.completed``.
- Gemini: CRLF-terminated ``data:`` lines (or one JSON array without
  ``alt=sse``), only new parts per chunk, repeated ``usageMetadata``, a last
  signature-only part with the ``finishReason``.

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

from liaobots_tui.demo import envelopes
from liaobots_tui.demo.images import IMAGE_TOKENS, pixel_size, render_png
from liaobots_tui.demo.parse import ChatRequest
from liaobots_tui.demo.replies import (
    count_tokens,
    reasoning_text,
    reply_deltas,
    signature,
    split_deltas,
    subject_of,
)

#: Tokens an input image costs (Gemini's flat rate for small images; close enough for all four).
IMAGE_INPUT_TOKENS = 258
_PING_EVERY = 300


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


def _compact(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _event(name: str, obj: Any) -> bytes:
    return f"event: {name}\ndata: {_compact(obj)}\n\n".encode()


def _data(obj: Any) -> bytes:
    return f"data: {_compact(obj)}\n\n".encode()


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


# ---------------------------------------------------------------- OpenAI Chat Completions

_OBFUSCATION = "Xq3vLm9ZkT2pRw7s"


class ChatEncoder(Encoder):
    def _usage(self) -> dict[str, Any]:
        r = self.reply
        return {
            "prompt_tokens": r.input_tokens,
            "completion_tokens": r.output_tokens,
            "total_tokens": r.input_tokens + r.output_tokens,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": r.reasoning_tokens,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }

    def _head(self, kind: str) -> dict[str, Any]:
        return {
            "id": f"chatcmpl-{self.reply.id[:29]}",
            "object": kind,
            "created": self.reply.created,
            "model": self.reply.model,
            "service_tier": "default",
            "system_fingerprint": f"fp_{self.reply.id[-10:]}",
        }

    def frames(self) -> Iterator[Frame]:
        head = self._head("chat.completion.chunk")
        n = 0

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            nonlocal n
            obj = {
                **head,
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
            }
            if self.req.include_usage:
                obj["usage"] = None
            if self.req.obfuscation:
                n += 1
                obj["obfuscation"] = _OBFUSCATION[: 2 + n % 12]
            return _data(obj)

        yield Frame(chunk({"role": "assistant", "content": "", "refusal": None}))
        yield Frame(b": keep-alive\n\n")
        for d in self.reply.reasoning_deltas:
            yield Frame(chunk({"content": None, "reasoning_content": d}), delta=True)
        for d in self.reply.text_deltas:
            yield Frame(chunk({"content": d}), delta=True)
        yield Frame(chunk({}, "length" if self.reply.finish == "length" else "stop"), terminal=True)
        if self.req.include_usage:
            yield Frame(_data({**head, "choices": [], "usage": self._usage()}))
        yield Frame(b"data: [DONE]\n\n")

    def error_frames(self) -> list[bytes]:
        return [_data(envelopes.stream_error_body("openai"))]

    def body(self) -> Any:
        message: dict[str, Any] = {
            "role": "assistant",
            "content": self.reply.text,
            "refusal": None,
            "annotations": [],
        }
        if self.reply.reasoning_deltas:
            message["reasoning_content"] = self.reply.reasoning
        return {
            **self._head("chat.completion"),
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "logprobs": None,
                    "finish_reason": "length" if self.reply.finish == "length" else "stop",
                }
            ],
            "usage": self._usage(),
        }


# ---------------------------------------------------------------- Anthropic Messages


class AnthropicEncoder(Encoder):
    @property
    def _msg_id(self) -> str:
        return f"msg_01{self.reply.id[:22]}"

    def _usage(self, output_tokens: int) -> dict[str, Any]:
        return {
            "input_tokens": self.reply.input_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "output_tokens": output_tokens,
            "service_tier": "standard",
        }

    def _stop_reason(self) -> str:
        return "max_tokens" if self.reply.finish == "length" else "end_turn"

    def frames(self) -> Iterator[Frame]:
        r = self.reply
        start: dict[str, Any] = {
            "id": self._msg_id,
            "type": "message",
            "role": "assistant",
            "model": r.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": self._usage(1),  # a placeholder, as the real API sends
        }
        yield Frame(_event("message_start", {"type": "message_start", "message": start}))
        yield Frame(_event("ping", {"type": "ping"}))
        index = 0
        if self.req.reasons:
            block = {"type": "thinking", "thinking": "", "signature": ""}
            yield Frame(
                _event(
                    "content_block_start", {"type": "content_block_start", "index": 0, "content_block": block}
                )
            )
            for d in r.reasoning_deltas:
                delta = {"type": "thinking_delta", "thinking": d}
                yield Frame(
                    _event(
                        "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
                    ),
                    True,
                )
            sig = {"type": "signature_delta", "signature": r.signature}
            yield Frame(
                _event("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": sig})
            )
            yield Frame(_event("content_block_stop", {"type": "content_block_stop", "index": 0}))
            index = 1
        text_block = {"type": "text", "text": ""}
        yield Frame(
            _event(
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": text_block},
            )
        )
        for n, d in enumerate(r.text_deltas, 1):
            delta = {"type": "text_delta", "text": d}
            yield Frame(
                _event(
                    "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
                ),
                True,
            )
            if n % _PING_EVERY == 0:
                yield Frame(_event("ping", {"type": "ping"}))
        yield Frame(
            _event("content_block_stop", {"type": "content_block_stop", "index": index}), terminal=True
        )
        message_delta = {
            "type": "message_delta",
            "delta": {"stop_reason": self._stop_reason(), "stop_sequence": None},
            "usage": self._usage(r.output_tokens),
        }
        yield Frame(_event("message_delta", message_delta))
        yield Frame(_event("message_stop", {"type": "message_stop"}))

    def error_frames(self) -> list[bytes]:
        return [_event("error", envelopes.stream_error_body("anthropic"))]

    def body(self) -> Any:
        r = self.reply
        content: list[dict[str, Any]] = []
        if self.req.reasons:
            content.append({"type": "thinking", "thinking": r.reasoning, "signature": r.signature})
        content.append({"type": "text", "text": r.text})
        return {
            "id": self._msg_id,
            "type": "message",
            "role": "assistant",
            "model": r.model,
            "content": content,
            "stop_reason": self._stop_reason(),
            "stop_sequence": None,
            "usage": self._usage(r.output_tokens),
        }


# ---------------------------------------------------------------- OpenAI Responses


class ResponsesEncoder(Encoder):
    def __init__(self, req: ChatRequest, reply: Reply) -> None:
        super().__init__(req, reply)
        self.seq = 0
        self.resp_id = f"resp_{reply.id}"
        self.rs_id = f"rs_{reply.id[::-1]}"
        self.msg_id = f"msg_{reply.id[1:]}{reply.id[0]}"

    def _ev(self, name: str, **fields: Any) -> bytes:
        obj = {"type": name, "sequence_number": self.seq, **fields}
        self.seq += 1
        return _event(name, obj)

    def _incomplete(self) -> bool:
        return self.reply.finish == "length"

    def _reasoning_item(self, done: bool) -> dict[str, Any]:
        summary = (
            [{"type": "summary_text", "text": self.reply.reasoning}]
            if done and self.req.show_reasoning
            else []
        )
        item: dict[str, Any] = {"id": self.rs_id, "type": "reasoning", "summary": summary}
        if done and self.req.encrypted_reasoning:
            item["encrypted_content"] = "gAAAAAB" + signature("encrypted", self.reply.id, size=180)
        return item

    def _text_part(self, text: str) -> dict[str, Any]:
        return {"type": "output_text", "annotations": [], "logprobs": [], "text": text}

    def _message_item(self, done: bool) -> dict[str, Any]:
        status = ("incomplete" if self._incomplete() else "completed") if done else "in_progress"
        content = [self._text_part(self.reply.text)] if done else []
        return {
            "id": self.msg_id,
            "type": "message",
            "status": status,
            "content": content,
            "role": "assistant",
        }

    def _output(self) -> list[dict[str, Any]]:
        items = [self._reasoning_item(True)] if self.req.reasoning_item else []
        return [*items, self._message_item(True)]

    def _response(self, status: str, *, final: bool) -> dict[str, Any]:
        r = self.reply
        body = self.req.body
        reasoning = body.get("reasoning")
        if not isinstance(reasoning, dict):
            reasoning = {}
        usage = None
        if final:
            usage = {
                "input_tokens": r.input_tokens,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": r.output_tokens,
                "output_tokens_details": {"reasoning_tokens": r.reasoning_tokens},
                "total_tokens": r.input_tokens + r.output_tokens,
            }
        return {
            "id": self.resp_id,
            "object": "response",
            "created_at": r.created,
            "status": status,
            "background": False,
            "error": None,
            "incomplete_details": {"reason": "max_output_tokens"} if final and self._incomplete() else None,
            "instructions": self.req.instructions,
            "max_output_tokens": self.req.max_tokens,
            "model": r.model,
            "output": self._output() if final else [],
            "parallel_tool_calls": True,
            "previous_response_id": self.req.previous_response_id,
            "reasoning": {"effort": reasoning.get("effort"), "summary": reasoning.get("summary")},
            "store": self.req.store,
            "temperature": body.get("temperature", 1.0),
            "text": {"format": {"type": "text"}, "verbosity": "medium"},
            "tool_choice": "auto",
            "tools": [],
            "top_p": 1.0,
            "truncation": "disabled",
            "usage": usage,
            "user": None,
            "metadata": {},
        }

    def frames(self) -> Iterator[Frame]:
        yield Frame(self._ev("response.created", response=self._response("in_progress", final=False)))
        yield Frame(self._ev("response.in_progress", response=self._response("in_progress", final=False)))
        out = 0
        if self.req.reasoning_item:
            yield Frame(
                self._ev("response.output_item.added", output_index=0, item=self._reasoning_item(False))
            )
            if self.req.show_reasoning:
                ids = {"item_id": self.rs_id, "output_index": 0, "summary_index": 0}
                empty = {"type": "summary_text", "text": ""}
                yield Frame(self._ev("response.reasoning_summary_part.added", **ids, part=empty))
                for d in self.reply.reasoning_deltas:
                    yield Frame(self._ev("response.reasoning_summary_text.delta", **ids, delta=d), delta=True)
                text = self.reply.reasoning
                yield Frame(self._ev("response.reasoning_summary_text.done", **ids, text=text))
                yield Frame(
                    self._ev("response.reasoning_summary_part.done", **ids, part={**empty, "text": text})
                )
            yield Frame(
                self._ev("response.output_item.done", output_index=0, item=self._reasoning_item(True))
            )
            out = 1
        yield Frame(self._ev("response.output_item.added", output_index=out, item=self._message_item(False)))
        ids = {"item_id": self.msg_id, "output_index": out, "content_index": 0}
        yield Frame(self._ev("response.content_part.added", **ids, part=self._text_part("")))
        for d in self.reply.text_deltas:
            yield Frame(self._ev("response.output_text.delta", **ids, delta=d, logprobs=[]), delta=True)
        text = self.reply.text
        yield Frame(self._ev("response.output_text.done", **ids, text=text, logprobs=[]), terminal=True)
        yield Frame(self._ev("response.content_part.done", **ids, part=self._text_part(text)))
        yield Frame(self._ev("response.output_item.done", output_index=out, item=self._message_item(True)))
        if self._incomplete():
            yield Frame(self._ev("response.incomplete", response=self._response("incomplete", final=True)))
        else:
            yield Frame(self._ev("response.completed", response=self._response("completed", final=True)))

    def error_frames(self) -> list[bytes]:
        err = envelopes.stream_error_body("openai")["error"]
        error = {"type": err["type"], "code": err["code"], "message": err["message"], "param": None}
        failed = self._response("failed", final=False)
        failed["error"] = {"code": err["code"], "message": err["message"]}
        return [self._ev("error", error=error), self._ev("response.failed", response=failed)]

    def body(self) -> Any:
        return self._response("incomplete" if self._incomplete() else "completed", final=True)


# ---------------------------------------------------------------- Gemini native


class GeminiEncoder(Encoder):
    def __init__(self, req: ChatRequest, reply: Reply) -> None:
        super().__init__(req, reply)
        self.first = True
        if not req.sse:
            self.content_type = "application/json; charset=UTF-8"

    def _usage(self, candidates: int) -> dict[str, Any]:
        r = self.reply
        usage: dict[str, Any] = {
            "promptTokenCount": r.input_tokens,
            "candidatesTokenCount": candidates,
            "totalTokenCount": r.input_tokens + candidates + r.reasoning_tokens,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": r.input_tokens}],
        }
        if r.reasoning_tokens:
            usage["thoughtsTokenCount"] = r.reasoning_tokens
        return usage

    def _response(
        self, parts: list[dict[str, Any]], candidates: int, finish: str | None = None
    ) -> dict[str, Any]:
        candidate: dict[str, Any] = {"content": {"parts": parts, "role": "model"}}
        if finish is not None:
            candidate["finishReason"] = finish
            if self.reply.sources:
                candidate["groundingMetadata"] = self._grounding()
        candidate["index"] = 0
        return {
            "candidates": [candidate],
            "usageMetadata": self._usage(candidates),
            "modelVersion": self.reply.model,
            "responseId": self.reply.id[:22],
        }

    def _grounding(self) -> dict[str, Any]:
        text = self.reply.text
        query = subject_of(self.req.prompt, 8)
        return {
            "searchEntryPoint": {
                "renderedContent": f'<div class="container"><div class="chip">{query}</div></div>',
            },
            "groundingChunks": [{"web": {"uri": uri, "title": title}} for uri, title in self.reply.sources],
            "groundingSupports": [
                {
                    "segment": {"startIndex": 0, "endIndex": len(text.encode()), "text": text[:200]},
                    "groundingChunkIndices": [0, 1],
                }
            ],
            "webSearchQueries": [query],
        }

    def _finish(self) -> str:
        return "MAX_TOKENS" if self.reply.finish == "length" else "STOP"

    def _image_part(self) -> dict[str, Any]:
        image = {"mimeType": "image/png", "data": self.reply.image_b64}
        return {"inlineData": image, "thoughtSignature": signature("image", self.reply.signature, size=96)}

    def _wrap(self, obj: Any) -> bytes:
        text = json.dumps(obj, ensure_ascii=False)
        if self.req.sse:
            return f"data: {text}\r\n\r\n".encode()
        prefix = "[" if self.first else ",\r\n"
        self.first = False
        return (prefix + text).encode()

    def frames(self) -> Iterator[Frame]:
        r = self.reply
        so_far = 0
        for d in r.reasoning_deltas:
            yield Frame(self._wrap(self._response([{"text": d, "thought": True}], 0)), delta=True)
        for d in r.text_deltas:
            so_far = min(r.text_tokens, so_far + count_tokens(d))
            yield Frame(self._wrap(self._response([{"text": d}], so_far)), delta=True)
        if r.image_b64 is not None:
            yield Frame(self._wrap(self._response([self._image_part()], r.text_tokens)), delta=True)
        last = self._response([{"text": "", "thoughtSignature": r.signature}], r.text_tokens, self._finish())
        yield Frame(self._wrap(last), terminal=True)
        if not self.req.sse:
            yield Frame(b"]")

    def error_frames(self) -> list[bytes]:
        frames = [self._wrap(envelopes.stream_error_body("gemini"))]
        return frames if self.req.sse else [*frames, b"]"]

    def body(self) -> Any:
        r = self.reply
        parts: list[dict[str, Any]] = []
        if r.reasoning_deltas:
            parts.append({"text": r.reasoning, "thought": True})
        if r.text_deltas:
            parts.append({"text": r.text, "thoughtSignature": r.signature})
        if r.image_b64 is not None:
            parts.append(self._image_part())
        if not parts:
            parts.append({"text": "", "thoughtSignature": r.signature})
        return self._response(parts, r.text_tokens, self._finish())


_ENCODERS: dict[str, type[Encoder]] = {
    "openai": ChatEncoder,
    "anthropic": AnthropicEncoder,
    "responses": ResponsesEncoder,
    "gemini": GeminiEncoder,
}


def encoder_for(req: ChatRequest, reply: Reply) -> Encoder:
    return _ENCODERS[req.wire](req, reply)
