"""OpenAI Responses adapter: request bodies and recorded SSE/JSON replies parsed to exact events."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liaobots_tui.api.base import ReplyParser
from liaobots_tui.api.messages import (
    Conversation,
    ErrorEvent,
    FinishEvent,
    ImagePart,
    Message,
    ReasoningDelta,
    ReasoningPart,
    RequestOptions,
    StreamEvent,
    TextDelta,
    TextPart,
    Usage,
    UsageEvent,
)
from liaobots_tui.api.openai_responses import ResponsesAdapter
from tests.api.replay import FIXTURES, LOST, replay_fixture
from tests.api.test_openai_chat import QUOTA_NOTE

PNG = b"\x89PNG\r\n\x1a\nfake"
PNG_URL = "data:image/png;base64,iVBORw0KGgpmYWtl"


def new_parser() -> ReplyParser:
    return ResponsesAdapter().new_parser()


def feed_all(parser: ReplyParser, *payloads: dict[str, Any]) -> list[StreamEvent]:
    return [e for p in payloads for e in parser.feed(str(p.get("type", "")), json.dumps(p))]


# ------------------------------------------------------------------ requests


def history() -> Conversation:
    return Conversation(
        system="Be terse.",
        messages=[
            Message("user", [TextPart("What is this?"), ImagePart(PNG, "image/png")]),
            Message(
                "assistant",
                [
                    ReasoningPart("A bird-shaped kite.", provider_data={"anthropic": {"signature": "EqQB"}}),
                    TextPart("A red kite."),
                ],
                format="anthropic",
            ),
            Message("user", [TextPart("Draw it")]),
            Message(
                "assistant",
                [
                    TextPart("Here it is.", provider_data={"gemini": {"thoughtSignature": "Ci8B"}}),
                    ImagePart(PNG, generated=True, provider_data={"gemini": {"thoughtSignature": "EqYB"}}),
                ],
                format="gemini",
            ),
            Message("user", [TextPart("Why is the sky blue?")]),
            Message(
                "assistant",
                [
                    ReasoningPart(
                        "**Plan**", provider_data={"responses": {"id": "rs_1", "encrypted_content": "gA=="}}
                    ),
                    ReasoningPart("no content", provider_data={"responses": {"id": "rs_2"}}),
                    TextPart("Scattering.", provider_data={"responses": {"id": "msg_1"}}),
                ],
                format="responses",
            ),
            Message("user", [TextPart("Thanks")]),
        ],
    )


def test_request_body_full_history() -> None:
    req = ResponsesAdapter().build_request(history(), RequestOptions(model="gpt-5.4"))
    assert req.path == "/v1/responses"
    assert req.stream is True
    assert req.json == {
        "model": "gpt-5.4",
        "stream": True,
        "store": False,
        "instructions": "Be terse.",
        "input": [
            {
                "type": "message",
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "What is this?"},
                    {"type": "input_image", "image_url": PNG_URL, "detail": "auto"},
                ],
            },
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "A red kite."}],
            },
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Draw it"}]},
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Here it is.\n\n[image]"}],
            },
            {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "Why is the sky blue?"}],
            },
            {
                "type": "reasoning",
                "id": "rs_1",
                "summary": [{"type": "summary_text", "text": "**Plan**"}],
                "encrypted_content": "gA==",
            },
            {
                "type": "message",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Scattering."}],
            },
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Thanks"}]},
        ],
    }
    assert "previous_response_id" not in req.json


def test_request_options_thinking_non_stream() -> None:
    conv = Conversation(messages=[Message("user", [TextPart("Hi")])])
    opts = RequestOptions(model="gpt-5.4", stream=False, temperature=0.5, max_tokens=1000, thinking=True)
    req = ResponsesAdapter().build_request(conv, opts)
    assert req.stream is False
    assert req.json == {
        "model": "gpt-5.4",
        "stream": False,
        "store": False,
        "temperature": 0.5,
        "max_output_tokens": 1000,
        "reasoning": {"summary": "auto"},
        "include": ["reasoning.encrypted_content"],
        "input": [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi"}]}],
    }


def test_reasoning_between_texts_splits_message_items() -> None:
    conv = Conversation(
        messages=[
            Message(
                "assistant",
                [
                    TextPart("First."),
                    ReasoningPart(
                        "", provider_data={"responses": {"id": "rs_9", "encrypted_content": "enc"}}
                    ),
                    TextPart("Second."),
                ],
            )
        ]
    )
    req = ResponsesAdapter().build_request(conv, RequestOptions(model="m"))
    assert req.json["input"] == [
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "First."}]},
        {"type": "reasoning", "id": "rs_9", "summary": [], "encrypted_content": "enc"},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Second."}]},
    ]


def test_auth_headers() -> None:
    adapter = ResponsesAdapter()
    assert adapter.format == "responses"
    assert adapter.auth_headers("code-123") == {"Authorization": "Bearer code-123"}


# ------------------------------------------------------------------ streams


def test_plain_text_stream_crlf() -> None:
    assert b"\r\n" in (FIXTURES / "sse" / "responses_text.txt").read_bytes()  # must stay CRLF
    parser = new_parser()
    assert replay_fixture(parser, "responses_text.txt") == [
        TextDelta("Hi"),
        TextDelta(" there!"),
        UsageEvent(Usage(input_tokens=9, output_tokens=4)),
        FinishEvent("stop", raw="completed"),
    ]
    assert parser.parts() == [TextPart("Hi there!", provider_data={"responses": {"id": "msg_1"}})]


def test_reasoning_and_text_with_ids() -> None:
    parser = new_parser()
    assert replay_fixture(parser, "responses_reasoning.txt") == [
        ReasoningDelta("**Checking"),
        ReasoningDelta(" the sky**"),
        ReasoningDelta("\n\nRayleigh scattering."),
        TextDelta("Yes"),
        TextDelta(", it is blue."),
        UsageEvent(Usage(input_tokens=40, output_tokens=52, reasoning_tokens=30, cache_read_tokens=8)),
        FinishEvent("stop", raw="completed"),
    ]
    assert parser.parts() == [
        ReasoningPart(
            "**Checking the sky**\n\nRayleigh scattering.",
            provider_data={"responses": {"id": "rs_1", "encrypted_content": "gAAAAB-final=="}},
        ),
        TextPart("Yes, it is blue.", provider_data={"responses": {"id": "msg_2"}}),
    ]


def test_parsed_reasoning_round_trips_into_next_request() -> None:
    parser = new_parser()
    replay_fixture(parser, "responses_reasoning.txt")
    conv = Conversation(messages=[Message("assistant", parser.parts())])
    req = ResponsesAdapter().build_request(conv, RequestOptions(model="m", thinking=True))
    assert req.json["input"] == [
        {
            "type": "reasoning",
            "id": "rs_1",
            "summary": [{"type": "summary_text", "text": "**Checking the sky**\n\nRayleigh scattering."}],
            "encrypted_content": "gAAAAB-final==",
        },
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Yes, it is blue."}],
        },
    ]


def test_encrypted_reasoning_without_summary_is_kept() -> None:
    parser = new_parser()
    assert replay_fixture(parser, "responses_encrypted_only.txt") == [
        TextDelta("42."),
        UsageEvent(Usage(input_tokens=5, output_tokens=70, reasoning_tokens=66)),
        FinishEvent("stop", raw="completed"),
    ]
    assert parser.parts() == [
        ReasoningPart(
            "", provider_data={"responses": {"id": "rs_3", "encrypted_content": "gAAAAB-silent=="}}
        ),
        TextPart("42.", provider_data={"responses": {"id": "msg_3"}}),
    ]


def test_error_event_nested_shape() -> None:
    parser = new_parser()
    assert replay_fixture(parser, "responses_error_nested.txt") == [
        ErrorEvent(
            "Upstream quota exhausted",
            "You exceeded your current quota, please check your plan and billing details." + QUOTA_NOTE,
            kind="upstream_quota",
        )
    ]
    assert parser.done is True


def test_error_event_flat_shape_keeps_partial_text() -> None:
    parser = new_parser()
    assert replay_fixture(parser, "responses_error_flat.txt") == [
        TextDelta("Partial"),
        ErrorEvent("Upstream error", "The model produced invalid content.", kind="upstream"),
    ]
    assert parser.parts() == [TextPart("Partial", provider_data={"responses": {"id": "msg_5"}})]


def test_response_failed() -> None:
    parser = new_parser()
    assert replay_fixture(parser, "responses_failed.txt") == [
        ErrorEvent(
            "Rate limited",
            "Rate limit reached for gpt-5.4 on tokens per min.",
            retryable=True,
            kind="rate_limit",
        )
    ]


def test_response_failed_without_error_object() -> None:
    parser = new_parser()
    events = feed_all(parser, {"type": "response.failed", "response": {"status": "failed", "error": None}})
    assert events == [ErrorEvent("Upstream error", "The response failed.", kind="upstream")]


def test_response_incomplete_max_tokens() -> None:
    parser = new_parser()
    assert replay_fixture(parser, "responses_incomplete.txt") == [
        TextDelta("Chapter one"),
        UsageEvent(Usage(input_tokens=11, output_tokens=16, reasoning_tokens=13)),
        FinishEvent("length", raw="max_output_tokens"),
    ]


@pytest.mark.parametrize(
    ("details", "finish"),
    [
        ({"reason": "content_filter"}, FinishEvent("safety", raw="content_filter")),
        ({"reason": "something_new"}, FinishEvent("length", raw="something_new")),
        (None, FinishEvent("length", raw="incomplete")),
    ],
)
def test_response_incomplete_reasons(details: Any, finish: FinishEvent) -> None:
    parser = new_parser()
    payload = {
        "type": "response.incomplete",
        "response": {"status": "incomplete", "incomplete_details": details},
    }
    assert feed_all(parser, payload) == [finish]
    assert parser.done is True


def test_truncated_stream_ends_with_error() -> None:
    parser = new_parser()
    assert replay_fixture(parser, "responses_truncated.txt") == [TextDelta("Cut"), LOST]


def test_dispatch_on_data_type_without_event_lines() -> None:
    parser = new_parser()
    delta = {"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0, "delta": "ok"}
    assert parser.feed("", json.dumps(delta)) == [TextDelta("ok")]
    assert parser.feed(
        "", json.dumps({"type": "response.completed", "response": {"status": "completed"}})
    ) == [FinishEvent("stop", raw="completed")]


def test_unknown_events_ignored_and_message_text_from_done_item() -> None:
    parser = new_parser()
    events = feed_all(
        parser,
        {"type": "response.web_search_call.in_progress", "item_id": "ws_1"},
        {"type": "keepalive"},
        {
            "type": "response.output_item.done",
            "output_index": 0,
            "item": {"id": "msg_4", "type": "message", "content": [{"type": "output_text", "text": "Whole"}]},
        },
    )
    assert events == [TextDelta("Whole")]
    assert parser.parts() == [TextPart("Whole", provider_data={"responses": {"id": "msg_4"}})]


def test_refusal_delta_is_text() -> None:
    parser = new_parser()
    payload = {"type": "response.refusal.delta", "item_id": "msg_1", "output_index": 0, "delta": "I can't."}
    assert feed_all(parser, payload) == [TextDelta("I can't.")]


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        ("not json", "Malformed JSON in the stream: 'not json'"),
        ("[]", "Expected a JSON object, got list."),
        (
            '{"type":"response.output_text.delta","delta":7}',
            "'response.output_text.delta' delta is not a string.",
        ),
        ('{"type":"response.output_item.done","item":"x"}', "'item' is not an object."),
    ],
)
def test_malformed_is_bad_response(data: str, detail: str) -> None:
    parser = new_parser()
    assert parser.feed("", data) == [ErrorEvent("Bad response", detail, kind="bad_response")]
    assert parser.done is True


def test_chat_style_error_without_type() -> None:
    parser = new_parser()
    assert parser.feed("", '{"error":{"message":"Overloaded","type":"overloaded_error"}}') == [
        ErrorEvent("Rate limited", "Overloaded", retryable=True, kind="rate_limit")
    ]


# ------------------------------------------------------------------ non-stream bodies


def load_json(name: str) -> Any:
    return json.loads((FIXTURES / "json" / name).read_text())


def test_non_stream_body_reasoning_and_text() -> None:
    parser = new_parser()
    assert parser.feed_body(load_json("responses_reasoning.json")) == [
        ReasoningDelta("**Adding**\n\nTwo plus two."),
        TextDelta("4"),
        UsageEvent(Usage(input_tokens=21, output_tokens=40, reasoning_tokens=38)),
        FinishEvent("stop", raw="completed"),
    ]
    assert parser.done is True
    assert parser.parts() == [
        ReasoningPart(
            "**Adding**\n\nTwo plus two.",
            provider_data={"responses": {"id": "rs_9", "encrypted_content": "gAAAAB-body=="}},
        ),
        TextPart("4", provider_data={"responses": {"id": "msg_9"}}),
    ]


def test_non_stream_incomplete_content_filter() -> None:
    parser = new_parser()
    assert parser.feed_body(load_json("responses_incomplete.json")) == [
        TextDelta("Here is how"),
        UsageEvent(Usage(input_tokens=30, output_tokens=3)),
        FinishEvent("safety", raw="content_filter"),
    ]


def test_non_stream_error_envelope() -> None:
    parser = new_parser()
    body = {
        "error": {"message": "Invalid model.", "type": "invalid_request_error", "code": "model_not_found"}
    }
    assert parser.feed_body(body) == [ErrorEvent("Upstream error", "Invalid model.", kind="upstream")]


def test_non_stream_failed_status() -> None:
    parser = new_parser()
    body = {"status": "failed", "output": [], "error": {"code": "server_error", "message": "Boom."}}
    assert parser.feed_body(body) == [ErrorEvent("Upstream error", "Boom.", kind="upstream")]


# ------------------------------------------------------------------ fuzz

KEYS = ["type", "delta", "item", "item_id", "response", "status", "error", "output", "summary", "content"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=4),
    max_leaves=20,
)
event_types = st.sampled_from(
    [
        "error",
        "response.output_text.delta",
        "response.reasoning_summary_text.delta",
        "response.output_item.done",
        "response.completed",
        "response.incomplete",
        "response.failed",
    ]
)


@pytest.mark.fuzz
@given(event_types, st.dictionaries(st.sampled_from(KEYS), json_values, max_size=5))
def test_fuzz_never_raises(kind: str, payload: dict[str, Any]) -> None:
    parser = new_parser()
    parser.feed(kind, json.dumps({**payload, "type": kind}))
    parser.end()
    parser.parts()
    new_parser().feed_body(payload)
