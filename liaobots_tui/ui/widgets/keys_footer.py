"""KeysFooter: Textual's Footer, rebuilt only when the keys it shows change.

Textual's Footer throws its keys away and builds them again on every change of the
screen's bindings, which Textual signals on every focus change, mount and
``refresh_bindings()``, whether or not a shown key changed. Each rebuild mounts a
widget per key, and each new key is restyled twice (Footer keys start compact and are
then told they are not): at start-up the chat screen's footer was rebuilt five times
before the first chat was painted, ~10% of the CPU spent before it. This footer
compares what it would show (keys, descriptions, enabled, tooltips) and skips a
rebuild that would draw the same keys.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer

#: What a footer shows of one binding: key, description, action, enabled, tooltip.
ShownKey = tuple[str, str, str, bool, str]


def shown_keys(screen: Screen[Any]) -> tuple[ShownKey, ...]:
    """The keys a footer on ``screen`` would show now, in order (the palette key included)."""
    return tuple(
        (binding.key, binding.description, binding.action, enabled, tooltip or "")
        for _namespace, binding, enabled, tooltip in screen.active_bindings.values()
        if binding.show or binding.key == screen.app.COMMAND_PALETTE_BINDING
    )


class KeysFooter(Footer):
    """A :class:`~textual.widgets.Footer` that is not rebuilt while its keys stay the same."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: The keys of the last rebuild asked for (None: none asked yet).
        self._asked_for: tuple[ShownKey, ...] | None = None

    def bindings_changed(self, screen: Screen[Any]) -> None:
        keys = shown_keys(screen)
        if keys == self._asked_for and self.is_attached and screen is self.screen:
            return
        super().bindings_changed(screen)
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self._asked_for = keys  # Footer scheduled a rebuild: it will show these keys
