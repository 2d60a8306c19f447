"""What a screen shows, cell by cell, to compare two ways of drawing the same thing.

Shared by the tests of the drawing shortcuts (uniform_rows, height_free): each draws a
conversation, takes its picture, turns its shortcut off and checks the picture is the same.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.strip import Strip

from liaobots_tui.ui.widgets.conversation import ConversationView

APP_CSS = Path(__file__).parents[2] / "liaobots_tui" / "ui" / "app.tcss"


class ConversationPane(App[None]):
    """A conversation view alone, styled as the app styles it."""

    CSS_PATH = APP_CSS

    def compose(self) -> ComposeResult:
        yield ConversationView()


def picture(app: App[None]) -> list[list[tuple[str, str]]]:
    """Every cell of the screen drawn afresh in full: its character and its style."""
    strips: list[Strip] = app.screen._compositor.render_strips()
    return [[(char, str(seg.style or "")) for seg in strip for char in seg.text] for strip in strips]
