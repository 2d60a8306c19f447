"""A Markdown column alone in an app, and a record of what its live pieces were handed (for tests)."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.await_complete import AwaitComplete

from liaobots_tui.ui.widgets.markdown_column import MarkdownColumn, PieceMarkdown


class ColumnApp(App[None]):
    def __init__(self, column: MarkdownColumn) -> None:
        super().__init__()
        self.column = column

    def compose(self) -> ComposeResult:
        yield self.column


def appends_recorded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each text appended to a live piece from now on, in order (the appends still run)."""
    appended: list[str] = []
    textual_append = PieceMarkdown.append

    def append(self: PieceMarkdown, markdown: str) -> AwaitComplete:
        appended.append(markdown)
        return textual_append(self, markdown)

    monkeypatch.setattr(PieceMarkdown, "append", append)
    return appended
