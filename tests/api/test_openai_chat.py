"""OpenAI Chat Completions adapter: request bodies and recorded SSE/JSON replies parsed to exact events."""

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
from liaobots_tui.api.openai_chat import OpenAIChatAdapter
from tests.api.replay import FIXTURES, LOST, replay_fixture, sse_events

#: What an upstream quota error inside a reply adds to the provider's message.
QUOTA_NOTE = (
    " (the model's provider reports its quota used up; "
    "that is not your Liaobots balance: see `liaobots credits`)"
)

PNG = b"\x89PNG\r\n\x1a\nfake"
PNG_URL = "data:image/png;base64,iVBORw0KGgpmYWtl"


def new_parser() -> ReplyParser:
    return OpenAIChatAdapter().new_parser()


# ------------------------------------------------------------------ requests


def history() -> Conversation:
    return Conversation(
        system="Be brief.",
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
                    ImagePart(
                        PNG,
                        "image/png",
                        generated=True,
                        provider_data={"gemini": {"thoughtSignature": "EqYB"}},
                    ),
                ],
                format="gemini",
            ),
            Message("assistant", [], finish_reason="error"),  # a reply that failed before any byte
            Message("user", [TextPart("Make it night")]),
        ],
    )


def test_request_body_full_history() -> None:
    req = OpenAIChatAdapter().build_request(history(), RequestOptions(model="gpt-5.4"))
    assert req.path == "/v1/chat/completions"
    assert req.method == "POST"
    assert req.stream is True
    assert req.json == {
        "model": "gpt-5.4",
        "stream": True,
        "stream_options": {"include_usage": True},
        "messages": [
            {"role": "system", "content": "Be brief."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": PNG_URL}},
                ],
            },
            {"role": "assistant", "content": "A red kite."},
            {"role": "user", "content": "Draw it"},
            {"role": "assistant", "content": "Here it is.\n\n[image]"},
            {"role": "user", "content": "Make it night"},
        ],
    }


def test_request_options_non_stream() -> None:
    conv = Conversation(messages=[Message("user", [TextPart("Hi")])])
    opts = RequestOptions(model="gpt-5.4", stream=False, temperature=0.0, max_tokens=256, thinking=True)
    req = OpenAIChatAdapter().build_request(conv, opts)
    assert req.stream is False
    assert req.json == {
        "model": "gpt-5.4",
        "stream": False,
        "temperature": 0.0,
        "max_completion_tokens": 256,
        "reasoning_effort": "medium",  # thinking asked for: the effort is how this format says it
        "messages": [{"role": "user", "content": "Hi"}],
    }


def test_request_image_only_assistant_and_multi_text_user() -> None:
    conv = Conversation(
        messages=[
            Message("user", [TextPart("one "), TextPart("two")]),
            Message("assistant", [ImagePart(PNG, generated=True)]),
        ]
    )
    req = OpenAIChatAdapter().build_request(conv, RequestOptions(model="m"))
    assert req.json["messages"] == [
        {"role": "user", "content": "one two"},
        {"role": "assistant", "content": "[image]"},
    ]


def test_auth_headers() -> None:
    adapter = OpenAIChatAdapter()
    assert adapter.format == "openai"
    assert adapter.auth_headers("code-123") == {"Authorization": "Bearer code-123"}
    req = adapter.build_request(history(), RequestOptions(model="m"))
    assert "code-123" not in json.dumps(req.json) + repr(req)


# ------------------------------------------------------------------ streams


def test_plain_text_stream_with_usage_after_finish() -> None:
    parser = new_parser()
    seen: list[tuple[StreamEvent, ...]] = []
    for name, data in sse_events((FIXTURES / "sse" / "openai_text.txt").read_bytes()):
        seen.append(tuple(parser.feed(name, data)))
        if any(isinstance(e, FinishEvent) for e in seen[-1]):
            assert parser.done is False  # the usage chunk is still to come
    assert seen == [
        (),
        (TextDelta("A red"),),
        (TextDelta(" kite."),),
        (FinishEvent("stop", raw="stop"),),
        (UsageEvent(Usage(input_tokens=95, output_tokens=5, reasoning_tokens=0, cache_read_tokens=64)),),
        (),
    ]
    assert parser.done is True
    assert parser.end() == []
    assert parser.parts() == [TextPart("A red kite.")]


def test_reasoning_content_stream_crlf() -> None:
    raw = (FIXTURES / "sse" / "openai_reasoning.txt").read_bytes()
    assert b"\r\n" in raw  # the fixture must stay CRLF to test CRLF framing
    parser = new_parser()
    assert replay_fixture(parser, "openai_reasoning.txt") == [
        ReasoningDelta("Kites need"),
        ReasoningDelta(" wind."),
        TextDelta("Yes,"),
        TextDelta(" on windy days."),
        UsageEvent(Usage(input_tokens=12, output_tokens=30, reasoning_tokens=22)),
        FinishEvent("stop", raw="stop"),
    ]
    assert parser.parts() == [ReasoningPart("Kites need wind."), TextPart("Yes, on windy days.")]


def test_reasoning_field_stream() -> None:
    parser = new_parser()
    assert replay_fixture(parser, "openai_reasoning_field.txt") == [
        ReasoningDelta("User greets."),
        TextDelta("Hello!"),
        FinishEvent("stop", raw="stop"),
        UsageEvent(Usage(input_tokens=8, output_tokens=9, reasoning_tokens=4)),
    ]
    assert parser.parts() == [ReasoningPart("User greets."), TextPart("Hello!")]


def test_azure_empty_first_chunk() -> None:
    parser = new_parser()
    assert replay_fixture(parser, "openai_azure.txt") == [
        TextDelta("Bonjour"),
        FinishEvent("stop", raw="stop"),
        UsageEvent(Usage(input_tokens=20, output_tokens=2)),
    ]
    assert parser.parts() == [TextPart("Bonjour")]


def test_mid_stream_error_keeps_partial_text() -> None:
    parser = new_parser()
    assert replay_fixture(parser, "openai_error_midstream.txt") == [
        TextDelta("Once upon"),
        ErrorEvent(
            "Upstream error",
            "The server had an error while processing your request. Sorry about that!",
            kind="upstream",
        ),
    ]
    assert parser.done is True
    assert parser.parts() == [TextPart("Once upon")]


def test_mid_stream_quota_error_is_the_providers_quota_not_out_of_credits() -> None:
    parser = new_parser()
    data = json.dumps(
        {"error": {"message": "You exceeded your current quota.", "code": "insufficient_quota"}}
    )
    assert parser.feed("", data) == [
        ErrorEvent(
            "Upstream quota exhausted", "You exceeded your current quota." + QUOTA_NOTE, kind="upstream_quota"
        )
    ]


def test_content_as_a_list_of_typed_parts_gives_its_text() -> None:
    parser = new_parser()
    chunk = {
        "choices": [
            {
                "index": 0,
                "delta": {
                    "content": [
                        {"type": "thinking", "thinking": "hmm"},
                        {"type": "text", "text": "Hello"},
                        {"type": "image_url", "image_url": {"url": "https://x.test/a.png"}},
                        {"type": "text", "text": " there"},
                    ]
                },
            }
        ]
    }
    assert parser.feed("", json.dumps(chunk)) == [
        ReasoningDelta("hmm"),
        TextDelta("Hello"),
        TextDelta(" there"),
    ]
    assert [type(p).__name__ for p in parser.parts()] == ["ReasoningPart", "TextPart"]
    assert parser.parts()[1].text == "Hello there"


def test_content_list_with_a_non_text_part_shape_fails_the_turn_cleanly() -> None:
    parser = new_parser()
    chunk = {"choices": [{"index": 0, "delta": {"content": [{"type": "text", "text": 5}]}}]}
    assert parser.feed("", json.dumps(chunk)) == [
        ErrorEvent("Bad response", "A content part's text is not a string.", kind="bad_response")
    ]


def test_truncated_stream_ends_with_error() -> None:
    parser = new_parser()
    assert replay_fixture(parser, "openai_truncated.txt") == [
        TextDelta("The first"),
        TextDelta(" half"),
        LOST,
    ]
    assert parser.parts() == [TextPart("The first half")]


def test_length_finish() -> None:
    parser = new_parser()
    assert replay_fixture(parser, "openai_length.txt") == [
        TextDelta("One, two"),
        FinishEvent("length", raw="length"),
        UsageEvent(Usage(input_tokens=10, output_tokens=16, reasoning_tokens=14)),
    ]


def test_content_filter_without_done_is_complete() -> None:
    parser = new_parser()
    assert replay_fixture(parser, "openai_content_filter.txt") == [
        TextDelta("I can"),
        FinishEvent("safety", raw="content_filter"),
    ]
    assert parser.done is True


def test_malformed_json_is_bad_response() -> None:
    parser = new_parser()
    events = replay_fixture(parser, "openai_malformed.txt")
    assert events[0] == TextDelta("Hi")
    assert len(events) == 2
    error = events[1]
    assert isinstance(error, ErrorEvent)
    assert (error.kind, error.title, error.retryable) == ("bad_response", "Bad response", False)
    assert error.message.startswith("Malformed JSON in the stream: ")


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        ("[1, 2]", "Expected a JSON object, got list."),
        ('{"choices": {"index": 0}}', "'choices' is not a list."),
        ('{"choices": [{"index": 0, "delta": "hi"}]}', "A choice's delta/message is not an object."),
        ('{"choices": [{"index": 0, "delta": {"content": 5}}]}', "'content' is not a string."),
        (
            '{"choices": [{"index": 0, "delta": {"reasoning_content": ["x"]}}]}',
            "'reasoning_content' is not a string.",
        ),
    ],
)
def test_wrong_types_are_bad_response(data: str, detail: str) -> None:
    parser = new_parser()
    assert parser.feed("", data) == [ErrorEvent("Bad response", detail, kind="bad_response")]
    assert parser.done is True
    assert parser.parts() == []


def test_tool_finish_and_other_choices_ignored() -> None:
    parser = new_parser()
    chunks = [
        '{"choices":[{"index":1,"delta":{"content":"other"},"finish_reason":null}]}',
        '{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1"}]},"finish_reason":null}]}',
        '{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}',
        '{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}',
    ]
    events = [e for c in chunks for e in parser.feed("", c)]
    assert events == [FinishEvent("tool", raw="tool_calls")]  # only the first finish_reason counts


def test_usage_with_wrong_counter_types_counts_zero() -> None:
    parser = new_parser()
    data = (
        '{"choices":[],"usage":{"prompt_tokens":"7","completion_tokens":3,"completion_tokens_details":null}}'
    )
    assert parser.feed("", data) == [UsageEvent(Usage(output_tokens=3))]


def test_event_named_error_without_envelope() -> None:
    parser = new_parser()
    events = parser.feed("error", '{"message":"Overloaded","type":"overloaded_error"}')
    assert events == [ErrorEvent("Rate limited", "Overloaded", retryable=True, kind="rate_limit")]


def test_nothing_after_done() -> None:
    parser = new_parser()
    assert parser.feed("", "[DONE]") == []
    assert parser.feed("", '{"choices":[{"index":0,"delta":{"content":"late"}}]}') == []
    assert parser.end() == []


# ------------------------------------------------------------------ non-stream bodies


def load_json(name: str) -> Any:
    return json.loads((FIXTURES / "json" / name).read_text())


def test_non_stream_body() -> None:
    parser = new_parser()
    assert parser.feed_body(load_json("openai_text.json")) == [
        ReasoningDelta("The capital of France is Paris."),
        TextDelta("Paris."),
        UsageEvent(Usage(input_tokens=14, output_tokens=11, reasoning_tokens=9, cache_read_tokens=2)),
        FinishEvent("stop", raw="stop"),
    ]
    assert parser.done is True
    assert parser.parts() == [ReasoningPart("The capital of France is Paris."), TextPart("Paris.")]


def test_non_stream_length_with_empty_content() -> None:
    parser = new_parser()
    assert parser.feed_body(load_json("openai_length.json")) == [
        UsageEvent(Usage(input_tokens=20, output_tokens=64, reasoning_tokens=64)),
        FinishEvent("length", raw="length"),
    ]
    assert parser.parts() == []


def test_non_stream_error_body_with_insufficient_quota_is_the_providers_quota() -> None:
    parser = new_parser()
    assert parser.feed_body(load_json("openai_error.json")) == [
        ErrorEvent(
            "Upstream quota exhausted",
            "You exceeded your current quota, please check your plan and billing details." + QUOTA_NOTE,
            kind="upstream_quota",
        )
    ]


def test_non_stream_without_choices() -> None:
    parser = new_parser()
    assert parser.feed_body({"id": "x", "choices": []}) == [
        ErrorEvent("Bad response", "The reply has no choices.", kind="bad_response")
    ]


def test_non_stream_refusal_without_finish_reason() -> None:
    parser = new_parser()
    body = {"choices": [{"index": 0, "message": {"content": None, "refusal": "I can't help with that."}}]}
    assert parser.feed_body(body) == [TextDelta("I can't help with that."), FinishEvent("stop")]


# ------------------------------------------------------------------ fuzz


@pytest.mark.fuzz
@given(st.text(max_size=200))
def test_fuzz_text_never_raises(data: str) -> None:
    parser = new_parser()
    for event in parser.feed("", data) + parser.end():
        assert event.type in ("text", "reasoning", "usage", "finish", "error")


KEYS = ["choices", "delta", "message", "content", "index", "finish_reason", "usage", "error"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(KEYS),
            inner,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@pytest.mark.fuzz
@given(json_values)
def test_fuzz_json_never_raises(value: Any) -> None:
    new_parser().feed("", json.dumps(value))
    new_parser().feed_body(value)
