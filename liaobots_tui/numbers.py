"""How credits, token counts and charge times are written, the same in the CLI and the app.

Headless (no textual/rich). One formatter for credits everywhere:

* :func:`format_credits`: sensible significant digits with thousands separators.
  From 1 up, two decimals (``1,234.50``, ``8.20``); below 1, three significant
  digits and at least two decimals (``0.50``, ``0.0505``, ``0.0177``), never more
  than six (``< 0.000001`` below that), so a table of small charges does not
  read as noise like ``0.017655``.
* :func:`credits_text`: the same with the one unit word, ``8.20 credits``.
* :func:`align_decimals`: pads a column of such numbers so the decimal points line up.
* :func:`format_count`: token and record counts with thousands separators.
* :func:`local_time_text`: a charge time (Unix ms) as local ``YYYY-MM-DD HH:MM:SS``
  for people; exports keep ISO 8601 with the offset (``usage_csv.local_time``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

#: The one word for the unit, everywhere.
UNIT = "credits"
#: Significant digits shown for amounts below 1.
SMALL_DIGITS = 3
#: Most decimals ever shown; anything smaller reads as below this.
MAX_DECIMALS = 6
_TINY = "< 0." + "0" * (MAX_DECIMALS - 1) + "1"


def format_credits(value: float) -> str:
    """Credits for people: ``0``, ``0.0505``, ``0.434``, ``8.20``, ``1,234.50``, ``< 0.000001``."""
    if not math.isfinite(value):
        return "?"  # a garbage amount from the gateway must not print as "nan" or "inf"
    if value == 0:
        return "0"
    magnitude = abs(value)
    sign = "-" if value < 0 else ""
    if magnitude >= 1:
        return f"{value:,.2f}"
    # Decimals for SMALL_DIGITS significant digits: 0.0505 has its first digit at 10^-2, so 4 decimals.
    first_digit = math.floor(math.log10(magnitude))
    decimals = min(MAX_DECIMALS, max(2, SMALL_DIGITS - 1 - first_digit))
    text = f"{magnitude:.{decimals}f}"
    if float(text) == 0:
        return _TINY if not sign else f"> -{_TINY[2:]}"
    if float(text) >= 1:  # 0.9996 rounds up: say it the way amounts from 1 up are said
        return f"{sign}1.00"
    # Trailing zeros say nothing (0.0500 is 0.05) but keep two decimals, as amounts from 1 up have.
    whole, frac = text.split(".")
    frac = frac.rstrip("0").ljust(2, "0")
    return f"{sign}{whole}.{frac}"


def credits_text(value: float) -> str:
    """``8.20 credits``: the amount with the unit word."""
    return f"{format_credits(value)} {UNIT}"


def align_decimals(texts: Sequence[str], *, min_fraction: int = 0) -> list[str]:
    """Pad formatted numbers to one width with their decimal points in one column.

    Texts without a point (``0``, ``?``) line up as if the point followed them.
    ``min_fraction`` reserves that many characters for the point and decimals, so
    rows added later (a table filled page by page) line up with these.
    """
    split = [t.partition(".") for t in texts]
    whole_width = max((len(w) for w, _, _ in split), default=0)
    frac_width = max([min_fraction, *(fraction_width(t) for t in texts)])
    return [w.rjust(whole_width) + (p + f).ljust(frac_width) for w, p, f in split]


def fraction_width(text: str) -> int:
    """Characters from the decimal point to the end (0 without a point): what :func:`align_decimals` pads."""
    whole, point, fraction = text.partition(".")
    return len(point) + len(fraction)


def format_count(value: int) -> str:
    """``12,345``: tokens and records."""
    return f"{value:,}"


def local_time_text(create_time_ms: int) -> str:
    """A charge time (Unix ms) in the local zone, ``YYYY-MM-DD HH:MM:SS``; ``?`` when no calendar shows it."""
    if create_time_ms <= 0:  # the account parser's "unknown" for a time no calendar can show
        return "?"
    try:
        return dt.datetime.fromtimestamp(create_time_ms / 1000).strftime("%Y-%m-%d %H:%M:%S")
    except (OverflowError, OSError, ValueError):  # past the year 9999: the gateway's garbage
        return "?"
