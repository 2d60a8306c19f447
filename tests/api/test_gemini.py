"""Gemini native adapter: recorded CRLF SSE bodies → exact events and parts; request shape and round trip."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from liaobots_tui.api.gemini import GeminiAdapter, GeminiParser
from liaobots_tui.api.http_errors import stream_error_event
from liaobots_tui.api.messages import (
    ASPECT_RATIOS,
    IMAGE_SIZES,
    Conversation,
    ErrorEvent,
    FinishEvent,
    ImageEvent,
    ImageOptions,
    ImagePart,
    Message,
    ReasoningDelta,
    ReasoningPart,
    RequestOptions,
    Source,
    SourcesEvent,
    StreamEvent,
    TextDelta,
    TextPart,
    Usage,
    UsageEvent,
)
from liaobots_tui.errors import InputError
from tests.api.replay import FIXTURES, LOST, replay

MODEL = "gemini-3-pro-preview"
IMAGE_MODEL = "gemini-3-pro-image-preview"


def make_png(size: tuple[int, int] = (3, 2)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 10)).save(buffer, format="PNG")
    return buffer.getvalue()


PNG = make_png()


def fixture(name: str) -> str:
    # newline="" keeps the CRLF line endings the recorded Gemini bodies have.
    with open(FIXTURES / "sse" / name, encoding="utf-8", newline="") as fh:
        return fh.read().replace("__PNG_B64__", base64.b64encode(PNG).decode("ascii"))


def parse(name: str) -> tuple[list[StreamEvent], GeminiParser]:
    parser = GeminiAdapter().new_parser()
    return replay(parser, fixture(name)), parser


def build(conversation: Conversation, model: str = MODEL, **options: Any) -> dict[str, Any]:
    return GeminiAdapter().build_request(conversation, RequestOptions(model=model, **options)).json


def sig(value: str) -> dict[str, dict[str, Any]]:
    return {"gemini": {"thoughtSignature": value}}


# ---------------------------------------------------------------- stream parsing


def test_fixtures_use_crlf() -> None:
    for path in (FIXTURES / "sse").glob("gemini_*.txt"):
        raw = path.read_bytes()
        assert b"\r\n\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b""), path.name


def test_text_then_signature_only_last_chunk() -> None:
    events, parser = parse("gemini_text.txt")
    assert events == [
        TextDelta("Paris is"),
        UsageEvent(Usage(input_tokens=7, output_tokens=2)),
        TextDelta(" the capital of France."),
        UsageEvent(Usage(input_tokens=7, output_tokens=68, reasoning_tokens=60)),
        # The last chunk repeats the same usage: no second event for it.
        FinishEvent("stop", raw="STOP"),
    ]
    # The signature stays on its own (empty) part, never merged into the unsigned text.
    assert parser.parts() == [
        TextPart("Paris is the capital of France."),
        TextPart("", provider_data=sig("CiQB0e2KbFinalSig==")),
    ]
    assert parser.done


def test_thought_parts_and_a_signed_first_text_part() -> None:
    events, parser = parse("gemini_thoughts.txt")
    assert events == [
        ReasoningDelta("**Weighing the options**\n\nThe user asks tea or coffee."),
        UsageEvent(Usage(input_tokens=12, output_tokens=40, reasoning_tokens=40)),
        TextDelta("Tea"),
        UsageEvent(Usage(input_tokens=12, output_tokens=41, reasoning_tokens=40)),
        TextDelta(", for its calm."),
        UsageEvent(Usage(input_tokens=12, output_tokens=46, reasoning_tokens=40, cache_read_tokens=4)),
        FinishEvent("stop", raw="STOP"),
    ]
    assert parser.parts() == [
        ReasoningPart("**Weighing the options**\n\nThe user asks tea or coffee."),
        TextPart("Tea", provider_data=sig("EpYBsigFirstText==")),
        TextPart(", for its calm."),  # later unsigned text never extends the signed part
    ]


def test_image_output_is_decoded_and_signed() -> None:
    events, parser = parse("gemini_image.txt")
    image = ImagePart(PNG, "image/png", generated=True, provider_data=sig("EqYBsigImage=="))
    assert events == [
        ReasoningDelta("**Composing the fox**\n\nA watercolor fox on a hill."),
        UsageEvent(Usage(input_tokens=8)),
        TextDelta("Here is your fox."),
        ImageEvent(image),
        UsageEvent(Usage(input_tokens=8, output_tokens=1445, reasoning_tokens=150)),
        FinishEvent("stop", raw="STOP"),
    ]
    parts = parser.parts()
    assert parts == [
        ReasoningPart("**Composing the fox**\n\nA watercolor fox on a hill."),
        TextPart("Here is your fox.", provider_data=sig("Ci8BsigText==")),
        image,
    ]
    # The event carries the part the builder holds, as a value: equal, its bytes shared, not copied.
    event = events[3]
    assert isinstance(event, ImageEvent) and event.image == parts[2] and event.image.data is parts[2].data
    with Image.open(io.BytesIO(event.image.data)) as decoded:
        assert decoded.size == (3, 2)


def test_data_url_inside_text_becomes_an_image() -> None:
    events, parser = parse("gemini_data_url.txt")
    image = ImagePart(PNG, "image/png", generated=True)
    assert events == [
        TextDelta("Here you go:\n\n"),
        ImageEvent(image),
        UsageEvent(Usage(input_tokens=6, output_tokens=1290)),
        FinishEvent("stop", raw="STOP"),
    ]
    assert parser.parts() == [TextPart("Here you go:\n\n"), image]


def test_bare_data_url_text_keeps_its_signature_on_the_image() -> None:
    parser = GeminiParser()
    url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    chunk = {"candidates": [{"content": {"parts": [{"text": url, "thoughtSignature": "S"}]}}]}
    image = ImagePart(PNG, "image/png", generated=True, provider_data=sig("S"))
    assert parser.feed("", json.dumps(chunk)) == [ImageEvent(image)]
    assert parser.parts() == [image]


def test_text_mentioning_data_urls_without_an_image_stays_text() -> None:
    parser = GeminiParser()
    chunk = {"candidates": [{"content": {"parts": [{"text": "Use data:image/png;base64,… in HTML."}]}}]}
    assert parser.feed("", json.dumps(chunk)) == [TextDelta("Use data:image/png;base64,… in HTML.")]


def test_blocked_prompt_tells_why() -> None:
    events, parser = parse("gemini_blocked.txt")
    assert events == [
        UsageEvent(Usage(input_tokens=9)),
        ErrorEvent("Prompt blocked", "Gemini refused to answer it (PROHIBITED_CONTENT).", kind="safety"),
    ]
    assert parser.parts() == []
    assert parser.done


def test_blocked_prompt_uses_the_block_message_when_given() -> None:
    parser = GeminiParser()
    body = {"promptFeedback": {"blockReason": "OTHER", "blockReasonMessage": "Contains a banned term."}}
    assert parser.feed("", json.dumps(body)) == [
        ErrorEvent("Prompt blocked", "Contains a banned term.", kind="safety")
    ]


def test_safety_finish_with_empty_content() -> None:
    events, parser = parse("gemini_safety.txt")
    assert events == [
        TextDelta("Here is how"),
        UsageEvent(Usage(input_tokens=11, output_tokens=3)),
        FinishEvent("safety", raw="SAFETY"),
    ]
    assert parser.parts() == [TextPart("Here is how")]


def test_grounding_sources_deduplicated() -> None:
    events, _ = parse("gemini_grounding.txt")
    base = "https://vertexaisearch.cloud.google.com/grounding-api-redirect/"
    assert events == [
        TextDelta("Tokyo is sunny, 21 °C."),
        UsageEvent(Usage(input_tokens=14, output_tokens=9)),
        TextDelta(" Light wind."),
        SourcesEvent((Source(base + "AAA", "weather.com"), Source(base + "BBB", "jma.go.jp"))),
        UsageEvent(Usage(input_tokens=14, output_tokens=12)),
        FinishEvent("stop", raw="STOP"),
    ]


def test_mid_stream_error() -> None:
    events, parser = parse("gemini_midstream_error.txt")
    envelope = {
        "error": {
            "code": 503,
            "message": "The model is overloaded. Please try again later.",
            "status": "UNAVAILABLE",
        }
    }
    assert events == [
        TextDelta("Once upon"),
        UsageEvent(Usage(input_tokens=5, output_tokens=2)),
        stream_error_event(envelope),
    ]
    error = events[-1]
    assert (
        isinstance(error, ErrorEvent) and error.message == "The model is overloaded. Please try again later."
    )
    assert parser.parts() == [TextPart("Once upon")]


def test_stream_closed_without_finish_reason_is_connection_lost() -> None:
    events, parser = parse("gemini_cut.txt")
    assert events == [
        TextDelta("Half a"),
        UsageEvent(Usage(input_tokens=5, output_tokens=2)),
        LOST,
    ]
    assert parser.parts() == [TextPart("Half a")]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("STOP", "stop"),
        ("MAX_TOKENS", "length"),
        ("SAFETY", "safety"),
        ("RECITATION", "safety"),
        ("BLOCKLIST", "safety"),
        ("PROHIBITED_CONTENT", "safety"),
        ("SPII", "safety"),
        ("IMAGE_SAFETY", "safety"),
        ("IMAGE_PROHIBITED_CONTENT", "safety"),
        ("IMAGE_RECITATION", "safety"),
        ("MALFORMED_FUNCTION_CALL", "error"),
        ("UNEXPECTED_TOOL_CALL", "error"),
        ("TOO_MANY_TOOL_CALLS", "error"),
        ("OTHER", "error"),
        ("LANGUAGE", "error"),
        ("NO_IMAGE", "error"),
        ("IMAGE_OTHER", "error"),
    ],
)
def test_finish_reason_mapping(raw: str, reason: str) -> None:
    parser = GeminiParser()
    chunk = {"candidates": [{"content": {"role": "model"}, "finishReason": raw}]}
    # The finish goes out when the stream closes: a closing chunk may still bring usage.
    assert parser.feed("", json.dumps(chunk)) == []
    assert parser.end() == [FinishEvent(reason, raw=raw)]  # type: ignore[arg-type]
    assert parser.done


def test_malformed_json_and_bad_base64_are_bad_responses() -> None:
    parser = GeminiParser()
    [error] = parser.feed("", "{oops")
    assert isinstance(error, ErrorEvent) and error.kind == "bad_response"
    parser = GeminiParser()
    chunk = {
        "candidates": [{"content": {"parts": [{"inlineData": {"mimeType": "image/png", "data": "abc"}}]}}]
    }
    [error] = parser.feed("", json.dumps(chunk))
    assert isinstance(error, ErrorEvent) and error.kind == "bad_response"
    assert parser.done


# ---------------------------------------------------------------- non-streaming bodies


def test_non_stream_body() -> None:
    parser = GeminiParser()
    body = json.loads((FIXTURES / "json" / "gemini_generate.json").read_text())
    assert parser.feed_body(body) == [
        ReasoningDelta("Thinking about AI."),
        TextDelta("AI learns patterns from data."),
        UsageEvent(Usage(input_tokens=10, output_tokens=26, reasoning_tokens=20)),
        FinishEvent("stop", raw="STOP"),
    ]
    assert parser.parts() == [
        ReasoningPart("Thinking about AI."),
        TextPart("AI learns patterns from data.", provider_data=sig("CsigWhole==")),
    ]
    assert parser.done


def test_non_stream_one_element_list() -> None:
    parser = GeminiParser()
    body = json.loads((FIXTURES / "json" / "gemini_generate_list.json").read_text())
    assert parser.feed_body(body) == [
        TextDelta("Hello from a list."),
        UsageEvent(Usage(input_tokens=3, output_tokens=4)),
        FinishEvent("length", raw="MAX_TOKENS"),
    ]


def test_non_stream_error_list() -> None:
    parser = GeminiParser()
    body = json.loads((FIXTURES / "json" / "gemini_error_list.json").read_text())
    [error] = parser.feed_body(body)
    assert error == stream_error_event(body)
    assert (
        isinstance(error, ErrorEvent) and error.message == "Please use a valid role: user, model. (HTTP 400)"
    )
    assert parser.done


def test_non_stream_body_without_finish_reason_still_completes() -> None:
    parser = GeminiParser()
    body = {"candidates": [{"content": {"parts": [{"text": "ok"}]}}]}
    assert parser.feed_body(body) == [TextDelta("ok"), FinishEvent("stop")]
    parser = GeminiParser()
    [error] = parser.feed_body({})
    assert isinstance(error, ErrorEvent) and error.kind == "bad_response"


# ---------------------------------------------------------------- requests


def test_request_paths_headers_and_system_instruction() -> None:
    conversation = Conversation([Message("user", [TextPart("Explain AI")])], system="Reply in Chinese.")
    adapter = GeminiAdapter()
    stream = adapter.build_request(conversation, RequestOptions(model=MODEL))
    assert stream.path == "/v1beta/models/gemini-3-pro-preview:streamGenerateContent?alt=sse"
    assert stream.stream is True
    assert stream.json == {
        "contents": [{"role": "user", "parts": [{"text": "Explain AI"}]}],
        "systemInstruction": {"parts": [{"text": "Reply in Chinese."}]},
    }
    whole = adapter.build_request(conversation, RequestOptions(model=MODEL, stream=False))
    assert whole.path == "/v1beta/models/gemini-3-pro-preview:generateContent"
    assert whole.stream is False
    assert adapter.auth_headers("code-123") == {"x-goog-api-key": "code-123"}


def test_generation_config() -> None:
    conversation = Conversation([Message("user", [TextPart("Hi")])])
    body = build(conversation, temperature=0.4, max_tokens=256, thinking=True)
    assert body["generationConfig"] == {
        "temperature": 0.4,
        "maxOutputTokens": 256,
        "thinkingConfig": {"includeThoughts": True},
    }
    assert "tools" not in body


def test_image_model_defaults_to_text_and_image() -> None:
    body = build(Conversation([Message("user", [TextPart("A fox")])]), model=IMAGE_MODEL)
    assert body["generationConfig"] == {"responseModalities": ["TEXT", "IMAGE"]}


def test_image_options() -> None:
    image = ImageOptions(aspect_ratio="16:9", image_size="2k", google_search=True, want_text=False)
    body = build(Conversation([Message("user", [TextPart("Tokyo weather")])]), model=IMAGE_MODEL, image=image)
    assert body["generationConfig"] == {
        "responseModalities": ["IMAGE"],
        "imageConfig": {"aspectRatio": "16:9", "imageSize": "2K"},
    }
    assert body["tools"] == [{"googleSearch": {}}]


def test_google_search_alone_on_a_text_model_asks_for_no_images() -> None:
    # responseModalities IMAGE on a text model is a 400; grounding works with any model.
    body = build(Conversation([Message("user", [TextPart("News?")])]), image=ImageOptions(google_search=True))
    assert "generationConfig" not in body
    assert body["tools"] == [{"googleSearch": {}}]


def test_bad_aspect_ratio_raises_input_error() -> None:
    conversation = Conversation([Message("user", [TextPart("A fox")])])
    with pytest.raises(InputError) as info:
        build(conversation, model=IMAGE_MODEL, image=ImageOptions(aspect_ratio="5:7"))
    assert str(info.value) == f"Aspect ratio '5:7' is not supported; use one of: {', '.join(ASPECT_RATIOS)}"


def test_bad_image_size_raises_input_error() -> None:
    conversation = Conversation([Message("user", [TextPart("A fox")])])
    with pytest.raises(InputError) as info:
        build(conversation, model=IMAGE_MODEL, image=ImageOptions(image_size="8K"))
    assert str(info.value) == f"Image size '8K' is not supported; use one of: {', '.join(IMAGE_SIZES)}"


def test_user_images_roles_and_merging() -> None:
    conversation = Conversation(
        [
            Message("user", [TextPart("Look:"), ImagePart(PNG, "image/png")]),
            Message("user", [TextPart(""), TextPart("Well?")]),  # empty text never sent
            Message("assistant", [TextPart("A dot.")], format="openai"),
            Message("assistant", [ReasoningPart("openai reasoning"), TextPart("Red.")], format="openai"),
            Message("user", [TextPart("Thanks")]),
        ]
    )
    png = base64.b64encode(PNG).decode()
    assert build(conversation)["contents"] == [
        {
            "role": "user",
            "parts": [
                {"text": "Look:"},
                {"inlineData": {"mimeType": "image/png", "data": png}},
                {"text": "Well?"},
            ],
        },
        {"role": "model", "parts": [{"text": "A dot."}, {"text": "Red."}]},
        {"role": "user", "parts": [{"text": "Thanks"}]},
    ]


def test_unsigned_assistant_image_moves_to_a_user_turn() -> None:
    # A picture made by another format has no signature: a model turn holding it would be a 400.
    conversation = Conversation(
        [
            Message("user", [TextPart("Draw a cat")]),
            Message(
                "assistant", [TextPart("Here."), ImagePart(PNG, "image/png", generated=True)], format="openai"
            ),
            Message("user", [TextPart("Now make it blue")]),
        ]
    )
    png = base64.b64encode(PNG).decode()
    assert build(conversation, model=IMAGE_MODEL)["contents"] == [
        {"role": "user", "parts": [{"text": "Draw a cat"}]},
        {"role": "model", "parts": [{"text": "Here."}]},
        {
            "role": "user",
            "parts": [{"inlineData": {"mimeType": "image/png", "data": png}}, {"text": "Now make it blue"}],
        },
    ]


def test_round_trip_resends_the_model_turn_verbatim(tmp_path: Path) -> None:
    _, parser = parse("gemini_image.txt")
    parts = parser.parts()
    # As the chat layer does: the image goes to a file and the part keeps only its path.
    image = parts[2]
    assert isinstance(image, ImagePart)
    (tmp_path / "fox.png").write_bytes(image.data)
    parts[2] = dataclasses.replace(image, path=str(tmp_path / "fox.png"), data=b"")  # parts are values
    conversation = Conversation(
        [
            Message("user", [TextPart("A watercolor fox on a hill")]),
            Message("assistant", parts, model=IMAGE_MODEL, format="gemini"),
            Message("user", [TextPart("Make it night time")]),
        ]
    )
    png = base64.b64encode(PNG).decode()
    assert build(conversation, model=IMAGE_MODEL)["contents"] == [
        {"role": "user", "parts": [{"text": "A watercolor fox on a hill"}]},
        {
            "role": "model",
            "parts": [
                {"text": "**Composing the fox**\n\nA watercolor fox on a hill.", "thought": True},
                {"text": "Here is your fox.", "thoughtSignature": "Ci8BsigText=="},
                {"inlineData": {"mimeType": "image/png", "data": png}, "thoughtSignature": "EqYBsigImage=="},
            ],
        },
        {"role": "user", "parts": [{"text": "Make it night time"}]},
    ]


def test_round_trip_keeps_the_signature_only_part() -> None:
    _, parser = parse("gemini_text.txt")
    conversation = Conversation(
        [
            Message("user", [TextPart("Capital of France?")]),
            Message("assistant", parser.parts(), format="gemini"),
            Message("user", [TextPart("And Spain?")]),
        ]
    )
    assert build(conversation)["contents"][1] == {
        "role": "model",
        "parts": [
            {"text": "Paris is the capital of France."},
            {"text": "", "thoughtSignature": "CiQB0e2KbFinalSig=="},
        ],
    }


def test_the_model_id_is_url_encoded_in_the_path() -> None:
    conversation = Conversation([Message("user", [TextPart("hi")])])
    request = GeminiAdapter().build_request(conversation, RequestOptions(model="../x?key=1#a b"))
    assert request.path == "/v1beta/models/..%2Fx%3Fkey%3D1%23a%20b:streamGenerateContent?alt=sse"


def test_usage_sent_after_the_finish_is_kept_and_the_finish_comes_at_the_end() -> None:
    parser = GeminiParser()
    events = parser.feed(
        "",
        json.dumps(
            {
                "candidates": [{"content": {"parts": [{"text": "Hi"}]}, "finishReason": "STOP"}],
                "usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 1},
            }
        ),
    )
    assert events == [TextDelta("Hi"), UsageEvent(Usage(input_tokens=4, output_tokens=1))]
    assert not parser.done
    late = parser.feed("", json.dumps({"usageMetadata": {"promptTokenCount": 4, "candidatesTokenCount": 9}}))
    assert late == [UsageEvent(Usage(input_tokens=4, output_tokens=9))]
    # Anything else after the finish is late: text, errors and garbage change nothing.
    assert parser.feed("", json.dumps({"candidates": [{"content": {"parts": [{"text": "more"}]}}]})) == []
    assert parser.feed("", json.dumps({"error": {"code": 500, "message": "late"}})) == []
    assert parser.feed("", "not json") == []
    assert parser.end() == [FinishEvent("stop", raw="STOP")]
    assert parser.done and [p.text for p in parser.parts() if isinstance(p, TextPart)] == ["Hi"]


def test_block_messages_sources_and_mime_types_are_cleaned() -> None:
    parser = GeminiParser()
    blocked = {"promptFeedback": {"blockReason": "SAFETY\x1b[2J", "blockReasonMessage": "no\x9b31m [b]way"}}
    assert parser.feed("", json.dumps(blocked)) == [
        ErrorEvent("Prompt blocked", "no 31m [b]way", kind="safety")
    ]
    parser = GeminiParser()
    chunk = {
        "candidates": [
            {
                "content": {
                    "parts": [{"inlineData": {"mimeType": "image/png\x1b]2;x\x07", "data": "iVBORw=="}}]
                },
                "groundingMetadata": {
                    "groundingChunks": [
                        {"web": {"uri": "https://ok.test/a", "title": "T\x07itle"}},
                        {"web": {"uri": "file:///etc/passwd", "title": "file"}},
                        {"web": {"uri": "https://bad.test/\x1b[2J", "title": "ctl"}},
                    ]
                },
            }
        ]
    }
    events = parser.feed("", json.dumps(chunk))
    images = [e.image for e in events if isinstance(e, ImageEvent)]
    sources = [e.sources for e in events if isinstance(e, SourcesEvent)]
    assert images[0].mime_type == "image/png ]2;x"
    assert sources == [(Source("https://ok.test/a", "T itle"),)]
