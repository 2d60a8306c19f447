"""Gemini native adapter: ``POST /v1beta/models/{model}:streamGenerateContent?alt=sse`` (or
``:generateContent``), header ``x-goog-api-key``.

Request: the whole history as ``contents`` with roles ``user``/``model`` only; the
system prompt goes in the top-level ``systemInstruction`` (``role: "system"`` in
``contents`` is a 400). Consecutive turns of one role are merged. User images are
``inlineData``. Model turns resend what Gemini produced verbatim, each
``thoughtSignature`` on the very part it came with (Gemini 3 rejects a prior image
without it): signed text, signature-only empty parts, thought parts
(``{"text", "thought": true}``) and signed images. Reasoning from other formats is
dropped. An assistant image with no Gemini signature (another format's picture)
cannot go in a model turn, so it moves to a user turn right after it: the model
still sees the picture it is asked to edit. For image models only the last reply
that made pictures sends them again (refining works on the latest one); earlier
versions stay out of the request. ``generationConfig`` holds
temperature, maxOutputTokens, ``thinkingConfig{includeThoughts}`` and, for image
models or when an aspect ratio/size is asked for, ``responseModalities`` and a
validated ``imageConfig``; Google Search grounding (``tools: [{"googleSearch": {}}]``)
works with any model.

Reply (SSE ``data:`` chunks, each a full ``GenerateContentResponse`` with only new
parts, CRLF-framed, no terminator; or one JSON body, possibly a one-element list) → events:

- ``text`` → :class:`TextDelta`; ``{"text", "thought": true}`` → :class:`ReasoningDelta`;
- ``inlineData`` → :class:`ImageEvent` (decoded bytes, ``generated=True``); a
  ``data:image/…;base64,…`` URL inside ``text`` (some gateways) → :class:`ImageEvent` too;
- ``thoughtSignature`` → ``provider_data["gemini"]["thoughtSignature"]`` on that exact
  part: a signed part always opens a new part and is never extended by later text;
- ``usageMetadata`` (repeated on every chunk) → :class:`UsageEvent` when it changed.
  ``output_tokens`` counts candidates *and* thoughts (both are billed as output, and
  this matches OpenAI, where reasoning is part of completion tokens);
- ``groundingMetadata.groundingChunks[].web`` → :class:`SourcesEvent` (all sources so far);
- ``finishReason`` → :class:`FinishEvent` (STOP→stop, MAX_TOKENS→length, the
  safety family→safety, anything else — tool-call failures, NO_IMAGE, OTHER — →error,
  since no tools are ever offered). The stream is still read to its end: gateways
  send ``finishReason`` on the last text chunk and then a closing chunk with the
  full ``usageMetadata``. After a finish only usage counts are taken (the last
  ones win), and the :class:`FinishEvent` goes out when the stream closes;
- ``promptFeedback.blockReason`` without candidates → :class:`ErrorEvent`
  "Prompt blocked" (kind ``safety``), done: the user must learn why nothing came;
- ``{"error": …}`` mid-stream → :class:`ErrorEvent`, done.

The stream just closes after its last chunk; closing before any ``finishReason``
is the base parser's "Connection lost".

Every string shown or stored is cleaned here (``api/sanitize.py``): text and
thoughts, the raw finish reason and block messages (one line, capped), source
titles and URIs (only http/https links are kept, at most :data:`MAX_SOURCES`),
and the image MIME type. The model id is URL-encoded in the request path.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any
from urllib.parse import quote

from liaobots_tui.api.base import Adapter, HttpRequest, ReplyParser
from liaobots_tui.api.http_errors import bad_response, stream_error_event
from liaobots_tui.api.messages import (
    ASPECT_RATIOS,
    IMAGE_SIZES,
    Conversation,
    ErrorEvent,
    FilePart,
    FinishEvent,
    FinishReason,
    ImageEvent,
    ImageOptions,
    ImagePart,
    Message,
    Part,
    ProviderData,
    ReasoningDelta,
    ReasoningPart,
    RequestOptions,
    Source,
    SourcesEvent,
    StreamEvent,
    TextDelta,
    TextPart,
    Thinking,
    Usage,
    UsageEvent,
    is_image_model,
)
from liaobots_tui.api.sanitize import clean_count, clean_line, clean_text
from liaobots_tui.errors import InputError

#: Most grounding sources kept for one reply.
MAX_SOURCES = 50

_SAFETY = (
    "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII",
    "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION",
)  # fmt: skip
_FINISH: dict[str, FinishReason] = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    **dict.fromkeys(_SAFETY, "safety"),
}

# A data URL, bare or as a Markdown image; the closing ")" is required only after "![…](".
_DATA_URL = re.compile(r"(!\[[^\]\n]*\]\(\s*)?data:(image/[\w.+-]+);base64,([A-Za-z0-9+/=]+)(?(1)\s*\))")


# ---------------------------------------------------------------- request


def _signature(part: Part) -> str | None:
    value = part.provider_data.get("gemini", {}).get("thoughtSignature")
    return value if isinstance(value, str) and value else None


def _inline(image: ImagePart | FilePart) -> dict[str, Any] | None:
    raw = image.load()
    if not raw:  # a missing file must not become an empty, rejected part
        return None
    return {"inlineData": {"mimeType": image.mime_type, "data": base64.b64encode(raw).decode("ascii")}}


def _user_parts(message: Message) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for part in message.parts:
        if isinstance(part, TextPart) and part.text:
            parts.append({"text": part.text})
        elif isinstance(part, ImagePart) and (inline := _inline(part)) is not None:
            parts.append(inline)
        elif isinstance(part, FilePart) and part.file_kind == "pdf" and (inline := _inline(part)) is not None:
            parts.append(inline)
        elif isinstance(part, FilePart):
            parts.append({"text": part.text_block()})
    return parts


def _model_parts(
    message: Message, *, images: bool = True
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(parts for the model turn, images that must move to a user turn).

    ``images=False`` leaves the turn's pictures out, their signatures with them: a
    signature is checked only on a part that is sent.
    """
    from_gemini = message.format == "gemini"
    model: list[dict[str, Any]] = []
    moved: list[dict[str, Any]] = []
    for part in message.parts:
        signature = _signature(part)
        wire: dict[str, Any] | None = None
        if isinstance(part, ImagePart):
            if not images:
                continue
            wire = _inline(part)
            if wire is not None and signature is None:
                moved.append(wire)
                continue
        elif isinstance(part, FilePart):
            continue  # the user attaches files; a model turn never holds one
        elif isinstance(part, ReasoningPart):
            # Thought summaries mean something only to Gemini; unsigned ones came from it if the message did.
            if (part.text or signature) and (from_gemini or signature):
                wire = {"text": part.text, "thought": True}
        elif part.text or signature:  # TextPart; a signature-only empty part must go back too
            wire = {"text": part.text}
        if wire is None:
            continue
        if signature is not None:
            wire["thoughtSignature"] = signature
        model.append(wire)
    return model, moved


def last_picture_turn(conversation: Conversation) -> int | None:
    """Index of the last reply that holds a picture, or None."""
    for index in range(len(conversation.messages) - 1, -1, -1):
        message = conversation.messages[index]
        if message.role == "assistant" and message.images:
            return index
    return None


def build_contents(conversation: Conversation, *, latest_picture_only: bool = False) -> list[dict[str, Any]]:
    """The ``contents`` list: user/model turns, merged so one role never follows itself.

    ``latest_picture_only`` (image models): a reply's pictures go back only for the last
    reply that made any. Editing works on the latest picture, with the signature it came
    with (ai.google.dev/gemini-api/docs/image-generation, multi-turn editing); every
    earlier version would make each refine turn megabytes larger and count against the
    model's cap on input images. What the user attached is always sent: it is theirs to
    refer back to.
    """
    contents: list[dict[str, Any]] = []
    keep_from = last_picture_turn(conversation) if latest_picture_only else None

    def add(role: str, parts: list[dict[str, Any]]) -> None:
        if not parts:
            return  # an empty turn is a 400, and skipping it lets its neighbours merge
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": role, "parts": parts})

    for index, message in enumerate(conversation.messages):
        if message.role == "user":
            add("user", _user_parts(message))
        else:
            model, moved = _model_parts(message, images=keep_from is None or index >= keep_from)
            add("model", model)
            add("user", moved)
    return contents


def _checked(value: str, allowed: tuple[str, ...], what: str) -> str:
    if value not in allowed:
        raise InputError(f"{what} {value!r} is not supported; use one of: {', '.join(allowed)}")
    return value


def image_config(image: ImageOptions) -> dict[str, str]:
    """``imageConfig`` with only the values set.

    Raises:
        InputError: for an aspect ratio or size Gemini does not know.
    """
    config: dict[str, str] = {}
    if image.aspect_ratio:
        config["aspectRatio"] = _checked(image.aspect_ratio, ASPECT_RATIOS, "Aspect ratio")
    if image.image_size:
        # The API wants an uppercase K; "2k" is what people type.
        config["imageSize"] = _checked(image.image_size.upper(), IMAGE_SIZES, "Image size")
    return config


def _image_output(options: RequestOptions) -> ImageOptions | None:
    """Image options when this request asks for pictures, else None.

    Image models always do. Another model does only when a size or an image-only
    reply was asked for: image options holding just ``google_search`` are a plain
    grounded text request, and ``responseModalities: IMAGE`` on a text model is a 400.
    """
    image = options.image
    if is_image_model(options.model):
        return image or ImageOptions()
    if image is not None and (image.aspect_ratio or image.image_size or not image.want_text):
        return image
    return None


#: Gemini 2.x takes only budgets: the token counts an effort stands for there.
_EFFORT_BUDGETS = {"low": 1024, "medium": 8192, "high": 24576}


def thinking_config(thinking: Thinking, model: str = "") -> dict[str, Any]:
    """``thinkingConfig``: a budget as ``thinkingBudget``, an effort as ``thinkingLevel``.

    Never both: the API rejects a request that sets the two together. Gemini 2.x
    knows no levels, so there an effort becomes its budget. Plain "on" only asks
    for the thoughts to be included, at the model's own default depth.
    """
    config: dict[str, Any] = {"includeThoughts": True}
    if thinking.budget is not None:
        config["thinkingBudget"] = thinking.budget
    elif thinking.effort is not None:
        if model.lower().rsplit("/", 1)[-1].startswith("gemini-2"):
            config["thinkingBudget"] = _EFFORT_BUDGETS[thinking.effort]
        else:
            config["thinkingLevel"] = thinking.effort.upper()
    return config


def generation_config(options: RequestOptions) -> dict[str, Any]:
    config: dict[str, Any] = {}
    if options.temperature is not None:
        config["temperature"] = options.temperature
    if options.max_tokens is not None:
        config["maxOutputTokens"] = options.max_tokens
    if options.thinking is not None:
        config["thinkingConfig"] = thinking_config(options.thinking, options.model)
    image = _image_output(options)
    if image is not None:
        config["responseModalities"] = ["TEXT", "IMAGE"] if image.want_text else ["IMAGE"]
        if sizes := image_config(image):
            config["imageConfig"] = sizes
    return config


class GeminiAdapter(Adapter):
    """Gemini native (``format = "gemini"``)."""

    format = "gemini"

    def build_request(self, conversation: Conversation, options: RequestOptions) -> HttpRequest:
        latest_only = is_image_model(options.model)
        body: dict[str, Any] = {"contents": build_contents(conversation, latest_picture_only=latest_only)}
        if conversation.system:
            body["systemInstruction"] = {"parts": [{"text": conversation.system}]}
        if config := generation_config(options):
            body["generationConfig"] = config
        if options.image is not None and options.image.google_search:
            body["tools"] = [{"googleSearch": {}}]
        # Encoded: a model id holding "/", "?" or "#" must not change which URL is asked for.
        model = quote(options.model, safe="")
        if options.stream:
            path = f"/v1beta/models/{model}:streamGenerateContent?alt=sse"
        else:
            path = f"/v1beta/models/{model}:generateContent"
        return HttpRequest(path=path, json=body, stream=options.stream)

    def auth_headers(self, auth_code: str) -> dict[str, str]:
        return {"x-goog-api-key": auth_code}

    def new_parser(self) -> GeminiParser:
        return GeminiParser()


# ---------------------------------------------------------------- reply


def _count(meta: dict[str, Any], key: str) -> int:
    # A broken counter must not throw away a finished reply: non-integers count as 0.
    value = meta.get(key)
    return clean_count(value)


class GeminiParser(ReplyParser):
    """Parses one Gemini reply, streamed or whole."""

    def __init__(self) -> None:
        super().__init__()
        self._usage: Usage | None = None
        self._sources: list[Source] = []
        self._saw_candidate = False
        # The last part carries a signature: the next text must open its own part, not extend it.
        self._last_signed = False
        # Sent when the stream ends (see the module docstring): later chunks may still bring usage.
        self._finish: FinishEvent | None = None

    def feed(self, event: str, data: str) -> list[StreamEvent]:
        if self.finished and not self.done:
            # The reply is complete: a late chunk that is not JSON loses nothing worth failing for.
            try:
                return self._after_finish(json.loads(data))
            except (ValueError, RecursionError):
                return []
        return super().feed(event, data)

    def feed_json(self, event: str, obj: Any) -> list[StreamEvent]:
        if self.finished:
            return self._after_finish(obj)
        return self._response(obj)

    def _after_finish(self, obj: Any) -> list[StreamEvent]:
        """A chunk after the finish: only its usage counts matter (anything else, even an error, is late)."""
        items = obj if isinstance(obj, list) else [obj]
        events: list[StreamEvent] = []
        for item in items:
            if isinstance(item, dict):
                events += self._usage_event(item.get("usageMetadata"))
        return events

    def end(self) -> list[StreamEvent]:
        if self._finish is not None and not self.done:
            self.done = True
            return [self._finish]
        return super().end()

    def feed_body(self, body: Any) -> list[StreamEvent]:
        if self.done:
            return []
        events = self._response(body)
        if self.done:
            return events
        if not self._saw_candidate:
            return events + self.fail(bad_response("The reply has no candidates."))
        # A whole body is the whole reply even when it names no finishReason.
        self.done = True
        return [*events, self._finish or FinishEvent("stop")]

    def _response(self, obj: Any, *, in_array: bool = False) -> list[StreamEvent]:
        if isinstance(obj, list) and not in_array:
            # A non-SSE stream is one JSON array of responses; errors come as [{"error": …}].
            # Only one level: recursing into nested arrays let hostile input exhaust the stack.
            collected: list[StreamEvent] = []
            for item in obj:
                if self.done:
                    break
                if self.finished:
                    collected += self._after_finish(item)
                else:
                    collected += self._response(item, in_array=True)
            return collected
        if not isinstance(obj, dict):
            return self.fail(bad_response(f"Expected a JSON object, got {type(obj).__name__}."))
        if obj.get("error") is not None:
            return self.fail(stream_error_event(obj))
        events: list[StreamEvent] = []
        try:
            self._chunk(obj, events)
        except (TypeError, AttributeError, LookupError, ValueError):  # binascii.Error is a ValueError
            # Keep the events of the parts already added: what was shown must match what is saved.
            return events + self.fail(bad_response("A reply chunk has an unexpected shape."))
        return events

    def _chunk(self, obj: dict[str, Any], events: list[StreamEvent]) -> None:
        """Parse one response object, appending to ``events`` as each piece is added to the reply."""
        candidates = obj.get("candidates") or []
        candidate: dict[str, Any] = candidates[0] if candidates else {}  # one candidate is all we ask for
        self._saw_candidate = self._saw_candidate or bool(candidates)
        for part in (candidate.get("content") or {}).get("parts") or []:
            events.extend(self._part(part))
        events.extend(self._grounding(candidate.get("groundingMetadata")))
        events.extend(self._usage_event(obj.get("usageMetadata")))
        feedback = obj.get("promptFeedback") or {}
        if not candidates and feedback.get("blockReason"):
            named = feedback["blockReason"]
            blocked = clean_line(named[:200], 80) if isinstance(named, str) else "unknown reason"
            given = feedback.get("blockReasonMessage")
            message = clean_line(given[:2000], 300) if isinstance(given, str) else ""
            self.done = True
            message = message or f"Gemini refused to answer it ({blocked})."
            events.append(ErrorEvent("Prompt blocked", message, kind="safety"))
            return
        reason = candidate.get("finishReason")
        if isinstance(reason, str) and reason:
            self.finished = True
            self._finish = FinishEvent(_FINISH.get(reason, "error"), raw=clean_line(reason[:200], 80))

    def _part(self, part: dict[str, Any]) -> list[StreamEvent]:
        signature = part.get("thoughtSignature")
        data: ProviderData | None = None
        if isinstance(signature, str) and signature:
            data = {"gemini": {"thoughtSignature": signature}}
        inline = part.get("inlineData")
        if isinstance(inline, dict):
            # pop: the multi-megabyte base64 string is dropped as soon as it is decoded.
            mime = inline.get("mimeType")
            # A non-string type would reach the store's file naming and crash the turn there.
            mime = clean_line(mime[:200], 100) if isinstance(mime, str) else ""
            return self._image(inline.pop("data", ""), mime or "image/png", data)
        text = part.get("text")
        if not isinstance(text, str):
            return []  # functionCall and friends: no tools are ever offered
        thought = part.get("thought") is True
        if not thought and "data:image/" in text:
            return self._text_with_images(text, data)
        return self._text(text, thought, data)

    def _text(self, text: str, thought: bool, data: ProviderData | None) -> list[StreamEvent]:
        text = clean_text(text)
        if not text and data is None:
            return []
        self.builder.add_text(text, reasoning=thought, new_part=self._last_signed, provider_data=data)
        self._last_signed = data is not None
        if not text:
            return []  # a signature-only part: kept for the next request, nothing to show
        return [ReasoningDelta(text) if thought else TextDelta(text)]

    def _image(self, b64: str, mime_type: str, data: ProviderData | None) -> list[StreamEvent]:
        return self._add_image(base64.b64decode(b64), mime_type, data)

    def _add_image(self, raw: bytes, mime_type: str, data: ProviderData | None) -> list[StreamEvent]:
        if not raw:
            raise ValueError("empty image")
        image = ImagePart(raw, mime_type=mime_type, generated=True, provider_data=data or {})
        self.builder.add(image)
        self._last_signed = data is not None
        return [ImageEvent(image)]

    def _text_with_images(self, text: str, data: ProviderData | None) -> list[StreamEvent]:
        """Text holding data-URL images (a gateway quirk): split into text and image parts.

        The part's signature, if any, stays with the first piece.
        """
        events: list[StreamEvent] = []
        end = 0
        for match in _DATA_URL.finditer(text):
            try:
                raw = base64.b64decode(match.group(3))
            except binascii.Error:
                continue  # not really base64: it stays in the text
            if not raw:
                continue  # "base64,====" holds no image: it stays in the text too
            before = text[end : match.start()]
            if before.strip():
                events += self._text(before, False, data)
                data = None
            events += self._add_image(raw, match.group(2), data)
            data = None
            end = match.end()
        rest = text[end:]
        if end == 0 or rest.strip():
            events += self._text(rest, False, data)
        return events

    def _grounding(self, meta: Any) -> list[StreamEvent]:
        if not isinstance(meta, dict):
            return []
        known = {source.uri for source in self._sources}
        before = len(self._sources)
        for chunk in meta.get("groundingChunks") or []:
            if len(self._sources) >= MAX_SOURCES:
                break
            web = chunk.get("web") if isinstance(chunk, dict) else None
            uri = _link(web.get("uri")) if isinstance(web, dict) else ""
            if uri and uri not in known:
                known.add(uri)
                title = web.get("title") if isinstance(web, dict) else None
                title = clean_line(title[:2000], 200) if isinstance(title, str) else ""
                self._sources.append(Source(uri, title))
        # The chat layer replaces a reply's sources with each event's: always send them all.
        return [SourcesEvent(tuple(self._sources))] if len(self._sources) > before else []

    def _usage_event(self, meta: Any) -> list[StreamEvent]:
        if not isinstance(meta, dict):
            return []
        thoughts = _count(meta, "thoughtsTokenCount")
        usage = Usage(
            input_tokens=_count(meta, "promptTokenCount"),
            output_tokens=_count(meta, "candidatesTokenCount") + thoughts,
            reasoning_tokens=thoughts,
            cache_read_tokens=_count(meta, "cachedContentTokenCount"),
        )
        if usage == self._usage:
            return []  # every chunk repeats the counts; only a change is news
        self._usage = usage
        return [UsageEvent(usage)]


def _link(value: Any) -> str:
    """A source URI fit to show and open: one clean line, http or https only, else ""."""
    if not isinstance(value, str):
        return ""
    uri = clean_line(value[:4000], 2000)
    if uri != value.strip() or " " in uri:
        return ""  # controls, spaces or a cut: not a link to offer anyone
    return uri if uri.lower().startswith(("https://", "http://")) else ""
