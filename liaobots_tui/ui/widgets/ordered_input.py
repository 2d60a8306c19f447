"""OrderedInput: an Input whose editing keys (Backspace, arrows, Home, ctrl+w…) act in the order typed.

Textual runs a focused widget's key bindings only once the key has bubbled up
to the app, a message hop per ancestor (the widget, its containers, the screen,
then the app), while a printable key is inserted by the Input itself at once. So
when a search box's screen is busy (each keystroke reruns the search there, or a
reply streams), a Backspace waits in the screen's queue while the letters typed
after it are already in: typing "bold", four Backspaces and "teammates" quickly
gave "bteammate" (a Backspace landed after the last letter). Here the Input's own
bindings run in its key handler, as its letters do, so its keys keep their order.
Priority bindings (the app's, a dialog's Enter) are still checked by Textual
before the key reaches the Input; keys the Input does not bind bubble as before.
"""

from __future__ import annotations

from textual import events
from textual.binding import Binding
from textual.widgets import Input

#: Input's own key → action (its ``BINDINGS``, each comma-separated key on its own).
_INPUT_ACTIONS: dict[str, str] = {
    key.strip(): binding.action
    for binding in Input.BINDINGS
    if isinstance(binding, Binding)
    for key in binding.key.split(",")
}


class OrderedInput(Input):
    """An :class:`~textual.widgets.Input` whose bound keys act in key order; see the module docstring."""

    async def _on_key(self, event: events.Key) -> None:
        action = _INPUT_ACTIONS.get(event.key)
        if action is None:
            return  # a character (Input's own handler inserts it) or a key for someone else
        # Handled here, not after bubbling: Input's and Widget's key handlers do not run again.
        event.stop()
        event.prevent_default()
        await self.run_action(action)
