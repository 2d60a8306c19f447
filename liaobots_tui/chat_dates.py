"""When a chat was last used, said the way a chats list says it: short and in local time.

``14:05`` today, ``Yesterday``, a weekday within the last week (``Mon``), ``12 Mar``
earlier this year, ``Mar 2025`` before that. At most 9 characters, so it fits
beside a title in the narrowest sidebar. Headless: the app's list and the CLI can
both use it.
"""

from __future__ import annotations

import datetime as dt

#: Longest text :func:`list_date` returns.
WIDTH = 9

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _local(timestamp: float) -> dt.datetime | None:
    try:
        return dt.datetime.fromtimestamp(timestamp)
    except (OverflowError, OSError, ValueError):
        return None  # a damaged row's timestamp: no date rather than a crash


def list_date(timestamp: float, now: float) -> str:
    """``timestamp`` (Unix seconds) relative to ``now``; "" when no calendar can show it."""
    when, today = _local(timestamp), _local(now)
    if when is None or today is None or timestamp <= 0:
        return ""
    days = (today.date() - when.date()).days
    if days <= 0:  # today (or a clock a little ahead): the time says more than "Today"
        return f"{when:%H:%M}"
    if days == 1:
        return "Yesterday"
    if days < 7:
        return _DAYS[when.weekday()]
    if when.year == today.year:
        return f"{when.day} {_MONTHS[when.month - 1]}"
    return f"{_MONTHS[when.month - 1]} {when.year}"
