"""Wire format name → reply encoder, so the server answers each request in its own format."""

from __future__ import annotations

from liaobots_tui.demo.anthropic import AnthropicEncoder
from liaobots_tui.demo.gemini import GeminiEncoder
from liaobots_tui.demo.openai_chat import ChatEncoder
from liaobots_tui.demo.openai_responses import ResponsesEncoder
from liaobots_tui.demo.reply import Encoder, Reply
from liaobots_tui.demo.request import ChatRequest, WireFormat

_ENCODERS: dict[WireFormat, type[Encoder]] = {
    "openai": ChatEncoder,
    "anthropic": AnthropicEncoder,
    "responses": ResponsesEncoder,
    "gemini": GeminiEncoder,
}


def encoder_for(req: ChatRequest, reply: Reply) -> Encoder:
    """A fresh encoder for ``req``'s format (Responses counts sequence numbers per reply)."""
    return _ENCODERS[req.wire](req, reply)
