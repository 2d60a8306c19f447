"""Markdown drawn in a terminal, block by block, for ``liaobots ask`` (rich lives in the front ends only).

Deltas gather until a block is complete (a blank line outside a code fence), then
that block is drawn with rich (headings, lists, code blocks, tables) and the next
one gathers. What is left is drawn at the end, also when the turn stops early.
The text is the gateway's: each block goes through ``clean_text`` (no terminal
controls) and is only ever Markdown source, never rich markup; rich's own styling
goes to the real stream, past the :class:`~liaobots_tui.api.sanitize.TerminalGuard`
that would strip it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, TextIO

from liaobots_tui.api.sanitize import TerminalGuard, clean_text

if TYPE_CHECKING:
    from rich.console import Console

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


class MarkdownText:
    """Markdown drawn block by block as the reply streams in."""

    def __init__(self, stream: TextIO, console: Console | None = None) -> None:
        if console is None:
            from rich.console import Console

            real = stream.wrapped if isinstance(stream, TerminalGuard) else stream
            console = Console(file=real, markup=False, highlight=False, emoji=False, soft_wrap=False)
        self._console = console
        self._pending = ""
        self._in_fence: str | None = None
        self._scanned = 0  # how much of _pending has been checked for block ends
        self._drawn = False

    def write(self, text: str) -> None:
        if not text:
            return
        self._pending += text
        cut = self._complete_blocks()
        if cut:
            block, self._pending = self._pending[:cut], self._pending[cut:]
            self._scanned -= cut
            self._draw(block)

    def end(self) -> None:
        block, self._pending, self._scanned, self._in_fence = self._pending, "", 0, None
        if block.strip():
            self._draw(block)

    def _complete_blocks(self) -> int:
        """Length of the leading run of finished blocks in the pending text (0: none yet).

        Only whole lines are looked at, each once; a blank line outside a fence ends a block.
        """
        cut = 0
        start = self._scanned
        while (newline := self._pending.find("\n", start)) != -1:
            line = self._pending[start:newline]
            start = newline + 1
            fence = _FENCE.match(line)
            if fence is not None:
                mark = fence.group(1)
                if self._in_fence is None:
                    self._in_fence = mark[0] * 3
                elif mark.startswith(self._in_fence) and not line.strip().strip(mark[0]):
                    self._in_fence = None
            elif self._in_fence is None and not line.strip():
                cut = start
        self._scanned = start
        return cut

    def _draw(self, block: str) -> None:
        from rich.markdown import Markdown

        if self._drawn:
            self._console.print()  # the blank line rich puts between blocks of one document
        self._drawn = True
        # Gateway text: no terminal controls, and Markdown source only (rich markup is off).
        self._console.print(Markdown(clean_text(block)))
        self._console.file.flush()
