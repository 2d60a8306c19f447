"""The fake gateway's OpenAI Responses: ``POST /v1/responses`` checked and answered.

Checks replayed response and reasoning-item ids against those this gateway stored,
and refuses a Chat-shaped ``image_url`` object. On the wire: named events with
``sequence_number`` and item ids, reasoning summary events when a summary was
requested, then ``response.completed`` (or ``response.incomplete``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from liaobots_tui.demo import envelopes
from liaobots_tui.demo.documents import BadDocument, Documents
from liaobots_tui.demo.openai_chat import openai_file_error
from liaobots_tui.demo.replies import model_info, signature
from liaobots_tui.demo.reply import Encoder, Frame, Reply, sse_event
from liaobots_tui.demo.request import (
    ChatRequest,
    check_model,
    check_temperature,
    fail,
    positive_int,
    stream_flag,
)

_RESPONSES_ROLES = ("user", "assistant", "system", "developer")
_EFFORTS = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
_SUMMARIES = ("auto", "concise", "detailed")


# ---------------------------------------------------------------- the request


def _responses_content(content: object, where: str, docs: Documents) -> tuple[str, int]:
    if isinstance(content, str):
        return content, 0
    if not isinstance(content, list):
        raise fail(
            "openai", f"Invalid type for '{where}': expected one of a string or array of objects.", where
        )
    texts, images = [], 0
    for j, part in enumerate(content):
        if not isinstance(part, dict):
            raise fail("openai", f"Invalid type for '{where}[{j}]': expected an object.", f"{where}[{j}]")
        kind = part.get("type")
        if kind in ("input_text", "output_text"):
            texts.append(str(part.get("text", "")))
        elif kind == "input_image":
            url = part.get("image_url")
            if url is not None and not isinstance(url, str):
                raise fail(
                    "openai",
                    f"Invalid type for '{where}[{j}].image_url': expected a string, but got an "
                    "object instead.",
                    f"{where}[{j}].image_url",
                )
            if url is None and not part.get("file_id"):
                raise fail(
                    "openai",
                    f"Missing required parameter: '{where}[{j}].image_url'.",
                    f"{where}[{j}].image_url",
                )
            images += 1
        elif kind == "input_file":
            _responses_file(part, f"{where}[{j}]", docs)
        elif kind not in ("refusal", "input_audio"):
            raise fail(
                "openai",
                f"Invalid value: '{kind}'. Supported values are: 'input_text', 'input_image', "
                "'output_text', 'refusal', 'input_file', and 'input_audio'.",
                f"{where}[{j}].type",
            )
    return "\n".join(texts), images


def _responses_file(part: dict[str, Any], where: str, docs: Documents) -> None:
    if not (part.get("file_data") or part.get("file_id") or part.get("file_url")):
        raise fail(
            "openai",
            f"Missing required parameter: '{where}.file_data', '{where}.file_id' or '{where}.file_url'.",
        )
    if part.get("file_id") or part.get("file_url"):
        raise fail("openai", f"Invalid '{where}': only file_data is accepted by this gateway.", where)
    if not isinstance(part.get("filename"), str):
        raise fail("openai", f"Missing required parameter: '{where}.filename'.", f"{where}.filename")
    try:
        docs.pdf_data_url(part.get("file_data"))
    except BadDocument as exc:
        raise fail("openai", openai_file_error(where + ".file_data", exc), f"{where}.file_data") from None


def parse_responses(body: dict[str, Any], known_responses: set[str], known_items: set[str]) -> ChatRequest:
    """``POST /v1/responses``; ``known_*`` are the ids this gateway stored (for replayed ids)."""
    model = check_model("openai", body.get("model"))
    stream = stream_flag("openai", body)
    items = body.get("input")
    if items is None:
        raise fail("openai", "Missing required parameter: 'input'.", "input")
    previous = body.get("previous_response_id")
    if previous is not None and body.get("conversation") is not None:
        raise fail(
            "openai",
            "Mutually exclusive parameters: Ensure you are only providing one of: "
            "'previous_response_id' or 'conversation'.",
            "previous_response_id",
        )
    if previous is not None and previous not in known_responses:
        raise fail("openai", f"Previous response with id '{previous}' not found.", "previous_response_id")
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
                raise fail("openai", f"Invalid type for 'input[{i}]': expected an object.", f"input[{i}]")
            kind = item.get("type", "message")
            if kind == "message":
                role = item.get("role")
                if role not in _RESPONSES_ROLES:
                    raise fail(
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
                raise fail("openai", f"Invalid value: '{kind}'.", f"input[{i}].type")
    else:
        raise fail(
            "openai", "Invalid type for 'input': expected one of a string or array of objects.", "input"
        )
    check_temperature(model, body)
    limit = positive_int("openai", body.get("max_output_tokens"), "max_output_tokens", 16)
    reasoning = body.get("reasoning")
    summary = False
    if reasoning is not None:
        if not isinstance(reasoning, dict):
            raise fail("openai", "Invalid type for 'reasoning': expected an object.", "reasoning")
        if reasoning.get("effort") is not None and reasoning["effort"] not in _EFFORTS:
            raise fail(
                "openai",
                f"Invalid value: '{reasoning['effort']}'. Supported values are: "
                f"{', '.join(repr(e) for e in _EFFORTS)}.",
                "reasoning.effort",
            )
        if reasoning.get("summary") is not None and reasoning["summary"] not in _SUMMARIES:
            raise fail(
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


# ---------------------------------------------------------------- the reply


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
        return sse_event(name, obj)

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
