"""The line under a finished reply: tokens in and out, how long it took, what it cost.

``1,234 in · 567 out · 12.3 s · 0.0529 credits`` once the gateway's usage record
for the reply is found, ``… · ≈ 0.0529 credits`` while the cost is an estimate
from the token counts. Parts that are unknown are left out (a reply stored before
end times were kept has no duration; a stream cut before its usage report has no
token counts). Headless: the app and the CLI can both show it.
"""

from __future__ import annotations

from liaobots_tui.numbers import credits_text, format_count
from liaobots_tui.store import MessageRecord
from liaobots_tui.usage_stats import ReplyCost

#: Longer than this, a duration is a clock error (a reply ended before it started, or days later).
MAX_ELAPSED_S = 24 * 3600.0


def elapsed_text(seconds: float) -> str:
    """``0.8 s``, ``12.3 s``, ``2 min 05 s``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes} min {rest:02d} s"


def reply_elapsed(message: MessageRecord) -> float | None:
    """Seconds from the request to the reply's end; None when unknown or not believable."""
    if message.ended_at is None or message.created_at <= 0:
        return None
    seconds = message.ended_at - message.created_at
    return seconds if 0 <= seconds <= MAX_ELAPSED_S else None


def reply_line(message: MessageRecord, cost: ReplyCost | None) -> str:
    """The line for ``message`` (an assistant reply); "" when nothing about it is known."""
    usage = message.usage
    if message.status == "failed" and usage is None and cost is None:
        return ""  # its notice says what went wrong; how fast it failed is noise
    pieces: list[str] = []
    if usage is not None and (usage.input_tokens or usage.output_tokens):
        pieces.append(f"{format_count(usage.input_tokens)} in")
        out = f"{format_count(usage.output_tokens)} out"
        if usage.reasoning_tokens:
            out += f" ({format_count(usage.reasoning_tokens)} thinking)"
        pieces.append(out)
    seconds = reply_elapsed(message)
    if seconds is not None:
        pieces.append(elapsed_text(seconds))
    if cost is not None:
        pieces.append(credits_text(cost.credits) if cost.exact else f"≈ {credits_text(cost.credits)}")
    return " · ".join(pieces)
