"""Anthropic Messages adapter: ``POST /v1/messages``, ``x-api-key`` + ``anthropic-version: 2023-06-01``.

Request: the whole history every time. The system prompt is the top-level
``system`` string; ``max_tokens`` is always sent (the API requires it). Roles are
``user``/``assistant`` only and must alternate, so consecutive messages of one
role are merged into one turn, and leading assistant turns (a greeting before the
first prompt) are dropped, because the first turn must be the user's. User images
become ``image`` blocks with raw base64. Assistant turns carry their text, plus
thinking blocks only when they hold an Anthropic ``signature`` (resent verbatim,
as thinking + tools demands) or are ``redacted_thinking``; other formats'
reasoning is dropped, and so are assistant images (a Gemini picture cannot sit in
an assistant turn). Empty text blocks are never sent.

Thinking: Claude 4.6 and newer get ``{"type":"adaptive"}`` (``enabled`` with
``budget_tokens`` is deprecated and rejected by 4.7+); older models, which know
only ``enabled``, get a budget of half of ``max_tokens`` (at least 1024, and
thinking stays off when that does not fit below ``max_tokens``). Temperature is
not sent with thinking on: the API rejects any value but the default then.

Reply (SSE events, dispatched on ``data.type``, not the ``event:`` name that some
gateways drop; or one ``message`` body) → events:

- ``message_start`` → input usage remembered; ``ping`` → nothing;
- ``content_block_delta`` ``text_delta`` → :class:`TextDelta`, ``thinking_delta`` →
  :class:`ReasoningDelta`; ``signature_delta`` → ``provider_data["anthropic"]["signature"]``
  on that block's reasoning part; a ``redacted_thinking`` block → an empty
  reasoning part with ``provider_data["anthropic"]["redacted"]``;
- ``message_delta`` with ``stop_reason`` → :class:`UsageEvent` (its cumulative
  counts over those of ``message_start``) then :class:`FinishEvent`
  (end_turn/stop_sequence/pause_turn→stop, max_tokens/model_context_window_exceeded→length,
  refusal→safety, tool_use→tool);
- ``message_stop`` → done (finishing as ``stop`` if no stop_reason came);
- ``error`` (even as the first event, after HTTP 200) → :class:`ErrorEvent`, done.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, replace
from typing import Any

from liaobots_tui.api.base import Adapter, HttpRequest, ReplyParser
from liaobots_tui.api.http_errors import bad_response, stream_error_event
from liaobots_tui.api.messages import (
    PDF_MIME,
    Conversation,
    FilePart,
    FinishEvent,
    FinishReason,
    ImagePart,
    Message,
    ReasoningDelta,
    ReasoningPart,
    RequestOptions,
    StreamEvent,
    TextDelta,
    TextPart,
    Thinking,
    Usage,
    UsageEvent,
)
from liaobots_tui.api.sanitize import clean_count, clean_line, clean_text

API_VERSION = "2023-06-01"
#: Sent when the user set no limit: the API has no default and requires one.
DEFAULT_MAX_TOKENS = 8192
_MIN_THINKING_BUDGET = 1024

_FINISH: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "refusal": "safety",
    "tool_use": "tool",
}

#: Anthropic usage field → our Usage field. Streams report cumulative totals.
_USAGE_FIELDS = {
    "input_tokens": "input_tokens",
    "output_tokens": "output_tokens",
    "cache_read_input_tokens": "cache_read_tokens",
    "cache_creation_input_tokens": "cache_write_tokens",
}

# First "major[-minor]" in a model name: claude-3-7-sonnet → (3, 7), claude-sonnet-4-5-20250929 → (4, 5),
# claude-sonnet-4-20250514 → (4, 0) (an 8-digit date is not a minor version).
_VERSION = re.compile(r"(\d+)(?:[-.](\d{1,2}))?(?!\d)")


def _model_version(model: str) -> tuple[int, int] | None:
    match = _VERSION.search(model.lower().rsplit("/", 1)[-1])
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2) or 0)


def thinking_config(model: str, max_tokens: int, thinking: Thinking | None = None) -> dict[str, Any] | None:
    """The ``thinking`` value for ``model``, or None when thinking cannot fit in ``max_tokens``.

    Older models take ``enabled`` with ``budget_tokens``: the budget asked for, or
    a share of ``max_tokens`` by effort (low a quarter, medium half, high three
    quarters). From 4.6 on the documented way is ``adaptive``, with the effort
    sent as ``output_config.effort`` (see :func:`effort_config`).
    """
    version = _model_version(model)
    if version is None or version >= (4, 6):
        # Unknown names are assumed current: adaptive is the documented way from 4.6 on.
        return {"type": "adaptive"}
    wanted = thinking or Thinking()
    if wanted.budget is not None:
        budget = wanted.budget
    else:
        share = {"low": 4, "medium": 2, "high": 4 / 3}[wanted.effort or "medium"]
        budget = int(max_tokens / share)
    budget = max(_MIN_THINKING_BUDGET, budget)
    if budget >= max_tokens:
        return None
    return {"type": "enabled", "budget_tokens": budget}


def effort_config(thinking_value: dict[str, Any], thinking: Thinking) -> dict[str, Any] | None:
    """``output_config`` carrying the effort, for adaptive thinking (budgets are not taken there)."""
    if thinking_value.get("type") != "adaptive" or (thinking.effort is None and thinking.budget is None):
        return None  # "on" without a level: the model's own default
    return {"effort": thinking.effort_level()}


def _user_blocks(message: Message) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, TextPart) and part.text:
            blocks.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            raw = part.load()
            if raw:  # a missing file must not become an empty, rejected image block
                data = base64.b64encode(raw).decode("ascii")
                source = {"type": "base64", "media_type": part.mime_type, "data": data}
                blocks.append({"type": "image", "source": source})
        elif isinstance(part, FilePart) and part.file_kind == "pdf":
            raw = part.load()
            if raw:
                data = base64.b64encode(raw).decode("ascii")
                source = {"type": "base64", "media_type": PDF_MIME, "data": data}
                # The title names the file to the model, as the text block's tag does for text files.
                blocks.append({"type": "document", "source": source, "title": part.name})
        elif isinstance(part, FilePart):
            blocks.append({"type": "text", "text": part.text_block()})
        # Reasoning in a user turn has no meaning here: dropped.
    return blocks


def _assistant_blocks(message: Message) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, TextPart) and part.text:
            blocks.append({"type": "text", "text": part.text})
        elif isinstance(part, ReasoningPart):
            ours = part.provider_data.get("anthropic", {})
            if "redacted" in ours:
                blocks.append({"type": "redacted_thinking", "data": ours["redacted"]})
            elif ours.get("signature"):
                blocks.append({"type": "thinking", "thinking": part.text, "signature": ours["signature"]})
            # Unsigned reasoning (another format's) would be rejected as an invalid signature: dropped.
        # Images cannot sit in an assistant turn (a Gemini picture): dropped.
    return blocks


def build_messages(conversation: Conversation) -> list[dict[str, Any]]:
    """The ``messages`` list: merged so roles alternate, starting with the user."""
    turns: list[dict[str, Any]] = []
    for message in conversation.messages:
        if message.role == "user":
            blocks = _user_blocks(message)
        else:
            blocks = _assistant_blocks(message)
        if not blocks:
            continue  # an empty turn is rejected, and dropping it lets its neighbours merge
        if turns and turns[-1]["role"] == message.role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": message.role, "content": blocks})
    while turns and turns[0]["role"] == "assistant":
        turns.pop(0)
    return turns


class AnthropicAdapter(Adapter):
    """Anthropic Messages (``format = "anthropic"``)."""

    format = "anthropic"

    def build_request(self, conversation: Conversation, options: RequestOptions) -> HttpRequest:
        max_tokens = options.max_tokens or DEFAULT_MAX_TOKENS
        if options.thinking is not None and options.thinking.budget and options.max_tokens is None:
            # A budget asked for by hand must fit: leave the answer room after the thinking.
            max_tokens = max(max_tokens, options.thinking.budget + DEFAULT_MAX_TOKENS // 2)
        body: dict[str, Any] = {
            "model": options.model,
            "max_tokens": max_tokens,
            "messages": build_messages(conversation),
        }
        if conversation.system:
            body["system"] = conversation.system
        thinking = thinking_config(options.model, max_tokens, options.thinking) if options.thinking else None
        if thinking is not None and options.thinking is not None:
            body["thinking"] = thinking
            if effort := effort_config(thinking, options.thinking):
                body["output_config"] = effort
        elif options.temperature is not None:
            body["temperature"] = options.temperature
        if options.stream:
            body["stream"] = True
        return HttpRequest(path="/v1/messages", json=body, stream=options.stream)

    def auth_headers(self, auth_code: str) -> dict[str, str]:
        return {"x-api-key": auth_code, "anthropic-version": API_VERSION}

    def new_parser(self) -> AnthropicParser:
        return AnthropicParser()


@dataclass
class _Block:
    """One content block of the reply; ``part`` opens on its first text (empty blocks add no part)."""

    kind: str
    part: TextPart | ReasoningPart | None = None


class AnthropicParser(ReplyParser):
    """Parses one Messages reply, streamed or whole."""

    def __init__(self) -> None:
        super().__init__()
        self._message_id: str | None = None
        self._usage = Usage()
        self._saw_usage = False
        self._blocks: dict[int, _Block] = {}

    # ------------------------------------------------------------ entry points

    def feed_json(self, event: str, obj: Any) -> list[StreamEvent]:
        if not isinstance(obj, dict):
            return self.fail(bad_response(f"Expected a JSON object, got {type(obj).__name__}."))
        kind = obj.get("type") or event
        if not kind and obj.get("error") is not None:
            kind = "error"  # a gateway's own {"error": …} envelope, untyped: still the reason the reply ended
        try:
            return self._event(kind, obj)
        # OverflowError: an "index" of 1e400 (JSON Infinity) that int() cannot take.
        except (TypeError, AttributeError, KeyError, ValueError, OverflowError):
            shown = repr(clean_line(kind[:100], 60)) if isinstance(kind, str) else type(kind).__name__
            return self.fail(bad_response(f"A {shown} event has an unexpected shape."))

    def feed_body(self, body: Any) -> list[StreamEvent]:
        if self.done:
            return []
        if not isinstance(body, dict):
            return self.fail(bad_response(f"Expected a JSON object, got {type(body).__name__}."))
        if body.get("type") == "error" or body.get("error") is not None:
            return self.fail(stream_error_event(body))
        content = body.get("content")
        if not isinstance(content, list):
            return self.fail(bad_response("The reply has no content list."))
        events: list[StreamEvent] = []
        for index, block in enumerate(content):
            # A whole block reads like a stream's content_block_start that already holds everything.
            if isinstance(block, dict):
                try:
                    events += self._block_start(index, block)
                except TypeError:
                    # Earlier blocks are in the reply's parts: their events must go out too.
                    return events + self.fail(bad_response("A content block has an unexpected shape."))
        self._add_usage(body.get("usage"))
        events += self._finish(body.get("stop_reason"))
        self.done = True
        return events

    # ------------------------------------------------------------ stream events

    def _event(self, kind: str, obj: dict[str, Any]) -> list[StreamEvent]:
        if kind == "message_start":
            return self._message_start(obj.get("message") or {})
        if kind == "content_block_start":
            return self._block_start(int(obj.get("index", 0)), obj["content_block"])
        if kind == "content_block_delta":
            return self._block_delta(int(obj.get("index", 0)), obj["delta"])
        if kind == "message_delta":
            self._add_usage(obj.get("usage"))
            stop_reason = (obj.get("delta") or {}).get("stop_reason")
            return self._finish(stop_reason) if stop_reason else []
        if kind == "message_stop":
            events = [] if self.finished else self._finish(None)
            self.done = True
            return events
        if kind == "error":
            return self.fail(stream_error_event(obj))
        # ping, content_block_stop and event types added later carry nothing to show.
        return []

    def _message_start(self, message: dict[str, Any]) -> list[StreamEvent]:
        message_id = message.get("id")
        if self._message_id is not None and message_id != self._message_id:
            # A gateway retried upstream and spliced a second reply into this stream.
            return self.fail(bad_response("The stream started a second, different message."))
        if self._message_id is None:
            self._message_id = message_id if isinstance(message_id, str) else ""
            self._add_usage(message.get("usage"))
        return []

    def _block_start(self, index: int, block: dict[str, Any]) -> list[StreamEvent]:
        kind = block.get("type", "")
        self._blocks[index] = current = _Block(kind)
        if kind == "redacted_thinking":
            current.part = ReasoningPart("", provider_data={"anthropic": {"redacted": block.get("data", "")}})
            self.builder.add(current.part)
            return []
        events: list[StreamEvent] = []
        if kind == "text" and block.get("text"):
            events += self._append(current, block["text"], reasoning=False)
        elif kind == "thinking":
            if not isinstance(block.get("signature") or "", str):
                # Checked before the text is added, so a bad block adds nothing to the parts.
                raise TypeError("signature is not a string")
            if block.get("thinking"):
                events += self._append(current, block["thinking"], reasoning=True)
            if block.get("signature"):
                self._sign(current, block["signature"])
        return events

    def _block_delta(self, index: int, delta: dict[str, Any]) -> list[StreamEvent]:
        kind = delta.get("type")
        current = self._blocks.get(index)
        if current is None:  # a delta without its start: open the block it implies
            current = self._blocks[index] = _Block("thinking" if kind != "text_delta" else "text")
        if kind == "text_delta":
            return self._append(current, delta["text"], reasoning=False)
        if kind == "thinking_delta":
            return self._append(current, delta["thinking"], reasoning=True)
        if kind == "signature_delta":
            self._sign(current, delta["signature"])
        # input_json_delta (tools are never offered) and citations_delta: nothing to show.
        return []

    def _append(self, block: _Block, text: str, *, reasoning: bool) -> list[StreamEvent]:
        if not isinstance(text, str):
            raise TypeError("delta text is not a string")
        text = clean_text(text)
        if not text:
            return []
        # A new block is a new part; later deltas of the same block extend it.
        block.part = self.builder.add_text(text, reasoning=reasoning, new_part=block.part is None)
        return [ReasoningDelta(text) if reasoning else TextDelta(text)]

    def _sign(self, block: _Block, signature: str) -> None:
        if not isinstance(signature, str):
            raise TypeError("signature is not a string")
        if block.part is None:  # thinking with display "omitted": the signature alone must survive
            block.part = self.builder.add_text("", reasoning=True, new_part=True)
        block.part.provider_data.setdefault("anthropic", {})["signature"] = signature

    # ------------------------------------------------------------ endings

    def _add_usage(self, raw: Any) -> None:
        if not isinstance(raw, dict):
            return
        for theirs, ours in _USAGE_FIELDS.items():
            value = raw.get(theirs)
            # Cumulative counts overwrite; nulls (fields not reported yet) keep the earlier value.
            if isinstance(value, int) and not isinstance(value, bool):
                self._usage = replace(self._usage, **{ours: clean_count(value)})
                self._saw_usage = True

    def _finish(self, stop_reason: Any) -> list[StreamEvent]:
        if self.finished:
            return []
        self.finished = True
        raw = clean_line(stop_reason, 80) if isinstance(stop_reason, str) else None
        events: list[StreamEvent] = []
        if self._saw_usage:
            events.append(UsageEvent(self._usage))
        events.append(FinishEvent(_FINISH.get(raw or "", "stop"), raw=raw))
        return events
