"""The fake gateway's Gemini native API: ``:generateContent`` and ``:streamGenerateContent`` answered.

Checks the traps a client meets in real life: "Please use a valid role: user, model."
for a ``system`` content, an image part resent without its ``thoughtSignature``,
image sizes and aspect ratios per model. On the wire: CRLF-terminated ``data:``
lines (or one JSON array without ``alt=sse``), only new parts per chunk, repeated
``usageMetadata``, a last signature-only part with the ``finishReason``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from liaobots_tui.demo import envelopes
from liaobots_tui.demo.documents import BadDocument, Documents
from liaobots_tui.demo.envelopes import ApiError
from liaobots_tui.demo.images import aspect_ratios_for, image_sizes_for
from liaobots_tui.demo.replies import count_tokens, is_image_model, signature, subject_of
from liaobots_tui.demo.reply import Encoder, Frame, Reply
from liaobots_tui.demo.request import (
    ChatRequest,
    ImageSpec,
    check_model,
    fail,
    is_base64,
)

_THINKING_LEVELS = ("MINIMAL", "LOW", "MEDIUM", "HIGH")


# ---------------------------------------------------------------- the request


def _gemini_bytes_error(where: str, value: object) -> ApiError:
    shown = str(value)[:40]
    return fail("gemini", f"Invalid value at '{where}' (TYPE_BYTES), Base64 decoding failed for \"{shown}\"")


def _gemini_parts(parts: object, i: int, role: str, image_model: bool, docs: Documents) -> tuple[str, int]:
    if not isinstance(parts, list) or not parts:
        raise fail(
            "gemini", f"* GenerateContentRequest.contents[{i}].parts: contents.parts must not be empty.\n"
        )
    texts, images = [], 0
    for j, part in enumerate(parts):
        if not isinstance(part, dict):
            raise fail("gemini", f"Invalid value at 'contents[{i}].parts[{j}]': expected an object.")
        thought_signature = part.get("thoughtSignature")
        if thought_signature is not None and not is_base64(thought_signature):
            raise _gemini_bytes_error(f"contents[{i}].parts[{j}].thought_signature", thought_signature)
        if "text" in part:
            if not part.get("thought"):
                texts.append(str(part["text"]))
        elif "inlineData" in part:
            data = part["inlineData"]
            if not isinstance(data, dict) or not data.get("mimeType"):
                raise fail(
                    "gemini",
                    f"* GenerateContentRequest.contents[{i}].parts[{j}].inline_data.mime_type: "
                    "mime_type is not specified.\n",
                )
            if not is_base64(data.get("data")):
                raise _gemini_bytes_error(f"contents[{i}].parts[{j}].inline_data.data", data.get("data"))
            if data.get("mimeType") == "application/pdf":
                try:
                    docs.pdf(data.get("data"))
                except BadDocument:
                    raise fail("gemini", "The document has no pages.") from None
                continue
            if image_model and role == "model" and not thought_signature:
                raise fail(
                    "gemini",
                    f"Image part is missing a thought_signature in content position {i + 1}, "
                    f"part position {j + 1}.",
                )
            images += 1
        elif not any(
            k in part
            for k in ("fileData", "functionCall", "functionResponse", "executableCode", "codeExecutionResult")
        ):
            raise fail(
                "gemini",
                f"* GenerateContentRequest.contents[{i}].parts[{j}].data: required oneof field "
                "'data' must have one initialized field\n",
            )
    return "\n".join(texts), images


def _gemini_image_spec(model: str, config: dict[str, Any]) -> ImageSpec:
    image_config = config.get("imageConfig") or {}
    if not isinstance(image_config, dict):
        raise fail("gemini", "Invalid value at 'generation_config.image_config': expected an object.")
    ratio = image_config.get("aspectRatio", "1:1")
    size = image_config.get("imageSize", "1K")
    ratios, sizes = aspect_ratios_for(model), image_sizes_for(model)
    if ratio not in ratios:
        raise fail(
            "gemini",
            f"* GenerateContentRequest.generation_config.image_config.aspect_ratio: Unsupported "
            f'aspect ratio "{ratio}" for {model}. Supported values: {", ".join(ratios)}.\n',
        )
    if size not in sizes:
        raise fail(
            "gemini",
            f"* GenerateContentRequest.generation_config.image_config.image_size: Unsupported "
            f'image size "{size}" for {model}. Supported values: {", ".join(sizes)}.\n',
        )
    return ImageSpec(ratio, size)


def parse_gemini(body: dict[str, Any], model: str, method: str, query: dict[str, str]) -> ChatRequest:
    """``POST /v1beta/models/{model}:{method}`` with ``method`` generateContent or streamGenerateContent."""
    model = check_model("gemini", model, method)
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        raise fail("gemini", "* GenerateContentRequest.contents: contents is not specified\n")
    image_model = is_image_model(model)
    system = body.get("systemInstruction")
    texts: list[str] = []
    if system is not None:
        parts = system.get("parts") if isinstance(system, dict) else None
        if not isinstance(parts, list):
            raise fail("gemini", "Invalid value at 'system_instruction': expected an object with parts.")
        texts.extend(str(p.get("text", "")) for p in parts if isinstance(p, dict))
    prompt, images = "", 0
    docs = Documents()
    for i, content in enumerate(contents):
        if not isinstance(content, dict):
            raise fail("gemini", f"Invalid value at 'contents[{i}]': expected an object.")
        role = content.get("role", "user")
        if role not in ("user", "model"):
            raise fail("gemini", "Please use a valid role: user, model.")
        text, n = _gemini_parts(content.get("parts"), i, role, image_model, docs)
        texts.append(text)
        images += n
        if role == "user":
            prompt = text

    config = body.get("generationConfig") or {}
    if not isinstance(config, dict):
        raise fail("gemini", "Invalid value at 'generation_config': expected an object.")
    thinking = config.get("thinkingConfig") or {}
    if not isinstance(thinking, dict):
        raise fail("gemini", "Invalid value at 'generation_config.thinking_config': expected an object.")
    if thinking.get("thinkingBudget") is not None and thinking.get("thinkingLevel") is not None:
        raise fail("gemini", "You can only set one of thinking budget and thinking level.")
    level = thinking.get("thinkingLevel")
    if level is not None and str(level).upper() not in _THINKING_LEVELS:
        raise fail(
            "gemini",
            f"Invalid value at 'generation_config.thinking_config.thinking_level' "
            "(type.googleapis.com/google.ai.generativelanguage.v1beta.ThinkingConfig.ThinkingLevel), "
            f'"{level}"',
        )
    modalities = [str(m).upper() for m in config.get("responseModalities") or ["TEXT"]]
    if "IMAGE" in modalities and not image_model:
        raise fail("gemini", "Model does not support the requested response modalities: image")
    spec = _gemini_image_spec(model, config) if image_model else None
    tools = body.get("tools") or []
    google_search = any(isinstance(t, dict) and ("googleSearch" in t or "google_search" in t) for t in tools)
    limit = config.get("maxOutputTokens")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise fail(
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


# ---------------------------------------------------------------- the reply


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
