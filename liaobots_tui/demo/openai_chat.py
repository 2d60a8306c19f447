"""The fake gateway's OpenAI Chat Completions: ``POST /v1/chat/completions`` checked and answered.

On the wire: a role chunk, a ``: keep-alive`` comment, content deltas
(``reasoning_content`` first for DeepSeek R1), the finish chunk, the ``choices: []``
usage chunk when ``stream_options.include_usage`` asks for it, then ``data: [DONE]``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from liaobots_tui.demo import envelopes
from liaobots_tui.demo.documents import BadDocument, Documents
from liaobots_tui.demo.replies import model_info
from liaobots_tui.demo.reply import Encoder, Frame, sse_data
from liaobots_tui.demo.request import (
    ChatRequest,
    check_model,
    check_temperature,
    fail,
    is_reasoning_openai,
    positive_int,
    stream_flag,
)

_CHAT_ROLES = ("system", "developer", "user", "assistant", "tool", "function")


# ---------------------------------------------------------------- the request


def _chat_text(content: object, where: str, docs: Documents) -> tuple[str, int]:
    if content is None or isinstance(content, str):
        return content or "", 0
    if not isinstance(content, list):
        raise fail(
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
                raise fail("openai", f"Missing required parameter: '{where}[{j}].image_url.url'.", where)
            images += 1
        elif kind == "file":
            _chat_file(part.get("file"), f"{where}[{j}].file", docs)
        elif kind != "input_audio":
            raise fail(
                "openai",
                f"Invalid value: '{kind}'. Supported values are: 'text', 'image_url', 'input_audio', "
                f"'refusal', and 'file'.",
                f"{where}[{j}].type",
            )
    return "\n".join(texts), images


def _chat_file(file: object, where: str, docs: Documents) -> None:
    if not isinstance(file, dict) or not (file.get("file_data") or file.get("file_id")):
        raise fail("openai", f"Missing required parameter: '{where}.file_data'.", f"{where}.file_data")
    if file.get("file_id"):
        raise fail("openai", f"Invalid 'file_id': file not found ({where}.file_id).", f"{where}.file_id")
    if file.get("file_data") and not isinstance(file.get("filename"), str):
        raise fail("openai", f"Missing required parameter: '{where}.filename'.", f"{where}.filename")
    try:
        docs.pdf_data_url(file.get("file_data"))
    except BadDocument as exc:
        raise fail("openai", openai_file_error(where + ".file_data", exc), f"{where}.file_data") from None


def openai_file_error(where: str, exc: BadDocument) -> str:
    """The OpenAI wording for a refused ``file_data`` (Chat ``file`` and Responses ``input_file``)."""
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
    model = check_model("openai", body.get("model"))
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise fail("openai", "Missing required parameter: 'messages'.", "messages")
    if not messages:
        raise fail(
            "openai", "Invalid 'messages': empty array. Expected an array with minimum length 1.", "messages"
        )
    stream = stream_flag("openai", body)
    texts: list[str] = []
    prompt, images = "", 0
    docs = Documents()
    for i, msg in enumerate(messages):
        role = msg.get("role") if isinstance(msg, dict) else None
        if role not in _CHAT_ROLES:
            raise fail(
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
    if body.get("max_tokens") is not None and is_reasoning_openai(model):
        raise envelopes.bad_request(
            "openai",
            "Unsupported parameter: 'max_tokens' is not supported with this model. "
            "Use 'max_completion_tokens' instead.",
            param="max_tokens",
            code="unsupported_parameter",
        )
    check_temperature(model, body)
    limit = positive_int(
        "openai", body.get("max_completion_tokens", body.get("max_tokens")), "max_completion_tokens"
    )
    options = body.get("stream_options")
    if options is not None and not stream:
        raise fail(
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
        # DeepSeek-style backends return reasoning here (reasoning_content); the demo does when it is asked.
        show_reasoning=model.startswith("deepseek-r") or body.get("reasoning_effort") is not None,
        include_usage=bool(options.get("include_usage")),
        obfuscation=options.get("include_obfuscation", True) is not False,
        body=body,
    )


_OBFUSCATION = "Xq3vLm9ZkT2pRw7s"


# ---------------------------------------------------------------- the reply


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
            return sse_data(obj)

        yield Frame(chunk({"role": "assistant", "content": "", "refusal": None}))
        yield Frame(b": keep-alive\n\n")
        for d in self.reply.reasoning_deltas:
            yield Frame(chunk({"content": None, "reasoning_content": d}), delta=True)
        for d in self.reply.text_deltas:
            yield Frame(chunk({"content": d}), delta=True)
        yield Frame(chunk({}, "length" if self.reply.finish == "length" else "stop"), terminal=True)
        if self.req.include_usage:
            yield Frame(sse_data({**head, "choices": [], "usage": self._usage()}))
        yield Frame(b"data: [DONE]\n\n")

    def error_frames(self) -> list[bytes]:
        return [sse_data(envelopes.stream_error_body("openai"))]

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
