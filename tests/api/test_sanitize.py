"""The one sanitizer: terminal-safe text, one-line fields, the auth code scrubbed before and after cuts."""

from __future__ import annotations

import io
import json

from hypothesis import given
from hypothesis import strategies as st

from liaobots_tui.api.sanitize import (
    MASK,
    MAX_COUNT,
    TerminalGuard,
    clean_count,
    clean_line,
    clean_text,
    cut_scrubbed,
    scrub_cut,
    scrub_secret,
    terminal_json,
)
from tests.hardening.hostile_gateway import ESCAPES, has_controls, leaked_pieces

CODE = "sk-Zq81mVx0pL4tR7wY2nC5"


@given(st.text())
def test_clean_text_leaves_nothing_a_terminal_obeys_and_keeps_the_rest(text: str) -> None:
    cleaned = clean_text(text)
    assert not has_controls(cleaned)
    assert cleaned == "".join(ch for ch in text if not has_controls(ch))


def test_clean_text_keeps_newlines_and_tabs_and_returns_clean_text_itself() -> None:
    text = "a\tb\nc é 你 [b]"
    assert clean_text(text) is text
    assert clean_text(f"x{ESCAPES}y") == "x]52;c;Y3VybCBldmlsLnNofHNo]2;pwned[2J31my"


@given(st.text(), st.integers(1, 400))
def test_clean_line_is_one_bounded_clean_line(text: str, limit: int) -> None:
    line = clean_line(text, limit)
    assert len(line) <= limit and "\n" not in line and "\t" not in line and not has_controls(line)


def test_scrub_secret_masks_the_plain_and_the_json_escaped_forms() -> None:
    code = 'ab"cd\\ef123'
    raw = json.dumps({"message": f"bad {code}"})
    assert code not in json.loads(scrub_secret(raw, code))["message"]
    assert scrub_secret(f"x {CODE} y", CODE) == f"x {MASK} y"
    assert scrub_secret("short abc", "abc") == "short abc"  # below 6 characters: a demo value


@given(st.integers(0, 200), st.integers(20, 120))
def test_no_cut_leaves_six_characters_of_the_code(prefix: int, limit: int) -> None:
    text = "y" * prefix + CODE + " tail"
    for cut in (
        cut_scrubbed(text, CODE, limit),
        scrub_cut(text[:limit] + "…", CODE),
        scrub_cut(text[:limit], CODE),
    ):
        assert leaked_pieces(cut, CODE) == [], cut


def test_clean_count_accepts_only_sane_integers() -> None:
    assert [clean_count(v) for v in (5, 0, -1, True, 2.0, "7", None, MAX_COUNT, MAX_COUNT + 1)] == [
        5, 0, 0, 0, 0, 0, 0, MAX_COUNT, 0,
    ]  # fmt: skip


def test_terminal_json_escapes_del_and_c1_and_stays_json() -> None:
    obj = {"t": "a\x7f\x85\x9b\u2028b\x1b", "u": "ok é"}
    dumped = terminal_json(obj)
    assert not has_controls(dumped) and "\u2028" not in dumped
    assert "ok é" in dumped  # readable text is not escaped
    assert json.loads(dumped) == obj


def test_terminal_guard_drops_controls_and_delegates_the_rest() -> None:
    buffer = io.StringIO()
    guard = TerminalGuard.wrap(buffer)
    assert TerminalGuard.wrap(guard) is guard  # never wrapped twice
    assert guard.write(f"a{ESCAPES}\tb\n") == len(f"a{ESCAPES}\tb\n")
    guard.writelines(["c\x9b", "d\n"])
    print("e\x1b[2J", file=guard)
    guard.flush()
    assert buffer.getvalue() == "a]52;c;Y3VybCBldmlsLnNofHNo]2;pwned[2J31m\tb\ncd\ne[2J\n"
    assert guard.getvalue() == buffer.getvalue()  # type: ignore[attr-defined]


def test_terminal_guard_keeps_crlf_row_ends_but_not_a_lone_cr() -> None:
    buffer = io.StringIO()
    TerminalGuard.wrap(buffer).write("a,b\r\nover\rwrite\x1b[2J\r\n")
    assert buffer.getvalue() == "a,b\r\noverwrite[2J\r\n"
