"""Text fields whose editing keys (Backspace, arrows, Home, ctrl+w…) act in the order typed.

Textual runs a focused widget's key bindings only once the key has bubbled up
to the app, a message hop per ancestor (the widget, its containers, the screen,
then the app), while a printable key is inserted by the field itself at once. So
keys that arrive together (typed quickly, a terminal's burst, tmux) come out of
order: "bold", four Backspaces and "teammates" gave "boldteamm" in the prompt, and
in the chats search, whose every key reruns the search on the screen, the same
typing in tmux left "bteammate". Here a field's own bindings run in its key
handler, as its letters do, so its keys keep their order. Priority bindings (the
app's, a dialog's Enter, the prompt's page keys) are still checked by Textual
before the key reaches the field; keys the field does not bind bubble as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import Input


def bound_actions(bindings: Iterable[BindingType]) -> dict[str, str]:
    """Key → action of a widget class's ``BINDINGS`` (each comma-separated key on its own)."""
    return {
        key.strip(): binding.action
        for binding in bindings
        if isinstance(binding, Binding) and not binding.priority
        for key in binding.key.split(",")
    }


async def run_bound_key(widget: Widget, event: events.Key, actions: dict[str, str]) -> bool:
    """Run ``widget``'s own binding for ``event`` now, not after bubbling; True when there was one.

    Call it from the widget's ``_on_key``: the event is stopped and its default handlers
    (the widget's base classes' ``_on_key``) do not run again.
    """
    action = actions.get(event.key)
    if action is None:
        return False  # a character (the field inserts it) or a key for someone else
    event.stop()
    event.prevent_default()
    await widget.run_action(action)
    return True


_INPUT_ACTIONS = bound_actions(Input.BINDINGS)


class OrderedInput(Input):
    """An :class:`~textual.widgets.Input` whose bound keys act in key order; see the module docstring."""

    #: More keys run here, in order, for a field whose screen binds them (↓ moving a picker's list):
    #: once Enter acts here, a ↓ typed before it must not still be on its way up to the app.
    KEY_ACTIONS: ClassVar[dict[str, str]] = {}

    async def _on_key(self, event: events.Key) -> None:
        await run_bound_key(
            self, event, {**_INPUT_ACTIONS, **self.KEY_ACTIONS} if self.KEY_ACTIONS else _INPUT_ACTIONS
        )
