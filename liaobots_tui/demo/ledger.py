"""The fake gateway's credit account: balance, amount and usage records, as ``/api/v1/credits`` shows them.

Records are kept newest first with strictly decreasing integer ids. A page
holds the records with ``id <= nextId`` (the newest page when there is no
cursor); its ``nextId`` is the id of the first record of the following page as
a string, or ``""`` on the last page, as in the Liaobots docs.
"""

from __future__ import annotations

import bisect
import random
import threading
import time
from typing import Any

from liaobots_tui.demo.replies import MODELS, price

#: Page size when ``pageSize`` is missing or unusable, and the largest page served.
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

_FIRST_ID = 1_234_000_000
_DAY_MS = 86_400_000
#: The newest seeded record is this old at least (ms): older than any reply a usage match could take it for.
SEED_MIN_AGE_MS = 30 * 60_000


def seed_records(count: int, now_ms: int) -> list[dict[str, Any]]:
    """``count`` plausible records spread over the 30 days before ``now_ms``, newest first.

    Deterministic apart from the time base: the same count gives the same models,
    tokens, prices and spacing.
    """
    rng = random.Random(20260801)
    models = list(MODELS)
    weights = [8, 6, 7, 2, 5, 6, 2, 3, 3, 2]
    span = 30 * _DAY_MS
    # None newer than SEED_MIN_AGE_MS: the newest (22.8 s old) matched a reply the previous demo
    # run had just made (same model, within the 120 s the credits panel allows), so after a restart
    # that chat's total jumped from 0.279 to "≈ 0.791". Only the few newest move; the rest stay put.
    offsets = sorted((max(SEED_MIN_AGE_MS, rng.randrange(span)) for _ in range(count)), reverse=True)
    records: list[dict[str, Any]] = []
    next_id = _FIRST_ID
    for offset in offsets:
        next_id += rng.randint(1, 9)
        model = rng.choices(models, weights)[0]
        input_tokens = rng.randint(20, 6000)
        output_tokens = rng.randint(40, 2500)
        cached = rng.choice((0, 0, 0, input_tokens // 2))
        records.append(
            {
                "id": next_id,
                "tokens": input_tokens + output_tokens,
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "model": model,
                "price": price(model, input_tokens, output_tokens),
                "cache_hit_tokens": cached,
                "cache_creation_tokens": rng.choice((0, 0, 0, 0, 1024)) if "claude" in model else 0,
                "create_time": now_ms - offset,
            }
        )
    records.reverse()
    return records


def _int_param(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class Ledger:
    """Thread-safe credits state shared by every domain of a gateway."""

    def __init__(self, balance: float, seed: int) -> None:
        self.lock = threading.Lock()
        self.records: list[dict[str, Any]] = seed_records(seed, int(time.time() * 1000))
        spent: float = sum(r["price"] for r in self.records)
        self.balance: float = balance
        #: Total credits received: what is left plus what the history spent.
        self.amount: float = round(balance + spent, 2)

    def charge(self, model: str, input_tokens: int, output_tokens: int, cache_hit: int = 0) -> dict[str, Any]:
        """Book one completed request: add its record (newest first) and take its price off the balance."""
        cost = price(model, input_tokens, output_tokens)
        with self.lock:
            newest = self.records[0]["id"] if self.records else _FIRST_ID
            record = {
                "id": newest + 1,
                "tokens": input_tokens + output_tokens,
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "model": model,
                "price": cost,
                "cache_hit_tokens": cache_hit,
                "cache_creation_tokens": 0,
                "create_time": int(time.time() * 1000),
            }
            self.records.insert(0, record)
            self.balance = round(self.balance - cost, 6)
        return record

    def credits_body(self, query: dict[str, str]) -> dict[str, Any]:
        """The JSON body of ``GET /api/v1/credits`` for these query parameters."""
        with self.lock:
            data: dict[str, Any] = {"balance": self.balance, "amount": self.amount}
            if query.get("include_usage", "").lower() != "true":
                return {"data": data}
            size = _int_param(query.get("pageSize")) or DEFAULT_PAGE_SIZE
            size = min(max(size, 1), MAX_PAGE_SIZE)
            cursor = _int_param(query.get("nextId") or None)
            start = 0
            if cursor is not None:
                # Records are sorted by id descending; find the first with id <= cursor.
                start = bisect.bisect_left(self.records, -cursor, key=lambda r: -r["id"])
            page = self.records[start : start + size]
            following = start + size
            next_id = str(self.records[following]["id"]) if following < len(self.records) else ""
            data["usage"] = {"pageSize": size, "nextId": next_id, "list": [dict(r) for r in page]}
            return {"data": data}
