"""KeysFooter: Textual's Footer, rebuilt only when the keys it shows change.

Textual's Footer recomposes on every ``bindings_updated_signal`` (each focus change,
each ``refresh_bindings``), even when the keys it lists are the same as before. A
recompose mounts a new FooterKey per key, and each one restyles itself twice on
mount (its ``compact`` reactive starts True, then the footer's binding sets it
False: two ``-compact`` class flips, each a stylesheet pass over the key): measured
at ~10 ms per key, ~0.1-0.2 s of UI-thread time per focus change on the chat
screen, a quarter of the CPU of the app's Pilot tests. This footer compares what
it would show with what it shows and skips the rebuild when nothing changed.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from textual.screen import Screen
from textual.widgets import Footer


def shown_keys(screen: Screen[Any], footer: Footer) -> tuple[Hashable, ...]:
    """Everything about ``screen``'s active bindings that the footer draws (order included)."""
    app = screen.app
    shown: list[Hashable] = []
    for key, (_node, binding, enabled, tooltip) in screen.active_bindings.items():
        if not (binding.show or key == app.COMMAND_PALETTE_BINDING):
            continue
        group = binding.group
        shown.append(
            (
                key,
                binding.key,
                binding.action,
                binding.description,
                binding.tooltip,
                app.get_key_display(binding),
                enabled,
                tooltip,
                None if group is None else (group.description, group.compact),
            )
        )
    return (footer.show_command_palette, footer.compact, *shown)


class KeysFooter(Footer):
    """A Footer that recomposes only when its keys, their labels or their enabled state change."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        #: What the last recompose showed; None until the first one.
        self._keys_shown: tuple[Hashable, ...] | None = None

    def bindings_changed(self, screen: Screen[Any]) -> None:
        # The same conditions under which Footer.bindings_changed recomposes: only then is
        # what we show about to change, so only then is the new signature recorded.
        will_recompose = screen.app.app_focus and self.is_attached and screen is self.screen
        if will_recompose:
            keys = shown_keys(screen, self)
            if keys == self._keys_shown:
                return
            self._keys_shown = keys
        super().bindings_changed(screen)
