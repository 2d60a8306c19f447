"""OpenAI Chat Completions adapter: ``POST /v1/chat/completions``, ``Authorization: Bearer``.

Request: the whole history every time (stateless). The system prompt is the first
``{"role":"system"}`` message; user images become ``image_url`` parts holding a
data URL; a text-only message is sent as a plain string. Assistant turns go back
as text only: reasoning cannot be replayed in this format, and an image made by
another format (a Gemini picture) cannot sit in an assistant message, so it
becomes the note ``[image]``. Thinking asked for is sent as ``reasoning_effort``.

Reply (SSE ``data:`` chunks, or one ``chat.completion`` body) → events:

- ``choices[0].delta.reasoning_content`` | ``.reasoning`` → :class:`ReasoningDelta`
  (DeepSeek / gpt-oss hosts; OpenAI itself sends none);
- ``delta.content`` | ``delta.refusal`` → :class:`TextDelta`; ``content`` may also be a
  list of typed parts (some upstream models send ``[{"type": "text", "text": …}]``):
  its text parts are taken, thinking/reasoning parts become :class:`ReasoningDelta`,
  anything else (images, tool data) is skipped;
- ``usage`` on *any* chunk (including ``choices: []``) → :class:`UsageEvent`;
- ``finish_reason`` → :class:`FinishEvent` (stop→stop, length→length,
  content_filter→safety, tool_calls/function_call→tool);
- top-level ``error`` (after HTTP 200) → :class:`ErrorEvent`; ``data: [DONE]`` ends.

The usage chunk comes *after* the finish chunk, so ``done`` is set only by
``[DONE]`` or an error; a stream that closes after its finish chunk but without
``[DONE]`` still counts as complete.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from liaobots_tui.api.base import Adapter, HttpRequest, ReplyParser
from liaobots_tui.api.http_errors import bad_response, stream_error_event
from liaobots_tui.api.messages import (
    Conversation,
    FilePart,
    FinishEvent,
    FinishReason,
    ImagePart,
    Message,
    Part,
    ReasoningDelta,
    RequestOptions,
    StreamEvent,
    TextDelta,
    TextPart,
    Usage,
    UsageEvent,
)
from liaobots_tui.api.sanitize import clean_count, clean_line, clean_text

#: Stand-in for an assistant image that Chat Completions cannot carry.
IMAGE_NOTE = "[image]"

_FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "content_filter": "safety",
    "tool_calls": "tool",
    "function_call": "tool",
    "error": "error",
}

#: Delta fields that carry text, in the order they are shown, and whether each is reasoning.
_DELTA_FIELDS = (("reasoning_content", True), ("reasoning", True), ("content", False), ("refusal", False))


class _BadChunk(ValueError):
    """A chunk with the wrong shape; caught in the parser and turned into an ErrorEvent."""


def _count(obj: Any, *path: str) -> int:
    # A broken counter must not throw away a finished reply: non-integers count as 0.
    for key in path:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return clean_count(obj)


def _usage(raw: dict[str, Any]) -> Usage:
    return Usage(
        input_tokens=_count(raw, "prompt_tokens"),
        output_tokens=_count(raw, "completion_tokens"),
        reasoning_tokens=_count(raw, "completion_tokens_details", "reasoning_tokens"),
        cache_read_tokens=_count(raw, "prompt_tokens_details", "cached_tokens"),
    )


def _user_content(message: Message) -> str | list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            parts.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            parts.append({"type": "image_url", "image_url": {"url": part.data_url()}})
        elif isinstance(part, FilePart):
            parts.append(_file_content(part))
        # Reasoning in a user turn has no meaning here: dropped.
    if all(p["type"] == "text" for p in parts):
        return "".join(p["text"] for p in parts)
    return parts


def _file_content(part: FilePart) -> dict[str, Any]:
    """A PDF as a ``file`` part (``file_data`` a data URL, with its filename); a text file as a text part."""
    if part.file_kind == "pdf":
        return {"type": "file", "file": {"filename": part.name, "file_data": part.data_url()}}
    return {"type": "text", "text": part.text_block()}


def assistant_text(parts: Iterable[Part]) -> str:
    """Assistant parts as plain text: texts joined, images as :data:`IMAGE_NOTE`, reasoning dropped."""
    segments: list[str] = []
    text: list[str] = []
    for part in parts:
        if isinstance(part, TextPart):
            text.append(part.text)
        elif isinstance(part, ImagePart):
            segments.append("".join(text))
            segments.append(IMAGE_NOTE)
            text = []
    segments.append("".join(text))
    return "\n\n".join(s for s in segments if s.strip())


class OpenAIChatAdapter(Adapter):
    """OpenAI Chat Completions (``format = "openai"``)."""

    format = "openai"

    def build_request(self, conversation: Conversation, options: RequestOptions) -> HttpRequest:
        messages: list[dict[str, Any]] = []
        if conversation.system:
            messages.append({"role": "system", "content": conversation.system})
        for message in conversation.messages:
            if message.role == "user":
                messages.append({"role": "user", "content": _user_content(message)})
            else:
                content = assistant_text(message.parts)
                # An empty assistant turn (failed before any text) is rejected by some backends.
                if content:
                    messages.append({"role": "assistant", "content": content})
        body: dict[str, Any] = {"model": options.model, "messages": messages, "stream": options.stream}
        if options.stream:
            body["stream_options"] = {"include_usage": True}
        if options.temperature is not None:
            body["temperature"] = options.temperature
        if options.thinking is not None:
            body["reasoning_effort"] = options.thinking.effort_level()
        if options.max_tokens is not None:
            # Reasoning models reject the legacy max_tokens with 400 unsupported_parameter.
            body["max_completion_tokens"] = options.max_tokens
        return HttpRequest(path="/v1/chat/completions", json=body, stream=options.stream)

    def auth_headers(self, auth_code: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {auth_code}"}

    def new_parser(self) -> OpenAIChatParser:
        return OpenAIChatParser()


class OpenAIChatParser(ReplyParser):
    """Parses one Chat Completions reply, streamed or whole."""

    def __init__(self) -> None:
        super().__init__()
        self._saw_choice = False

    def feed(self, event: str, data: str) -> list[StreamEvent]:
        if self.done or not data.strip():
            return []
        if data.strip() == "[DONE]":
            self.done = True
            return []
        return super().feed(event, data)

    def feed_json(self, event: str, chunk: Any) -> list[StreamEvent]:
        if event == "error" and isinstance(chunk, dict) and "error" not in chunk:
            chunk = {"error": chunk}
        return self._chunk(chunk, stream=True)

    def feed_body(self, body: Any) -> list[StreamEvent]:
        if self.done:
            return []
        events = self._chunk(body, stream=False)
        if self.done:  # an error envelope or a malformed body
            return events
        if not self._saw_choice:
            return self.fail(bad_response("The reply has no choices."))
        if not self.finished:
            events.append(FinishEvent("stop"))
        self.done = True
        return events

    def _chunk(self, chunk: Any, *, stream: bool) -> list[StreamEvent]:
        if not isinstance(chunk, dict):
            return self.fail(bad_response(f"Expected a JSON object, got {type(chunk).__name__}."))
        if chunk.get("error") is not None:
            return self.fail(stream_error_event(chunk))
        choices = chunk.get("choices")
        if choices is not None and not isinstance(choices, list):
            return self.fail(bad_response("'choices' is not a list."))
        events: list[StreamEvent] = []
        finish: FinishEvent | None = None
        for choice in choices or []:
            # Only the first choice is shown; Azure sends choices: [] with prompt_filter_results.
            if not isinstance(choice, dict) or choice.get("index") not in (0, None):
                continue
            self._saw_choice = True
            delta = choice.get("delta" if stream else "message")
            if delta is not None:
                try:
                    events += self._delta(delta)
                except _BadChunk as exc:
                    return self.fail(bad_response(str(exc)))
            reason = choice.get("finish_reason")
            if isinstance(reason, str) and not self.finished:
                self.finished = True
                finish = FinishEvent(_FINISH.get(reason, "stop"), raw=clean_line(reason, 80))
        usage = chunk.get("usage")
        if isinstance(usage, dict):
            events.append(UsageEvent(_usage(usage)))
        if finish is not None:
            events.append(finish)
        return events

    def _delta(self, delta: Any) -> list[StreamEvent]:
        if not isinstance(delta, dict):
            raise _BadChunk("A choice's delta/message is not an object.")
        content = delta.get("content")
        if (
            type(content) is str
            and delta.get("reasoning_content") is None
            and delta.get("reasoning") is None
            and delta.get("refusal") is None
        ):
            # The usual token: plain content and no other text field. Same result as the loop below.
            cleaned = clean_text(content)
            if not cleaned:
                return []
            self.builder.add_text(cleaned)
            return [TextDelta(cleaned)]
        # Check every field before touching the builder, so a bad chunk adds nothing.
        pieces: list[tuple[str, bool]] = []
        for key, reasoning in _DELTA_FIELDS:
            text = delta.get(key)
            if text in (None, ""):
                continue
            if key == "content" and isinstance(text, list):
                pieces.extend(_typed_parts(text))
                continue
            if not isinstance(text, str):
                raise _BadChunk(f"'{key}' is not a string.")
            if key == "reasoning" and pieces and pieces[-1][1]:
                continue  # both reasoning spellings present: reasoning_content wins
            pieces.append((text, reasoning))
        events: list[StreamEvent] = []
        for raw, reasoning in pieces:
            text = clean_text(raw)
            if not text:
                continue
            self.builder.add_text(text, reasoning=reasoning)
            events.append(ReasoningDelta(text) if reasoning else TextDelta(text))
        return events


#: Typed content parts that carry text, and whether each is reasoning.
_TEXT_PART_TYPES = {"text": False, "output_text": False, "thinking": True, "reasoning": True}


def _typed_parts(parts: list[Any]) -> list[tuple[str, bool]]:
    """(text, is reasoning) from a ``content`` list of typed parts; other parts are skipped."""
    pieces: list[tuple[str, bool]] = []
    for part in parts:
        if not isinstance(part, dict):
            raise _BadChunk("A content part is not an object.")
        kind = part.get("type")
        reasoning = _TEXT_PART_TYPES.get(kind) if isinstance(kind, str) else None
        if reasoning is None:
            continue  # image_url, tool data…: nothing this client shows from a delta
        text = part.get("text") if "text" in part else part.get("thinking")
        if text in (None, ""):
            continue
        if not isinstance(text, str):
            raise _BadChunk("A content part's text is not a string.")
        pieces.append((text, reasoning))
    return pieces
