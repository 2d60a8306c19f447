"""What the terminal can draw images with, asked once before the app runs, in one round trip.

textual-image asks the same questions when it is imported (a Kitty graphics query,
DA1 for sixel, the cell size), one at a time, each waiting up to 0.1 s for an
answer that many terminals never send, and it drags Pillow and its renderers in
with it: about 0.15 s of CPU and 0.1 s of waiting before the first paint of a
chat that may never show an image. Here the questions go out together, followed
by DA1, which every terminal answers and answers in order: once its reply is in,
every other reply that is coming has come. The answers are kept in a
:class:`TerminalGraphics` value, and :mod:`liaobots_tui.ui.images` imports
textual-image on the first image, told these answers instead of asking again
(by then Textual reads stdin, so nothing else may).

Standard library only: this runs before anything heavy is imported.
"""

from __future__ import annotations

import os
import re
import select
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TextIO

#: A Kitty graphics-protocol query (a 1x1 RGB image id 31, "query only": nothing is stored or drawn).
KITTY_QUERY = "\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\"
#: "Report the cell size in pixels" (xterm window ops); terminals that don't know it ignore it.
CELL_SIZE_QUERY = "\x1b[16t"
#: Primary device attributes: the sentinel every terminal answers, sixel support among them.
DA1_QUERY = "\x1b[c"
#: Longest wait for the DA1 reply: never longer than textual-image's own probes could wait.
TIMEOUT = 0.3
#: The cell size (pixels) assumed when the terminal does not say: a VT340's, as textual-image assumes.
DEFAULT_CELL = (10, 20)

_DA1_REPLY = re.compile(r"\x1b\[\?([0-9;]*)c")
_KITTY_REPLY = re.compile(r"\x1b_G([^\x1b]*)\x1b\\")
_CELL_REPLY = re.compile(r"\x1b\[6;(\d+);(\d+)t")


@dataclass(frozen=True)
class TerminalGraphics:
    """What the terminal said it can draw with (or what is assumed where it was not asked)."""

    #: stdout is a terminal (False: piped or captured; only text-cell drawing makes sense).
    tty: bool = False
    sixel: bool = False
    kitty: bool = False
    #: Pixels per cell (width, height).
    cell: tuple[int, int] = DEFAULT_CELL
    #: The terminal answered DA1 (False: it was not asked, or it stayed silent).
    answered: bool = False

    @property
    def best(self) -> str:
        """The best way to draw an image here: ``sixel``, ``kitty``, ``halfcell`` or ``unicode``.

        The order is textual-image's own for its ``auto`` mode: sixel first (terminals that
        speak both draw sixel more reliably with its placeholders), then Kitty graphics.
        """
        if not self.tty:
            return "unicode"
        if self.sixel:
            return "sixel"
        if self.kitty:
            return "kitty"
        return "halfcell"


def parse_replies(text: str, *, tty: bool = True, window_cell: tuple[int, int] | None = None,
                  environ: Mapping[str, str] | None = None) -> TerminalGraphics:  # fmt: skip
    """The graphics facts in what the terminal sent back to the three queries.

    ``window_cell`` is the cell size the window size reported (ioctl), which wins over the
    escape-sequence answer; the ``TEXTUAL_CELL_WIDTH``/``HEIGHT`` environment (textual-serve's
    web terminals) comes next, then :data:`DEFAULT_CELL`.
    """
    da1 = _DA1_REPLY.search(text)
    sixel = da1 is not None and "4" in da1.group(1).split(";")
    kitty = any(reply.rsplit(";", 1)[-1] == "OK" for reply in _KITTY_REPLY.findall(text))
    cell = window_cell
    if cell is None:
        found = _CELL_REPLY.search(text)
        if found and int(found.group(1)) > 0 and int(found.group(2)) > 0:
            cell = (int(found.group(2)), int(found.group(1)))  # the reply says height first
    if cell is None:
        cell = _cell_from_environ(os.environ if environ is None else environ)
    return TerminalGraphics(tty=tty, sixel=sixel, kitty=kitty, cell=cell or DEFAULT_CELL,
                            answered=da1 is not None)  # fmt: skip


def _cell_from_environ(environ: Mapping[str, str]) -> tuple[int, int] | None:
    width, height = environ.get("TEXTUAL_CELL_WIDTH", ""), environ.get("TEXTUAL_CELL_HEIGHT", "")
    if width.isdigit() and height.isdigit() and int(width) > 0 and int(height) > 0:
        return (int(width), int(height))
    return None


def window_cell_size(stream: TextIO) -> tuple[int, int] | None:
    """The cell size from the window size the terminal reports (no escape sequence), or None."""
    try:
        import fcntl
        import struct
        import termios

        packed = fcntl.ioctl(stream.fileno(), termios.TIOCGWINSZ, b"\0" * 8)
        rows, columns, width, height = struct.unpack("HHHH", packed)
    except (OSError, ValueError, ImportError, AttributeError):
        return None
    if not (rows and columns and width and height):
        return None
    cell = (width // columns, height // rows)
    return cell if cell[0] > 0 and cell[1] > 0 else None


def probe(
    stdin: TextIO | None = None, stdout: TextIO | None = None, *, timeout: float = TIMEOUT
) -> TerminalGraphics:
    """Ask the terminal on ``stdout``/``stdin`` (default: the process's own) what it can draw.

    Call before ``App.run()`` (afterwards Textual's input thread owns stdin). Never raises:
    anything odd (no terminal, a closed stream, a silent terminal) gives what can be
    known without an answer. Costs one round trip; a terminal that never answers DA1
    costs ``timeout``.
    """
    stdin = stdin if stdin is not None else sys.__stdin__
    stdout = stdout if stdout is not None else sys.__stdout__
    try:
        tty = stdout is not None and stdout.isatty() and stdin is not None and stdin.isatty()
    except (OSError, ValueError):
        tty = False
    if not tty or stdin is None or stdout is None:
        return TerminalGraphics(tty=False, cell=_cell_from_environ(os.environ) or DEFAULT_CELL)
    window_cell = window_cell_size(stdout)
    try:
        replies = _ask(stdin, stdout, timeout, cell_query=window_cell is None)
    except (OSError, ValueError, ImportError):  # a pty that refuses cbreak mode, a closed fd
        replies = ""
    return parse_replies(replies, tty=True, window_cell=window_cell)


def _ask(stdin: TextIO, stdout: TextIO, timeout: float, *, cell_query: bool) -> str:
    """Send the queries with DA1 last; read until DA1's reply (or ``timeout``); the bytes read."""
    import termios
    import tty

    fd = stdin.fileno()
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd, termios.TCSANOW)  # no echo, no line buffering: the replies arrive as sent
    received = b""
    try:
        stdout.write(KITTY_QUERY + (CELL_SIZE_QUERY if cell_query else "") + DA1_QUERY)
        stdout.flush()
        deadline = time.monotonic() + timeout
        while not _DA1_REPLY.search(received.decode("latin-1")):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                break
            # One byte at a time: a key typed meanwhile stays in stdin for the app, after DA1's reply.
            byte = os.read(fd, 1)
            if not byte:
                break
            received += byte
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, saved)
    return received.decode("utf-8", errors="replace")
