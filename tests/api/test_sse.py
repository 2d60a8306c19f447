"""SSEDecoder and iter_sse: line endings, buffering across reads, comments, EOF, big lines."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liaobots_tui.api.sse import SSEDecoder, iter_sse, iter_sse_batches
from liaobots_tui.errors import ReplyTooLarge


def decode(*chunks: bytes) -> list[tuple[str, str]]:
    decoder = SSEDecoder()
    events: list[tuple[str, str]] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    return events + decoder.close()


def bytewise(body: bytes) -> list[tuple[str, str]]:
    return decode(*(body[i : i + 1] for i in range(len(body))))


def test_lf_events_with_and_without_names() -> None:
    body = b'event: message_start\ndata: {"a":1}\n\ndata: plain\n\n'
    assert decode(body) == [("message_start", '{"a":1}'), ("", "plain")]


def test_crlf_line_endings() -> None:
    body = b"event: x\r\ndata: one\r\n\r\ndata: two\r\n\r\n"
    assert decode(body) == [("x", "one"), ("", "two")]


def test_lone_cr_line_endings() -> None:
    assert decode(b"event: x\rdata: one\r\rdata: two\r\r") == [("x", "one"), ("", "two")]


def test_crlf_split_across_two_reads_is_one_line_ending() -> None:
    # If the LF after a split CRLF counted as its own line, "a" would be dispatched
    # early and "b" would become a separate event.
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\ndata: b\r") == []
    # LF ends "data: b"; the CR is the blank line; the LF of the next read belongs to it.
    assert decoder.feed(b"\n\r") == [("", "a\nb")]
    assert decoder.feed(b"\ndata: c\n\n") == [("", "c")]
    assert decoder.close() == []


def test_cr_at_end_of_chunk_followed_by_other_text() -> None:
    assert decode(b"data: a\r", b"\r", b"data: b\r", b"\r") == [("", "a"), ("", "b")]


def test_utf8_character_split_across_reads() -> None:
    body = "data: 你好 👋 é\n\n".encode()
    cut = body.index("好".encode()) + 1  # inside the three-byte character
    assert decode(body[:cut], body[cut:]) == [("", "你好 👋 é")]
    assert bytewise(body) == [("", "你好 👋 é")]


def test_invalid_utf8_is_replaced_not_raised() -> None:
    assert decode(b"data: a\xffb\n\n") == [("", "a\ufffdb")]


def test_comments_are_ignored() -> None:
    body = b": OPENROUTER PROCESSING\n\n:ping\ndata: x\n: mid-event comment\n\n"
    assert decode(body) == [("", "x")]


def test_multiple_data_lines_join_with_newline() -> None:
    assert decode(b"data: a\ndata:b\ndata:  c\ndata:\n\n") == [("", "a\nb\n c\n")]


def test_event_without_data_is_ignored_and_name_does_not_leak() -> None:
    assert decode(b"event: ping\n\ndata: x\n\n") == [("", "x")]


def test_empty_data_line_dispatches_empty_data() -> None:
    assert decode(b"data\n\n") == [("", "")]


def test_id_retry_and_unknown_fields_are_ignored() -> None:
    assert decode(b"id: 7\nretry: 100\nfoo: bar\ndata: x\n\n") == [("", "x")]


def test_final_event_without_blank_line_is_flushed_at_eof() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"last":true}\n') == []
    assert decoder.close() == [("", '{"last":true}')]


def test_final_line_without_line_ending_is_read_at_eof() -> None:
    assert decode(b"event: done\ndata: [DONE]") == [("done", "[DONE]")]


def test_done_marker_passes_through() -> None:
    assert decode(b"data: [DONE]\n\n") == [("", "[DONE]")]


def test_leading_bom_is_stripped_once() -> None:
    assert decode(b"\xef\xbb\xbfdata: x\n\n") == [("", "x")]


def test_many_events_in_one_chunk() -> None:
    body = b"".join(b"data: %d\r\n\r\n" % i for i in range(1000))
    assert decode(body) == [("", str(i)) for i in range(1000)]


def test_ten_megabyte_line_in_64k_chunks_is_linear() -> None:
    payload = b"A" * 10_000_000
    body = b"data: " + payload + b"\n\n"
    decoder = SSEDecoder()
    events: list[tuple[str, str]] = []
    start = time.process_time()
    for i in range(0, len(body), 65536):
        events += decoder.feed(body[i : i + 65536])
    events += decoder.close()
    cpu_seconds = time.process_time() - start
    assert len(events) == 1
    assert events[0][0] == ""
    assert len(events[0][1]) == 10_000_000
    # Measured ~0.08 s; a quadratic rescan of the buffer would take minutes. This process's CPU time,
    # not wall time, and a bound 100x away: a guard against the quadratic case that a busy machine
    # cannot trip (speed itself is for the benchmarks in bench/).
    assert cpu_seconds < 10.0


@pytest.mark.fuzz
@settings(max_examples=200, deadline=None)
@given(
    events=st.lists(
        st.tuples(
            st.sampled_from(["", "message", "content_block_delta"]),
            st.lists(
                st.text(
                    alphabet=st.characters(blacklist_characters="\r\n", codec="utf-8"),
                    max_size=20,
                ),
                min_size=1,
                max_size=3,
            ),
        ),
        max_size=6,
    ),
    eol=st.sampled_from([b"\n", b"\r\n", b"\r"]),
    cuts=st.lists(st.integers(min_value=0, max_value=2000), max_size=12),
)
def test_any_chunking_gives_the_same_events(
    events: list[tuple[str, list[str]]], eol: bytes, cuts: list[int]
) -> None:
    body = b""
    for name, lines in events:
        if name:
            body += b"event: " + name.encode() + eol
        for line in lines:
            body += b"data: " + line.encode() + eol
        body += eol
    expected = [(name, "\n".join(lines)) for name, lines in events]
    points = sorted({c % (len(body) + 1) for c in cuts} | {0, len(body)})
    chunks = [body[a:b] for a, b in zip(points, points[1:], strict=False)]
    assert decode(*chunks) == expected


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def test_iter_sse_over_an_httpx_response() -> None:
    response = httpx.Response(
        200,
        headers={"content-type": "text/event-stream"},
        content=_chunks(b"event: a\r", b"\ndata: 1\r\n\r", b"\n: keep-alive\n", b"data: 2"),
    )
    got = [event async for event in iter_sse(response)]
    assert got == [("a", "1"), ("", "2")]


async def test_iter_sse_propagates_transport_errors() -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield b"data: 1\n\n"
        raise httpx.ReadError("dropped")

    response = httpx.Response(200, content=broken())
    got: list[tuple[str, str]] = []
    with pytest.raises(httpx.ReadError):
        async for event in iter_sse(response):
            got.append(event)
    assert got == [("", "1")]


# ---------------------------------------------------------------- bounds


def test_a_line_past_the_cap_stops_before_it_is_joined() -> None:
    decoder = SSEDecoder(max_line=1000)
    assert decoder.feed(b"data: " + b"x" * 900) == []
    with pytest.raises(ReplyTooLarge, match="longer than 1000 bytes"):
        decoder.feed(b"x" * 200)


def test_a_whole_line_in_one_chunk_past_the_cap_is_refused() -> None:
    with pytest.raises(ReplyTooLarge):
        SSEDecoder(max_line=100).feed(b"data: " + b"y" * 200 + b"\n\n")


def test_many_data_lines_of_one_event_add_up_to_the_cap() -> None:
    decoder = SSEDecoder(max_line=100)
    with pytest.raises(ReplyTooLarge):
        decoder.feed(b"data: 0123456789\n" * 20)


def test_lines_up_to_the_cap_pass() -> None:
    decoder = SSEDecoder(max_line=1000)
    line = b"data: " + b"z" * 994
    assert decoder.feed(line[:500]) == []
    assert decoder.feed(line[500:] + b"\n\n") == [("", "z" * 994)]


async def test_iter_sse_batches_caps_the_whole_stream() -> None:
    response = httpx.Response(200, content=_chunks(*[b"data: 1234567890\n\n"] * 100))
    got: list[tuple[str, str]] = []
    with pytest.raises(ReplyTooLarge, match="The reply stream is larger than 1 KB"):
        async for batch in iter_sse_batches(response, max_bytes=1024):
            got.extend(batch)
    assert 0 < len(got) < 100
