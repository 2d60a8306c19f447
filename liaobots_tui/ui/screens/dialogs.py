"""Small modal dialogs: confirm, one-line text input, pick one of a list.

Each returns its answer through ``dismiss`` (None when cancelled with Esc), so
callers use ``push_screen(…, callback)`` or ``await push_screen_wait(…)``.
"""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from liaobots_tui.ui.path_input import SHOWN_CANDIDATES, PathInput
from liaobots_tui.ui.plain import plain, plain_line


class ConfirmModal(ModalScreen[bool]):
    """Yes/no question. Enter or y confirms, Esc or n cancels."""

    BINDINGS = [
        Binding("escape,n", "answer(False)", "Cancel"),
        Binding("y", "answer(True)", "Confirm"),
    ]

    def __init__(
        self,
        title: str,
        message: str,
        *,
        confirm_label: str = "Delete",
        danger: bool = True,
        focus_cancel: bool = False,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.message = message
        self.confirm_label = confirm_label
        self.danger = danger
        self.focus_cancel = focus_cancel

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain_line(self.title_text), classes="dialog-title")
            yield Static(plain(self.message), classes="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(self.confirm_label, id="confirm", variant="error" if self.danger else "primary")

    def on_mount(self) -> None:
        self.query_one("#cancel" if self.focus_cancel else "#confirm", Button).focus()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")


class TextInputModal(ModalScreen[str | None]):
    """Ask for one line of text (a title, a file path)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        title: str,
        *,
        value: str = "",
        placeholder: str = "",
        help_text: str = "",
        complete_paths: bool = False,
        ok_label: str = "OK",
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.value = value
        self.placeholder = placeholder
        self.help_text = help_text
        self.complete_paths = complete_paths
        self.ok_label = ok_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain_line(self.title_text), classes="dialog-title")
            if self.help_text:
                yield Static(plain(self.help_text), classes="dialog-text")
            if self.complete_paths:
                yield PathInput(self.value, placeholder=self.placeholder, id="dialog-input")
                yield Static("", id="path-candidates", classes="dialog-text")
            else:
                yield Input(self.value, placeholder=self.placeholder, id="dialog-input")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(self.ok_label, id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        if self.complete_paths:
            self.query_one("#path-candidates").display = False

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(PathInput.Ambiguous)
    def _ambiguous(self, event: PathInput.Ambiguous) -> None:
        event.stop()
        hint = self.query_one("#path-candidates", Static)
        names = event.candidates[:SHOWN_CANDIDATES]
        more = len(event.candidates) - len(names)
        # File names are the user's, but may hold escapes or brackets: plain text only.
        hint.update(plain("   ".join(names) + (f"   (+{more} more)" if more > 0 else "")))
        hint.display = bool(names)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(self.query_one(Input).value if event.button.id == "ok" else None)


class ListPickerModal(ModalScreen[int | None]):
    """Pick one of several labelled items; returns its index."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, items: list[str]) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.items = items

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain_line(self.title_text), classes="dialog-title")
            # Items quote replies (code block previews): never markup.
            yield OptionList(*[Option(plain_line(item)) for item in self.items], id="picker-list")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 0
        options.focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option_index)


def expand_path(text: str) -> Path:
    """A user-typed path: quotes stripped, ``~`` expanded."""
    return Path(text.strip().strip("'\"")).expanduser()
