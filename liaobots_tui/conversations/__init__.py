"""The headless conversation layer: settings, format rules and the controller front ends drive."""

from liaobots_tui.conversations.controller import (
    ConversationController,
    Turn,
    TurnBusy,
    TurnListener,
)
from liaobots_tui.conversations.settings import (
    ConversationSettings,
    FormatRefused,
    defaults_from,
    read_settings,
    resolve_format,
    saved_form,
    usable_formats,
    with_model,
)

__all__ = [
    "ConversationController",
    "ConversationSettings",
    "FormatRefused",
    "defaults_from",
    "Turn",
    "TurnBusy",
    "TurnListener",
    "read_settings",
    "resolve_format",
    "saved_form",
    "usable_formats",
    "with_model",
]
