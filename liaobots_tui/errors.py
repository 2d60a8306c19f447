"""The one exception family of liaobots-tui.

Every failure a user can meet is a :class:`LiaobotsError` with a short human
``title`` ("Out of credits", "Rate limited") and a one-line message. The CLI
prints ``title: message`` to stderr; the app shows both in place. Nothing here
may ever hold the auth code: messages are built from gateway replies, which
never echo it, and from our own wording.
"""

from __future__ import annotations

from typing import ClassVar


class LiaobotsError(Exception):
    """Base of every error we show to a user."""

    title: ClassVar[str] = "Error"
    #: What kind of failure, for events and JSON output (stable strings).
    kind: ClassVar[str] = "error"
    #: Whether trying the same request again later may succeed.
    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return self.message

    def one_line(self) -> str:
        """``Title: message`` on a single line, for stderr and notifications."""
        text = " ".join(self.message.split())
        return f"{self.title}: {text}" if text else self.title


class ConfigError(LiaobotsError):
    """The config file, a flag or an environment variable is wrong."""

    title = "Configuration error"
    kind = "config"


class InputError(LiaobotsError):
    """Something the user gave us is unusable (file, option value, prompt)."""

    title = "Invalid input"
    kind = "input"


class AuthError(LiaobotsError):
    """The gateway rejected the auth code (401/403, Gemini API_KEY_INVALID)."""

    title = "Authentication failed"
    kind = "auth"


class InsufficientCreditsError(LiaobotsError):
    """Out of credit: never retried, since waiting will not help."""

    title = "Out of credits"
    kind = "credits"


class RateLimitError(LiaobotsError):
    """429/529/503 overload; ``retry_after`` is the server's hint in seconds."""

    title = "Rate limited"
    kind = "rate_limit"
    retryable = True

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class UpstreamError(LiaobotsError):
    """The gateway or the model answered with an error (status and its message)."""

    title = "Upstream error"
    kind = "upstream"

    def __init__(self, message: str, *, status: int | None = None, retryable: bool = False) -> None:
        super().__init__(message, status=status)
        self.retryable = retryable  # type: ignore[misc]


class GatewayUnavailable(UpstreamError):
    """Every domain answered, each with a proxy error (502/503/504): the gateway is down, not our network."""

    title = "Gateway error"

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message, status=status, retryable=True)


class UpstreamQuotaError(UpstreamError):
    """An upstream provider's quota error (``insufficient_quota``) inside a reply.

    It is the provider's quota behind the gateway, not the user's Liaobots balance:
    only the gateway's own credits can say the user is out of credit.
    """

    title = "Upstream quota exhausted"
    kind = "upstream_quota"


class NetworkError(LiaobotsError):
    """No usable connection: refused, DNS, TLS, timeout before the reply began."""

    title = "Network error"
    kind = "network"
    retryable = True


class AllDomainsUnreachable(NetworkError):
    """Every configured domain failed before any byte of the reply arrived."""

    title = "All domains unreachable"


class StreamTimeout(NetworkError):
    """The reply stalled mid-stream longer than the read timeout."""

    title = "Stream stalled"


class BadResponseError(LiaobotsError):
    """The gateway sent something we cannot parse (not JSON, wrong shape, cut off)."""

    title = "Bad response"
    kind = "bad_response"


class StorageError(LiaobotsError):
    """The history on disk cannot be read or written: read-only, locked, full, damaged."""

    title = "History storage error"
    kind = "storage"


class ReplyTooLarge(BadResponseError):
    """The gateway sent more than we accept (a line, a body, a decompressed size, a usage walk)."""

    title = "Reply too large"
    kind = "too_large"


class DeadlineExceeded(NetworkError):
    """The whole request took longer than its overall deadline."""

    title = "Request took too long"
