"""Usage records turned into what the credits sidebar and the usage screen show.

Headless (no textual/rich): the UI calls these pure functions on the
:class:`~liaobots_tui.api.account.UsageRecord` lists it has loaded.

* :func:`filter_records` by a set of models and an inclusive range of **local**
  dates (a charge at 00:30 local time belongs to that local day, whatever UTC says);
  :func:`parse_day` turns the user's ``YYYY-MM-DD`` into a date or a clear error.
* :func:`totals` / :func:`by_model` sum tokens and credits; :func:`credits_per_day`
  gives one value per local day (gaps filled with 0) for a sparkline.
* :func:`match_reply_cost` finds the usage record the gateway wrote for a reply
  (same model, charge time nearest the reply's end, each record used once);
  :func:`estimate_cost` is the fallback from the reply's token counts and a small
  rate table. The UI must label the estimate ("≈ … estimate"); :class:`ReplyCost`
  carries that flag so it cannot get lost.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from liaobots_tui.api.account import UsageRecord
from liaobots_tui.api.messages import Usage
from liaobots_tui.errors import InputError

# Re-exported for the callers that know it from here; the one credits formatter lives in numbers.py.
from liaobots_tui.numbers import format_credits as format_credits
from liaobots_tui.store.records import MessageRecord

# ---------------------------------------------------------------- dates

#: The last charge time (Unix ms) a calendar can show: 9999-12-31.
_MAX_CREATE_TIME_MS = 253_402_214_400_000


def local_day(record: UsageRecord) -> dt.date:
    """The local calendar day of a record's charge time (``create_time`` is Unix ms)."""
    try:
        return dt.datetime.fromtimestamp(record.create_time / 1000).date()
    except (OverflowError, OSError, ValueError):
        # A garbage timestamp must not break the whole table; it sorts as the epoch.
        return dt.date(1970, 1, 1)


def parse_day(text: str, *, label: str = "date") -> dt.date | None:
    """``YYYY-MM-DD`` → date; blank → None (no bound).

    Raises:
        InputError: with a message naming ``label`` and the expected form.
    """
    text = text.strip()
    if not text:
        return None
    # fromisoformat alone would also take "20260131" and "2026-W05"; insist on the one form we show.
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    raise InputError(f"{label} {text!r} is not a date; use YYYY-MM-DD, e.g. 2026-01-31")


def check_range(start: dt.date | None, end: dt.date | None) -> None:
    """Raises InputError when ``start`` is after ``end``."""
    if start is not None and end is not None and start > end:
        raise InputError(f"the start date {start.isoformat()} is after the end date {end.isoformat()}")


def model_key(model: str) -> str:
    """Model name as compared between replies and usage records (case and ``models/`` prefix ignored)."""
    return model.strip().lower().rsplit("/", 1)[-1]


# ---------------------------------------------------------------- filters and sums


def filter_records(
    records: Iterable[UsageRecord],
    *,
    models: Iterable[str] | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[UsageRecord]:
    """Records whose model is in ``models`` (None or empty: any) and whose local day is in [start, end]."""
    wanted = {model_key(m) for m in models} if models else None
    out: list[UsageRecord] = []
    for r in records:
        if wanted is not None and model_key(r.model) not in wanted:
            continue
        if start is not None or end is not None:
            day = local_day(r)
            if (start is not None and day < start) or (end is not None and day > end):
                continue
        out.append(r)
    return out


@dataclass
class Totals:
    """Sums over a set of usage records."""

    count: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_hit_tokens: int = 0
    cache_creation_tokens: int = 0
    tokens: int = 0
    credits: float = 0.0

    def add(self, r: UsageRecord) -> None:
        self.count += 1
        self.input_tokens += r.input_tokens
        self.output_tokens += r.output_tokens
        self.cache_hit_tokens += r.cache_hit_tokens
        self.cache_creation_tokens += r.cache_creation_tokens
        self.tokens += r.tokens
        self.credits += r.price


def totals(records: Iterable[UsageRecord]) -> Totals:
    out = Totals()
    for r in records:
        out.add(r)
    return out


def by_model(records: Iterable[UsageRecord]) -> list[tuple[str, Totals]]:
    """Per-model totals, most credits first (ties by name, so the order is stable)."""
    groups: dict[str, Totals] = {}
    for r in records:
        groups.setdefault(r.model, Totals()).add(r)
    return sorted(groups.items(), key=lambda kv: (-kv[1].credits, kv[0]))


def credits_per_day(
    records: Iterable[UsageRecord], *, start: dt.date | None = None, end: dt.date | None = None
) -> list[tuple[dt.date, float]]:
    """Credits per local day, oldest first, every day from the first to the last present (0 for gaps).

    ``start``/``end`` widen (or fix) the span; with no records and no bounds the list is empty.
    """
    sums: dict[dt.date, float] = {}
    for r in records:
        day = local_day(r)
        sums[day] = sums.get(day, 0.0) + r.price
    first = start if start is not None else min(sums, default=None)
    last = end if end is not None else max(sums, default=None)
    if first is None or last is None or first > last:
        return []
    # Guard against an absurd span (a bogus 1970 timestamp) producing millions of points.
    if (last - first).days > 3660:
        first = last - dt.timedelta(days=3660)
    out: list[tuple[dt.date, float]] = []
    day = first
    while day <= last:
        out.append((day, sums.get(day, 0.0)))
        day += dt.timedelta(days=1)
    return out


# ---------------------------------------------------------------- reply costs


@dataclass(frozen=True)
class ReplyCost:
    """What one reply (or a sum of replies) cost; ``exact`` is False when any part is an estimate."""

    credits: float
    exact: bool
    record: UsageRecord | None = None

    def label(self) -> str:
        """``0.12`` when exact, ``≈ 0.12 estimate`` otherwise."""
        return format_credits(self.credits) if self.exact else f"≈ {format_credits(self.credits)} estimate"


def match_reply_cost(
    records: Sequence[UsageRecord],
    model: str,
    finished_at: float,
    tolerance_s: float = 120,
    *,
    taken: set[int | str] | None = None,
    not_before: float | None = None,
) -> UsageRecord | None:
    """The usage record of ``model`` charged nearest ``finished_at`` (Unix seconds), within tolerance.

    Records whose id is in ``taken`` are skipped, and the match's id is added to it,
    so matching several replies against one record list uses each record at most once.
    Records charged before ``not_before`` (the request's start, less clock slack) are
    skipped too: a charge cannot precede its request.
    """
    key = model_key(model)
    best: UsageRecord | None = None
    best_gap = tolerance_s
    for r in records:
        if taken is not None and r.id in taken:
            continue
        if model_key(r.model) != key:
            continue
        if not 0 <= r.create_time <= _MAX_CREATE_TIME_MS:
            continue  # a garbage timestamp (past the year 9999) matches no reply, and overflows a float
        if not_before is not None and r.create_time / 1000 < not_before:
            continue
        gap = abs(r.create_time / 1000 - finished_at)
        if gap <= best_gap and (best is None or gap < best_gap):
            best, best_gap = r, gap
    if best is not None and taken is not None:
        taken.add(best.id)
    return best


#: Seconds the gateway's clock may run behind ours when checking that a charge follows its request.
CLOCK_SLACK_S = 30.0

#: Rough credits per 1,000 tokens (input, output) by model-name prefix, longest prefix wins.
#: Only for the "≈ estimate" shown until the gateway's usage record for a reply is found.
RATES: dict[str, tuple[float, float]] = {
    "gpt-5": (0.05, 0.2),
    "gpt-5.4-mini": (0.01, 0.04),
    "gpt-5-mini": (0.01, 0.04),
    "gpt-4.1": (0.04, 0.16),
    "gpt-4o": (0.05, 0.2),
    "o3": (0.04, 0.16),
    "o4-mini": (0.022, 0.088),
    "claude-opus": (0.1, 0.5),
    "claude-sonnet": (0.06, 0.3),
    "claude-haiku": (0.02, 0.1),
    "gemini-3-pro": (0.04, 0.24),
    "gemini-3-flash": (0.01, 0.06),
    "gemini-3.1-flash": (0.01, 0.06),
    "gemini-2.5-pro": (0.025, 0.2),
    "gemini-2.5-flash": (0.006, 0.05),
    "deepseek": (0.011, 0.044),
}
#: Used for models the table does not know.
DEFAULT_RATE: tuple[float, float] = (0.05, 0.2)
#: Cache reads are billed at a fraction of the input rate by every provider.
CACHE_READ_FACTOR = 0.1


def rate_for(model: str) -> tuple[float, float]:
    key = model_key(model)
    best = ""
    for prefix in RATES:
        if key.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    return RATES[best] if best else DEFAULT_RATE


def estimate_cost(model: str, usage: Usage) -> float:
    """Approximate credits for a reply from its token counts (never exact; label it as an estimate)."""
    rate_in, rate_out = rate_for(model)
    cached = min(usage.cache_read_tokens, usage.input_tokens)
    fresh_in = usage.input_tokens - cached + usage.cache_write_tokens
    out = usage.output_tokens
    cost = (fresh_in + cached * CACHE_READ_FACTOR) * rate_in / 1000 + out * rate_out / 1000
    return round(cost, 6)


def reply_cost(
    records: Sequence[UsageRecord],
    reply: MessageRecord,
    finished_at: float,
    *,
    tolerance_s: float = 120,
    taken: set[int | str] | None = None,
) -> ReplyCost | None:
    """Exact cost from a matching usage record, else an estimate from ``reply.usage``, else None.

    Match replies oldest first: a record the gateway has not written yet then leaves the
    newest reply on an estimate instead of stealing an older reply's record.
    """
    if reply.role != "assistant" or not reply.model:
        return None
    if reply.status == "failed" and not reply.parts and reply.usage is None:
        return None  # refused before any reply byte (a 502, out of credit): the gateway charged nothing
    not_before = reply.created_at - CLOCK_SLACK_S if reply.created_at else None
    record = match_reply_cost(
        records, reply.model, finished_at, tolerance_s, taken=taken, not_before=not_before
    )
    if record is not None:
        return ReplyCost(record.price, True, record)
    if reply.usage is None:
        return None
    return ReplyCost(estimate_cost(reply.model, reply.usage), False)


def sum_costs(costs: Iterable[ReplyCost | None]) -> ReplyCost | None:
    """Total of the known costs; exact only when every part was exact and none was unknown."""
    total = 0.0
    exact = True
    any_known = False
    for c in costs:
        if c is None:
            exact = False
            continue
        any_known = True
        total += c.credits
        exact = exact and c.exact
    return ReplyCost(round(total, 6), exact) if any_known else None
