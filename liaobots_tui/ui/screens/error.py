"""ErrorModal: an unexpected failure, with the detail (traceback) selectable and copyable.

Expected failures (out of credits, rate limits…) never come here: they show in
place on the reply and as a toast. This is for bugs, so the user can report them.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea

from liaobots_tui.api.sanitize import clean_text
from liaobots_tui.ui.plain import plain, plain_line


class ErrorModal(ModalScreen[None]):
    """Title, one-line message and a read-only detail box; c copies the detail."""

    BINDINGS = [
        Binding("escape,enter", "close", "Close"),
        Binding("c", "copy", "Copy details"),
    ]

    def __init__(self, title: str, message: str, detail: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.message = message
        self.detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog error-dialog"):
            yield Static(plain_line(self.title_text), classes="dialog-title")
            yield Static(plain(self.message), classes="dialog-text")
            if self.detail:
                yield TextArea(clean_text(self.detail), read_only=True, id="error-detail", soft_wrap=False)
            with Horizontal(classes="dialog-buttons"):
                if self.detail:
                    yield Button("Copy details", id="copy")
                yield Button("Close", id="close", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(f"{self.title_text}: {self.message}\n\n{self.detail}")
        self.app.notify("Error details copied to the clipboard", timeout=3)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "copy":
            self.action_copy()
        else:
            self.dismiss(None)
