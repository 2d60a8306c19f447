"""Format name → adapter, so callers pick a wire format by its name."""

from __future__ import annotations

from liaobots_tui.api.base import Adapter
from liaobots_tui.api.messages import FORMATS, Format
from liaobots_tui.errors import InputError


def get_adapter(format: str) -> Adapter:
    """A fresh adapter for ``format`` (openai, anthropic, responses, gemini).

    Raises:
        InputError: for an unknown format name.
    """
    # Imported here so importing the message model does not load all four adapters.
    if format == "openai":
        from liaobots_tui.api.openai_chat import OpenAIChatAdapter

        return OpenAIChatAdapter()
    if format == "anthropic":
        from liaobots_tui.api.anthropic import AnthropicAdapter

        return AnthropicAdapter()
    if format == "responses":
        from liaobots_tui.api.openai_responses import ResponsesAdapter

        return ResponsesAdapter()
    if format == "gemini":
        from liaobots_tui.api.gemini import GeminiAdapter

        return GeminiAdapter()
    raise InputError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")


def check_format(format: str) -> Format:
    """Validate a user-given format name."""
    for known in FORMATS:
        if format == known:
            return known
    raise InputError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
