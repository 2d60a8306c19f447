"""Command palette providers for dynamic lists: models, thinking levels and saved chats.

The static actions come from ``actions.CHAT_ACTIONS`` through
``LiaobotsApp.get_system_commands``; these add "Model: …", "Thinking: …" and
"Open chat: …" entries, searchable like everything else in the palette.
"""

from __future__ import annotations

import sqlite3
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from liaobots_tui.api.messages import EFFORTS, parse_thinking
from liaobots_tui.errors import LiaobotsError
from liaobots_tui.ui.plain import highlighted, markup_escaped, plain_line

if TYPE_CHECKING:
    from liaobots_tui.ui.app import LiaobotsApp
    from liaobots_tui.ui.screens.chat import ChatScreen


def _chat_screen(provider: Provider) -> ChatScreen | None:
    from liaobots_tui.ui.screens.chat import ChatScreen

    screen = provider.screen
    return screen if isinstance(screen, ChatScreen) else None


class ModelCommands(Provider):
    """``Model: gpt-5.4``: use that model for the next message (format from the model name)."""

    async def search(self, query: str) -> Hits:
        screen = _chat_screen(self)
        if screen is None:
            return
        app = cast("LiaobotsApp", self.app)
        matcher = self.matcher(query)
        for model in app.models:
            text = f"Model: {model}"
            score = matcher.match(text)
            if score > 0:
                # Model ids come from the gateway: the palette parses str prompts as markup.
                yield Hit(score, highlighted(matcher, text), partial(screen.select_model, model),
                          help="Use this model for the next message")  # fmt: skip

    async def discover(self) -> Hits:
        screen = _chat_screen(self)
        if screen is None:
            return
        app = cast("LiaobotsApp", self.app)
        for model in app.models[:10]:
            yield DiscoveryHit(plain_line(f"Model: {model}"), partial(screen.select_model, model),
                               help="Use this model for the next message")  # fmt: skip


#: The thinking choices the palette offers (a token budget is set in the chat settings, ctrl+t).
THINKING_CHOICES: tuple[tuple[str, str], ...] = (
    ("off", "Do not ask the model to think"),
    ("on", "Ask the model to think, at its own default depth"),
    *((effort, f"Ask the model to think, {effort} effort") for effort in EFFORTS),
)


class ThinkingCommands(Provider):
    """``Thinking: high``: how hard this chat's model is asked to think (saved with the chat)."""

    async def search(self, query: str) -> Hits:
        screen = _chat_screen(self)
        if screen is None:
            return
        matcher = self.matcher(query)
        for value, help_text in THINKING_CHOICES:
            text = f"Thinking: {value}"
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), partial(screen.set_thinking, parse_thinking(value)),
                          help=help_text)  # fmt: skip

    async def discover(self) -> Hits:
        screen = _chat_screen(self)
        if screen is None:
            return
        for value, help_text in THINKING_CHOICES:
            yield DiscoveryHit(f"Thinking: {value}", partial(screen.set_thinking, parse_thinking(value)),
                               help=help_text)  # fmt: skip


class ChatCommands(Provider):
    """``Open chat: <title>``: searches titles and message text in the store."""

    async def search(self, query: str) -> Hits:
        screen = _chat_screen(self)
        if screen is None:
            return
        app = cast("LiaobotsApp", self.app)
        words = query.strip()
        for prefix in ("open chat:", "open chat", "chat:"):
            if words.lower().startswith(prefix):
                words = words[len(prefix) :].strip()
                break
        try:
            summaries = app.store.list_conversations(limit=20, search=words or None)
        except (LiaobotsError, sqlite3.Error):
            return
        matcher = self.matcher(query)
        for summary in summaries:
            text = f"Open chat: {summary.title or '(untitled)'}"
            # Text matches inside messages score low but still show: the store found them.
            score = max(matcher.match(text), 0.1 if words else 0.0)
            if score > 0:
                details = markup_escaped(f"{summary.message_count} messages · {summary.model or ''}")
                yield Hit(score, highlighted(matcher, text), partial(screen.open_conversation, summary.id),
                          help=details)  # fmt: skip
