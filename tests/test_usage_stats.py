"""usage_stats: filters on local dates, totals, per-model and per-day sums, reply cost matching."""

from __future__ import annotations

import datetime as dt

import pytest

from liaobots_tui.api.account import UsageRecord
from liaobots_tui.api.messages import Message, Usage
from liaobots_tui.errors import InputError
from liaobots_tui.store import MessageRecord
from liaobots_tui.usage_stats import (
    ReplyCost,
    by_model,
    check_range,
    credits_per_day,
    estimate_cost,
    filter_records,
    format_credits,
    local_day,
    match_reply_cost,
    parse_day,
    reply_cost,
    sum_costs,
    totals,
)


def ms(*args: int) -> int:
    """Unix ms of a *local* wall-clock time (naive datetimes are local)."""
    return int(dt.datetime(*args).timestamp() * 1000)  # type: ignore[arg-type]


def rec(
    rid: int, model: str, when: int, price: float, inp: int = 100, out: int = 50, hit: int = 0, make: int = 0
) -> UsageRecord:
    return UsageRecord(rid, model, inp + out, inp, out, hit, make, price, when)


RECORDS = [
    rec(6, "gpt-5.4", ms(2026, 2, 2, 0, 30), 0.5, 1000, 200, 100, 0),
    rec(5, "claude-sonnet-4-6", ms(2026, 2, 1, 23, 59), 1.25, 2000, 300, 0, 1024),
    rec(4, "gpt-5.4", ms(2026, 2, 1, 12, 0), 0.25, 500, 100),
    rec(3, "gemini-3-pro-image-preview", ms(2026, 1, 30, 8, 0), 2.0, 50, 1120),
    rec(2, "gpt-5.4", ms(2026, 1, 30, 0, 0), 0.125),
    rec(1, "claude-sonnet-4-6", ms(2026, 1, 29, 23, 59, 59), 1.0),
]


def test_local_day_uses_the_local_calendar() -> None:
    assert local_day(RECORDS[0]) == dt.date(2026, 2, 2)
    assert local_day(RECORDS[5]) == dt.date(2026, 1, 29)


def test_local_day_survives_a_garbage_timestamp() -> None:
    assert local_day(rec(9, "x", 10**20, 0.0)) == dt.date(1970, 1, 1)


def test_parse_day_accepts_iso_dates_and_blank() -> None:
    assert parse_day("2026-01-31") == dt.date(2026, 1, 31)
    assert parse_day("  ") is None


@pytest.mark.parametrize("text", ["2026-1-31", "20260131", "2026-02-30", "yesterday", "2026-W05-1"])
def test_parse_day_rejects_other_forms_with_a_clear_message(text: str) -> None:
    with pytest.raises(InputError) as info:
        parse_day(text, label="from date")
    assert str(info.value) == f"from date {text!r} is not a date; use YYYY-MM-DD, e.g. 2026-01-31"


def test_check_range_rejects_reversed_bounds() -> None:
    check_range(dt.date(2026, 1, 1), dt.date(2026, 1, 1))
    with pytest.raises(InputError, match="start date 2026-01-02 is after the end date 2026-01-01"):
        check_range(dt.date(2026, 1, 2), dt.date(2026, 1, 1))


def test_filter_by_model_set_is_case_insensitive() -> None:
    got = filter_records(RECORDS, models={"GPT-5.4"})
    assert [r.id for r in got] == [6, 4, 2]
    assert filter_records(RECORDS, models=set()) == RECORDS


def test_filter_by_inclusive_local_date_range() -> None:
    got = filter_records(RECORDS, start=dt.date(2026, 1, 30), end=dt.date(2026, 2, 1))
    assert [r.id for r in got] == [5, 4, 3, 2]
    assert [r.id for r in filter_records(RECORDS, start=dt.date(2026, 2, 2))] == [6]
    assert [r.id for r in filter_records(RECORDS, end=dt.date(2026, 1, 29))] == [1]


def test_filter_by_model_and_range() -> None:
    got = filter_records(
        RECORDS, models=["claude-sonnet-4-6"], start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 1)
    )
    assert [r.id for r in got] == [5]


def test_totals() -> None:
    t = totals(RECORDS)
    assert (t.count, t.input_tokens, t.output_tokens) == (6, 3750, 1820)
    assert (t.cache_hit_tokens, t.cache_creation_tokens, t.tokens) == (100, 1024, 5570)
    assert t.credits == 5.125


def test_by_model_is_sorted_by_credits() -> None:
    rows = [(name, t.count, t.credits) for name, t in by_model(RECORDS)]
    assert rows == [
        ("claude-sonnet-4-6", 2, 2.25),
        ("gemini-3-pro-image-preview", 1, 2.0),
        ("gpt-5.4", 3, 0.875),
    ]


def test_credits_per_day_fills_gaps_with_zero() -> None:
    days = credits_per_day(RECORDS)
    assert days == [
        (dt.date(2026, 1, 29), 1.0),
        (dt.date(2026, 1, 30), 2.125),
        (dt.date(2026, 1, 31), 0.0),
        (dt.date(2026, 2, 1), 1.5),
        (dt.date(2026, 2, 2), 0.5),
    ]


def test_credits_per_day_with_bounds_and_empty() -> None:
    got = credits_per_day([RECORDS[0]], start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 3))
    assert got == [(dt.date(2026, 2, 1), 0.0), (dt.date(2026, 2, 2), 0.5), (dt.date(2026, 2, 3), 0.0)]
    assert credits_per_day([]) == []


def test_match_picks_the_nearest_record_of_the_model_within_tolerance() -> None:
    end = ms(2026, 2, 1, 12, 0, 30) / 1000
    assert match_reply_cost(RECORDS, "gpt-5.4", end) is RECORDS[2]
    assert match_reply_cost(RECORDS, "models/GPT-5.4", end) is RECORDS[2]
    assert match_reply_cost(RECORDS, "claude-sonnet-4-6", end) is None
    assert match_reply_cost(RECORDS, "gpt-5.4", end + 100, tolerance_s=60) is None


def test_each_record_matches_at_most_once() -> None:
    records = [rec(2, "gpt-5.4", 1_000_010_000, 0.2), rec(1, "gpt-5.4", 1_000_000_000, 0.1)]
    taken: set[int | str] = set()
    first = match_reply_cost(records, "gpt-5.4", 1_000_000.0, taken=taken)
    second = match_reply_cost(records, "gpt-5.4", 1_000_001.0, taken=taken)
    third = match_reply_cost(records, "gpt-5.4", 1_000_001.0, taken=taken)
    assert (first, second, third) == (records[1], records[0], None)
    assert taken == {1, 2}


def test_a_record_charged_before_the_request_started_is_not_matched() -> None:
    records = [rec(1, "gpt-5.4", 1_000_000_000, 0.1)]
    assert match_reply_cost(records, "gpt-5.4", 1_000_050.0, not_before=1_000_040.0) is None
    assert match_reply_cost(records, "gpt-5.4", 1_000_050.0, not_before=999_990.0) is records[0]


def test_estimate_cost_uses_the_rate_table() -> None:
    # gpt-5.4: 0.05 in / 0.2 out per 1K tokens (the docs' example record: 800 in + 400 out = 0.12).
    assert estimate_cost("gpt-5.4", Usage(input_tokens=800, output_tokens=400)) == 0.12
    assert estimate_cost("gpt-5.4-mini", Usage(input_tokens=1000, output_tokens=1000)) == 0.05
    # Cache reads cost a tenth: 1000 in, 500 of them cached → 500 + 50 effective.
    assert estimate_cost("claude-sonnet-4-6", Usage(input_tokens=1000, cache_read_tokens=500)) == 0.033
    assert estimate_cost("unknown-model", Usage(output_tokens=1000)) == 0.2


def test_reply_cost_exact_then_estimate_then_unknown() -> None:
    reply = MessageRecord(
        Message("assistant", model="gpt-5.4", usage=Usage(800, 400)), created_at=ms(2026, 2, 1, 11, 59) / 1000
    )
    exact = reply_cost(RECORDS, reply, ms(2026, 2, 1, 12, 0, 5) / 1000)
    assert exact == ReplyCost(0.25, True, RECORDS[2])
    assert exact.label() == "0.25"
    estimate = reply_cost([], reply, 0.0)
    assert estimate == ReplyCost(0.12, False)
    assert estimate.label() == "≈ 0.12 estimate"
    assert reply_cost([], reply.revised(usage=None), 0.0) is None
    assert reply_cost(RECORDS, MessageRecord(Message("user", model="gpt-5.4")), 0.0) is None


def test_sum_costs_is_exact_only_when_every_part_is() -> None:
    assert sum_costs([ReplyCost(0.25, True), ReplyCost(0.5, True)]) == ReplyCost(0.75, True)
    assert sum_costs([ReplyCost(0.25, True), ReplyCost(0.5, False)]) == ReplyCost(0.75, False)
    assert sum_costs([ReplyCost(0.25, True), None]) == ReplyCost(0.25, False)
    assert sum_costs([None]) is None
    assert sum_costs([]) is None


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (85.5, "85.50"),
        (1234.5, "1,234.50"),
        (0.12, "0.12"),
        (0.0012, "0.0012"),
        (0.00001234, "0.000012"),
        (0.1234567, "0.123"),
        (1e-7, "< 0.000001"),
    ],
)
def test_format_credits(value: float, text: str) -> None:
    assert format_credits(value) == text
