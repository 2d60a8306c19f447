"""The gateway's account endpoints: credit balance and paged usage records.

Wire format (``GET /api/v1/credits``, ``Authorization: Bearer <code>``)::

    {"data": {"balance": 85.5, "amount": 100.0,
              "usage": {"pageSize": 50, "nextId": "1234567890",
                        "list": [{"id": 1234567891, "model": "gpt-5.4", "tokens": 1200,
                                  "input_tokens": 800, "output_tokens": 400, "price": 0.12,
                                  "cache_hit_tokens": 0, "cache_creation_tokens": 0,
                                  "create_time": 1760000000000}]}}}

``usage`` appears only with ``include_usage=true``; ``pageSize`` and ``nextId``
page through it, and an empty ``nextId`` means no more records. Record fields
are read tolerantly (missing, ``null`` or numbers sent as strings become 0),
since one odd record must not hide the whole table; a reply whose *shape* is
wrong raises :class:`BadResponseError`.

Everything taken from a record is untrusted: the model name and id become one
clean line (no terminal controls, bounded), and ``raw`` keeps only the record's
scalar fields, strings cleaned the same way, so ``usage --json`` can neither
carry escapes nor nest without end. A usage walk is bounded in pages, records
and time (:class:`~liaobots_tui.api.limits.Limits`): past a cap it stops with
:class:`ReplyTooLarge` saying how to narrow the query.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from liaobots_tui.api.http_errors import error_fields, error_from_body
from liaobots_tui.api.sanitize import MAX_COUNT, clean_line
from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.errors import BadResponseError, InputError, LiaobotsError, ReplyTooLarge

_T = TypeVar("_T")

CREDITS_PATH = "/api/v1/credits"


@dataclass(frozen=True)
class Credits:
    """Remaining credits and the total ever received."""

    balance: float
    amount: float


@dataclass(frozen=True)
class UsageRecord:
    """One charge. ``create_time`` is Unix milliseconds; ``raw`` is the record as sent."""

    id: int | str
    model: str
    tokens: int
    input_tokens: int
    output_tokens: int
    cache_hit_tokens: int
    cache_creation_tokens: int
    price: float
    create_time: int
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, item: dict[str, Any]) -> UsageRecord:
        """Read one ``usage.list[]`` entry, tolerating missing, null and string-typed numbers."""
        raw_id = item.get("id")
        record_id: int | str = (
            raw_id
            if isinstance(raw_id, int) and not isinstance(raw_id, bool)
            else clean_line(_str(raw_id), 100)
        )
        input_tokens = _int(item.get("input_tokens"))
        output_tokens = _int(item.get("output_tokens"))
        # Older records may lack the total; the sum is the best stand-in.
        tokens = _int(item.get("tokens")) if item.get("tokens") is not None else input_tokens + output_tokens
        return cls(
            id=record_id,
            model=clean_line(_str(item.get("model"))[:1000], 200),
            tokens=tokens,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cache_hit_tokens=_int(item.get("cache_hit_tokens")),
            cache_creation_tokens=_int(item.get("cache_creation_tokens")),
            price=_float(item.get("price")),
            create_time=_time(item.get("create_time")),
            raw=_scalars(item),
        )


@dataclass(frozen=True)
class UsagePage:
    """One page of usage records; ``next_id`` is the cursor for the next page ("" = last page)."""

    records: list[UsageRecord]
    next_id: str


async def _get(
    client: GatewayClient, parse: Callable[[Any], _T], params: Mapping[str, str] | None = None
) -> _T:
    """GET the credits endpoint and parse its JSON with ``parse``."""
    body = await client.get_json(CREDITS_PATH, params=params)
    try:
        return parse(body)
    except LiaobotsError as exc:
        # The messages quote what the gateway sent, which may echo the auth code back.
        raise client.scrub_error(exc) from None


async def fetch_credits(client: GatewayClient) -> Credits:
    """The current balance.

    Raises:
        LiaobotsError: AuthError, network errors…; BadResponseError for a reply without a balance.
    """
    return await _get(client, _credits)


def _credits(body: Any) -> Credits:
    data = _data(body, "credits")
    balance = _number_or_none(data.get("balance"))
    if balance is None:
        value = data.get("balance")
        # Never repr() a gateway value whole: it may be megabytes, or nested past the stack.
        got = repr(clean_line(value[:200], 60)) if isinstance(value, str) else str(value)[:40]
        if isinstance(value, dict | list):
            got = type(value).__name__
        raise BadResponseError(f"The credits reply has no numeric balance (got {got}).")
    amount = _number_or_none(data.get("amount"))
    return Credits(balance=balance, amount=amount if amount is not None else 0.0)


async def fetch_usage_page(client: GatewayClient, *, page_size: int = 50, next_id: str = "") -> UsagePage:
    """One page of usage records, newest first as the gateway sends them.

    Raises:
        InputError: for a page size below 1.
        LiaobotsError: request failures; BadResponseError for a malformed page.
    """
    if page_size < 1:
        raise InputError(f"page size must be at least 1, not {page_size}")
    params = {"include_usage": "true", "pageSize": str(page_size)}
    if next_id:
        params["nextId"] = next_id
    return await _get(client, _usage_page, params)


def _usage_page(body: Any) -> UsagePage:
    data = _data(body, "usage")
    usage = data.get("usage")
    if usage is None:
        # A code with no charges yet may come back without a usage object.
        return UsagePage([], "")
    if not isinstance(usage, dict):
        raise BadResponseError(f"The usage reply's 'usage' is not an object (got {type(usage).__name__}).")
    items = usage.get("list")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise BadResponseError(f"The usage reply's 'usage.list' is not a list (got {type(items).__name__}).")
    records: list[UsageRecord] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise BadResponseError(f"Usage record {index} is not an object (got {type(item).__name__}).")
        records.append(UsageRecord.from_json(item))
    return UsagePage(records, _str(usage.get("nextId")))


async def iter_usage(
    client: GatewayClient, *, page_size: int = 50, limit: int | None = None
) -> AsyncIterator[UsageRecord]:
    """Every usage record, following ``nextId`` page by page; stops after ``limit`` records.

    An empty page also ends the walk (there is nothing to show past it).

    Raises:
        BadResponseError: when the gateway hands back a cursor it already gave
            (that would loop forever).
        LiaobotsError: request failures, as :func:`fetch_usage_page`.
    """
    if limit is not None and limit <= 0:
        return
    caps = client.limits
    started = time.monotonic()
    seen: set[str] = set()
    cursor = ""
    count = 0
    pages = 0
    while True:
        # The first page is always fetched: the caps bound a walk, not a single look.
        if pages and (pages >= caps.max_usage_pages or time.monotonic() - started > caps.max_usage_seconds):
            what = f"{pages} pages" if pages >= caps.max_usage_pages else f"{caps.max_usage_seconds:g} s"
            raise _walk_too_long(f"stopped after {what} and {count} records")
        page = await fetch_usage_page(client, page_size=page_size, next_id=cursor)
        pages += 1
        for record in page.records:
            if count >= caps.max_usage_records:
                raise _walk_too_long(f"stopped at {count} records")
            yield record
            count += 1
            if limit is not None and count >= limit:
                return
        if not page.next_id or not page.records:
            return
        if page.next_id == cursor or page.next_id in seen:
            shown = clean_line(page.next_id, 40)
            raise client.scrub_error(
                BadResponseError(
                    f"The usage list repeats the page cursor {shown!r}; stopped after {count} records."
                )
            )
        seen.add(page.next_id)
        cursor = page.next_id


def _walk_too_long(where: str) -> ReplyTooLarge:
    return ReplyTooLarge(f"The usage list does not end ({where}); narrow the query with --limit N.")


# ---------------------------------------------------------------- tolerant field readers


def _data(body: Any, what: str) -> dict[str, Any]:
    """The ``data`` object of an account reply, or the error the gateway put in its place."""
    if isinstance(body, dict):
        data = body.get("data")
        if isinstance(data, dict):
            return data
        # Some gateways answer 200 with an error envelope instead of an HTTP error.
        if data is None and error_fields(body)[0]:
            raise error_from_body(None, body)
    raise BadResponseError(f"The {what} reply has no 'data' object.")


def _number_or_none(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _float(value: Any) -> float:
    number = _number_or_none(value)
    return number if number is not None else 0.0


def _int(value: Any) -> int:
    """A count or time from a record; anything outside ±2**53 (or not a number) is 0."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value.strip()) <= 20:
        number = int(value.strip())  # exact for big millisecond timestamps and ids
    else:
        number = int(_float(value)) if abs(_float(value)) <= MAX_COUNT else 0
    return number if -MAX_COUNT <= number <= MAX_COUNT else 0


#: Longest string field kept in a record's ``raw`` copy.
_MAX_RAW_STRING = 1000


def _scalars(item: dict[str, Any]) -> dict[str, Any]:
    """The record's scalar fields (strings cleaned and capped); nested values are dropped.

    Nested values mean nothing to a usage table, and an object nested 900 deep
    would otherwise travel on to ``json.dumps`` in ``usage --json``.
    """
    kept: dict[str, Any] = {}
    for key, value in list(item.items())[:100]:
        name = clean_line(str(key), 100)
        if isinstance(value, str):
            kept[name] = clean_line(value[: _MAX_RAW_STRING * 2], _MAX_RAW_STRING)
        elif value is None or isinstance(value, bool | int | float):
            kept[name] = value
    return kept


#: 9999-12-31T23:59:59.999Z in Unix milliseconds: later times cannot be shown as dates.
_LAST_TIME_MS = 253_402_300_799_999


def _time(value: Any) -> int:
    """``create_time`` in Unix ms, or 0 ("unknown") for a time no calendar can show."""
    millis = _int(value)
    return millis if 0 <= millis <= _LAST_TIME_MS else 0


def _str(value: Any) -> str:
    if value is None or isinstance(value, dict | list):
        return ""  # an object where a name or id belongs names nothing (and str() of it could recurse)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
