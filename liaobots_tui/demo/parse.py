"""Validate chat requests the way the real APIs do, and reduce them to one :class:`ChatRequest`.

Each ``parse_*`` function takes the decoded JSON body of one format and either
returns a :class:`ChatRequest` or raises :class:`ApiError` with the 400/404 that
format would send. The checks are the traps a client meets in real life:
Anthropic's required ``max_tokens`` and alternating user/assistant roles,
Gemini's "Please use a valid role: user, model." for a ``system`` content, a
Gemini image part resent without its ``thoughtSignature``, a Chat-shaped
``image_url`` object sent to the Responses API, and so on.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any, Literal

from liaobots_tui.demo import envelopes
from liaobots_tui.demo.documents import BadDocument, Documents
from liaobots_tui.demo.envelopes import ApiError
from liaobots_tui.demo.images import aspect_ratios_for, image_sizes_for
from liaobots_tui.demo.replies import is_image_model, model_info

WireFormat = Literal["openai", "anthropic", "responses", "gemini"]

_CHAT_ROLES = ("system", "developer", "user", "assistant", "tool", "function")
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
_RESPONSES_ROLES = ("user", "assistant", "system", "developer")
_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
_SUMMARIES = ("auto", "concise", "detailed")
_THINKING_LEVELS = ("MINIMAL", "LOW", "MEDIUM", "HIGH")


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


def _fail(api: envelopes.Api, message: str, param: str | None = None) -> ApiError:
    return envelopes.bad_request(api, message, param=param)


def _check_model(api: envelopes.Api, model: object, method: str = "generateContent") -> str:
    if not isinstance(model, str) or not model:
        raise _fail(
            api, "model: Field required" if api == "anthropic" else "you must provide a model parameter"
        )
    if model_info(model) is None:
        raise envelopes.model_not_found(api, model, method)
    return model


def _is_reasoning_openai(model: str) -> bool:
    return model.startswith(("gpt-5", "o1", "o3", "o4"))


def _check_temperature(model: str, body: dict[str, Any]) -> None:
    temp = body.get("temperature")
    if temp is not None and _is_reasoning_openai(model) and temp != 1:
        raise envelopes.bad_request(
            "openai",
            f"Unsupported value: 'temperature' does not support {temp} with this model. "
            "Only the default (1) value is supported.",
            param="temperature",
            code="unsupported_value",
        )


def _positive_int(api: envelopes.Api, value: object, name: str, minimum: int = 1) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        if api == "anthropic":
            raise _fail(api, f"{name}: Input should be greater than or equal to {minimum}")
        raise _fail(
            api,
            f"Invalid '{name}': integer below minimum value. Expected a value >= {minimum}, "
            f"but got {value!r} instead.",
            name,
        )
    return value


def _stream_flag(api: envelopes.Api, body: dict[str, Any]) -> bool:
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise _fail(
            api, f"Invalid type for 'stream': expected a boolean, but got {type(stream).__name__}.", "stream"
        )
    return stream


# ---------------------------------------------------------------- OpenAI Chat Completions


def _chat_text(content: object, where: str, docs: Documents) -> tuple[str, int]:
    if content is None or isinstance(content, str):
        return content or "", 0
    if not isinstance(content, list):
        raise _fail(
            "openai", f"Invalid type for '{where}': expected one of a string or array of objects.", where
        )
    texts, images = [], 0
    for j, part in enumerate(content):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in ("text", "refusal"):
            texts.append(str(part.get(kind, "")))
        elif kind == "image_url":
            image = part.get("image_url")
            if not isinstance(image, dict) or not isinstance(image.get("url"), str):
                raise _fail("openai", f"Missing required parameter: '{where}[{j}].image_url.url'.", where)
            images += 1
        elif kind == "file":
            _chat_file(part.get("file"), f"{where}[{j}].file", docs)
        elif kind != "input_audio":
            raise _fail(
                "openai",
                f"Invalid value: '{kind}'. Supported values are: 'text', 'image_url', 'input_audio', "
                f"'refusal', and 'file'.",
                f"{where}[{j}].type",
            )
    return "\n".join(texts), images


def _chat_file(file: object, where: str, docs: Documents) -> None:
    if not isinstance(file, dict) or not (file.get("file_data") or file.get("file_id")):
        raise _fail("openai", f"Missing required parameter: '{where}.file_data'.", f"{where}.file_data")
    if file.get("file_id"):
        raise _fail("openai", f"Invalid 'file_id': file not found ({where}.file_id).", f"{where}.file_id")
    if file.get("file_data") and not isinstance(file.get("filename"), str):
        raise _fail("openai", f"Missing required parameter: '{where}.filename'.", f"{where}.filename")
    try:
        docs.pdf_data_url(file.get("file_data"))
    except BadDocument as exc:
        raise _fail("openai", _openai_file_error(where + ".file_data", exc), f"{where}.file_data") from None


def _openai_file_error(where: str, exc: BadDocument) -> str:
    problem = str(exc)
    if problem.startswith("mime:"):
        return (
            f"Invalid file data: '{where}'. Expected a base64-encoded data URL with an application/pdf "
            f"MIME type (e.g. 'data:application/pdf;base64,SGVsbG8sIFdvcmxkIQ=='), but got unsupported "
            f"MIME type '{problem[5:]}'."
        )
    if problem == "not_pdf":
        return f"Invalid file data: '{where}'. The file is not a valid PDF."
    return f"Invalid file data: '{where}'. Expected a base64-encoded data URL."


def parse_chat(body: dict[str, Any]) -> ChatRequest:
    """``POST /v1/chat/completions``."""
    model = _check_model("openai", body.get("model"))
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise _fail("openai", "Missing required parameter: 'messages'.", "messages")
    if not messages:
        raise _fail(
            "openai", "Invalid 'messages': empty array. Expected an array with minimum length 1.", "messages"
        )
    stream = _stream_flag("openai", body)
    texts: list[str] = []
    prompt, images = "", 0
    docs = Documents()
    for i, msg in enumerate(messages):
        role = msg.get("role") if isinstance(msg, dict) else None
        if role not in _CHAT_ROLES:
            raise _fail(
                "openai",
                f"Invalid value: '{role}'. Supported values are: 'system', 'assistant', 'user', "
                "'function', 'tool', and 'developer'.",
                f"messages[{i}].role",
            )
        assert isinstance(msg, dict)
        text, n = _chat_text(msg.get("content"), f"messages[{i}].content", docs)
        texts.append(text)
        images += n
        if role == "user":
            prompt = text
    if body.get("max_tokens") is not None and _is_reasoning_openai(model):
        raise envelopes.bad_request(
            "openai",
            "Unsupported parameter: 'max_tokens' is not supported with this model. "
            "Use 'max_completion_tokens' instead.",
            param="max_tokens",
            code="unsupported_parameter",
        )
    _check_temperature(model, body)
    limit = _positive_int(
        "openai", body.get("max_completion_tokens", body.get("max_tokens")), "max_completion_tokens"
    )
    options = body.get("stream_options")
    if options is not None and not stream:
        raise _fail(
            "openai",
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            "stream_options",
        )
    options = options if isinstance(options, dict) else {}
    info = model_info(model)
    assert info is not None
    return ChatRequest(
        wire="openai",
        model=model,
        stream=stream,
        prompt=prompt,
        input_text="\n".join(texts),
        input_images=images,
        documents=docs.counted("\n".join(texts)),
        max_tokens=limit,
        reasons=info.always_reasons,
        # DeepSeek-style backends return their reasoning here (reasoning_content), as do gateways
        # that relay a reasoning model's summary when reasoning_effort is asked for.
        show_reasoning=model.startswith("deepseek-r") or body.get("reasoning_effort") is not None,
        include_usage=bool(options.get("include_usage")),
        obfuscation=options.get("include_obfuscation", True) is not False,
        body=body,
    )


# ---------------------------------------------------------------- Anthropic Messages


def _anthropic_content(content: object, i: int, role: str, last: bool, docs: Documents) -> tuple[str, int]:
    if isinstance(content, str):
        if not content and not (last and role == "assistant"):
            raise _fail(
                "anthropic",
                f"messages.{i}: all messages must have non-empty content except for the "
                "optional final assistant message",
            )
        return content, 0
    if not isinstance(content, list):
        raise _fail("anthropic", f"messages.{i}.content: Input should be a valid list")
    if not content and not (last and role == "assistant"):
        raise _fail(
            "anthropic",
            f"messages.{i}: all messages must have non-empty content except for the "
            "optional final assistant message",
        )
    texts, images = [], 0
    for j, block in enumerate(content):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind not in _ANTHROPIC_BLOCKS:
            raise _fail(
                "anthropic",
                f"messages.{i}.content.{j}: Input tag '{kind}' found using 'type' does not "
                f"match any of the expected tags: {', '.join(repr(t) for t in _ANTHROPIC_BLOCKS)}",
            )
        assert isinstance(block, dict)
        if kind == "text":
            if not isinstance(block.get("text"), str) or not block["text"]:
                raise _fail("anthropic", "messages: text content blocks must be non-empty")
            texts.append(block["text"])
        elif kind == "image":
            source = block.get("source")
            if not isinstance(source, dict):
                raise _fail("anthropic", f"messages.{i}.content.{j}.image.source: Field required")
            if source.get("type") == "base64":
                if source.get("media_type") not in _ANTHROPIC_MEDIA:
                    raise _fail(
                        "anthropic",
                        f"messages.{i}.content.{j}.image.source.base64.media_type: Input should "
                        "be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'",
                    )
                if not _is_base64(source.get("data")):
                    raise _fail(
                        "anthropic",
                        f"messages.{i}.content.{j}.image.source.base64.data: invalid base64 "
                        "data (send raw base64, without a data: prefix)",
                    )
            elif source.get("type") != "url" or not isinstance(source.get("url"), str):
                raise _fail(
                    "anthropic",
                    f"messages.{i}.content.{j}.image.source: Input tag "
                    f"'{source.get('type')}' does not match any of the expected tags: 'base64', 'url'",
                )
            images += 1
        elif kind == "document":
            _anthropic_document(block.get("source"), f"messages.{i}.content.{j}", docs)
        elif kind == "thinking":
            if role != "assistant":
                raise _fail(
                    "anthropic",
                    f"messages.{i}.content.{j}: thinking blocks are only allowed in assistant messages",
                )
            if not block.get("signature"):
                raise _fail("anthropic", f"messages.{i}.content.{j}.thinking.signature: Field required")
    return "\n".join(texts), images


def _anthropic_document(source: object, where: str, docs: Documents) -> None:
    if not isinstance(source, dict):
        raise _fail("anthropic", f"{where}.document.source: Field required")
    if source.get("type") == "text":
        if not isinstance(source.get("data"), str):
            raise _fail("anthropic", f"{where}.document.source.text.data: Field required")
        docs.text_files += 1
        return
    if source.get("type") != "base64":
        raise _fail(
            "anthropic",
            f"{where}.document.source: Input tag '{source.get('type')}' does not match any of the "
            "expected tags: 'base64', 'content', 'text', 'url', 'file'",
        )
    if source.get("media_type") != "application/pdf":
        raise _fail(
            "anthropic", f"{where}.document.source.base64.media_type: Input should be 'application/pdf'"
        )
    try:
        docs.pdf(source.get("data"))
    except BadDocument as exc:
        if str(exc) == "not_pdf":
            raise _fail(
                "anthropic", f"{where}.pdf.source.base64.data: The PDF specified was not valid."
            ) from None
        raise _fail(
            "anthropic", f"{where}.document.source.base64.data: invalid base64 data (send raw base64)"
        ) from None


def _anthropic_system(system: object) -> str:
    if system is None or isinstance(system, str):
        return system or ""
    if isinstance(system, list) and all(isinstance(b, dict) and b.get("type") == "text" for b in system):
        return "\n".join(str(b.get("text", "")) for b in system)
    raise _fail("anthropic", "system: Input should be a valid string or a list of text blocks")


def parse_anthropic(body: dict[str, Any], headers: dict[str, str]) -> ChatRequest:
    """``POST /v1/messages`` (``headers`` lower-cased, for ``anthropic-version``)."""
    if not headers.get("anthropic-version"):
        raise _fail("anthropic", "anthropic-version: header is required")
    if body.get("max_tokens") is None:
        raise _fail("anthropic", "max_tokens: Field required")
    max_tokens = _positive_int("anthropic", body.get("max_tokens"), "max_tokens")
    assert max_tokens is not None
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise _fail("anthropic", "messages: Field required")
    model = _check_model("anthropic", body.get("model"))
    if not messages:
        raise _fail("anthropic", "messages: at least one message is required")
    stream = _stream_flag("anthropic", body)
    texts = [_anthropic_system(body.get("system"))]
    prompt, images, previous = "", 0, None
    docs = Documents()
    for i, msg in enumerate(messages):
        role = msg.get("role") if isinstance(msg, dict) else None
        if role == "system":
            raise _fail(
                "anthropic",
                'messages: Unexpected role "system". The Messages API accepts a top-level '
                '`system` parameter, not "system" as an input message role.',
            )
        if role not in ("user", "assistant"):
            raise _fail("anthropic", f"messages.{i}.role: Input should be 'user' or 'assistant'")
        if i == 0 and role != "user":
            raise _fail("anthropic", 'messages: first message must use the "user" role')
        if role == previous:
            raise _fail(
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
            raise _fail(
                "anthropic",
                f"thinking: Input tag '{kind}' found using 'type' does not match any of the "
                "expected tags: 'enabled', 'adaptive', 'disabled'",
            )
        assert isinstance(thinking, dict)
        if kind == "enabled":
            budget = thinking.get("budget_tokens")
            if not isinstance(budget, int) or budget < 1024:
                raise _fail(
                    "anthropic",
                    "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
                )
            if max_tokens <= budget:
                raise _fail(
                    "anthropic",
                    "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult "
                    "our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
                    "#max-tokens-and-context-window-size",
                )
        thinks = kind != "disabled"
        omitted = thinking.get("display") == "omitted"
        temp = body.get("temperature")
        if thinks and temp is not None and temp != 1:
            raise _fail(
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


# ---------------------------------------------------------------- OpenAI Responses


def _responses_content(content: object, where: str, docs: Documents) -> tuple[str, int]:
    if isinstance(content, str):
        return content, 0
    if not isinstance(content, list):
        raise _fail(
            "openai", f"Invalid type for '{where}': expected one of a string or array of objects.", where
        )
    texts, images = [], 0
    for j, part in enumerate(content):
        if not isinstance(part, dict):
            raise _fail("openai", f"Invalid type for '{where}[{j}]': expected an object.", f"{where}[{j}]")
        kind = part.get("type")
        if kind in ("input_text", "output_text"):
            texts.append(str(part.get("text", "")))
        elif kind == "input_image":
            url = part.get("image_url")
            if url is not None and not isinstance(url, str):
                raise _fail(
                    "openai",
                    f"Invalid type for '{where}[{j}].image_url': expected a string, but got an "
                    "object instead.",
                    f"{where}[{j}].image_url",
                )
            if url is None and not part.get("file_id"):
                raise _fail(
                    "openai",
                    f"Missing required parameter: '{where}[{j}].image_url'.",
                    f"{where}[{j}].image_url",
                )
            images += 1
        elif kind == "input_file":
            _responses_file(part, f"{where}[{j}]", docs)
        elif kind not in ("refusal", "input_audio"):
            raise _fail(
                "openai",
                f"Invalid value: '{kind}'. Supported values are: 'input_text', 'input_image', "
                "'output_text', 'refusal', 'input_file', and 'input_audio'.",
                f"{where}[{j}].type",
            )
    return "\n".join(texts), images


def _responses_file(part: dict[str, Any], where: str, docs: Documents) -> None:
    if not (part.get("file_data") or part.get("file_id") or part.get("file_url")):
        raise _fail(
            "openai",
            f"Missing required parameter: '{where}.file_data', '{where}.file_id' or '{where}.file_url'.",
        )
    if part.get("file_id") or part.get("file_url"):
        raise _fail("openai", f"Invalid '{where}': only file_data is accepted by this gateway.", where)
    if not isinstance(part.get("filename"), str):
        raise _fail("openai", f"Missing required parameter: '{where}.filename'.", f"{where}.filename")
    try:
        docs.pdf_data_url(part.get("file_data"))
    except BadDocument as exc:
        raise _fail("openai", _openai_file_error(where + ".file_data", exc), f"{where}.file_data") from None


def parse_responses(body: dict[str, Any], known_responses: set[str], known_items: set[str]) -> ChatRequest:
    """``POST /v1/responses``; ``known_*`` are the ids this gateway stored (for replayed ids)."""
    model = _check_model("openai", body.get("model"))
    stream = _stream_flag("openai", body)
    items = body.get("input")
    if items is None:
        raise _fail("openai", "Missing required parameter: 'input'.", "input")
    previous = body.get("previous_response_id")
    if previous is not None and body.get("conversation") is not None:
        raise _fail(
            "openai",
            "Mutually exclusive parameters: Ensure you are only providing one of: "
            "'previous_response_id' or 'conversation'.",
            "previous_response_id",
        )
    if previous is not None and previous not in known_responses:
        raise _fail("openai", f"Previous response with id '{previous}' not found.", "previous_response_id")
    instructions = body.get("instructions")
    texts = [instructions] if isinstance(instructions, str) else []
    prompt, images = "", 0
    docs = Documents()
    if isinstance(items, str):
        prompt = items
        texts.append(items)
    elif isinstance(items, list):
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise _fail("openai", f"Invalid type for 'input[{i}]': expected an object.", f"input[{i}]")
            kind = item.get("type", "message")
            if kind == "message":
                role = item.get("role")
                if role not in _RESPONSES_ROLES:
                    raise _fail(
                        "openai",
                        f"Invalid value: '{role}'. Supported values are: 'user', 'assistant', "
                        "'system', and 'developer'.",
                        f"input[{i}].role",
                    )
                text, n = _responses_content(item.get("content"), f"input[{i}].content", docs)
                texts.append(text)
                images += n
                if role == "user":
                    prompt = text
            elif kind == "reasoning":
                rid = item.get("id")
                if not item.get("encrypted_content") and rid not in known_items:
                    raise envelopes.bad_request(
                        "openai",
                        f"Item with id '{rid}' not found. Items are not persisted when `store` is set to "
                        "false. Try again with `store` set to true, or remove this item from your input.",
                        param="input",
                        status=404,
                    )
            elif kind not in ("function_call", "function_call_output", "item_reference"):
                raise _fail("openai", f"Invalid value: '{kind}'.", f"input[{i}].type")
    else:
        raise _fail(
            "openai", "Invalid type for 'input': expected one of a string or array of objects.", "input"
        )
    _check_temperature(model, body)
    limit = _positive_int("openai", body.get("max_output_tokens"), "max_output_tokens", 16)
    reasoning = body.get("reasoning")
    summary = False
    if reasoning is not None:
        if not isinstance(reasoning, dict):
            raise _fail("openai", "Invalid type for 'reasoning': expected an object.", "reasoning")
        if reasoning.get("effort") is not None and reasoning["effort"] not in _EFFORTS:
            raise _fail(
                "openai",
                f"Invalid value: '{reasoning['effort']}'. Supported values are: "
                f"{', '.join(repr(e) for e in _EFFORTS)}.",
                "reasoning.effort",
            )
        if reasoning.get("summary") is not None and reasoning["summary"] not in _SUMMARIES:
            raise _fail(
                "openai",
                f"Invalid value: '{reasoning['summary']}'. Supported values are: 'auto', "
                "'concise', and 'detailed'.",
                "reasoning.summary",
            )
        summary = reasoning.get("summary") is not None
    include = body.get("include") or []
    info = model_info(model)
    assert info is not None
    thinks = info.always_reasons or reasoning is not None
    return ChatRequest(
        wire="responses",
        model=model,
        stream=stream,
        prompt=prompt,
        input_text="\n".join(texts),
        input_images=images,
        documents=docs.counted("\n".join(texts)),
        max_tokens=limit,
        reasons=thinks and (reasoning or {}).get("effort") != "none",
        show_reasoning=summary,
        reasoning_item=reasoning is not None and reasoning.get("effort") != "none",
        encrypted_reasoning="reasoning.encrypted_content" in include,
        instructions=instructions if isinstance(instructions, str) else None,
        previous_response_id=previous,
        store=body.get("store", True) is not False,
        body=body,
    )


# ---------------------------------------------------------------- Gemini native


def _is_base64(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _gemini_bytes_error(where: str, value: object) -> ApiError:
    shown = str(value)[:40]
    return _fail("gemini", f"Invalid value at '{where}' (TYPE_BYTES), Base64 decoding failed for \"{shown}\"")


def _gemini_parts(parts: object, i: int, role: str, image_model: bool, docs: Documents) -> tuple[str, int]:
    if not isinstance(parts, list) or not parts:
        raise _fail(
            "gemini", f"* GenerateContentRequest.contents[{i}].parts: contents.parts must not be empty.\n"
        )
    texts, images = [], 0
    for j, part in enumerate(parts):
        if not isinstance(part, dict):
            raise _fail("gemini", f"Invalid value at 'contents[{i}].parts[{j}]': expected an object.")
        signature = part.get("thoughtSignature")
        if signature is not None and not _is_base64(signature):
            raise _gemini_bytes_error(f"contents[{i}].parts[{j}].thought_signature", signature)
        if "text" in part:
            if not part.get("thought"):
                texts.append(str(part["text"]))
        elif "inlineData" in part:
            data = part["inlineData"]
            if not isinstance(data, dict) or not data.get("mimeType"):
                raise _fail(
                    "gemini",
                    f"* GenerateContentRequest.contents[{i}].parts[{j}].inline_data.mime_type: "
                    "mime_type is not specified.\n",
                )
            if not _is_base64(data.get("data")):
                raise _gemini_bytes_error(f"contents[{i}].parts[{j}].inline_data.data", data.get("data"))
            if data.get("mimeType") == "application/pdf":
                try:
                    docs.pdf(data.get("data"))
                except BadDocument:
                    raise _fail("gemini", "The document has no pages.") from None
                continue
            if image_model and role == "model" and not signature:
                raise _fail(
                    "gemini",
                    f"Image part is missing a thought_signature in content position {i + 1}, "
                    f"part position {j + 1}.",
                )
            images += 1
        elif not any(
            k in part
            for k in ("fileData", "functionCall", "functionResponse", "executableCode", "codeExecutionResult")
        ):
            raise _fail(
                "gemini",
                f"* GenerateContentRequest.contents[{i}].parts[{j}].data: required oneof field "
                "'data' must have one initialized field\n",
            )
    return "\n".join(texts), images


def _gemini_image_spec(model: str, config: dict[str, Any]) -> ImageSpec:
    image_config = config.get("imageConfig") or {}
    if not isinstance(image_config, dict):
        raise _fail("gemini", "Invalid value at 'generation_config.image_config': expected an object.")
    ratio = image_config.get("aspectRatio", "1:1")
    size = image_config.get("imageSize", "1K")
    ratios, sizes = aspect_ratios_for(model), image_sizes_for(model)
    if ratio not in ratios:
        raise _fail(
            "gemini",
            f"* GenerateContentRequest.generation_config.image_config.aspect_ratio: Unsupported "
            f'aspect ratio "{ratio}" for {model}. Supported values: {", ".join(ratios)}.\n',
        )
    if size not in sizes:
        raise _fail(
            "gemini",
            f"* GenerateContentRequest.generation_config.image_config.image_size: Unsupported "
            f'image size "{size}" for {model}. Supported values: {", ".join(sizes)}.\n',
        )
    return ImageSpec(ratio, size)


def parse_gemini(body: dict[str, Any], model: str, method: str, query: dict[str, str]) -> ChatRequest:
    """``POST /v1beta/models/{model}:{method}`` with ``method`` generateContent or streamGenerateContent."""
    model = _check_model("gemini", model, method)
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        raise _fail("gemini", "* GenerateContentRequest.contents: contents is not specified\n")
    image_model = is_image_model(model)
    system = body.get("systemInstruction")
    texts: list[str] = []
    if system is not None:
        parts = system.get("parts") if isinstance(system, dict) else None
        if not isinstance(parts, list):
            raise _fail("gemini", "Invalid value at 'system_instruction': expected an object with parts.")
        texts.extend(str(p.get("text", "")) for p in parts if isinstance(p, dict))
    prompt, images = "", 0
    docs = Documents()
    for i, content in enumerate(contents):
        if not isinstance(content, dict):
            raise _fail("gemini", f"Invalid value at 'contents[{i}]': expected an object.")
        role = content.get("role", "user")
        if role not in ("user", "model"):
            raise _fail("gemini", "Please use a valid role: user, model.")
        text, n = _gemini_parts(content.get("parts"), i, role, image_model, docs)
        texts.append(text)
        images += n
        if role == "user":
            prompt = text

    config = body.get("generationConfig") or {}
    if not isinstance(config, dict):
        raise _fail("gemini", "Invalid value at 'generation_config': expected an object.")
    thinking = config.get("thinkingConfig") or {}
    if not isinstance(thinking, dict):
        raise _fail("gemini", "Invalid value at 'generation_config.thinking_config': expected an object.")
    if thinking.get("thinkingBudget") is not None and thinking.get("thinkingLevel") is not None:
        raise _fail("gemini", "You can only set one of thinking budget and thinking level.")
    level = thinking.get("thinkingLevel")
    if level is not None and str(level).upper() not in _THINKING_LEVELS:
        raise _fail(
            "gemini",
            f"Invalid value at 'generation_config.thinking_config.thinking_level' "
            "(type.googleapis.com/google.ai.generativelanguage.v1beta.ThinkingConfig.ThinkingLevel), "
            f'"{level}"',
        )
    modalities = [str(m).upper() for m in config.get("responseModalities") or ["TEXT"]]
    if "IMAGE" in modalities and not image_model:
        raise _fail("gemini", "Model does not support the requested response modalities: image")
    spec = _gemini_image_spec(model, config) if image_model else None
    tools = body.get("tools") or []
    google_search = any(isinstance(t, dict) and ("googleSearch" in t or "google_search" in t) for t in tools)
    limit = config.get("maxOutputTokens")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise _fail(
            "gemini", "* GenerateContentRequest.generation_config.max_output_tokens: must be positive\n"
        )
    return ChatRequest(
        wire="gemini",
        model=model,
        stream=method == "streamGenerateContent",
        prompt=prompt,
        input_text="\n".join(texts),
        input_images=images,
        documents=docs.counted("\n".join(texts)),
        max_tokens=limit,
        reasons=thinking.get("thinkingBudget") != 0,
        show_reasoning=bool(thinking.get("includeThoughts")),
        image=spec,
        want_text=not image_model or "TEXT" in modalities,
        google_search=google_search,
        sse=query.get("alt") == "sse",
        body=body,
    )
