"""Map gateway error answers (any of the three error envelopes, or an HTML page) to our errors.

Bodies: OpenAI ``{"error":{message,type,code}}``, Anthropic
``{"type":"error","error":{type,message}}``, Gemini ``{"error":{code,message,status,details}}``
(also wrapped in a one-element list). Out-of-credit answers come as 402, or as
429/403 with ``insufficient_quota``/balance wording: they are never retried.
The same wording *inside* a reply (after HTTP 200) is the upstream provider's
quota, not the user's Liaobots balance: :class:`UpstreamQuotaError`.

Every text taken from a body is made one clean line (:func:`clean_line`: no
terminal controls, bounded). The transport scrubs the auth code from the raw
body before it reaches this module, so no cut here can leave a piece of it.
"""

from __future__ import annotations

import email.utils
import math
import re
import time
from collections.abc import Mapping
from typing import Any

from liaobots_tui.api.limits import loads
from liaobots_tui.api.messages import ErrorEvent
from liaobots_tui.api.sanitize import clean_line
from liaobots_tui.errors import (
    AuthError,
    BadResponseError,
    InsufficientCreditsError,
    LiaobotsError,
    RateLimitError,
    UpstreamError,
    UpstreamQuotaError,
)

_CREDIT_WORDS = re.compile(
    r"insufficient[_ ]quota|insufficient[_ ]balance|credit|balance|billing|quota exceeded", re.I
)
_MAX_MESSAGE = 300


def _unwrap(body: Any) -> Any:
    if isinstance(body, list) and len(body) == 1:
        return body[0]
    return body


def error_fields(body: Any) -> tuple[str, str, list[Any]]:
    """(message, code-or-type, details) from any error envelope; empty strings when absent."""
    body = _unwrap(body)
    if not isinstance(body, dict):
        return "", "", []
    err = body.get("error", body)
    if isinstance(err, str):
        return err, "", []
    if not isinstance(err, dict):
        return "", "", []
    message = err.get("message")
    code = err.get("code") if isinstance(err.get("code"), str) else None
    code = code or err.get("type") or err.get("status") or ""
    details = err.get("details") if isinstance(err.get("details"), list) else []
    text = message if isinstance(message, str) else ("" if message is None else _short_repr(message))
    return text, clean_line(_short_repr(code) if not isinstance(code, str) else code, 80), list(details or [])


def _short_repr(value: Any) -> str:
    """A non-string field as text, without building a huge (or deeply recursive) repr."""
    if isinstance(value, int | float | bool):
        return str(value)
    return f"<{type(value).__name__}>"


def _summarize_text(body: str, status: int) -> str:
    text = body.strip()
    if text.startswith("<") or "<html" in text[:200].lower():
        # Bounded search: a title is near the top, and a lazy .*? over megabytes is slow.
        title = re.search(r"<title>(.{0,2000}?)</title>", text[:20_000], re.I | re.S)
        what = clean_line(title.group(1), 120) if title else ""
        return f"HTTP {status}: {what or 'HTML error page'}"
    text = clean_line(text[: _MAX_MESSAGE * 4], _MAX_MESSAGE)
    return f"HTTP {status}: {text}" if text else f"HTTP {status}"


def retry_after_seconds(headers: Mapping[str, str], details: list[Any] | None = None) -> float | None:
    """Server's wait hint: ``retry-after-ms``, ``retry-after`` (seconds or date), Gemini ``retryDelay``.

    A hint that is not a finite number ("nan", "inf") counts as no hint.
    """
    hint = _retry_after(headers, details)
    return max(0.0, hint) if hint is not None else None


def _retry_after(headers: Mapping[str, str], details: list[Any] | None) -> float | None:
    lower = {k.lower(): v for k, v in headers.items()}
    ms = lower.get("retry-after-ms")
    if ms and (number := _finite(ms)) is not None:
        return number / 1000
    ra = lower.get("retry-after")
    if ra:
        if (number := _finite(ra)) is not None:
            return number
        try:
            parsed = email.utils.parsedate_to_datetime(ra[:100])
            return parsed.timestamp() - time.time()
        except (ValueError, TypeError, IndexError, OverflowError):
            pass  # neither seconds nor a date: no hint
    for d in details or []:
        if isinstance(d, dict) and isinstance(d.get("retryDelay"), str):
            m = re.fullmatch(r"\s*(\d{1,6}(?:\.\d{1,6})?)s\s*", d["retryDelay"][:40])
            if m:
                return float(m.group(1))
    return None


def _finite(text: str) -> float | None:
    try:
        number = float(text[:40])
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def error_from_body(
    status: int | None, body: Any, headers: Mapping[str, str] | None = None, *, in_reply: bool = False
) -> LiaobotsError:
    """Classify a decoded error envelope: an HTTP error body, or (``in_reply``) one inside a 200 reply."""
    message, code, details = error_fields(body)
    message = clean_line(message, _MAX_MESSAGE) or (f"HTTP {status}" if status else "unknown error")
    reasons = " ".join(
        d["reason"][:100] for d in details[:20] if isinstance(d, dict) and isinstance(d.get("reason"), str)
    )
    hay = f"{code} {message} {reasons}"
    lowered = code.lower()
    if (
        status == 402
        or "insufficient_quota" in lowered
        or "billing" in lowered
        or (status in (403, 429) and _CREDIT_WORDS.search(hay))
    ):
        if in_reply:
            # The gateway accepted (and started) the request: this is the provider behind it.
            return UpstreamQuotaError(
                f"{message} (the model's provider reports its quota used up; "
                "that is not your Liaobots balance: see `liaobots credits`)",
                status=status,
            )
        return InsufficientCreditsError(message, status=status)
    if (
        status in (401, 403)
        or "authentication" in lowered
        or "permission" in lowered
        or "API_KEY_INVALID" in hay
    ):
        return AuthError(message, status=status)
    if (
        status in (429, 529, 503)
        or "overloaded" in lowered
        or "rate_limit" in lowered
        or "RESOURCE_EXHAUSTED" in code
    ):
        return RateLimitError(message, status=status, retry_after=retry_after_seconds(headers or {}, details))
    retryable = status is not None and status >= 500
    if status is not None and f"HTTP {status}" not in message:
        message = f"{message} (HTTP {status})"
    return UpstreamError(message, status=status, retryable=retryable)


def error_from_http(status: int, body: str, headers: Mapping[str, str]) -> LiaobotsError:
    """Classify a non-2xx HTTP answer from its raw body text."""
    try:
        decoded = loads(body, "The error body")
    except (ValueError, BadResponseError):
        decoded = None
    if decoded is None or not error_fields(decoded)[0]:
        summary = _summarize_text(body, status)
        decoded = {"error": {"message": summary}}
    return error_from_body(status, decoded, headers)


def to_event(error: LiaobotsError) -> ErrorEvent:
    return ErrorEvent(
        error.title, error.message, retryable=error.retryable, kind=error.kind, status=error.status
    )


def stream_error_event(body: Any) -> ErrorEvent:
    """An error envelope that arrived inside a 200 stream, as the event that ends the reply.

    Gemini puts the HTTP-like status in ``error.code`` (503 UNAVAILABLE); use it so
    the event says whether trying again later may help.
    """
    inner = _unwrap(body)
    err = inner.get("error") if isinstance(inner, dict) else None
    code = err.get("code") if isinstance(err, dict) else None
    status = code if isinstance(code, int) and not isinstance(code, bool) and 400 <= code < 600 else None
    return to_event(error_from_body(status, body, in_reply=True))


def bad_response(detail: str) -> ErrorEvent:
    """The event for a chunk we cannot read (never an exception: the stream just fails)."""
    return to_event(BadResponseError(detail))
