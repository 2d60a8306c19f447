"""KeysFooter: Textual's Footer, rebuilt only when the keys it shows change.

Textual's Footer throws its keys away and builds them again on every change of the
screen's bindings, which Textual signals on every focus change, mount and
``refresh_bindings()``, whether or not a shown key changed. Each rebuild mounts a
widget per key, and each new key is restyled twice (Footer keys start compact and are
then told they are not): at start-up the chat screen's footer was rebuilt five times
before the first chat was painted, ~10% of the CPU spent before it. This footer
compares what it would show (keys, descriptions, enabled, tooltips) and skips a
rebuild that would draw the same keys. Its keys are also made in the footer's style
from the start (compact or not), so mounting one restyles nothing.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer

from liaobots_tui.ui.textual_compat import footer_key_type

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

    def compose(self) -> ComposeResult:
        key_type = footer_key_type()
        for widget in super().compose():
            if key_type is not None and isinstance(widget, key_type):
                # A key starts compact and is told the footer's style once mounted: two
                # restyles of each key (~0.03 s of CPU before the first paint), for nothing.
                # The palette key is not bound to the footer's style: it stays compact.
                compact = True if widget.has_class("-command-palette") else self.compact
                widget.set_reactive(key_type.compact, compact)  # type: ignore[attr-defined]
                widget.set_class(compact, "-compact", update=False)
            yield widget

    def bindings_changed(self, screen: Screen[Any]) -> None:
        keys = shown_keys(screen)
        if keys == self._asked_for and self.is_attached and screen is self.screen:
            return
        super().bindings_changed(screen)
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self._asked_for = keys  # Footer scheduled a rebuild: it will show these keys
