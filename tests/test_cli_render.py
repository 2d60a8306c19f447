"""``ask``'s reply text: plain on a pipe, Markdown block by block on a terminal, no markup, no escapes."""

from __future__ import annotations

import io
import re

from rich.console import Console

from liaobots_tui.api.sanitize import TerminalGuard
from liaobots_tui.cli import _reply_text as reply_text
from liaobots_tui.cli_render import PlainText
from liaobots_tui.ui.terminal_markdown import MarkdownText


def terminal() -> tuple[io.StringIO, MarkdownText]:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=60, markup=False, highlight=False)
    return screen, MarkdownText(screen, console)


def shown(screen: io.StringIO) -> str:
    """What a reader sees: the text without rich's colour codes."""
    return re.sub(r"\x1b\[[0-9;]*m", "", screen.getvalue())


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_blocks_are_drawn_as_they_complete() -> None:
    screen, text = terminal()
    for piece in ["# Ta", "bles\n", "\nSome ", "text"]:
        text.write(piece)
    drawn = shown(screen)
    assert "Tables" in drawn and "Some" not in drawn  # the heading is out; the paragraph still gathers
    text.write(" here.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert "Some text here." in shown(screen) and "───" not in shown(screen)
    text.end()  # the table had no blank line after it: drawn at the end
    assert "───" in shown(screen) and "|---|" not in shown(screen)  # drawn as a table, not source


def test_a_blank_line_inside_a_code_fence_does_not_split_it() -> None:
    screen, text = terminal()
    text.write("```python\nx = 1\n\ny = 2\n")
    assert screen.getvalue() == ""
    text.write("```\n\nafter\n")
    drawn = shown(screen)
    assert "x = 1" in drawn and "y = 2" in drawn and "after" not in drawn
    text.end()
    assert "after" in shown(screen)


def test_gateway_text_is_neither_markup_nor_escapes() -> None:
    screen, text = terminal()
    text.write("Look \x1b]52;c;cm0gLXJmIH4=\x07[bold red]here[/bold red] \x1b[2J now\n\n")
    text.end()
    drawn = screen.getvalue()
    assert "\x1b]" not in drawn and "\x07" not in drawn and "\x1b[2J" not in drawn
    assert "[bold red]here[/bold red]" in shown(screen)


def test_plain_path_and_the_choice() -> None:
    out = io.StringIO()
    text = PlainText(out)
    text.write("**raw** ")
    text.write("markdown")
    text.end()
    assert out.getvalue() == "**raw** markdown\n"
    empty = io.StringIO()
    PlainText(empty).end()
    assert empty.getvalue() == ""
    assert isinstance(reply_text(io.StringIO(), markdown=True), PlainText)  # piped
    assert isinstance(reply_text(TerminalGuard.wrap(FakeTty()), markdown=True), MarkdownText)
    assert isinstance(reply_text(FakeTty(), markdown=False), PlainText)  # --plain


def test_markdown_on_a_guarded_terminal_keeps_its_styling() -> None:
    tty = FakeTty()
    text = MarkdownText(TerminalGuard.wrap(tty))
    text._console = Console(file=text._console.file, force_terminal=True, markup=False)
    text.write("**bold**\n\n")
    assert "\x1b[1m" in tty.getvalue()  # rich's own styling reaches the terminal, past the guard
