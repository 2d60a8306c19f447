"""The model list: the gateway's ``GET /v1/models``, a built-in fallback, and a one-day cache.

Wire format (OpenAI list shape, Bearer auth)::

    {"object": "list", "data": [{"id": "gpt-5.4", "object": "model", …}, …]}

Listing models is a convenience, never a reason to fail: any error (a refused
request, a body too large or nested too deep, a wrong shape) gives the built-in
list instead. Ids are untrusted: one that holds controls or whitespace, or is
longer than :data:`MAX_MODEL_ID`, is dropped rather than mangled (it could not be
sent back anyway), and at most ``Limits.max_models`` ids are kept. The cache is
a JSON file whose path the caller supplies
(``{"saved_at": <unix seconds>, "models": [...]}``), so the picker can open
without a network round trip.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Any

from liaobots_tui.api.limits import DEFAULT_LIMITS
from liaobots_tui.api.sanitize import clean_line
from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.errors import BadResponseError, LiaobotsError

#: Models the gateway documents, offered when the live list is unavailable.
BUILTIN_MODELS: list[str] = [
    "gpt-5.4",
    "gpt-5.4-mini",
    "o4-mini",
    "claude-sonnet-4-6",
    "claude-opus-4-6",
    "gemini-3-pro-preview",
    "gemini-3-flash-preview",
    "gemini-3-pro-image-preview",
    "gemini-3.1-flash-image-preview",
    "deepseek-r1",
]

#: Context windows (tokens) of the built-in models, where a provider's page states one; a model not
#: here is not checked (``context_window`` returns None). Each figure names where it comes from.
CONTEXT_WINDOWS: dict[str, int] = {
    # 1.05M: Vercel AI Gateway model page (vercel.com/ai-gateway/models/gpt-5.4), as OpenAI lists it.
    "gpt-5.4": 1_050_000,
    # 200K: OpenAI model page (platform.openai.com/docs/models/o4-mini).
    "o4-mini": 200_000,
    # 1M: Anthropic model overview (platform.claude.com/docs/models/sonnet-4-6/overview).
    "claude-sonnet-4-6": 1_000_000,
    # 1M: Anthropic context-windows page (the 1M list starts at the 4.6 models).
    "claude-opus-4-6": 1_000_000,
    # 1,048,576 input: Gemini API model page (ai.google.dev/gemini-api/docs/models/gemini-3-pro-preview).
    "gemini-3-pro-preview": 1_048_576,
    # 1,048,576: Vertex AI model page (docs.cloud.google.com/…/models/gemini/3-flash).
    "gemini-3-flash-preview": 1_048_576,
    # 65,536 input (32,768 output): the Gemini API's image model pages ("65k / 32k").
    "gemini-3-pro-image-preview": 65_536,
    "gemini-3.1-flash-image-preview": 65_536,
}


def context_window(model: str) -> int | None:
    """The model's context window in tokens when known (a provider prefix like ``openai/`` is ignored)."""
    return CONTEXT_WINDOWS.get(model.strip().lower().rsplit("/", 1)[-1])


MODELS_PATH = "/v1/models"
#: A cached list older than this is ignored.
CACHE_MAX_AGE = 24 * 60 * 60.0
#: Longest model id accepted from the gateway.
MAX_MODEL_ID = 200


def parse_model_list(body: Any, *, max_models: int = DEFAULT_LIMITS.max_models) -> list[str]:
    """Sorted, de-duplicated, well-formed model ids from an OpenAI-style list reply.

    Raises:
        BadResponseError: when the reply has no ``data`` list of ``{"id": …}`` objects.
    """
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise BadResponseError("The model list reply has no 'data' list.")
    ids: set[str] = set()
    for item in data:
        model = item.get("id") if isinstance(item, dict) else None
        if isinstance(model, str) and (clean := _model_id(model)):
            ids.add(clean)
            if len(ids) >= max_models:
                break
    return sorted(ids)


def _model_id(raw: str) -> str:
    """``raw`` trimmed when it is a usable model id, else ""."""
    model = raw.strip()
    if not model or len(model) > MAX_MODEL_ID or clean_line(model, MAX_MODEL_ID) != model or " " in model:
        return ""
    return model


async def list_models(client: GatewayClient) -> tuple[list[str], bool]:
    """(model ids, True) from the gateway, or (a copy of BUILTIN_MODELS, False) on any failure."""
    try:
        models = parse_model_list(await client.get_json(MODELS_PATH), max_models=client.limits.max_models)
    except LiaobotsError:
        return list(BUILTIN_MODELS), False
    if not models:
        # An empty picker helps nobody; the documented models are a better guess.
        return list(BUILTIN_MODELS), False
    return models, True


def load_cached_models(
    path: str | os.PathLike[str], *, max_age: float = CACHE_MAX_AGE, now: float | None = None
) -> list[str] | None:
    """The cached list, or None when missing, unreadable, malformed or older than ``max_age``."""
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(payload, dict):
        return None
    saved_at = payload.get("saved_at")
    models = payload.get("models")
    if isinstance(saved_at, bool) or not isinstance(saved_at, int | float) or not isinstance(models, list):
        return None
    current = time.time() if now is None else now
    if not 0 <= current - saved_at <= max_age:  # a future timestamp means a clock jump: distrust it
        return None
    if not models or not all(isinstance(m, str) and _model_id(m) == m for m in models):
        return None  # a hand-edited or stale cache must not slip escapes past the check above
    return list(models)


def save_cached_models(path: str | os.PathLike[str], models: list[str], *, now: float | None = None) -> bool:
    """Write the cache atomically; returns False (and leaves any old file) when it cannot be written.

    Best effort on purpose: a cache that cannot be written must not break the model picker.
    """
    target = Path(path)
    payload = {"saved_at": time.time() if now is None else now, "models": list(models)}
    tmp = target.with_name(target.name + ".tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(payload), encoding="utf-8")
        os.replace(tmp, target)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        return False
    return True
