"""The fake Liaobots gateway speaks all four formats, the credits API and its faults faithfully.

Plain sync httpx against a real gateway on 127.0.0.1; replies are kept small.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import dataclasses
import io
import json
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from liaobots_tui.demo.gateway import FakeGateway, Faults
from liaobots_tui.demo.ledger import SEED_MIN_AGE_MS, seed_records

BEARER = {"Authorization": "Bearer demo"}
ANTHROPIC = {"x-api-key": "demo", "anthropic-version": "2023-06-01"}
GOOGLE = {"x-goog-api-key": "demo"}
CHAT = "/v1/chat/completions"
GEMINI_STREAM = "/v1beta/models/gemini-3-pro-preview:streamGenerateContent?alt=sse"
GEMINI_GEN = "/v1beta/models/gemini-3-pro-preview:generateContent"
IMAGE_GEN = "/v1beta/models/gemini-3-pro-image-preview:generateContent"


@pytest.fixture
def gw() -> Iterator[FakeGateway]:
    with FakeGateway("demo") as gateway:
        yield gateway


def fresh_client(**kwargs: Any) -> httpx.Client:
    # verify=False: plain HTTP on 127.0.0.1, and it skips loading CA certificates (~0.1 s per client).
    return httpx.Client(verify=False, timeout=kwargs.pop("timeout", 10), **kwargs)


def get(url: str, **kwargs: Any) -> httpx.Response:
    """A request on a new connection (no pooled keep-alive)."""
    with fresh_client() as c:
        return c.get(url, **kwargs)


@pytest.fixture
def client(gw: FakeGateway) -> Iterator[httpx.Client]:
    with fresh_client(base_url=gw.urls[0]) as c:
        yield c


def sse(text: str, sep: str = "\n") -> list[tuple[str, str]]:
    """(event name, data) pairs; comment-only blocks come back as ("comment", text)."""
    out = []
    for block in text.split(sep + sep):
        if not block:
            continue
        event, data = "", []
        for line in block.split(sep):
            if line.startswith(":"):
                event = event or "comment"
                data.append(line)
            elif line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data.append(line[6:])
        out.append((event, "\n".join(data)))
    return out


def chat_body(prompt: str = "Hi", model: str = "gpt-5.4", **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": prompt}], **extra}


def claude_body(prompt: str = "Hi", **extra: Any) -> dict[str, Any]:
    return {
        "model": "claude-sonnet-4-6",
        "max_tokens": 4000,
        "messages": [{"role": "user", "content": prompt}],
        **extra,
    }


def gemini_body(prompt: str = "Hi", **extra: Any) -> dict[str, Any]:
    return {"contents": [{"role": "user", "parts": [{"text": prompt}]}], **extra}


# ---------------------------------------------------------------- the four formats


def test_chat_stream_has_role_chunk_deltas_finish_usage_chunk_and_done(
    gw: FakeGateway, client: httpx.Client
) -> None:
    body = chat_body(stream=True, stream_options={"include_usage": True})
    r = client.post(CHAT, headers=BEARER, json=body)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    events = sse(r.text)
    assert ("comment", ": keep-alive") in events
    chunks = [json.loads(d) for e, d in events if e != "comment" and d != "[DONE]"]
    assert events[-1] == ("", "[DONE]")
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": "", "refusal": None}
    assert chunks[0]["object"] == "chat.completion.chunk"
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == gw.reply_text_for("gpt-5.4", "Hi")
    assert text.startswith("*gpt-5.4*")
    assert chunks[-2]["choices"][0] == {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}
    assert all(c["usage"] is None for c in chunks[:-1])
    assert chunks[-1]["choices"] == []
    usage = chunks[-1]["usage"]
    record = gw.usage_records[0]
    assert (usage["prompt_tokens"], usage["completion_tokens"]) == (
        record["input_tokens"],
        record["output_tokens"],
    )
    assert usage["total_tokens"] == record["tokens"]


def test_chat_non_stream_and_deepseek_reasoning_content(gw: FakeGateway, client: httpx.Client) -> None:
    r = client.post(CHAT, headers=BEARER, json=chat_body("Explain SSE", model="deepseek-r1"))
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "chat.completion"
    message = body["choices"][0]["message"]
    assert message["content"] == gw.reply_text_for("deepseek-r1", "Explain SSE")
    assert message["reasoning_content"].startswith("The user asks about")
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["usage"]["completion_tokens_details"]["reasoning_tokens"] > 0


def test_chat_stream_without_usage_option_has_no_usage_chunk(client: httpx.Client) -> None:
    r = client.post(CHAT, headers=BEARER, json=chat_body(stream=True))
    chunks = [json.loads(d) for e, d in sse(r.text) if e != "comment" and d != "[DONE]"]
    assert all(c["choices"] for c in chunks)
    assert all("usage" not in c for c in chunks)


def test_deltas_marker_gives_exactly_that_many_text_deltas(gw: FakeGateway, client: httpx.Client) -> None:
    r = client.post(CHAT, headers=BEARER, json=chat_body("bench [[deltas=500]]", stream=True))
    chunks = [json.loads(d) for e, d in sse(r.text) if e != "comment" and d != "[DONE]"]
    contents = [c["choices"][0]["delta"].get("content") for c in chunks]
    deltas = [c for c in contents if c]
    assert len(deltas) == 500
    assert "".join(deltas) == gw.reply_text_for("gpt-5.4", "bench [[deltas=500]]")


def test_anthropic_stream_with_thinking(gw: FakeGateway, client: httpx.Client) -> None:
    body = claude_body(stream=True, thinking={"type": "enabled", "budget_tokens": 1024})
    r = client.post("/v1/messages", headers=ANTHROPIC, json=body)
    assert r.status_code == 200
    events = sse(r.text)
    datas = [json.loads(d) for _, d in events]
    assert all(name == data["type"] for (name, _), data in zip(events, datas, strict=True))
    names = [name for name, _ in events]
    assert names[:3] == ["message_start", "ping", "content_block_start"]
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert datas[2]["content_block"] == {"type": "thinking", "thinking": "", "signature": ""}
    deltas = [d["delta"] for d in datas if d["type"] == "content_block_delta"]
    thinking = [d for d in deltas if d["type"] == "thinking_delta"]
    signatures = [d for d in deltas if d["type"] == "signature_delta"]
    assert thinking and len(signatures) == 1
    base64.b64decode(signatures[0]["signature"], validate=True)
    text = "".join(d["text"] for d in deltas if d["type"] == "text_delta")
    assert text == gw.reply_text_for("claude-sonnet-4-6", "Hi")
    assert datas[0]["message"]["usage"]["output_tokens"] == 1
    final = datas[-2]
    assert final["delta"]["stop_reason"] == "end_turn"
    assert final["usage"]["output_tokens"] == gw.usage_records[0]["output_tokens"]


def test_anthropic_non_stream(gw: FakeGateway, client: httpx.Client) -> None:
    r = client.post("/v1/messages", headers=ANTHROPIC, json=claude_body("Rust?", system="Be brief."))
    body = r.json()
    assert body["type"] == "message"
    assert body["content"] == [{"type": "text", "text": gw.reply_text_for("claude-sonnet-4-6", "Rust?")}]
    assert body["stop_reason"] == "end_turn"
    assert body["usage"]["input_tokens"] == gw.usage_records[0]["input_tokens"]


def test_anthropic_max_tokens_cuts_the_reply(client: httpx.Client) -> None:
    r = client.post("/v1/messages", headers=ANTHROPIC, json=claude_body(max_tokens=20))
    body = r.json()
    assert body["stop_reason"] == "max_tokens"
    assert body["usage"]["output_tokens"] <= 20


def test_responses_stream_with_reasoning_summary(gw: FakeGateway, client: httpx.Client) -> None:
    body = {
        "model": "gpt-5.4",
        "input": "Hi",
        "stream": True,
        "reasoning": {"effort": "low", "summary": "auto"},
    }
    r = client.post("/v1/responses", headers=BEARER, json=body)
    events = sse(r.text)
    datas = [json.loads(d) for _, d in events]
    assert [d["sequence_number"] for d in datas] == list(range(len(datas)))
    names = [n for n, _ in events]
    assert names[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert "response.reasoning_summary_text.delta" in names
    assert "[DONE]" not in r.text
    text_deltas = [d for d in datas if d["type"] == "response.output_text.delta"]
    assert {d["item_id"] for d in text_deltas} == {text_deltas[0]["item_id"]}
    assert text_deltas[0]["item_id"].startswith("msg_")
    assert "".join(d["delta"] for d in text_deltas) == gw.reply_text_for("gpt-5.4", "Hi")
    done = datas[-1]
    assert done["type"] == "response.completed"
    assert [item["type"] for item in done["response"]["output"]] == ["reasoning", "message"]
    assert done["response"]["usage"]["output_tokens"] == gw.usage_records[0]["output_tokens"]


def test_responses_non_stream_and_previous_response_id(gw: FakeGateway, client: httpx.Client) -> None:
    r = client.post("/v1/responses", headers=BEARER, json={"model": "gpt-5.4-mini", "input": "Hi"})
    body = r.json()
    assert body["object"] == "response" and body["status"] == "completed"
    assert "output_text" not in body
    assert body["output"][-1]["content"][0]["text"] == gw.reply_text_for("gpt-5.4-mini", "Hi")
    follow = {"model": "gpt-5.4-mini", "input": "More", "previous_response_id": body["id"]}
    assert client.post("/v1/responses", headers=BEARER, json=follow).status_code == 200
    follow["previous_response_id"] = "resp_unknown"
    r = client.post("/v1/responses", headers=BEARER, json=follow)
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "Previous response with id 'resp_unknown' not found."


def test_gemini_stream_crlf_usage_and_signature_only_last_chunk(
    gw: FakeGateway, client: httpx.Client
) -> None:
    body = gemini_body(generationConfig={"thinkingConfig": {"includeThoughts": True}})
    r = client.post(GEMINI_STREAM, headers=GOOGLE, json=body)
    assert r.status_code == 200
    assert "\r\n\r\n" in r.text and "\n\n" not in r.text.replace("\r\n\r\n", "")
    chunks = [json.loads(d) for _, d in sse(r.text, "\r\n")]
    assert all("usageMetadata" in c for c in chunks)
    parts = [p for c in chunks for p in c["candidates"][0]["content"]["parts"]]
    assert any(p.get("thought") for p in parts)
    text = "".join(p["text"] for p in parts if not p.get("thought"))
    assert text == gw.reply_text_for("gemini-3-pro-preview", "Hi")
    last = chunks[-1]["candidates"][0]
    assert last["finishReason"] == "STOP"
    assert list(last["content"]["parts"][0]) == ["text", "thoughtSignature"]
    assert last["content"]["parts"][0]["text"] == ""
    assert all("finishReason" not in c["candidates"][0] for c in chunks[:-1])
    usage = chunks[-1]["usageMetadata"]
    record = gw.usage_records[0]
    assert usage["totalTokenCount"] == record["tokens"]
    assert usage["candidatesTokenCount"] + usage["thoughtsTokenCount"] == record["output_tokens"]


def test_gemini_non_stream_and_json_array_stream(gw: FakeGateway, client: httpx.Client) -> None:
    r = client.post(GEMINI_GEN, headers=GOOGLE, json=gemini_body("Why?"))
    part = r.json()["candidates"][0]["content"]["parts"][0]
    assert part["text"] == gw.reply_text_for("gemini-3-pro-preview", "Why?")
    assert "thoughtSignature" in part
    path = "/v1beta/models/gemini-3-flash-preview:streamGenerateContent"
    r = client.post(path, headers=GOOGLE, json=gemini_body("x [[deltas=3]]"))
    assert r.headers["content-type"].startswith("application/json")
    chunks = r.json()
    assert len(chunks) == 4  # three deltas and the signature-only end
    r = client.post(path, headers={"x-goog-api-key": "wrong"}, json=gemini_body())
    assert r.json()[0]["error"]["status"] == "INVALID_ARGUMENT"  # errors come as a one-element array too


def test_models_list(client: httpx.Client) -> None:
    body = client.get("/v1/models", headers=BEARER).json()
    assert body["object"] == "list"
    ids = [m["id"] for m in body["data"]]
    assert {"gpt-5.4", "claude-opus-4-6", "gemini-3.1-flash-image-preview", "deepseek-r1"} <= set(ids)
    assert all(m["object"] == "model" and m["owned_by"] for m in body["data"])


# ---------------------------------------------------------------- validation and auth


@pytest.mark.parametrize(
    ("method", "path", "headers", "status", "marker"),
    [
        ("POST", CHAT, {"Authorization": "Bearer wrong"}, 401, "invalid_api_key"),
        ("POST", "/v1/responses", {}, 401, "invalid_api_key"),
        ("GET", "/v1/models", {"Authorization": "Bearer wrong"}, 401, "invalid_api_key"),
        ("GET", "/api/v1/credits", {}, 401, "invalid_api_key"),
        (
            "POST",
            "/v1/messages",
            {"x-api-key": "wrong", "anthropic-version": "2023-06-01"},
            401,
            "authentication_error",
        ),
        ("POST", "/v1/messages", {"Authorization": "Bearer demo"}, 401, "authentication_error"),
        ("POST", GEMINI_GEN, {"x-goog-api-key": "wrong"}, 400, "API_KEY_INVALID"),
    ],
)
def test_auth_errors_per_format(
    client: httpx.Client, method: str, path: str, headers: dict[str, str], status: int, marker: str
) -> None:
    r = client.request(method, path, headers=headers, json=chat_body())
    assert r.status_code == status
    assert marker in r.text
    assert "wrong" not in r.text  # the code sent is never echoed
    if marker == "API_KEY_INVALID":
        err = r.json()["error"]
        assert err["status"] == "INVALID_ARGUMENT"
        assert err["details"][0]["@type"] == "type.googleapis.com/google.rpc.ErrorInfo"


def test_gemini_rejects_system_role(client: httpx.Client) -> None:
    body = {
        "contents": [{"role": "system", "parts": [{"text": "Reply in Chinese."}]}, *gemini_body()["contents"]]
    }
    r = client.post(GEMINI_GEN, headers=GOOGLE, json=body)
    assert r.status_code == 400
    assert r.json()["error"]["message"] == "Please use a valid role: user, model."


def test_anthropic_validation(client: httpx.Client) -> None:
    body = claude_body()
    del body["max_tokens"]
    r = client.post("/v1/messages", headers=ANTHROPIC, json=body)
    assert r.status_code == 400
    assert r.json()["error"] == {"type": "invalid_request_error", "message": "max_tokens: Field required"}
    twice = claude_body(messages=[{"role": "user", "content": "a"}, {"role": "user", "content": "b"}])
    assert client.post("/v1/messages", headers=ANTHROPIC, json=twice).status_code == 400
    system = claude_body(messages=[{"role": "system", "content": "a"}])
    assert "top-level `system`" in client.post("/v1/messages", headers=ANTHROPIC, json=system).text
    no_version = client.post("/v1/messages", headers={"x-api-key": "demo"}, json=claude_body())
    assert no_version.status_code == 400


@pytest.mark.parametrize(
    ("path", "headers", "body", "marker"),
    [
        (CHAT, BEARER, chat_body(model="gpt-4-nope"), "model_not_found"),
        ("/v1/messages", ANTHROPIC, {**claude_body(), "model": "claude-nope"}, "not_found_error"),
        ("/v1beta/models/gemini-nope:generateContent", GOOGLE, gemini_body(), "NOT_FOUND"),
    ],
)
def test_unknown_model_is_404(
    client: httpx.Client, path: str, headers: dict[str, str], body: dict[str, Any], marker: str
) -> None:
    r = client.post(path, headers=headers, json=body)
    assert r.status_code == 404
    assert marker in r.text


def test_malformed_json_and_openai_reasoning_model_rules(client: httpx.Client) -> None:
    r = client.post(CHAT, headers={**BEARER, "Content-Type": "application/json"}, content=b'{"model": ')
    assert r.status_code == 400
    assert r.json()["error"]["type"] == "invalid_request_error"
    r = client.post(CHAT, headers=BEARER, json=chat_body(max_tokens=100))
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "unsupported_parameter"


# ---------------------------------------------------------------- images


@pytest.mark.parametrize(
    ("config", "size"),
    [
        ({"aspectRatio": "16:9", "imageSize": "2K"}, (2048, 1152)),
        ({}, (1024, 1024)),
        ({"aspectRatio": "9:16", "imageSize": "1K"}, (576, 1024)),
    ],
)
def test_image_model_returns_png_of_requested_size(
    client: httpx.Client, config: dict[str, str], size: tuple[int, int]
) -> None:
    body = gemini_body("Two dogs in manga style", generationConfig={"imageConfig": config})
    r = client.post(IMAGE_GEN, headers=GOOGLE, json=body)
    parts = r.json()["candidates"][0]["content"]["parts"]
    images = [p for p in parts if "inlineData" in p]
    assert len(images) == 1 and images[0]["thoughtSignature"]
    assert images[0]["inlineData"]["mimeType"] == "image/png"
    png = Image.open(io.BytesIO(base64.b64decode(images[0]["inlineData"]["data"])))
    assert (png.format, png.size) == ("PNG", size)
    assert any("text" in p for p in parts)


def test_image_stream_image_only_with_grounding(client: httpx.Client) -> None:
    config = {"responseModalities": ["IMAGE"], "imageConfig": {"aspectRatio": "1:1", "imageSize": "1K"}}
    body = gemini_body("Weather in Tokyo", generationConfig=config, tools=[{"googleSearch": {}}])
    path = "/v1beta/models/gemini-3.1-flash-image-preview:streamGenerateContent?alt=sse"
    r = client.post(path, headers=GOOGLE, json=body)
    chunks = [json.loads(d) for _, d in sse(r.text, "\r\n")]
    parts = [p for c in chunks for p in c["candidates"][0]["content"]["parts"]]
    assert [list(p) for p in parts] == [["inlineData", "thoughtSignature"], ["text", "thoughtSignature"]]
    grounding = chunks[-1]["candidates"][0]["groundingMetadata"]
    assert len(grounding["groundingChunks"]) == 2
    assert all(set(c["web"]) == {"uri", "title"} for c in grounding["groundingChunks"])


def test_image_resent_without_signature_is_rejected(client: httpx.Client) -> None:
    pixel = base64.b64encode(b"\x89PNG fake").decode()
    history: list[dict[str, Any]] = [
        {"role": "user", "parts": [{"text": "A fox"}]},
        {
            "role": "model",
            "parts": [{"text": "Here."}, {"inlineData": {"mimeType": "image/png", "data": pixel}}],
        },
        {"role": "user", "parts": [{"text": "At night"}]},
    ]
    r = client.post(IMAGE_GEN, headers=GOOGLE, json={"contents": history})
    assert r.status_code == 400
    assert (
        r.json()["error"]["message"]
        == "Image part is missing a thought_signature in content position 2, part position 2."
    )
    history[1]["parts"][1]["thoughtSignature"] = base64.b64encode(b"sig").decode()
    assert client.post(IMAGE_GEN, headers=GOOGLE, json={"contents": history}).status_code == 200
    bad = gemini_body(generationConfig={"imageConfig": {"aspectRatio": "7:3"}})
    assert client.post(IMAGE_GEN, headers=GOOGLE, json=bad).json()["error"]["status"] == "INVALID_ARGUMENT"
    bad = gemini_body(generationConfig={"imageConfig": {"imageSize": "2k"}})
    assert client.post(IMAGE_GEN, headers=GOOGLE, json=bad).status_code == 400


# ---------------------------------------------------------------- credits


def test_paging_through_all_usage_records() -> None:
    with FakeGateway(usage_records_seed=250) as gateway, fresh_client(base_url=gateway.urls[0]) as c:
        seen: list[int] = []
        next_id = ""
        pages = 0
        while True:
            params = {"include_usage": "true", "pageSize": "100", **({"nextId": next_id} if next_id else {})}
            usage = c.get("/api/v1/credits", headers=BEARER, params=params).json()["data"]["usage"]
            pages += 1
            assert usage["pageSize"] == 100
            seen += [rec["id"] for rec in usage["list"]]
            next_id = usage["nextId"]
            if next_id == "":
                break
            assert isinstance(next_id, str) and int(next_id) < seen[-1]
        assert pages == 3
        assert len(seen) == 250 == len(set(seen))
        assert seen == sorted(seen, reverse=True)
        first = gateway.usage_records[0]
        assert set(first) == {
            "id", "tokens", "input_tokens", "output_tokens", "model", "price",
            "cache_hit_tokens", "cache_creation_tokens", "create_time",
        }  # fmt: skip


def test_seeded_records_are_older_than_any_reply_a_usage_match_could_take_them_for() -> None:
    """The newest seeded record was 22.8 s old: after a demo restart it matched a claude reply the
    previous run had just made (0.564 credits instead of its 0.051) and the chat's total tripled."""
    now_ms = 1_800_000_000_000
    records = seed_records(250, now_ms)
    assert min(now_ms - r["create_time"] for r in records) >= SEED_MIN_AGE_MS > 120_000
    assert len({r["create_time"] for r in records}) > 240  # still spread over the month


def test_balance_goes_down_after_a_chat(gw: FakeGateway, client: httpx.Client) -> None:
    before = client.get("/api/v1/credits", headers=BEARER).json()["data"]
    assert before == {"balance": 100.0, "amount": gw.amount}
    client.post(CHAT, headers=BEARER, json=chat_body())
    after = client.get("/api/v1/credits", headers=BEARER).json()["data"]
    record = gw.usage_records[0]
    assert record["model"] == "gpt-5.4" and record["price"] > 0
    assert after["balance"] == pytest.approx(100.0 - record["price"])
    assert len(gw.usage_records) == 121


# ---------------------------------------------------------------- faults


def test_dead_domain_refuses_connections_and_comes_back(gw: FakeGateway) -> None:
    with fresh_client() as c:
        assert c.get(gw.urls[0] + "/health").status_code == 200  # leaves a pooled keep-alive connection
        gw.faults.dead_domains.add(0)
        with pytest.raises((httpx.ConnectError, httpx.RemoteProtocolError)):
            c.get(gw.urls[0] + "/health")
        with pytest.raises(httpx.ConnectError):
            get(gw.urls[0] + "/health")
        assert c.post(gw.urls[1] + CHAT, headers=BEARER, json=chat_body()).status_code == 200
        gw.faults.reset()
        assert get(gw.urls[0] + "/health").status_code == 200


def test_a_dead_domain_keeps_its_port_so_it_can_always_come_back(gw: FakeGateway) -> None:
    # Another socket on the machine (another worker's gateway, a client's own port) taking the
    # port while the domain was dead made its return fail: "Address already in use".
    port = int(gw.urls[0].rsplit(":", 1)[1])
    gw.faults.dead_domains.add(0)
    with socket.socket() as other, pytest.raises(OSError):
        other.bind(("127.0.0.1", port))
    with pytest.raises(httpx.ConnectError):
        get(gw.urls[0] + "/health")
    gw.faults.reset()
    assert get(gw.urls[0] + "/health").status_code == 200
    gw.faults.dead_domains.add(0)  # and again, from the port it came back on
    gw.faults.reset()
    assert get(gw.urls[0] + "/health").status_code == 200


def test_html_502_and_plain_503_domains(gw: FakeGateway, client: httpx.Client) -> None:
    gw.faults.html_502_domains.add(0)
    gw.faults.status_503_domains.add(1)
    r = client.post(gw.urls[0] + CHAT, headers=BEARER, json=chat_body())
    assert r.status_code == 502 and r.headers["content-type"].startswith("text/html")
    assert "<title>502 Bad Gateway</title>" in r.text
    r = get(gw.urls[1] + "/api/v1/credits", headers=BEARER)
    assert r.status_code == 503 and r.headers["content-type"].startswith("text/plain")
    assert client.post(gw.urls[2] + CHAT, headers=BEARER, json=chat_body()).status_code == 200


def test_rate_limit_per_format(gw: FakeGateway, client: httpx.Client) -> None:
    gw.faults.rate_limit = 1
    gw.faults.retry_after = 1
    r = client.post(CHAT, headers=BEARER, json=chat_body())
    assert (r.status_code, r.headers["retry-after"], r.json()["error"]["code"]) == (
        429,
        "1",
        "rate_limit_exceeded",
    )
    assert client.post(CHAT, headers=BEARER, json=chat_body()).status_code == 200

    gw.faults.rate_limit = 1
    gw.faults.retry_after = 0.5
    r = client.post(GEMINI_GEN, headers=GOOGLE, json=gemini_body())
    err = r.json()["error"]
    assert (r.status_code, err["status"]) == (429, "RESOURCE_EXHAUSTED")
    assert "retry-after" not in r.headers
    assert {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.5s"} in err["details"]

    gw.faults.rate_limit = 2
    first = client.post("/v1/messages", headers=ANTHROPIC, json=claude_body())
    second = client.post("/v1/messages", headers=ANTHROPIC, json=claude_body())
    assert (first.status_code, first.json()["error"]["type"]) == (429, "rate_limit_error")
    assert (second.status_code, second.json()["error"]["type"]) == (529, "overloaded_error")
    assert first.headers["retry-after"] == "0.5"


def test_overloaded_and_out_of_credit(gw: FakeGateway, client: httpx.Client) -> None:
    gw.faults.overloaded = 2
    assert client.post("/v1/messages", headers=ANTHROPIC, json=claude_body()).status_code == 529
    assert client.post(CHAT, headers=BEARER, json=chat_body()).status_code == 503
    gw.faults.out_of_credit = True
    r = client.post(CHAT, headers=BEARER, json=chat_body())
    assert (r.status_code, r.json()["error"]["code"]) == (429, "insufficient_quota")
    r = client.post("/v1/messages", headers=ANTHROPIC, json=claude_body())
    assert (r.status_code, r.json()["error"]["type"]) == (402, "billing_error")
    gw.faults.out_of_credit = False
    gw.balance = 0.0
    r = client.post(GEMINI_GEN, headers=GOOGLE, json=gemini_body())
    assert r.status_code == 429 and "Insufficient balance" in r.json()["error"]["message"]


@pytest.mark.parametrize(
    ("path", "headers", "body", "tail"),
    [
        (CHAT, BEARER, chat_body(stream=True), '"code":"server_error"'),
        ("/v1/messages", ANTHROPIC, claude_body(stream=True), "event: error"),
        (
            "/v1/responses",
            BEARER,
            {"model": "gpt-5.4", "input": "Hi", "stream": True},
            "event: response.failed",
        ),
        (GEMINI_STREAM, GOOGLE, gemini_body(), '"status": "INTERNAL"'),
    ],
)
def test_mid_stream_error_after_n_deltas(
    gw: FakeGateway, client: httpx.Client, path: str, headers: dict[str, str], body: dict[str, Any], tail: str
) -> None:
    gw.faults.mid_stream_error_after = 3
    r = client.post(path, headers=headers, json=body)
    assert r.status_code == 200
    assert tail in r.text.strip().splitlines()[-1] or tail in r.text.strip().splitlines()[-2]
    for terminal in ("[DONE]", "message_stop", "response.completed", '"finishReason"'):
        assert terminal not in r.text
    assert len(gw.usage_records) == 120  # failed replies are not billed


def test_drop_cuts_the_stream_without_terminal_event(gw: FakeGateway, client: httpx.Client) -> None:
    gw.faults.drop_after = 2
    received = b""
    with pytest.raises(httpx.RemoteProtocolError):
        with client.stream("POST", CHAT, headers=BEARER, json=chat_body(stream=True)) as r:
            for chunk in r.iter_raw():
                received += chunk
    assert received.count(b'"content":"') == 3  # the role chunk's empty content and two deltas
    assert b"[DONE]" not in received


def test_stall_triggers_a_read_timeout(gw: FakeGateway) -> None:
    gw.faults.stall_after = 1
    gw.faults.stall_seconds = 5
    with fresh_client(timeout=httpx.Timeout(5, read=0.2)) as c, pytest.raises(httpx.ReadTimeout):
        with c.stream("POST", gw.urls[0] + CHAT, headers=BEARER, json=chat_body(stream=True)) as r:
            for _ in r.iter_raw():
                pass


def test_admin_endpoints(gw: FakeGateway, client: httpx.Client) -> None:
    r = client.post("/_fake/faults", json={"rate_limit": 1, "dead_domains": [3], "retry_after": 0})
    assert r.status_code == 200 and r.json()["dead_domains"] == [3]
    assert gw.faults.rate_limit == 1 and gw.faults.dead_domains == {3}
    with pytest.raises(httpx.ConnectError):
        get(gw.urls[3] + "/health")
    assert client.post(CHAT, headers=BEARER, json=chat_body()).status_code == 429
    recorded = client.get("/_fake/requests").json()
    assert [(q["domain"], q["method"], q["path"]) for q in recorded] == [(0, "POST", CHAT)]
    assert recorded[0]["json"]["model"] == "gpt-5.4"
    assert client.post("/_fake/faults", json={"no_such_fault": 1}).status_code == 400
    assert client.post("/_fake/reset").json() == {"ok": True}
    assert gw.faults == Faults() and gw.requests == []
    assert get(gw.urls[3] + "/health").status_code == 200


def test_faults_copy_as_plain_values_and_requests_hide_headers(gw: FakeGateway, client: httpx.Client) -> None:
    gw.faults.dead_domains.add(2)
    assert type(dataclasses.asdict(gw.faults)["dead_domains"]) is set
    assert copy.deepcopy(gw.faults).dead_domains == {2}
    client.get("/v1/models", headers=BEARER)
    assert gw.requests[0].headers["authorization"] == "Bearer demo"
    assert "demo" not in repr(gw.requests[0])


def test_gateway_modules_do_not_load_textual_or_rich() -> None:
    code = "import sys, liaobots_tui.demo.gateway; print(sorted({'textual', 'rich'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _free_port_block(count: int = 4) -> int:
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first: int = probe.getsockname()[1]
        if first + count > 65535:
            continue
        try:
            with contextlib.ExitStack() as stack:
                for port in range(first, first + count):
                    s = stack.enter_context(socket.socket())
                    s.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
    raise RuntimeError("no free block of ports")


def _serve_forever_listening() -> tuple[subprocess.Popen[str], int, list[str]]:
    """``serve_forever`` in a child, its port and the banner's first lines, once it listens.

    A block found free can be taken by another test process before the child binds it (seen
    beside busy loops): the child then exits with "address already in use", and another block
    is tried.
    """
    for _ in range(5):
        port = _free_port_block()
        code = f"from liaobots_tui.demo.gateway import serve_forever; serve_forever({port})"
        proc = subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(7)]  # returns once the gateway is listening
        if lines[1]:
            return proc, port, lines
        _, err = proc.communicate(timeout=120)
        assert "already in use" in err, err
    raise AssertionError("no free block of ports stayed free")


def test_serve_forever_prints_urls_and_stops_on_ctrl_c() -> None:
    proc, port, lines = _serve_forever_listening()
    try:
        assert lines[1].split() == [f"http://127.0.0.1:{port}", "(primary)"]
        assert lines[4].strip() == f"http://127.0.0.1:{port + 3}"
        assert get(f"http://127.0.0.1:{port + 3}/v1/models", headers=BEARER).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=120)  # a hang guard: SIGINT stops it at once on an idle machine
    assert proc.returncode == 0
    assert "Stopping." in out
