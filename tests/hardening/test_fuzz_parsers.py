"""Fuzzing the SSE decoder and the four reply parsers: bytes from the network never raise.

Every recorded body in ``tests/fixtures/sse`` is the reference. The properties:

- however a valid body is split into reads (every byte boundary, random chunkings,
  UTF-8 characters cut in half) and whichever line endings it uses (LF, CRLF, CR,
  mixed), the decoder yields exactly the events of the unsplit body, and the
  parser the same stream events;
- a body cut at any byte yields a prefix of the full events plus at most one
  :class:`ErrorEvent` at the end, never an exception;
- garbage lines, garbage ``data:`` events, JSON of the wrong type anywhere in a
  chunk, missing fields and huge lines give either the valid events or a clear
  error event, and always a well-formed event list (see :func:`check_well_formed`).

Hypothesis runs derandomized with fixed ``max_examples``, so CI sees the same cases
every run; :data:`CASES` counts them and the last test prints the total.
"""

from __future__ import annotations

import base64
import io
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from liaobots_tui.api.base import ReplyParser
from liaobots_tui.api.messages import (
    DomainEvent,
    ErrorEvent,
    FinishEvent,
    ImageEvent,
    ImagePart,
    ReasoningDelta,
    ReasoningPart,
    RetryEvent,
    SourcesEvent,
    StreamEvent,
    TextDelta,
    TextPart,
    UsageEvent,
)
from liaobots_tui.api.registry import get_adapter
from liaobots_tui.api.sanitize import clean_text
from liaobots_tui.api.sse import SSEDecoder, SSEEvent

pytestmark = pytest.mark.fuzz

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sse"
FORMATS = ("openai", "anthropic", "responses", "gemini")

#: Examples (and exhaustive cases) run, per test; printed by the last test of this file.
CASES: Counter[str] = Counter()
#: The tests of this file that ran in this process (xdist may hand some to another worker).
RAN_HERE: set[str] = set()


@pytest.fixture(autouse=True)
def _note_ran_here(request: pytest.FixtureRequest) -> None:
    RAN_HERE.add(request.node.name)


def fuzz_settings(examples: int) -> Callable[[Any], Any]:
    """Fixed, derandomized budgets: the same cases on every run, well inside CI's time."""
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


# ---------------------------------------------------------------- reference bodies


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (3, 2), (200, 40, 10)).save(buffer, format="PNG")
    return buffer.getvalue()


PNG_B64 = base64.b64encode(_png())


def fixture_bytes(name: str) -> bytes:
    """A recorded body, byte for byte (CRLF kept), with the image placeholder filled as test_gemini does."""
    return (FIXTURES / name).read_bytes().replace(b"__PNG_B64__", PNG_B64)


NAMES = sorted(p.name for p in FIXTURES.glob("*.txt"))
BODIES = {name: fixture_bytes(name) for name in NAMES}


def format_of(name: str) -> str:
    fmt = name.split("_", 1)[0]
    assert fmt in FORMATS, name
    return fmt


def decode(chunks: Sequence[bytes]) -> list[SSEEvent]:
    decoder = SSEDecoder()
    events: list[SSEEvent] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    return events + decoder.close()


def split_at(body: bytes, cuts: Sequence[int]) -> list[bytes]:
    points = [0, *sorted(set(cuts)), len(body)]
    return [body[a:b] for a, b in zip(points, points[1:], strict=False)]


def run_parser(fmt: str, sse: Sequence[SSEEvent]) -> tuple[list[StreamEvent], ReplyParser]:
    """What the transport does: feed events until the parser is done, then end the stream."""
    parser = get_adapter(fmt).new_parser()
    events: list[StreamEvent] = []
    for name, data in sse:
        events += parser.feed(name, data)
        if parser.done:
            break
    events += parser.end()
    return events, parser


def encode_sse(events: Sequence[SSEEvent]) -> bytes:
    out: list[str] = []
    for name, data in events:
        if name:
            out.append(f"event: {name}\n")
        out.extend(f"data: {line}\n" for line in data.split("\n"))
        out.append("\n")
    return "".join(out).encode("utf-8")


REFERENCE: dict[str, tuple[list[SSEEvent], list[StreamEvent]]] = {}
for _name in NAMES:
    _sse = decode([BODIES[_name]])
    REFERENCE[_name] = (_sse, run_parser(format_of(_name), _sse)[0])


def test_reference_bodies_are_what_the_adapter_tests_expect() -> None:
    # Guards the fuzz oracle itself: every fixture decodes to events and ends in a terminal event.
    assert len(NAMES) >= 30
    for name, (sse, events) in REFERENCE.items():
        assert sse, name
        assert isinstance(events[-1], FinishEvent | ErrorEvent | UsageEvent), name
    ok_text = "".join(e.text for e in REFERENCE["openai_text.txt"][1] if isinstance(e, TextDelta))
    assert ok_text == "A red kite."


# ---------------------------------------------------------------- well-formedness oracle

STREAM_TYPES = (
    TextDelta,
    ReasoningDelta,
    ImageEvent,
    UsageEvent,
    SourcesEvent,
    FinishEvent,
    ErrorEvent,
    RetryEvent,
    DomainEvent,
)
FINISH_REASONS = {"stop", "length", "safety", "tool", "error", "cancelled"}
ERROR_KINDS = {
    "bad_response", "too_large", "network", "upstream", "upstream_quota",
    "rate_limit", "credits", "auth", "safety",
}  # fmt: skip


def check_well_formed(events: list[StreamEvent], parser: ReplyParser) -> None:
    """What every consumer (ChatSession, the store, the CLI, the app) relies on."""
    assert parser.done
    errors = [i for i, e in enumerate(events) if isinstance(e, ErrorEvent)]
    assert len(errors) <= 1 and (not errors or errors[0] == len(events) - 1), events
    assert sum(isinstance(e, FinishEvent) for e in events) <= 1
    for e in events:
        assert isinstance(e, STREAM_TYPES)
        if isinstance(e, TextDelta | ReasoningDelta):
            assert isinstance(e.text, str) and e.text
        elif isinstance(e, ImageEvent):
            assert isinstance(e.image.data, bytes) and e.image.data
            assert isinstance(e.image.mime_type, str) and e.image.mime_type
        elif isinstance(e, UsageEvent):
            assert all(type(v) is int for v in e.usage.to_dict().values())
        elif isinstance(e, SourcesEvent):
            assert all(isinstance(s.uri, str) and isinstance(s.title, str) for s in e.sources)
        elif isinstance(e, FinishEvent):
            assert e.reason in FINISH_REASONS and (e.raw is None or isinstance(e.raw, str))
        elif isinstance(e, ErrorEvent):
            assert isinstance(e.title, str) and e.title and isinstance(e.message, str)
            assert e.kind in ERROR_KINDS
            assert len(e.one_line()) < 1000  # a 5 MB garbage line must not become a 5 MB message
    parts = parser.parts()
    # The saved reply and the streamed reply are the same text.
    assert "".join(p.text for p in parts if isinstance(p, TextPart)) == "".join(
        e.text for e in events if isinstance(e, TextDelta)
    )
    assert "".join(p.text for p in parts if isinstance(p, ReasoningPart)) == "".join(
        e.text for e in events if isinstance(e, ReasoningDelta)
    )
    assert sum(isinstance(p, ImagePart) for p in parts) == sum(isinstance(e, ImageEvent) for e in events)
    for part in parts:
        assert isinstance(part.provider_data, dict)
        json.dumps(part.provider_data)  # the store writes it as JSON


def test_every_reference_stream_is_well_formed() -> None:
    for name in NAMES:
        events, parser = run_parser(format_of(name), REFERENCE[name][0])
        check_well_formed(events, parser)
        CASES["reference streams"] += 1


# ---------------------------------------------------------------- splits of valid bodies


def test_every_byte_boundary_of_every_fixture() -> None:
    """Exhaustive: each body cut into two reads at every position, and fed one byte at a time."""
    for name, body in BODIES.items():
        expected = REFERENCE[name][0]
        for i in range(len(body) + 1):
            assert decode([body[:i], body[i:]]) == expected, (name, i)
            CASES["every byte boundary"] += 1
        assert decode([body[i : i + 1] for i in range(len(body))]) == expected, name
        CASES["every byte boundary"] += 1


@st.composite
def chunked_fixture(draw: st.DrawFn) -> tuple[str, list[bytes]]:
    name = draw(st.sampled_from(NAMES))
    body = BODIES[name]
    cuts = draw(st.lists(st.integers(0, len(body)), max_size=60))
    return name, split_at(body, cuts)


@fuzz_settings(250)
@given(chunked_fixture())
def test_random_chunkings_give_the_same_events(case: tuple[str, list[bytes]]) -> None:
    CASES["random chunkings"] += 1
    name, chunks = case
    sse, events = REFERENCE[name]
    got = decode(chunks)
    assert got == sse
    assert run_parser(format_of(name), got)[0] == events


def _eol_join(lines: list[bytes], endings: list[bytes]) -> bytes:
    return b"".join(line + eol for line, eol in zip(lines, endings, strict=True))


@st.composite
def mixed_line_endings(draw: st.DrawFn) -> tuple[str, bytes]:
    """A fixture re-joined with a random LF/CRLF/CR per line, never making CR + (blank line) LF one CRLF."""
    name = draw(st.sampled_from(NAMES))
    raw = re.split(rb"\r\n|\r|\n", BODIES[name])
    lines, last = raw[:-1], raw[-1]  # `last` is a final line without ending ("" when there is none)
    endings: list[bytes] = []
    for i, line in enumerate(lines):
        choices = [b"\n", b"\r\n", b"\r"]
        if i > 0 and endings[-1] == b"\r" and line == b"":
            choices = [b"\r\n", b"\r"]  # "\r" + "" + "\n" would read as one CRLF and lose a blank line
        endings.append(draw(st.sampled_from(choices)))
    return name, _eol_join(lines, endings) + last


@fuzz_settings(200)
@given(mixed_line_endings(), st.data())
def test_mixed_line_endings_give_the_same_events(case: tuple[str, bytes], data: st.DataObject) -> None:
    CASES["mixed line endings"] += 1
    name, body = case
    cuts = data.draw(st.lists(st.integers(0, len(body)), max_size=30))
    assert decode(split_at(body, cuts)) == REFERENCE[name][0]


# ---------------------------------------------------------------- synthetic unicode streams


def _synthetic(fmt: str, deltas: Sequence[str]) -> bytes:
    """A minimal valid stream of ``fmt`` carrying ``deltas`` as text, ending normally."""

    def j(obj: Any) -> str:
        return json.dumps(obj, ensure_ascii=False)

    lines: list[str] = []
    if fmt == "openai":
        for d in deltas:
            lines.append(f"data: {j({'choices': [{'index': 0, 'delta': {'content': d}}]})}\n\n")
        lines.append(f"data: {j({'choices': [{'index': 0, 'delta': {}, 'finish_reason': 'stop'}]})}\n\n")
        lines.append("data: [DONE]\n\n")
    elif fmt == "anthropic":
        start = {"type": "message_start", "message": {"id": "msg_1", "usage": {"input_tokens": 3}}}
        lines.append(f"event: message_start\ndata: {j(start)}\n\n")
        block = {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
        lines.append(f"event: content_block_start\ndata: {j(block)}\n\n")
        for d in deltas:
            delta = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": d}}
            lines.append(f"event: content_block_delta\ndata: {j(delta)}\n\n")
        lines.append(
            'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"}}\n\n'
        )
        lines.append('event: message_stop\ndata: {"type":"message_stop"}\n\n')
    elif fmt == "responses":
        for d in deltas:
            delta = {"type": "response.output_text.delta", "item_id": "msg_1", "output_index": 0, "delta": d}
            lines.append(f"event: response.output_text.delta\ndata: {j(delta)}\n\n")
        done = {
            "type": "response.completed",
            "response": {"status": "completed", "usage": {"input_tokens": 1}},
        }
        lines.append(f"event: response.completed\ndata: {j(done)}\n\n")
    else:
        for d in deltas:
            chunk = {"candidates": [{"content": {"role": "model", "parts": [{"text": d}]}, "index": 0}]}
            lines.append(f"data: {j(chunk)}\r\n\r\n")
        last = {"candidates": [{"content": {"role": "model", "parts": []}, "finishReason": "STOP"}]}
        lines.append(f"data: {j(last)}\r\n\r\n")
    return "".join(lines).encode("utf-8")


# Any character UTF-8 can carry (no lone surrogates), weighted toward multi-byte ones and line-like ones.
unicode_text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from("é你好👋\u2028\u2029\r\n\x00\ufeff"),
    ),
    max_size=12,
)


@fuzz_settings(200)
@given(st.sampled_from(FORMATS), st.lists(unicode_text, min_size=1, max_size=8), st.data())
def test_unicode_deltas_survive_any_split(fmt: str, deltas: list[str], data: st.DataObject) -> None:
    CASES["unicode splits"] += 1
    body = _synthetic(fmt, deltas)
    # Half of the cuts land inside multi-byte characters (continuation bytes 0x80-0xBF).
    inside = [i for i, b in enumerate(body) if 0x80 <= b <= 0xBF]
    cuts = data.draw(st.lists(st.integers(0, len(body)), max_size=20))
    if inside:
        cuts += data.draw(st.lists(st.sampled_from(inside), max_size=20))
    events, parser = run_parser(fmt, decode(split_at(body, cuts)))
    check_well_formed(events, parser)
    # Terminal controls (CR, NUL…) are dropped at the boundary; everything else arrives as sent.
    expected = [clean_text(d) for d in deltas if clean_text(d)]
    assert [e.text for e in events if isinstance(e, TextDelta)] == expected
    assert isinstance(events[-1], FinishEvent) and events[-1].reason == "stop"


# ---------------------------------------------------------------- truncated bodies


@fuzz_settings(300)
@given(st.sampled_from(NAMES), st.data())
def test_truncated_body_is_a_prefix_plus_at_most_one_error(name: str, data: st.DataObject) -> None:
    CASES["truncations"] += 1
    body = BODIES[name]
    cut = data.draw(st.integers(0, len(body)))
    cuts = data.draw(st.lists(st.integers(0, cut), max_size=10))
    fmt = format_of(name)
    full = REFERENCE[name][1]
    events, parser = run_parser(fmt, decode(split_at(body[:cut], cuts)))
    check_well_formed(events, parser)
    head = events
    if events and isinstance(events[-1], ErrorEvent) and events != full[: len(events)]:
        head = events[:-1]
        assert events[-1].kind in ("network", "bad_response"), events[-1]
    assert head == full[: len(head)]


# ---------------------------------------------------------------- garbage


def _lines(body: bytes) -> list[bytes]:
    return re.split(rb"\r\n|\r|\n", body)


_field_name = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", min_size=1, max_size=12
).filter(lambda s: s not in ("data", "event"))
_line_value = st.binary(max_size=40).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b""))
garbage_line = st.one_of(
    _line_value.map(lambda v: b":" + v),  # comments, including invalid UTF-8
    st.builds(lambda n, v: n.encode() + b": " + v, _field_name, _line_value),
    st.builds(lambda n: n.encode(), _field_name),  # a field with no colon at all
    st.sampled_from([b"id: 42", b"retry: 1000", b"retry: soon", b"id", b": OPENROUTER PROCESSING"]),
)


@fuzz_settings(200)
@given(st.sampled_from(NAMES), st.data())
def test_garbage_non_data_lines_change_nothing(name: str, data: st.DataObject) -> None:
    CASES["garbage lines"] += 1
    lines = _lines(BODIES[name])
    inserts = data.draw(st.lists(st.tuples(st.integers(0, len(lines) - 1), garbage_line), max_size=8))
    for index, junk in sorted(inserts, key=lambda t: -t[0]):
        lines.insert(index, junk)
    body = b"\n".join(lines)
    assert decode([body]) == REFERENCE[name][0]


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):
        return False
    return True


_not_json = st.text(max_size=60).filter(
    lambda s: s.strip() != "" and s.strip() != "[DONE]" and not _is_json(s)
)
_json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
)
_wrong_json = st.one_of(
    _json_scalar.map(json.dumps),
    st.lists(_json_scalar, min_size=1, max_size=4).map(json.dumps),  # a list whose first item is no object
)


@fuzz_settings(250)
@given(st.sampled_from(NAMES), st.one_of(_not_json, _wrong_json), st.data())
def test_garbage_data_event_is_a_bad_response(name: str, junk: str, data: st.DataObject) -> None:
    CASES["garbage data events"] += 1
    fmt = format_of(name)
    sse, full = REFERENCE[name]
    k = data.draw(st.integers(0, len(sse)))
    junk = junk.replace("\r", " ").replace("\n", " ")  # one data line
    body = encode_sse([*sse[:k], ("", junk), *sse[k:]])
    events, parser = run_parser(fmt, decode(split_at(body, data.draw(st.lists(st.integers(0, len(body)))))))
    check_well_formed(events, parser)

    before_parser = get_adapter(fmt).new_parser()
    before: list[StreamEvent] = []
    for ev_name, ev_data in sse[:k]:
        before += before_parser.feed(ev_name, ev_data)
        if before_parser.done:
            break
    if before_parser.done or (fmt == "gemini" and before_parser.finished):
        # The reply had ended: later bytes are never read (Gemini reads on only for usage counts).
        assert events == full
        return
    assert events[: len(before)] == before
    tail = events[len(before) :]
    assert len(tail) == 1 and isinstance(tail[0], ErrorEvent) and tail[0].kind == "bad_response", tail


# ---------------------------------------------------------------- wrong types and missing fields

WRONG_VALUES: list[Any] = [
    None,
    0,
    -1,
    1.5,
    10**30,
    math.inf,
    -math.inf,
    math.nan,
    "",
    "x",
    "data:image/png;base64,@@@",
    "a data:image/png;base64,==== b",
    "![x](data:image/gif;base64,R0lGOD)",
    True,
    False,
    [],
    [1, "a"],
    [None],
    {},
    {"a": None},
    {"type": 1},
    {"text": 5},
]


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a JSON tree (dict keys and list indices)."""
    out: list[tuple[Any, ...]] = [prefix]
    if isinstance(obj, dict):
        for key, value in obj.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for index, value in enumerate(obj[:8]):
            out += _paths(value, (*prefix, index))
    return out


def _mutate(obj: Any, path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    if not path:
        return value
    parent = obj
    for key in path[:-1]:
        parent = parent[key]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return obj


@st.composite
def mutated_stream(draw: st.DrawFn) -> tuple[str, list[SSEEvent]]:
    """A fixture with 1-3 of its JSON chunks changed: a value replaced by a wrong type, or a key removed."""
    name = draw(st.sampled_from(NAMES))
    sse = list(REFERENCE[name][0])
    candidates = [i for i, (_, d) in enumerate(sse) if d.strip() not in ("", "[DONE]") and _is_json(d)]
    for _ in range(draw(st.integers(1, 3))):
        index = draw(st.sampled_from(candidates))
        ev_name, ev_data = sse[index]
        obj = json.loads(ev_data)
        path = draw(st.sampled_from(_paths(obj)))
        delete = bool(path) and draw(st.booleans())
        value = draw(st.sampled_from(WRONG_VALUES))
        sse[index] = (ev_name, json.dumps(_mutate(obj, path, value, delete)))
    return name, sse


@fuzz_settings(500)
@given(mutated_stream())
def test_wrong_types_and_missing_fields_never_raise(case: tuple[str, list[SSEEvent]]) -> None:
    CASES["wrong types / missing fields"] += 1
    name, sse = case
    events, parser = run_parser(format_of(name), decode([encode_sse(sse)]))
    check_well_formed(events, parser)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_single_field_mutation_of_every_chunk(fmt: str) -> None:
    """Exhaustive: each value of each recorded chunk replaced by each wrong value, or removed."""
    for name in (n for n in NAMES if format_of(n) == fmt):
        sse = REFERENCE[name][0]
        for index, (ev_name, ev_data) in enumerate(sse):
            if ev_data.strip() in ("", "[DONE]") or not _is_json(ev_data):
                continue
            for path in _paths(json.loads(ev_data)):
                for value in [*WRONG_VALUES, "<delete>"]:
                    delete = value == "<delete>"
                    if delete and not path:
                        continue
                    mutated = json.dumps(_mutate(json.loads(ev_data), path, value, delete))
                    events, parser = run_parser(fmt, [*sse[:index], (ev_name, mutated), *sse[index + 1 :]])
                    try:
                        check_well_formed(events, parser)
                    except AssertionError as exc:
                        raise AssertionError(f"{name} chunk {index} {path} := {value!r}: {events}") from exc
                    CASES["single-field mutations"] += 1


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "value", ["null", "0", "-1.5", '"text"', "true", "[1, 2]", '["a"]', "Infinity", "NaN"]
)
def test_a_chunk_of_the_wrong_json_type_is_a_bad_response(fmt: str, value: str) -> None:
    CASES["wrong top-level types"] += 1
    events, parser = run_parser(fmt, [("", value)])
    check_well_formed(events, parser)
    assert len(events) == 1 and isinstance(events[0], ErrorEvent) and events[0].kind == "bad_response"


# ---------------------------------------------------------------- whole (non-streaming) bodies


def _whole_bodies() -> dict[str, tuple[str, Any]]:
    """One non-streaming reply per format (and a Gemini image reply), as the fake gateway answers them."""
    from liaobots_tui.api.messages import Conversation, Message, RequestOptions
    from liaobots_tui.demo import anthropic, gemini, openai_chat, openai_responses
    from liaobots_tui.demo.registry import encoder_for
    from liaobots_tui.demo.reply import plan_reply

    conversation = Conversation([Message("user", [TextPart("Tell me about tables")])])
    out: dict[str, tuple[str, Any]] = {}
    for fmt, model in [
        ("openai", "gpt-5.4"),
        ("anthropic", "claude-sonnet-4-6"),
        ("responses", "gpt-5.4"),
        ("gemini", "gemini-3-pro-preview"),
        ("gemini", "gemini-3-pro-image-preview"),
    ]:
        body = (
            get_adapter(fmt)
            .build_request(conversation, RequestOptions(model, stream=False, thinking=True))
            .json
        )
        if fmt == "openai":
            request = openai_chat.parse_chat(body)
        elif fmt == "anthropic":
            request = anthropic.parse_anthropic(body, {"anthropic-version": "2023-06-01"})
        elif fmt == "responses":
            request = openai_responses.parse_responses(body, set(), set())
        else:
            request = gemini.parse_gemini(body, model, "generateContent", {})
        text = json.dumps(encoder_for(request, plan_reply(request, "fuzz1")).body())
        # The generated picture is ~0.5 MB of base64; a tiny PNG keeps thousands of mutations fast.
        text = re.sub(r'"data": "[A-Za-z0-9+/=]{1000,}"', f'"data": "{PNG_B64.decode()}"', text)
        out[f"{fmt}:{model}"] = (fmt, json.loads(text))
    return out


WHOLE = _whole_bodies()


def run_body(fmt: str, body: Any) -> tuple[list[StreamEvent], ReplyParser]:
    parser = get_adapter(fmt).new_parser()
    events = parser.feed_body(body)
    assert parser.done
    return events + parser.end(), parser


@pytest.mark.parametrize("key", sorted(WHOLE))
def test_every_single_field_mutation_of_a_whole_body(key: str) -> None:
    fmt, body = WHOLE[key]
    events, parser = run_body(fmt, json.loads(json.dumps(body)))
    check_well_formed(events, parser)
    assert isinstance(events[-1], FinishEvent) and any(isinstance(e, TextDelta) for e in events)
    for path in _paths(body):
        for value in [*WRONG_VALUES, "<delete>"]:
            delete = value == "<delete>"
            if delete and not path:
                continue
            mutated = _mutate(json.loads(json.dumps(body)), path, value, delete)
            events, parser = run_body(fmt, mutated)
            try:
                check_well_formed(events, parser)
            except AssertionError as exc:
                raise AssertionError(f"{key} {path} := {value!r}: {events}") from exc
            CASES["single-field mutations (whole bodies)"] += 1


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("body", [None, 0, "text", True, [], [1], {}, {"choices": 5}, {"content": None}])
def test_a_whole_body_of_the_wrong_shape_is_a_bad_response(fmt: str, body: Any) -> None:
    CASES["wrong top-level types"] += 1
    events, parser = run_body(fmt, body)
    check_well_formed(events, parser)
    assert isinstance(events[-1], ErrorEvent) and events[-1].kind == "bad_response", events


# ---------------------------------------------------------------- huge and deep input

HUGE = 3 * 1024 * 1024


@fuzz_settings(8)
@given(st.sampled_from(FORMATS), st.data())
def test_huge_delta_in_random_reads(fmt: str, data: st.DataObject) -> None:
    CASES["huge lines"] += 1
    text = "é" * (HUGE // 2) + "x"  # 3 MB of UTF-8 in one data line
    body = _synthetic(fmt, ["start ", text, " end"])
    size = data.draw(st.sampled_from([1024, 4096, 65536, 1_000_003]))
    chunks = [body[i : i + size] for i in range(0, len(body), size)]
    events, parser = run_parser(fmt, decode(chunks))
    check_well_formed(events, parser)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "start " + text + " end"


@pytest.mark.parametrize("fmt", FORMATS)
def test_huge_garbage_line_is_one_short_error(fmt: str) -> None:
    CASES["huge lines"] += 1
    body = b"data: " + b"{" + b"x" * HUGE + b"\n\n"
    events, parser = run_parser(fmt, decode([body[i : i + 65536] for i in range(0, len(body), 65536)]))
    check_well_formed(events, parser)
    assert len(events) == 1 and isinstance(events[0], ErrorEvent) and events[0].kind == "bad_response"


@pytest.mark.parametrize("fmt", FORMATS)
def test_deeply_nested_json_never_raises(fmt: str) -> None:
    """Nesting around the interpreter's recursion limit: json may accept it, the parser must not crash."""
    for depth in [*range(1, 1300, 7), 5000, 100_000]:
        for opener, closer in (("[", "]"), ('{"a":', "}")):
            data = opener * depth + "1" + closer * depth
            events, parser = run_parser(fmt, [("", data)])
            check_well_formed(events, parser)
            CASES["deep nesting"] += 1


def test_gemini_reads_one_array_level_only() -> None:
    """A non-SSE Gemini stream is one array of responses; an array inside it is refused,
    not recursed into (recursion let nesting exhaust the stack, depending on its depth)."""
    chunk = '{"candidates": [{"content": {"role": "model", "parts": [{"text": "hi"}]}}]}'
    events, _ = run_parser("gemini", [("", f"[{chunk}]")])
    assert any(isinstance(e, TextDelta) and e.text == "hi" for e in events)
    events, _ = run_parser("gemini", [("", f"[[{chunk}]]")])
    assert isinstance(events[-1], ErrorEvent) and events[-1].kind == "bad_response"


# ---------------------------------------------------------------- the count


def test_zz_report_case_count(capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest) -> None:
    """Runs last in this file: prints how many fuzz cases ran (shown even without ``-s``)."""
    total = sum(CASES.values())
    with capsys.disabled():
        print(f"\n[fuzz] {total} cases: " + ", ".join(f"{k}={v}" for k, v in sorted(CASES.items())))
    in_file = {item.name for item in request.session.items if item.module is request.module}
    # The whole file ran (not a -k selection), all of it in this process (not split by xdist).
    if len(CASES) >= 10 and in_file <= RAN_HERE:
        assert total >= 30_000
