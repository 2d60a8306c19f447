"""The one credits formatter (and its column alignment), used by the CLI and the app alike."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liaobots_tui.numbers import align_decimals, credits_text, format_count, format_credits, local_time_text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (0.5, "0.50"),
        (0.12, "0.12"),
        # What the issue saw printed raw: sidebar, chart peak, by-model totals.
        (0.0505, "0.0505"),
        (0.07392, "0.0739"),
        (0.017655, "0.0177"),
        (0.94524, "0.945"),
        (0.433642, "0.434"),
        (3.72, "3.72"),
        (8.195, "8.20"),
        (0.9996, "1.00"),
        (1234.5, "1,234.50"),
        (1_234_567.891, "1,234,567.89"),
        (-0.5, "-0.50"),
        (1e-7, "< 0.000001"),
        (float("nan"), "?"),
        (float("inf"), "?"),
    ],
)
def test_format_credits(value: float, text: str) -> None:
    assert format_credits(value) == text


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))
def test_format_credits_is_short_and_close(value: float) -> None:
    text = format_credits(value)
    assert len(text) <= 21
    if text.startswith(("<", ">")):
        assert abs(value) < 1e-6
        return
    shown = float(text.replace(",", ""))
    # Three significant digits below 1 (or the sixth decimal), cents from 1 up.
    assert abs(shown - value) <= max(0.005, abs(value) * 0.005, 5e-7)


def test_credits_text_has_the_one_unit_word() -> None:
    assert credits_text(8.2) == "8.20 credits"
    assert credits_text(0) == "0 credits"


def test_align_decimals_lines_up_points() -> None:
    column = align_decimals(["0", "1,234.50", "0.0505", "8.20"])
    assert len({len(c) for c in column}) == 1
    assert {c.index(".") for c in column if "." in c} == {5}
    assert column[0].rstrip().endswith("0") and column[0].index("0") == 4
    assert align_decimals([]) == []


def test_counts_and_local_times() -> None:
    assert format_count(1234567) == "1,234,567"
    stamp = dt.datetime(2026, 3, 4, 5, 6, 7).timestamp()
    assert local_time_text(int(stamp * 1000)) == "2026-03-04 05:06:07"
    assert local_time_text(0) == "?"
    assert local_time_text(10**20) == "?"
