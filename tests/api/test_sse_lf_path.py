"""The SSE decoder's fast path for LF-only chunks decodes exactly as its general path does.

LF-only streams take the fast path; the same stream with CRLF line ends takes the general
one. Any chunking of either must give the same events, the same bounds and the same
partial-line handling.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liaobots_tui.api.sse import SSEDecoder, SSEEvent
from liaobots_tui.errors import ReplyTooLarge

_LINES = st.lists(
    st.one_of(
        st.just(""),
        st.text(max_size=12).map(lambda t: "data: " + t.replace("\r", "").replace("\n", "")),
        st.text(max_size=6).map(lambda t: "data:" + t.replace("\r", "").replace("\n", "")),
        st.sampled_from(["event: delta", ": keep-alive", "id: 7", "retry: 10", "data", "\ufeffdata: x"]),
    ),
    max_size=25,
)


def _decode(stream: bytes, cuts: list[int], max_line: int = 1 << 20) -> list[SSEEvent]:
    decoder = SSEDecoder(max_line=max_line)
    events: list[SSEEvent] = []
    start = 0
    for cut in sorted({min(c, len(stream)) for c in cuts}) + [len(stream)]:
        events += decoder.feed(stream[start:cut])
        start = cut
    return events + decoder.close()


@settings(max_examples=300, deadline=None)
@given(lines=_LINES, bom=st.booleans(), cuts=st.lists(st.integers(0, 400), max_size=8))
def test_lf_chunks_decode_as_crlf_chunks_do(lines: list[str], bom: bool, cuts: list[int]) -> None:
    prefix = "\ufeff" if bom else ""
    lf = (prefix + "".join(line + "\n" for line in lines)).encode()
    crlf = (prefix + "".join(line + "\r\n" for line in lines)).encode()
    expected = _decode(crlf, [])
    assert _decode(lf, []) == expected
    assert _decode(lf, cuts) == expected


def test_an_event_of_many_data_lines_is_bounded_on_the_fast_path() -> None:
    stream = b"".join(b"data: " + b"x" * 40 + b"\n" for _ in range(10))  # 400 bytes of data, one event
    with pytest.raises(ReplyTooLarge):
        SSEDecoder(max_line=300).feed(stream)


def test_a_line_continued_from_the_last_read_is_bounded_on_the_fast_path() -> None:
    decoder = SSEDecoder(max_line=100)
    decoder.feed(b"data: first\n\n")
    decoder.feed(b"data: " + b"y" * 60)  # no line end yet: kept as a partial line
    with pytest.raises(ReplyTooLarge):
        decoder.feed(b"z" * 60 + b"\n\n")


def test_fast_path_events_match_the_general_path_on_a_token_stream() -> None:
    chunk = b"".join(b'data: {"choices":[{"delta":{"content":"w%d "}}]}\n\n' % i for i in range(500))
    slow = chunk.replace(b"\n", b"\r\n")
    assert _decode(chunk, list(range(0, len(chunk), 977))) == _decode(slow, [])
    assert len(_decode(chunk, [])) == 500
