"""HelpScreen (F1): every key, generated from the action table so it cannot drift from the bindings.

A two-column list rather than a Markdown table: a table squeezed the key column
until "d in the chats list" wrapped one word per line.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from liaobots_tui.ui.actions import CHAT_ACTIONS, WIDGET_KEYS, key_label

#: The key column never wraps: it is as wide as the longest key, up to this many cells.
MAX_KEY_CELLS = 24

NOTE = "Inside tmux, copying to the system clipboard needs `set -g set-clipboard on`."


def help_sections() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every key: the chat's actions (from the action table), then the keys of each widget and screen."""
    chat = [(key_label(a), f"{a.title}: {a.help}") for a in CHAT_ACTIONS]
    return [("Chat", chat), *[(section, list(keys)) for section, keys in WIDGET_KEYS]]


def key_column_width() -> int:
    longest = max(len(key) for _, keys in help_sections() for key, _ in keys)
    return min(longest, MAX_KEY_CELLS) + 2


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q,question_mark", "dismiss", "Close")]

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help-dialog"):
            yield Static(Content("Keys  (Esc closes)"), classes="dialog-title")
            with VerticalScroll(id="help-scroll"):
                width = key_column_width()
                for section, keys in help_sections():
                    yield Static(Content.styled(section, "bold"), classes="help-section")
                    for key, text in keys:
                        with Horizontal(classes="help-row"):
                            key_cell = Static(Content.styled(key, "bold"), classes="help-key")
                            key_cell.styles.width = width
                            yield key_cell
                            yield Static(Content(text), classes="help-text")
                yield Static(Content(NOTE), classes="help-note")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
