"""Map gateway error answers (any of the three error envelopes, or an HTML page) to our errors.

Bodies: OpenAI ``{"error":{message,type,code}}``, Anthropic
``{"type":"error","error":{type,message}}``, Gemini ``{"error":{code,message,status,details}}``
(also wrapped in a one-element list). Out-of-credit answers come as 402, or as
429/403 with ``insufficient_quota``/balance wording: they are never retried.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Mapping
from typing import Any

from liaobots_tui.api.messages import ErrorEvent
from liaobots_tui.errors import (
    AuthError,
    BadResponseError,
    InsufficientCreditsError,
    LiaobotsError,
    RateLimitError,
    UpstreamError,
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
    return (str(message) if message is not None else ""), str(code), list(details or [])


def _summarize_text(body: str, status: int) -> str:
    text = body.strip()
    if text.startswith("<") or "<html" in text[:200].lower():
        title = re.search(r"<title>(.*?)</title>", text, re.I | re.S)
        what = title.group(1).strip() if title else "HTML error page"
        return f"HTTP {status}: {' '.join(what.split())[:120]}"
    text = " ".join(text.split())
    return f"HTTP {status}: {text[:_MAX_MESSAGE]}" if text else f"HTTP {status}"


def retry_after_seconds(headers: Mapping[str, str], details: list[Any] | None = None) -> float | None:
    """Server's wait hint: ``retry-after-ms``, ``retry-after`` (seconds or date), Gemini ``retryDelay``."""
    lower = {k.lower(): v for k, v in headers.items()}
    ms = lower.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    ra = lower.get("retry-after")
    if ra:
        try:
            return max(0.0, float(ra))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(ra) if ra else None
            if parsed is not None:
                return max(0.0, parsed.timestamp() - time.time())
    for d in details or []:
        if isinstance(d, dict) and isinstance(d.get("retryDelay"), str):
            m = re.fullmatch(r"\s*([\d.]+)s\s*", d["retryDelay"])
            if m:
                return float(m.group(1))
    return None


def error_from_body(status: int | None, body: Any, headers: Mapping[str, str] | None = None) -> LiaobotsError:
    """Classify a decoded error envelope (HTTP error body or an error inside a 200 stream)."""
    message, code, details = error_fields(body)
    message = " ".join(message.split())[:_MAX_MESSAGE] or (f"HTTP {status}" if status else "unknown error")
    reasons = " ".join(str(d.get("reason", "")) for d in details if isinstance(d, dict))
    hay = f"{code} {message} {reasons}"
    lowered = code.lower()
    if (
        status == 402
        or "insufficient_quota" in lowered
        or "billing" in lowered
        or (status in (403, 429) and _CREDIT_WORDS.search(hay))
    ):
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
        decoded = json.loads(body)
    except ValueError:
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
    return to_event(error_from_body(status, body))


def bad_response(detail: str) -> ErrorEvent:
    """The event for a chunk we cannot read (never an exception: the stream just fails)."""
    return to_event(BadResponseError(detail))
