"""How ``liaobots ask`` writes a reply's text when it is piped (or ``--plain``): :class:`PlainText`.

Text is written as it came (a terminal flushed per write, a pipe buffered), and
nothing else is imported. On a terminal ``ask`` draws Markdown instead, with
:class:`liaobots_tui.ui.terminal_markdown.MarkdownText` (rich stays in the front ends).
"""

from __future__ import annotations

from typing import Protocol, TextIO


class ReplyText(Protocol):
    """Where a reply's text deltas go."""

    def write(self, text: str) -> None: ...

    def end(self) -> None:
        """The reply's text is over (or the turn stopped): show what is left and end the line."""


class PlainText:
    """Text written as it comes; a final newline so a shell prompt does not follow the reply.

    ``ask`` hands it one write per network read. A terminal is flushed after each, so it
    stays live to the eye; a pipe or file keeps the stream's own buffer (full blocks).
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._printed = False
        try:
            self._live = stream.isatty()
        except (AttributeError, ValueError):  # a closed or unusual stream
            self._live = False

    def write(self, text: str) -> None:
        if not text:
            return
        self._stream.write(text)
        self._printed = True
        if self._live:
            self._stream.flush()

    def break_line(self) -> None:
        """End the current line now (something else is about to share the terminal)."""
        if self._printed:
            self._stream.write("\n")
            self._stream.flush()
            self._printed = False

    def end(self) -> None:
        self.break_line()
