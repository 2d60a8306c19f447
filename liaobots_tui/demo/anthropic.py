"""The fake gateway's Anthropic Messages: ``POST /v1/messages`` checked and answered.

Checks the traps a client meets in real life: the required ``max_tokens`` and
``anthropic-version``, alternating user/assistant roles, thinking budgets.
On the wire: named events, ``message_start``, ``ping``, a thinking block with
``thinking_delta`` + ``signature_delta``, a text block, ``message_delta`` with
cumulative usage, ``message_stop``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from liaobots_tui.demo import envelopes
from liaobots_tui.demo.documents import BadDocument, Documents
from liaobots_tui.demo.reply import Encoder, Frame, sse_event
from liaobots_tui.demo.request import (
    ChatRequest,
    check_model,
    fail,
    is_base64,
    positive_int,
    stream_flag,
)

_ANTHROPIC_BLOCKS = (
    "text",
    "image",
    "document",
    "thinking",
    "redacted_thinking",
    "tool_use",
    "tool_result",
    "search_result",
    "server_tool_use",
    "web_search_tool_result",
)
_ANTHROPIC_MEDIA = ("image/jpeg", "image/png", "image/gif", "image/webp")
_PING_EVERY = 300


# ---------------------------------------------------------------- the request


def _anthropic_content(content: object, i: int, role: str, last: bool, docs: Documents) -> tuple[str, int]:
    if isinstance(content, str):
        if not content and not (last and role == "assistant"):
            raise fail(
                "anthropic",
                f"messages.{i}: all messages must have non-empty content except for the "
                "optional final assistant message",
            )
        return content, 0
    if not isinstance(content, list):
        raise fail("anthropic", f"messages.{i}.content: Input should be a valid list")
    if not content and not (last and role == "assistant"):
        raise fail(
            "anthropic",
            f"messages.{i}: all messages must have non-empty content except for the "
            "optional final assistant message",
        )
    texts, images = [], 0
    for j, block in enumerate(content):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind not in _ANTHROPIC_BLOCKS:
            raise fail(
                "anthropic",
                f"messages.{i}.content.{j}: Input tag '{kind}' found using 'type' does not "
                f"match any of the expected tags: {', '.join(repr(t) for t in _ANTHROPIC_BLOCKS)}",
            )
        assert isinstance(block, dict)
        if kind == "text":
            if not isinstance(block.get("text"), str) or not block["text"]:
                raise fail("anthropic", "messages: text content blocks must be non-empty")
            texts.append(block["text"])
        elif kind == "image":
            source = block.get("source")
            if not isinstance(source, dict):
                raise fail("anthropic", f"messages.{i}.content.{j}.image.source: Field required")
            if source.get("type") == "base64":
                if source.get("media_type") not in _ANTHROPIC_MEDIA:
                    raise fail(
                        "anthropic",
                        f"messages.{i}.content.{j}.image.source.base64.media_type: Input should "
                        "be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'",
                    )
                if not is_base64(source.get("data")):
                    raise fail(
                        "anthropic",
                        f"messages.{i}.content.{j}.image.source.base64.data: invalid base64 "
                        "data (send raw base64, without a data: prefix)",
                    )
            elif source.get("type") != "url" or not isinstance(source.get("url"), str):
                raise fail(
                    "anthropic",
                    f"messages.{i}.content.{j}.image.source: Input tag "
                    f"'{source.get('type')}' does not match any of the expected tags: 'base64', 'url'",
                )
            images += 1
        elif kind == "document":
            _anthropic_document(block.get("source"), f"messages.{i}.content.{j}", docs)
        elif kind == "thinking":
            if role != "assistant":
                raise fail(
                    "anthropic",
                    f"messages.{i}.content.{j}: thinking blocks are only allowed in assistant messages",
                )
            if not block.get("signature"):
                raise fail("anthropic", f"messages.{i}.content.{j}.thinking.signature: Field required")
    return "\n".join(texts), images


def _anthropic_document(source: object, where: str, docs: Documents) -> None:
    if not isinstance(source, dict):
        raise fail("anthropic", f"{where}.document.source: Field required")
    if source.get("type") == "text":
        if not isinstance(source.get("data"), str):
            raise fail("anthropic", f"{where}.document.source.text.data: Field required")
        docs.text_files += 1
        return
    if source.get("type") != "base64":
        raise fail(
            "anthropic",
            f"{where}.document.source: Input tag '{source.get('type')}' does not match any of the "
            "expected tags: 'base64', 'content', 'text', 'url', 'file'",
        )
    if source.get("media_type") != "application/pdf":
        raise fail(
            "anthropic", f"{where}.document.source.base64.media_type: Input should be 'application/pdf'"
        )
    try:
        docs.pdf(source.get("data"))
    except BadDocument as exc:
        if str(exc) == "not_pdf":
            raise fail(
                "anthropic", f"{where}.pdf.source.base64.data: The PDF specified was not valid."
            ) from None
        raise fail(
            "anthropic", f"{where}.document.source.base64.data: invalid base64 data (send raw base64)"
        ) from None


def _anthropic_system(system: object) -> str:
    if system is None or isinstance(system, str):
        return system or ""
    if isinstance(system, list) and all(isinstance(b, dict) and b.get("type") == "text" for b in system):
        return "\n".join(str(b.get("text", "")) for b in system)
    raise fail("anthropic", "system: Input should be a valid string or a list of text blocks")


def parse_anthropic(body: dict[str, Any], headers: dict[str, str]) -> ChatRequest:
    """``POST /v1/messages`` (``headers`` lower-cased, for ``anthropic-version``)."""
    if not headers.get("anthropic-version"):
        raise fail("anthropic", "anthropic-version: header is required")
    if body.get("max_tokens") is None:
        raise fail("anthropic", "max_tokens: Field required")
    max_tokens = positive_int("anthropic", body.get("max_tokens"), "max_tokens")
    assert max_tokens is not None
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise fail("anthropic", "messages: Field required")
    model = check_model("anthropic", body.get("model"))
    if not messages:
        raise fail("anthropic", "messages: at least one message is required")
    stream = stream_flag("anthropic", body)
    texts = [_anthropic_system(body.get("system"))]
    prompt, images, previous = "", 0, None
    docs = Documents()
    for i, msg in enumerate(messages):
        role = msg.get("role") if isinstance(msg, dict) else None
        if role == "system":
            raise fail(
                "anthropic",
                'messages: Unexpected role "system". The Messages API accepts a top-level '
                '`system` parameter, not "system" as an input message role.',
            )
        if role not in ("user", "assistant"):
            raise fail("anthropic", f"messages.{i}.role: Input should be 'user' or 'assistant'")
        if i == 0 and role != "user":
            raise fail("anthropic", 'messages: first message must use the "user" role')
        if role == previous:
            raise fail(
                "anthropic",
                'messages: roles must alternate between "user" and "assistant", but found '
                f'multiple "{role}" roles in a row',
            )
        previous = role
        assert isinstance(msg, dict)
        text, n = _anthropic_content(msg.get("content"), i, role, i == len(messages) - 1, docs)
        texts.append(text)
        images += n
        if role == "user":
            prompt = text

    thinking = body.get("thinking")
    thinks, omitted = False, False
    if thinking is not None:
        kind = thinking.get("type") if isinstance(thinking, dict) else None
        if kind not in ("enabled", "adaptive", "disabled"):
            raise fail(
                "anthropic",
                f"thinking: Input tag '{kind}' found using 'type' does not match any of the "
                "expected tags: 'enabled', 'adaptive', 'disabled'",
            )
        assert isinstance(thinking, dict)
        if kind == "enabled":
            budget = thinking.get("budget_tokens")
            if not isinstance(budget, int) or budget < 1024:
                raise fail(
                    "anthropic",
                    "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
                )
            if max_tokens <= budget:
                raise fail(
                    "anthropic",
                    "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult "
                    "our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
                    "#max-tokens-and-context-window-size",
                )
        thinks = kind != "disabled"
        omitted = thinking.get("display") == "omitted"
        temp = body.get("temperature")
        if thinks and temp is not None and temp != 1:
            raise fail(
                "anthropic",
                "`temperature` may only be set to 1 when thinking is enabled. Please consult our "
                "documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
                "#feature-compatibility",
            )
    return ChatRequest(
        wire="anthropic",
        model=model,
        stream=stream,
        prompt=prompt,
        input_text="\n".join(texts),
        input_images=images,
        documents=docs.counted("\n".join(texts)),
        max_tokens=max_tokens,
        reasons=thinks,
        show_reasoning=thinks and not omitted,
        body=body,
    )


# ---------------------------------------------------------------- the reply


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
        yield Frame(sse_event("message_start", {"type": "message_start", "message": start}))
        yield Frame(sse_event("ping", {"type": "ping"}))
        index = 0
        if self.req.reasons:
            block = {"type": "thinking", "thinking": "", "signature": ""}
            yield Frame(
                sse_event(
                    "content_block_start", {"type": "content_block_start", "index": 0, "content_block": block}
                )
            )
            for d in r.reasoning_deltas:
                delta = {"type": "thinking_delta", "thinking": d}
                yield Frame(
                    sse_event(
                        "content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}
                    ),
                    True,
                )
            sig = {"type": "signature_delta", "signature": r.signature}
            yield Frame(
                sse_event("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": sig})
            )
            yield Frame(sse_event("content_block_stop", {"type": "content_block_stop", "index": 0}))
            index = 1
        text_block = {"type": "text", "text": ""}
        yield Frame(
            sse_event(
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": text_block},
            )
        )
        for n, d in enumerate(r.text_deltas, 1):
            delta = {"type": "text_delta", "text": d}
            yield Frame(
                sse_event(
                    "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
                ),
                True,
            )
            if n % _PING_EVERY == 0:
                yield Frame(sse_event("ping", {"type": "ping"}))
        yield Frame(
            sse_event("content_block_stop", {"type": "content_block_stop", "index": index}), terminal=True
        )
        message_delta = {
            "type": "message_delta",
            "delta": {"stop_reason": self._stop_reason(), "stop_sequence": None},
            "usage": self._usage(r.output_tokens),
        }
        yield Frame(sse_event("message_delta", message_delta))
        yield Frame(sse_event("message_stop", {"type": "message_stop"}))

    def error_frames(self) -> list[bytes]:
        return [sse_event("error", envelopes.stream_error_body("anthropic"))]

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
