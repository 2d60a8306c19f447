"""The Chat Completions parser's shortcut for a plain content token gives what its general loop gives.

A delta holding only ``content`` takes the shortcut; the same delta with an empty ``refusal``
beside it takes the general loop. Both must yield the same events and build the same reply.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from liaobots_tui.api.openai_chat import OpenAIChatParser


def _run(deltas: list[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    parser = OpenAIChatParser()
    events = []
    for delta in deltas:
        events += parser.feed("", json.dumps({"choices": [{"index": 0, "delta": delta}]}))
    return events, parser.builder.build()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=8), max_size=12))
def test_content_tokens_match_the_general_path(tokens: list[str]) -> None:
    short = _run([{"content": t} for t in tokens])
    general = _run([{"content": t, "refusal": ""} for t in tokens])
    assert short == general


def test_a_token_with_terminal_controls_is_cleaned_on_the_shortcut() -> None:
    events, parts = _run([{"role": "assistant", "content": "a\x1b[2Jb\x9bc"}])
    assert [e.text for e in events] == ["a[2Jbc"]
    assert parts[0].text == "a[2Jbc"


def test_reasoning_beside_content_still_takes_the_general_path() -> None:
    events, _ = _run([{"content": "answer", "reasoning_content": "why"}])
    assert [type(e).__name__ for e in events] == ["ReasoningDelta", "TextDelta"]


def test_a_non_string_content_is_still_refused() -> None:
    events, _ = _run([{"content": 7}])
    assert type(events[-1]).__name__ == "ErrorEvent"
