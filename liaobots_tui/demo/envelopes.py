"""Error answers of the fake gateway, each in the exact envelope and status its format uses.

Three envelopes (see docs/protocols.md §5): OpenAI ``{"error":{message,type,param,code}}``
(Chat, Responses, /v1/models, /api/v1/credits), Anthropic
``{"type":"error","error":{type,message},"request_id"}`` and Gemini
``{"error":{code,message,status,details}}``. Domain-level failures are not JSON
at all: an HTML 502 page and a plain-text 503, as a CDN or proxy sends them.
Messages never echo the auth code.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

#: Which envelope an endpoint answers errors in.
Api = Literal["openai", "anthropic", "gemini"]

_GOOGLE_HELP = "https://ai.google.dev/gemini-api/docs/troubleshooting"


class ApiError(Exception):
    """An HTTP error answer, raised by request handling and written by the server."""

    def __init__(
        self,
        status: int,
        body: dict[str, Any] | str,
        *,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body
        self.headers = dict(headers or {})
        self.content_type = content_type


def _request_id() -> str:
    return "req_" + uuid.uuid4().hex[:24]


def _openai(status: int, message: str, type_: str, code: str | None, param: str | None = None) -> ApiError:
    body = {"error": {"message": message, "type": type_, "param": param, "code": code}}
    return ApiError(status, body, headers={"x-request-id": _request_id()})


def _anthropic(status: int, type_: str, message: str, headers: dict[str, str] | None = None) -> ApiError:
    rid = _request_id()
    body = {"type": "error", "error": {"type": type_, "message": message}, "request_id": rid}
    return ApiError(status, body, headers={"request-id": rid, **(headers or {})})


def _gemini(status: int, grpc_status: str, message: str, details: list[Any] | None = None) -> ApiError:
    err: dict[str, Any] = {"code": status, "message": message, "status": grpc_status}
    if details is not None:
        err["details"] = details
    return ApiError(status, {"error": err})


def retry_after_header(seconds: float) -> str:
    """``Retry-After`` value: whole seconds as an integer ("1"), else the float ("0.01")."""
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


def auth_error(api: Api, *, missing: bool) -> ApiError:
    """Wrong or missing auth code."""
    if api == "anthropic":
        return _anthropic(
            401, "authentication_error", "x-api-key header is required" if missing else "invalid x-api-key"
        )
    if api == "gemini":
        message = "API key not valid. Please pass a valid API key."
        if missing:
            message = "Method doesn't allow unregistered callers. Please use an API key."
        details = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            },
            {
                "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                "locale": "en-US",
                "message": message,
            },
        ]
        return _gemini(400, "INVALID_ARGUMENT", message, details)
    if missing:
        message = (
            "You didn't provide an API key. You need to provide your API key in an Authorization header "
            "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
        )
    else:
        message = "Incorrect API key provided. Check the auth code you were given."
    return _openai(401, message, "invalid_request_error", "invalid_api_key")


def bad_request(
    api: Api, message: str, *, param: str | None = None, code: str | None = None, status: int = 400
) -> ApiError:
    """A request the real API would reject as invalid (400; ``code``/``status`` for OpenAI's variants)."""
    if api == "anthropic":
        return _anthropic(status, "invalid_request_error", message)
    if api == "gemini":
        return _gemini(status, "INVALID_ARGUMENT", message, [])
    return _openai(status, message, "invalid_request_error", code, param)


def malformed_json(api: Api) -> ApiError:
    if api == "gemini":
        return bad_request(api, "Invalid JSON payload received. Unexpected token.")
    if api == "anthropic":
        return bad_request(api, "There was an error parsing the body of your request: invalid JSON")
    return bad_request(
        api,
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
        "HTTP library correctly. The OpenAI API expects a JSON payload.)",
    )


def model_not_found(api: Api, model: str, method: str = "generateContent") -> ApiError:
    if api == "anthropic":
        return _anthropic(404, "not_found_error", f"model not found: {model}")
    if api == "gemini":
        return _gemini(
            404,
            "NOT_FOUND",
            f"models/{model} is not found for API version v1beta, or is not supported for {method}. "
            "Call ListModels to see the list of available models and their supported methods.",
        )
    return _openai(
        404,
        f"The model `{model}` does not exist or you do not have access to it (model not found).",
        "invalid_request_error",
        "model_not_found",
        "model",
    )


def not_found_path(api: Api, method: str, path: str) -> ApiError:
    if api == "anthropic":
        return _anthropic(404, "not_found_error", "Not Found")
    if api == "gemini":
        return _gemini(404, "NOT_FOUND", "The requested URL was not found on this server.")
    return _openai(404, f"Invalid URL ({method} {path})", "invalid_request_error", None)


def rate_limited(api: Api, model: str, retry_after: float, *, overloaded_turn: bool = False) -> ApiError:
    """429 (Anthropic alternates with 529 when ``overloaded_turn``); Gemini carries the delay in its body."""
    header = {"retry-after": retry_after_header(retry_after)}
    if api == "anthropic":
        if overloaded_turn:
            return _anthropic(529, "overloaded_error", "Overloaded", header)
        return _anthropic(
            429,
            "rate_limit_error",
            "This request would exceed the rate limit for your organization of 50 requests per minute. "
            "For details, refer to: https://docs.claude.com/en/api/rate-limits.",
            header,
        )
    if api == "gemini":
        details = [
            {
                "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                "violations": [
                    {
                        "quotaMetric": "generativelanguage.googleapis.com/generate_content_requests",
                        "quotaId": "GenerateRequestsPerMinutePerProjectPerModel",
                        "quotaDimensions": {"location": "global", "model": model},
                        "quotaValue": "60",
                    }
                ],
            },
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{retry_after:g}s"},
        ]
        return _gemini(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).", details)
    err = _openai(
        429,
        f"Rate limit reached for {model} on requests per min (RPM): Limit 500, Used 500, Requested 1. "
        f"Please try again in {retry_after:g}s.",
        "requests",
        "rate_limit_exceeded",
    )
    err.headers.update(header)
    return err


def overloaded(api: Api) -> ApiError:
    if api == "anthropic":
        return _anthropic(529, "overloaded_error", "Overloaded")
    if api == "gemini":
        return _gemini(503, "UNAVAILABLE", "The model is overloaded. Please try again later.")
    return _openai(503, "The server is overloaded or not ready yet.", "server_error", None)


def out_of_credit(api: Api) -> ApiError:
    """The account has no credits left: never worth retrying."""
    if api == "anthropic":
        return _anthropic(
            402,
            "billing_error",
            "Your credit balance is too low to access this model. Please top up your Liaobots credits.",
        )
    if api == "gemini":
        return _gemini(
            429,
            "RESOURCE_EXHAUSTED",
            "Insufficient balance: your Liaobots credits are used up. Top up to continue.",
            [],
        )
    return _openai(
        429,
        "You exceeded your current quota, please check your plan and billing details (insufficient balance).",
        "insufficient_quota",
        "insufficient_quota",
    )


def server_error(api: Api) -> ApiError:
    """A generation that failed inside the model server (non-streaming counterpart of a stream error)."""
    if api == "anthropic":
        return _anthropic(500, "api_error", "Internal server error")
    if api == "gemini":
        return _gemini(
            500, "INTERNAL", f"An internal error has occurred. Please retry or report in {_GOOGLE_HELP}"
        )
    return _openai(
        500, "The server had an error while processing your request. Sorry about that!", "server_error", None
    )


def stream_error_body(api: Api) -> dict[str, Any]:
    """The error object sent inside a 200 stream (the Responses API wraps it itself)."""
    if api == "anthropic":
        return {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    if api == "gemini":
        return server_error("gemini").body  # type: ignore[return-value]
    return {
        "error": {
            "message": "The server had an error while processing your request. Sorry about that!",
            "type": "server_error",
            "param": None,
            "code": "server_error",
        }
    }


def html_502() -> ApiError:
    """A CDN's HTML page for a dead origin."""
    page = (
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
        "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
        "</body>\r\n</html>\r\n"
    )
    return ApiError(502, page, content_type="text/html")


def text_503() -> ApiError:
    """A proxy's plain-text answer when no upstream is available."""
    return ApiError(
        503,
        "upstream connect error or disconnect/reset before headers. reset reason: connection failure",
        content_type="text/plain",
    )
