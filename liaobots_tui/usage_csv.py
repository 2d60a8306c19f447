"""Usage records as CSV: one writer shared by `liaobots usage --csv` and the app's export.

Model names and ids come from the gateway, and the file is meant to be opened in a
spreadsheet: a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a CR would run
as a formula there (CSV injection). Such text cells get a leading single quote, as
OWASP recommends; numbers we format ourselves are written as numbers. Text cells are
one line: the csv module leaves a bare CR unquoted, which splits the row for readers.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable
from typing import TextIO

from liaobots_tui.api.account import UsageRecord
from liaobots_tui.api.sanitize import clean_line

COLUMNS = (
    "id", "time", "model", "input_tokens", "output_tokens", "cache_hit_tokens",
    "cache_creation_tokens", "tokens", "price",
)  # fmt: skip


#: First characters a spreadsheet reads as the start of a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


#: Longest text cell we write; model names and ids are far shorter.
MAX_CELL = 1000


def defuse_cell(text: str) -> str:
    """``text`` made inert for a spreadsheet: a leading single quote if it could start a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def text_cell(text: str) -> str:
    """One line of gateway text for a cell: controls gone, bounded, then defused."""
    return defuse_cell(clean_line(text, MAX_CELL))


def local_time(create_time_ms: int) -> str:
    """The record's charge time in the local zone, ISO 8601 to the second; "?" when no date can show it.

    The account parser reads a time no calendar can show as 0 ("unknown"), so 0 is "?" too, never 1970.
    """
    if create_time_ms <= 0:
        return "?"
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
        # An integer id is a number to a spreadsheet (even negative); a string id is text like the model.
        record_id = r.id if isinstance(r.id, int) else text_cell(r.id)
        writer.writerow([
            record_id, local_time(r.create_time), text_cell(r.model), r.input_tokens, r.output_tokens,
            r.cache_hit_tokens, r.cache_creation_tokens, r.tokens, f"{r.price:.6g}",
        ])  # fmt: skip
        count += 1
    return count
