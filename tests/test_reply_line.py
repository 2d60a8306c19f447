"""The line under a reply: tokens, time and credits, with unknown parts left out."""

from __future__ import annotations

import pytest

from liaobots_tui.api.messages import Message, Usage
from liaobots_tui.reply_line import elapsed_text, reply_elapsed, reply_line
from liaobots_tui.store import MessageRecord
from liaobots_tui.usage_stats import ReplyCost, reply_cost


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.84, "0.8 s"), (12.34, "12.3 s"), (59.9, "59.9 s"), (125.2, "2 min 05 s")]
)
def test_elapsed_text(seconds: float, text: str) -> None:
    assert elapsed_text(seconds) == text


def reply(usage: Usage | None = None, **fields: object) -> MessageRecord:
    values: dict[str, object] = {"id": 7, "created_at": 1000.0, "ended_at": 1012.5}
    values.update(fields)
    return MessageRecord(Message("assistant", model="gpt-5.4", usage=usage), **values)  # type: ignore[arg-type]


def test_exact_and_estimated_costs_read_differently() -> None:
    usage = Usage(input_tokens=1234, output_tokens=5678, reasoning_tokens=300)
    assert reply_line(reply(usage=usage), ReplyCost(0.0529, True)) == (
        "1,234 in · 5,678 out (300 thinking) · 12.5 s · 0.0529 credits"
    )
    assert reply_line(reply(usage=usage), ReplyCost(8.2, False)).endswith(" · ≈ 8.20 credits")


def test_unknown_parts_are_left_out() -> None:
    assert reply_line(reply(ended_at=None), None) == ""
    assert reply_line(reply(), None) == "12.5 s"
    assert reply_line(reply(usage=Usage(), ended_at=None), ReplyCost(0.1, True)) == "0.10 credits"


@pytest.mark.parametrize("ended_at", [990.0, 1000.0 + 3 * 86400])
def test_a_duration_no_clock_could_give_is_not_shown(ended_at: float) -> None:
    assert reply_elapsed(reply(ended_at=ended_at)) is None


def test_a_reply_refused_before_any_byte_has_no_line_and_no_cost() -> None:
    refused = reply(status="failed", error="Gateway error: every domain answered with a server error")
    assert reply_line(refused, None) == ""
    assert reply_cost([], refused, 1012.5) is None
