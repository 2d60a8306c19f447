"""HelpScreen (F1): every key, generated from the action table so it cannot drift from the bindings."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static

from liaobots_tui.ui.actions import CHAT_ACTIONS, WIDGET_KEYS, key_label


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def help_markdown() -> str:
    lines = ["## Chat", "", "| Key | Action |", "|---|---|"]
    for action in CHAT_ACTIONS:
        lines.append(f"| `{_cell(key_label(action))}` | **{_cell(action.title)}**: {_cell(action.help)} |")
    for section, keys in WIDGET_KEYS:
        lines += ["", f"## {section}", "", "| Key | Action |", "|---|---|"]
        lines += [f"| `{_cell(key)}` | {_cell(text)} |" for key, text in keys]
    lines += [
        "",
        "Inside tmux, copying to the system clipboard needs `set -g set-clipboard on`.",
    ]
    return "\n".join(lines)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q,question_mark", "dismiss", "Close")]

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog help-dialog"):
            yield Static(Content("Keys  (Esc closes)"), classes="dialog-title")
            with VerticalScroll(id="help-scroll"):
                yield Markdown(help_markdown(), open_links=False)

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)
