"""Anthropic Messages adapter: recorded SSE bodies → exact events and parts; request shape."""

from __future__ import annotations

import json
from typing import Any

import pytest

from liaobots_tui.api.anthropic import AnthropicAdapter, AnthropicParser, thinking_config
from liaobots_tui.api.http_errors import stream_error_event
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
from tests.api.replay import FIXTURES, LOST, replay, sse_events

MODEL = "claude-sonnet-4-6"


def parse(fixture: str) -> tuple[list[StreamEvent], AnthropicParser]:
    parser = AnthropicAdapter().new_parser()
    return replay(parser, (FIXTURES / "sse" / fixture).read_text()), parser


def build(conversation: Conversation, **options: Any) -> dict[str, Any]:
    request = AnthropicAdapter().build_request(conversation, RequestOptions(model=MODEL, **options))
    return request.json


PNG = b"\x89PNG\r\n\x1a\nfake-but-opaque"
PNG_B64 = "iVBORw0KGgpmYWtlLWJ1dC1vcGFxdWU="


# ---------------------------------------------------------------- stream parsing


def test_text_stream_with_pings() -> None:
    events, parser = parse("anthropic_text.txt")
    assert events == [
        TextDelta("Hello"),
        TextDelta(", world!"),
        UsageEvent(Usage(input_tokens=25, output_tokens=12)),
        FinishEvent("stop", raw="end_turn"),
    ]
    assert parser.parts() == [TextPart("Hello, world!")]
    assert parser.done


def test_thinking_with_signature_delta_and_redacted_block() -> None:
    events, parser = parse("anthropic_thinking.txt")
    assert events == [
        ReasoningDelta("Axis shows revenue"),
        ReasoningDelta(" rising each quarter."),
        TextDelta("Revenue grows "),
        TextDelta("every quarter."),
        UsageEvent(Usage(input_tokens=40, output_tokens=96, cache_read_tokens=2048)),
        FinishEvent("stop", raw="end_turn"),
    ]
    assert parser.parts() == [
        ReasoningPart(
            "Axis shows revenue rising each quarter.",
            provider_data={"anthropic": {"signature": "EqQBCkYIBxgCKkBsigThinking=="}},
        ),
        ReasoningPart("", provider_data={"anthropic": {"redacted": "EmwKAhgBEgy3vaRedacted=="}}),
        TextPart("Revenue grows every quarter."),
    ]


def test_refusal_without_any_content_block() -> None:
    events, parser = parse("anthropic_refusal.txt")
    assert events == [
        UsageEvent(Usage(input_tokens=18, output_tokens=3)),
        FinishEvent("safety", raw="refusal"),
    ]
    assert parser.parts() == []
    assert parser.done


def test_error_as_the_first_event() -> None:
    events, parser = parse("anthropic_error_first.txt")
    assert events == [ErrorEvent("Rate limited", "Overloaded", retryable=True, kind="rate_limit")]
    assert parser.parts() == []


def test_error_mid_stream_keeps_the_partial_text_and_stops() -> None:
    events, parser = parse("anthropic_midstream_error.txt")
    envelope = {"type": "error", "error": {"type": "api_error", "message": "Internal server error"}}
    assert events == [TextDelta("Partial"), stream_error_event(envelope)]
    assert events[-1] == ErrorEvent("Upstream error", "Internal server error")
    assert parser.parts() == [TextPart("Partial")]


def test_cumulative_usage_overwrites_the_placeholder_and_keeps_earlier_counts_over_nulls() -> None:
    events, _ = parse("anthropic_max_tokens.txt")
    assert events == [
        TextDelta("Once upon a time"),
        UsageEvent(Usage(input_tokens=1200, output_tokens=64, cache_write_tokens=300)),
        FinishEvent("length", raw="max_tokens"),
    ]


def test_dispatch_on_data_type_when_a_gateway_drops_event_lines() -> None:
    events, parser = parse("anthropic_no_event_names.txt")
    assert events == [
        TextDelta("Hi"),
        UsageEvent(Usage(input_tokens=5, output_tokens=2)),
        FinishEvent("stop", raw="stop_sequence"),
    ]
    assert parser.parts() == [TextPart("Hi")]


@pytest.mark.parametrize(
    ("stop_reason", "reason"),
    [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("pause_turn", "stop"),
        ("max_tokens", "length"),
        ("model_context_window_exceeded", "length"),
        ("refusal", "safety"),
        ("tool_use", "tool"),
    ],
)
def test_stop_reason_mapping(stop_reason: str, reason: str) -> None:
    parser = AnthropicParser()
    data = {"type": "message_delta", "delta": {"stop_reason": stop_reason}, "usage": {"output_tokens": 1}}
    assert parser.feed("message_delta", json.dumps(data)) == [
        UsageEvent(Usage(output_tokens=1)),
        FinishEvent(reason, raw=stop_reason),  # type: ignore[arg-type]
    ]


def test_stream_closed_after_stop_reason_but_before_message_stop_is_complete() -> None:
    parser = AnthropicParser()
    body = (FIXTURES / "sse" / "anthropic_text.txt").read_text()
    events: list[StreamEvent] = []
    for name, data in sse_events(body)[:-1]:  # everything but message_stop
        events += parser.feed(name, data)
    assert not parser.done
    assert parser.end() == []
    assert events[-1] == FinishEvent("stop", raw="end_turn")


def test_stream_cut_before_any_stop_reason_is_connection_lost() -> None:
    parser = AnthropicParser()
    body = (FIXTURES / "sse" / "anthropic_text.txt").read_text()
    for name, data in sse_events(body)[:5]:
        parser.feed(name, data)
    assert parser.end() == [LOST]
    assert parser.parts() == [TextPart("Hello")]


def test_message_stop_without_stop_reason_finishes_as_stop() -> None:
    parser = AnthropicParser()
    assert parser.feed("message_stop", '{"type":"message_stop"}') == [FinishEvent("stop")]
    assert parser.done


def test_duplicate_message_start_is_ignored_but_a_different_message_fails() -> None:
    start = {"type": "message_start", "message": {"id": "msg_1", "usage": {"input_tokens": 3}}}
    parser = AnthropicParser()
    assert parser.feed("message_start", json.dumps(start)) == []
    assert parser.feed("message_start", json.dumps(start)) == []
    start["message"]["id"] = "msg_2"  # type: ignore[index]
    [error] = parser.feed("message_start", json.dumps(start))
    assert isinstance(error, ErrorEvent) and error.kind == "bad_response"
    assert parser.done


def test_malformed_json_is_a_bad_response_event() -> None:
    parser = AnthropicParser()
    [error] = parser.feed("content_block_delta", "{not json")
    assert isinstance(error, ErrorEvent)
    assert (error.title, error.kind) == ("Bad response", "bad_response")
    assert parser.done


def test_thinking_signature_without_text_still_makes_a_part() -> None:
    # display "omitted": a thinking block with no text still carries the signature to resend.
    parser = AnthropicParser()
    start = {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}}
    sig = {"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "S1"}}
    assert parser.feed("", json.dumps(start)) == []
    assert parser.feed("", json.dumps(sig)) == []
    assert parser.parts() == [ReasoningPart("", provider_data={"anthropic": {"signature": "S1"}})]


# ---------------------------------------------------------------- non-streaming bodies


def test_non_stream_body() -> None:
    parser = AnthropicParser()
    body = json.loads((FIXTURES / "json" / "anthropic_message.json").read_text())
    assert parser.feed_body(body) == [
        ReasoningDelta("Two plus two is four."),
        TextDelta("4"),
        UsageEvent(Usage(input_tokens=14, output_tokens=30, cache_read_tokens=50, cache_write_tokens=100)),
        FinishEvent("stop", raw="end_turn"),
    ]
    assert parser.parts() == [
        ReasoningPart("Two plus two is four.", provider_data={"anthropic": {"signature": "EqQBwholeSig=="}}),
        ReasoningPart("", provider_data={"anthropic": {"redacted": "EmwKwholeRedacted=="}}),
        TextPart("4"),
    ]
    assert parser.done


def test_non_stream_error_body() -> None:
    parser = AnthropicParser()
    body = json.loads((FIXTURES / "json" / "anthropic_error.json").read_text())
    assert parser.feed_body(body) == [ErrorEvent("Upstream error", "messages: roles must alternate")]
    assert parser.done


# ---------------------------------------------------------------- requests


def test_request_basics_and_headers() -> None:
    conversation = Conversation([Message("user", [TextPart("Hi")])], system="Answer in French.")
    adapter = AnthropicAdapter()
    request = adapter.build_request(conversation, RequestOptions(model=MODEL))
    assert request.path == "/v1/messages"
    assert request.stream is True
    assert request.json == {
        "model": MODEL,
        "max_tokens": 8192,
        "system": "Answer in French.",
        "stream": True,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
    }
    assert adapter.auth_headers("code-123") == {"x-api-key": "code-123", "anthropic-version": "2023-06-01"}


def test_non_stream_request_with_temperature_and_max_tokens() -> None:
    conversation = Conversation([Message("user", [TextPart("Hi")])])
    request = AnthropicAdapter().build_request(
        conversation, RequestOptions(model=MODEL, stream=False, temperature=0.2, max_tokens=100)
    )
    assert request.stream is False
    assert request.json == {
        "model": MODEL,
        "max_tokens": 100,
        "temperature": 0.2,
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
    }


def test_image_input_shape() -> None:
    conversation = Conversation([Message("user", [ImagePart(PNG, "image/png"), TextPart("Describe this.")])])
    assert build(conversation)["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64}},
                {"type": "text", "text": "Describe this."},
            ],
        }
    ]


def test_roles_merge_and_alternate_starting_with_the_user() -> None:
    conversation = Conversation(
        [
            Message("assistant", [TextPart("Hello! How can I help?")]),  # a greeting: dropped
            Message("user", [TextPart("first")]),
            Message("user", [TextPart("second"), TextPart("")]),  # empty text never sent
            Message("assistant", [TextPart("one")]),
            Message("assistant", [TextPart("two")]),
            # A Gemini picture cannot sit in an assistant turn; the turn empties and disappears.
            Message("assistant", [ImagePart(PNG, generated=True)], format="gemini"),
            Message("user", [TextPart("third")]),
        ]
    )
    assert build(conversation)["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "first"}, {"type": "text", "text": "second"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}]},
        {"role": "user", "content": [{"type": "text", "text": "third"}]},
    ]


def test_assistant_images_and_foreign_reasoning_are_dropped() -> None:
    conversation = Conversation(
        [
            Message("user", [TextPart("Draw a fox")]),
            Message(
                "assistant",
                [
                    ReasoningPart("gemini thoughts", provider_data={"gemini": {"thoughtSignature": "G"}}),
                    ReasoningPart("openai reasoning"),
                    TextPart("Here it is."),
                    ImagePart(PNG, generated=True, provider_data={"gemini": {"thoughtSignature": "G2"}}),
                ],
                format="gemini",
            ),
            Message("user", [TextPart("Thanks")]),
        ]
    )
    assert build(conversation)["messages"][1] == {
        "role": "assistant",
        "content": [{"type": "text", "text": "Here it is."}],
    }


def test_thinking_round_trip_resends_signed_and_redacted_blocks_verbatim() -> None:
    _, parser = parse("anthropic_thinking.txt")
    conversation = Conversation(
        [
            Message("user", [TextPart("Read the chart")]),
            Message("assistant", parser.parts(), format="anthropic"),
            Message("user", [TextPart("And next year?")]),
        ]
    )
    assert build(conversation, thinking=True)["messages"][1] == {
        "role": "assistant",
        "content": [
            {
                "type": "thinking",
                "thinking": "Axis shows revenue rising each quarter.",
                "signature": "EqQBCkYIBxgCKkBsigThinking==",
            },
            {"type": "redacted_thinking", "data": "EmwKAhgBEgy3vaRedacted=="},
            {"type": "text", "text": "Revenue grows every quarter."},
        ],
    }


def test_thinking_config_adaptive_drops_temperature() -> None:
    body = build(Conversation([Message("user", [TextPart("Hi")])]), thinking=True, temperature=0.5)
    assert body["thinking"] == {"type": "adaptive"}
    assert "temperature" not in body
    assert body["max_tokens"] == 8192


@pytest.mark.parametrize(
    ("model", "max_tokens", "expected"),
    [
        ("claude-opus-4-7", 8192, {"type": "adaptive"}),
        ("claude-sonnet-4-6", 8192, {"type": "adaptive"}),
        ("anthropic/claude-sonnet-4.6", 8192, {"type": "adaptive"}),
        ("claude-next", 8192, {"type": "adaptive"}),
        ("claude-sonnet-4-5-20250929", 8192, {"type": "enabled", "budget_tokens": 4096}),
        ("claude-sonnet-4-20250514", 3000, {"type": "enabled", "budget_tokens": 1500}),
        ("claude-3-7-sonnet-20250219", 1500, {"type": "enabled", "budget_tokens": 1024}),
        ("claude-3-7-sonnet-20250219", 1024, None),
    ],
)
def test_thinking_config_by_model(model: str, max_tokens: int, expected: dict[str, Any] | None) -> None:
    assert thinking_config(model, max_tokens) == expected


def test_thinking_that_cannot_fit_is_left_off_and_temperature_kept() -> None:
    conversation = Conversation([Message("user", [TextPart("Hi")])])
    request = AnthropicAdapter().build_request(
        conversation,
        RequestOptions(model="claude-3-7-sonnet", thinking=True, max_tokens=1000, temperature=0.3),
    )
    assert "thinking" not in request.json
    assert request.json["temperature"] == 0.3
