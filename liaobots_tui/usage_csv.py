"""Usage records as CSV: one writer shared by `liaobots usage --csv` and the app's export."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from typing import TextIO

from liaobots_tui.api.account import UsageRecord

COLUMNS = (
    "id", "time", "model", "input_tokens", "output_tokens", "cache_hit_tokens",
    "cache_creation_tokens", "tokens", "price",
)  # fmt: skip


def local_time(create_time_ms: int) -> str:
    """The record's charge time in the local zone, ISO 8601 to the second; "?" when no date can show it."""
    try:
        return dt.datetime.fromtimestamp(create_time_ms / 1000).astimezone().isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError):  # past the year 9999, before year 1: the gateway's garbage
        return "?"


def write_usage_csv(records: Iterable[UsageRecord], out: TextIO) -> int:
    """Write a header and one row per record; returns the number of rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for r in records:
        writer.writerow([
            r.id, local_time(r.create_time), r.model, r.input_tokens, r.output_tokens,
            r.cache_hit_tokens, r.cache_creation_tokens, r.tokens, f"{r.price:.6g}",
        ])  # fmt: skip
        count += 1
    return count
