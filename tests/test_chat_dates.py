"""The chats list's dates: a time today, then Yesterday, a weekday, a day, a month."""

from __future__ import annotations

import datetime as dt

import pytest

from liaobots_tui.chat_dates import WIDTH, list_date

NOW = dt.datetime(2026, 11, 30, 15, 20).timestamp()  # a Monday, local time


@pytest.mark.parametrize(
    ("when", "text"),
    [
        (dt.datetime(2026, 11, 30, 9, 5), "09:05"),
        (dt.datetime(2026, 11, 29, 23, 59), "Yesterday"),
        (dt.datetime(2026, 11, 27, 12, 0), "Fri"),
        (dt.datetime(2026, 11, 24, 12, 0), "Tue"),
        (dt.datetime(2026, 11, 23, 12, 0), "23 Nov"),
        (dt.datetime(2026, 1, 2, 12, 0), "2 Jan"),
        (dt.datetime(2025, 12, 31, 12, 0), "Dec 2025"),
    ],
)
def test_list_date(when: dt.datetime, text: str) -> None:
    assert list_date(when.timestamp(), NOW) == text
    assert len(text) <= WIDTH


@pytest.mark.parametrize("timestamp", [0.0, -5.0, 1e20, float("nan")])
def test_a_timestamp_no_calendar_shows_gives_no_date(timestamp: float) -> None:
    assert list_date(timestamp, NOW) == ""
