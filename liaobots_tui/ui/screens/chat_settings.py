"""ChatSettingsModal: the conversation's system prompt, temperature and thinking."""

from __future__ import annotations

import math
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static, TextArea

from liaobots_tui.api.messages import Thinking, parse_thinking


@dataclass(frozen=True)
class ChatSettings:
    system: str
    temperature: float | None
    thinking: Thinking | None = None


def parse_temperature(text: str) -> float | None:
    """Empty means "the model's default"; otherwise a number from 0 to 2.

    Raises:
        ValueError: with a message fit to show under the field.
    """
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(
            "Temperature must be a number from 0 to 2, or empty for the model's default"
        ) from None
    if not math.isfinite(value) or not 0 <= value <= 2:
        raise ValueError("Temperature must be from 0 to 2")
    return value


class ChatSettingsModal(ModalScreen[ChatSettings | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
    ]

    def __init__(self, system: str, temperature: float | None, thinking: Thinking | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.system = system
        self.temperature = temperature
        self.thinking = thinking

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog settings-dialog"):
            yield Static(Content("System prompt, temperature and thinking"), classes="dialog-title")
            yield Static(Content("System prompt (applies to this conversation):"), classes="dialog-text")
            yield TextArea(self.system, id="system-prompt", soft_wrap=True, show_line_numbers=False)
            with Horizontal(id="temperature-row"):
                yield Static(Content("Temperature:"), id="temperature-label")
                yield Input(
                    "" if self.temperature is None else f"{self.temperature:g}",
                    placeholder="model default",
                    id="temperature",
                )
            with Horizontal(id="thinking-row"):
                yield Static(Content("Thinking:"), id="thinking-label")
                yield Input(
                    "" if self.thinking is None else self.thinking.label().removesuffix(" tokens"),
                    placeholder="off · on · low · medium · high · token budget",
                    id="thinking",
                )
            yield Static("", id="settings-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Save (ctrl+s)", id="save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#settings-error").display = False
        self.query_one("#system-prompt", TextArea).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        error = self.query_one("#settings-error", Static)
        field = "#temperature"
        try:
            temperature = parse_temperature(self.query_one(field, Input).value)
            field = "#thinking"
            thinking = parse_thinking(self.query_one(field, Input).value or "off")
        except ValueError as exc:
            error.update(str(exc)[:1].upper() + str(exc)[1:])
            error.display = True
            self.query_one(field, Input).focus()
            return
        self.dismiss(ChatSettings(self.query_one("#system-prompt", TextArea).text, temperature, thinking))

    @on(Input.Submitted, "#temperature, #thinking")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.dismiss(None)
