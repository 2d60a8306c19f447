"""OpenAI Responses adapter: ``POST /v1/responses``, ``Authorization: Bearer``.

Request: stateless with ``"store": false`` and never ``previous_response_id``
(gateways may accept ``store`` yet not persist). The system prompt is
``instructions``; ``input`` lists message items whose content is ``input_text`` /
``input_image`` (the data URL as a plain *string*, unlike Chat) for the user and
``output_text`` for the assistant. A reasoning part is replayed as a
``reasoning`` item only when its ``provider_data["responses"]`` holds both the
item ``id`` and ``encrypted_content``; otherwise it is dropped. With
``options.thinking`` we ask for ``reasoning.summary: auto`` and the encrypted
content, so the next turn can replay it.

Reply (named SSE events, dispatched on ``data.type``; no ``[DONE]``) → events:

- ``response.reasoning_summary_text.delta`` → :class:`ReasoningDelta`;
- ``response.output_text.delta`` | ``response.refusal.delta`` → :class:`TextDelta`;
- ``response.output_item.done`` → the item's ``encrypted_content`` stored on its
  reasoning part (and its text, if no deltas came for it);
- ``response.completed`` | ``response.incomplete`` → :class:`UsageEvent` +
  :class:`FinishEvent` (completed→stop, incomplete max_output_tokens→length,
  content_filter→safety);
- ``error`` (nested ``{"error":{…}}`` or flat ``{"code","message"}``) and
  ``response.failed`` → :class:`ErrorEvent`.

Every part records its item id as ``provider_data["responses"] = {"id": …}``.
A non-streaming body is the final response object, read item by item.
"""

from __future__ import annotations

from typing import Any

from liaobots_tui.api.base import Adapter, HttpRequest, ReplyParser
from liaobots_tui.api.http_errors import bad_response, stream_error_event, to_event
from liaobots_tui.api.messages import (
    Conversation,
    ErrorEvent,
    FilePart,
    FinishEvent,
    FinishReason,
    ImagePart,
    Message,
    Part,
    ReasoningDelta,
    ReasoningPart,
    RequestOptions,
    StreamEvent,
    TextDelta,
    TextPart,
    Usage,
    UsageEvent,
)
from liaobots_tui.api.openai_chat import assistant_text
from liaobots_tui.api.sanitize import clean_count, clean_line, clean_text
from liaobots_tui.errors import UpstreamError

_INCOMPLETE: dict[str, FinishReason] = {"max_output_tokens": "length", "content_filter": "safety"}
_TEXT_DELTAS = {
    "response.output_text.delta": False,
    "response.refusal.delta": False,
    "response.reasoning_summary_text.delta": True,
}
_TERMINAL = ("response.completed", "response.incomplete", "response.failed")


def _count(obj: Any, *path: str) -> int:
    # A broken counter must not throw away a finished reply: non-integers count as 0.
    for key in path:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return clean_count(obj)


def _usage(raw: dict[str, Any]) -> Usage:
    return Usage(
        input_tokens=_count(raw, "input_tokens"),
        output_tokens=_count(raw, "output_tokens"),
        reasoning_tokens=_count(raw, "output_tokens_details", "reasoning_tokens"),
        cache_read_tokens=_count(raw, "input_tokens_details", "cached_tokens"),
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _user_item(message: Message) -> dict[str, Any] | None:
    content: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, TextPart):
            content.append({"type": "input_text", "text": part.text})
        elif isinstance(part, ImagePart):
            content.append({"type": "input_image", "image_url": part.data_url(), "detail": "auto"})
        elif isinstance(part, FilePart) and part.file_kind == "pdf":
            content.append({"type": "input_file", "filename": part.name, "file_data": part.data_url()})
        elif isinstance(part, FilePart):
            content.append({"type": "input_text", "text": part.text_block()})
    return {"type": "message", "role": "user", "content": content} if content else None


def _assistant_items(message: Message) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    pending: list[Part] = []

    def flush() -> None:
        text = assistant_text(pending)
        if text:
            items.append(
                {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": text}]}
            )
        pending.clear()

    for part in message.parts:
        if not isinstance(part, ReasoningPart):
            pending.append(part)
            continue
        data = part.provider_data.get("responses", {})
        item_id, encrypted = _str(data.get("id")), _str(data.get("encrypted_content"))
        if item_id and encrypted:  # with store:false a bare id is "not found"; no content, no replay
            flush()
            summary = [{"type": "summary_text", "text": part.text}] if part.text else []
            items.append(
                {"type": "reasoning", "id": item_id, "summary": summary, "encrypted_content": encrypted}
            )
    flush()
    return items


class ResponsesAdapter(Adapter):
    """OpenAI Responses (``format = "responses"``)."""

    format = "responses"

    def build_request(self, conversation: Conversation, options: RequestOptions) -> HttpRequest:
        items: list[dict[str, Any]] = []
        for message in conversation.messages:
            if message.role == "user":
                item = _user_item(message)
                items.extend([item] if item else [])
            else:
                items.extend(_assistant_items(message))
        body: dict[str, Any] = {
            "model": options.model,
            "input": items,
            "stream": options.stream,
            "store": False,  # stateless: the whole history goes in `input` every time
        }
        if conversation.system:
            body["instructions"] = conversation.system
        if options.temperature is not None:
            body["temperature"] = options.temperature
        if options.max_tokens is not None:
            body["max_output_tokens"] = options.max_tokens
        if options.thinking is not None:
            reasoning: dict[str, Any] = {"summary": "auto"}
            if options.thinking.effort is not None or options.thinking.budget is not None:
                reasoning["effort"] = options.thinking.effort_level()
            body["reasoning"] = reasoning
            body["include"] = ["reasoning.encrypted_content"]
        return HttpRequest(path="/v1/responses", json=body, stream=options.stream)

    def auth_headers(self, auth_code: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {auth_code}"}

    def new_parser(self) -> ResponsesParser:
        return ResponsesParser()


class ResponsesParser(ReplyParser):
    """Parses one Responses reply, streamed or whole."""

    def __init__(self) -> None:
        super().__init__()
        self._by_id: dict[str, TextPart | ReasoningPart] = {}
        self._open_key: str | None = None  # item of the part deltas currently extend
        self._streamed: set[str] = set()  # items (by id and by "@output_index") that sent deltas
        self._summary_index: dict[str, Any] = {}

    def feed_json(self, event: str, payload: Any) -> list[StreamEvent]:
        if not isinstance(payload, dict):
            return self.fail(bad_response(f"Expected a JSON object, got {type(payload).__name__}."))
        kind = payload.get("type") if isinstance(payload.get("type"), str) else event
        if kind == "error" or (not kind and payload.get("error") is not None):
            return self.fail(self._error(payload))
        if kind in _TEXT_DELTAS:
            return self._delta(payload, reasoning=_TEXT_DELTAS[kind])
        if kind == "response.output_item.done":
            item = payload.get("item")
            if not isinstance(item, dict):
                return self.fail(bad_response("'item' is not an object."))
            return self._item(item, payload.get("output_index"))
        if kind in _TERMINAL:
            response = payload.get("response")
            return self._terminal(response if isinstance(response, dict) else {}, kind)
        return []  # created, in_progress, *.added, *.done echoes, and anything new

    def feed_body(self, body: Any) -> list[StreamEvent]:
        if self.done:
            return []
        if not isinstance(body, dict):
            return self.fail(bad_response(f"Expected a JSON object, got {type(body).__name__}."))
        output = body.get("output")
        if not isinstance(output, list):
            if body.get("error") is not None:
                return self.fail(stream_error_event(body))
            return self.fail(bad_response("The reply has no 'output' list."))
        events: list[StreamEvent] = []
        for index, item in enumerate(output):
            if isinstance(item, dict):
                events += self._item(item, index)
        return events + self._terminal(body, "")

    # ------------------------------------------------------------ pieces

    def _error(self, payload: dict[str, Any]) -> ErrorEvent:
        nested = payload.get("error")
        if isinstance(nested, dict):
            return stream_error_event({"error": nested})
        # The SDK's flat shape: {"type":"error","code","message","param"}.
        flat = {k: payload[k] for k in ("code", "message", "param") if payload.get(k) is not None}
        return stream_error_event({"error": flat})

    def _append(self, item_id: str | None, output_index: Any, text: str, *, reasoning: bool) -> None:
        key = item_id or f"@{output_index}"
        self._streamed.update({key, f"@{output_index}"})
        if key == self._open_key:
            self.builder.add_text(text, reasoning=reasoning)
            return
        provider = {"responses": {"id": item_id}} if item_id else None
        part = self.builder.add_text(text, reasoning=reasoning, new_part=True, provider_data=provider)
        self._open_key = key
        if item_id:
            self._by_id[item_id] = part

    def _delta(self, payload: dict[str, Any], *, reasoning: bool) -> list[StreamEvent]:
        delta = payload.get("delta")
        if not isinstance(delta, str):
            return self.fail(bad_response(f"'{payload.get('type')}' delta is not a string."))
        delta = clean_text(delta)
        if not delta:
            return []
        item_id = _str(payload.get("item_id"))
        key = item_id or f"@{payload.get('output_index')}"
        if reasoning:
            # Several summaries of one item read as paragraphs of one reasoning part.
            index = payload.get("summary_index")
            if key in self._summary_index and self._summary_index[key] != index:
                delta = "\n\n" + delta
            self._summary_index[key] = index
        self._append(item_id, payload.get("output_index"), delta, reasoning=reasoning)
        return [ReasoningDelta(delta) if reasoning else TextDelta(delta)]

    def _item(self, item: dict[str, Any], output_index: Any) -> list[StreamEvent]:
        """A finished output item: keep its encrypted reasoning; take its text if no deltas came."""
        item_id = _str(item.get("id"))
        streamed = (item_id in self._streamed) or f"@{output_index}" in self._streamed
        events: list[StreamEvent] = []
        kind = item.get("type")
        if kind == "reasoning":
            encrypted = _str(item.get("encrypted_content"))
            if not streamed:
                summary = _list(item.get("summary"))
                given = [s["text"] for s in summary if isinstance(s, dict) and _str(s.get("text"))]
                texts = [text for text in map(clean_text, given) if text]
                if texts:
                    self._append(item_id, output_index, "\n\n".join(texts), reasoning=True)
                    events.append(ReasoningDelta("\n\n".join(texts)))
                elif encrypted and item_id:
                    # Nothing to show, but the encrypted reasoning must still go back next turn.
                    empty = ReasoningPart("", provider_data={"responses": {"id": item_id}})
                    self.builder.add(empty)
                    self._by_id[item_id], self._open_key = empty, None
            part = self._by_id.get(item_id or "")
            if part is not None and encrypted:
                part.provider_data.setdefault("responses", {})["encrypted_content"] = encrypted
        elif kind == "message" and not streamed:
            for piece in _list(item.get("content")):
                text = _str(piece.get("text") or piece.get("refusal")) if isinstance(piece, dict) else None
                text = clean_text(text) if text else None
                if text:
                    self._append(item_id, output_index, text, reasoning=False)
                    events.append(TextDelta(text))
        return events

    def _terminal(self, response: dict[str, Any], kind: str) -> list[StreamEvent]:
        status = response.get("status") if isinstance(response.get("status"), str) else ""
        if kind == "response.failed" or status == "failed":
            error = response.get("error")
            if isinstance(error, dict) and error:
                return self.fail(stream_error_event({"error": error}))
            return self.fail(to_event(UpstreamError("The response failed.")))
        events: list[StreamEvent] = []
        usage = response.get("usage")
        if isinstance(usage, dict):
            events.append(UsageEvent(_usage(usage)))
        if kind == "response.incomplete" or status == "incomplete":
            details = response.get("incomplete_details")
            reason = _str(details.get("reason")) if isinstance(details, dict) else None
            raw = clean_line(reason, 80) if reason else "incomplete"
            events.append(FinishEvent(_INCOMPLETE.get(reason or "", "length"), raw=raw or "incomplete"))
        elif status == "cancelled":
            events.append(FinishEvent("cancelled", raw="cancelled"))
        else:
            events.append(FinishEvent("stop", raw=clean_line(str(status), 80) or "completed"))
        self.done = True
        return events
