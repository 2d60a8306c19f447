"""``liaobots usage`` and ``liaobots credits``: the account numbers on the command line.

Filters are the app's usage screen's (:mod:`liaobots_tui.usage_stats`): a model
(case and ``models/`` prefix ignored) and an inclusive range of local dates.
The human table uses the one credits formatter (:mod:`liaobots_tui.numbers`):
thousands separators, local time, credits decimal-aligned, and a totals line;
``--csv`` and ``--json`` stay machine-readable (ISO 8601 times, raw records).
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from typing import TextIO

from liaobots_tui.api.account import UsageRecord
from liaobots_tui.api.sanitize import clean_line, terminal_json
from liaobots_tui.errors import InputError
from liaobots_tui.numbers import align_decimals, credits_text, format_count, format_credits, local_time_text
from liaobots_tui.usage_stats import check_range, filter_records, local_day, parse_day, totals

#: Records shown when neither --limit nor --all is given.
DEFAULT_LIMIT = 50
#: Widest model name shown in the human table (longer ones are cut with "…").
MODEL_WIDTH = 32


class UsageQuery:
    """What ``usage`` was asked for: filters checked up front, before any request."""

    def __init__(self, args: argparse.Namespace) -> None:
        if args.page_size < 1 or (args.limit is not None and args.limit < 1):
            raise InputError("--page-size and --limit must be at least 1")
        self.page_size: int = args.page_size
        self.limit: int | None = None if args.all else (args.limit or DEFAULT_LIMIT)
        self.model: str | None = args.model.strip() if args.model and args.model.strip() else None
        self.since = parse_day(args.since or "", label="--since")
        self.until = parse_day(args.until or "", label="--until")
        check_range(self.since, self.until)

    @property
    def filtered(self) -> bool:
        return bool(self.model or self.since or self.until)

    async def collect(self, records: AsyncIterator[UsageRecord]) -> list[UsageRecord]:
        """The matching records, newest first, at most ``limit``.

        The gateway lists newest first, so the walk stops at the first record
        older than ``--since``: the rest of the history cannot match.
        """
        out: list[UsageRecord] = []
        async for record in records:
            if self.since is not None and record.create_time > 0 and local_day(record) < self.since:
                break
            out.extend(
                filter_records(
                    [record], models=[self.model] if self.model else None, start=self.since, end=self.until
                )
            )
            if self.limit is not None and len(out) >= self.limit:
                break
        return out


def print_usage_table(records: list[UsageRecord], out: TextIO) -> None:
    """The human table: local time, model, tokens with separators, credits aligned, then the totals."""
    prices = align_decimals([format_credits(r.price) for r in records])
    price_width = max([len("credits"), *(len(p) for p in prices)])
    header = f"{'time (local)':<19}  {'model':<{MODEL_WIDTH}}  {'input':>10}  {'output':>10}  "
    out.write(header + f"{'credits':>{price_width}}\n")
    for r, price in zip(records, prices, strict=True):
        model = clean_line(r.model)
        if len(model) > MODEL_WIDTH:
            model = model[: MODEL_WIDTH - 1] + "…"
        out.write(
            f"{local_time_text(r.create_time):<19}  {model:<{MODEL_WIDTH}}  "
            f"{format_count(r.input_tokens):>10}  {format_count(r.output_tokens):>10}  "
            f"{price:>{price_width}}\n"
        )
    t = totals(records)
    out.write(
        f"{format_count(t.count)} records · input {format_count(t.input_tokens)} · "
        f"output {format_count(t.output_tokens)} · {credits_text(t.credits)}\n"
    )


def print_records(records: list[UsageRecord], args: argparse.Namespace, out: TextIO) -> None:
    """``usage`` output in the form asked for."""
    from liaobots_tui.usage_csv import write_usage_csv

    if args.json:
        out.write(terminal_json([r.raw for r in records]) + "\n")
    elif args.csv:
        write_usage_csv(records, out)
    else:
        print_usage_table(records, out)


def balance_line(balance: float, amount: float) -> str:
    """``Balance: 85.50 of 100.00 credits (86% left)``."""
    if amount:
        return f"Balance: {format_credits(balance)} of {credits_text(amount)} ({balance / amount:.0%} left)"
    return f"Balance: {credits_text(balance)}"

