"""The terminal is asked what it can draw images with in one round trip, before the app runs.

The tests play the terminal on a real pseudo-terminal: they read what the probe wrote
and answer as a terminal of each kind would (sixel, Kitty graphics, neither, silent).
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import termios
import threading
import time
import tty
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TextIO

import pytest

from liaobots_tui.ui import terminal_probe
from liaobots_tui.ui.terminal_probe import TerminalGraphics, parse_replies, probe

#: Longest a test waits for the probe to write its queries, and the probe for an answering
#: terminal's reply (it returns at DA1's answer; the product's 0.3 s can lapse under two busy loops
#: before the answering thread ran): a hang guard, never a pace.
HANG_GUARD = 60.0


@dataclass
class Terminal:
    """The test's side of a pty: what the probe wrote, and the replies to send once DA1 arrives."""

    master: int
    slave_in: TextIO
    slave_out: TextIO
    replies: bytes = b""
    written: bytes = field(default=b"")
    done: threading.Event = field(default_factory=threading.Event)

    def answer(self) -> None:
        deadline = time.monotonic() + HANG_GUARD
        while terminal_probe.DA1_QUERY.encode() not in self.written and time.monotonic() < deadline:
            if select.select([self.master], [], [], 1.0)[0]:
                self.written += os.read(self.master, 4096)
        if self.replies:
            os.write(self.master, self.replies)
        self.done.set()


@contextmanager
def terminal(replies: bytes, *, pixels: tuple[int, int] = (0, 0)) -> Iterator[Terminal]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, *pixels))
    slave_in = os.fdopen(os.dup(slave), "r")
    slave_out = os.fdopen(os.dup(slave), "w")
    os.close(slave)
    term = Terminal(master, slave_in, slave_out, replies)
    player = threading.Thread(target=term.answer, daemon=True)
    player.start()
    try:
        yield term
    finally:
        player.join(HANG_GUARD)
        slave_in.close()
        slave_out.close()
        os.close(master)


def test_a_sixel_terminal_is_asked_once_and_its_cell_size_comes_from_the_window() -> None:
    with terminal(b"\x1b[?62;4;22c", pixels=(1200, 800)) as term:
        found = probe(term.slave_in, term.slave_out, timeout=HANG_GUARD)
    assert found == TerminalGraphics(tty=True, sixel=True, kitty=False, cell=(10, 20), answered=True)
    assert found.best == "sixel"
    # All three questions in one write, DA1 last; the cell size is not asked: the window told it.
    assert term.written == (terminal_probe.KITTY_QUERY + terminal_probe.DA1_QUERY).encode()


def test_a_kitty_terminal_answers_the_graphics_query_before_da1() -> None:
    reply = b"\x1b_Gi=31;OK\x1b\\\x1b[6;18;9t\x1b[?62;22c"
    with terminal(reply) as term:
        found = probe(term.slave_in, term.slave_out, timeout=HANG_GUARD)
    assert (found.kitty, found.sixel, found.cell, found.best) == (True, False, (9, 18), "kitty")
    assert terminal_probe.CELL_SIZE_QUERY.encode() in term.written  # the window gave no pixels


def test_a_terminal_without_graphics_gets_half_cells() -> None:
    with terminal(b"\x1b[?1;2c") as term:
        found = probe(term.slave_in, term.slave_out, timeout=HANG_GUARD)
    assert (found.answered, found.best, found.cell) == (True, "halfcell", terminal_probe.DEFAULT_CELL)


def test_a_silent_terminal_costs_the_timeout_and_nothing_else() -> None:
    with terminal(b"") as term:
        found = probe(term.slave_in, term.slave_out, timeout=0.05)
        assert term.done.wait(HANG_GUARD)
    assert (found.tty, found.answered, found.best) == (True, False, "halfcell")


def test_a_key_typed_during_the_probe_stays_for_the_app() -> None:
    with terminal(b"\x1b[?62;22cq") as term:
        probe(term.slave_in, term.slave_out, timeout=HANG_GUARD)
        assert term.done.wait(HANG_GUARD)
        fd = term.slave_in.fileno()
        saved = termios.tcgetattr(fd)
        tty.setcbreak(fd, termios.TCSANOW)  # as the app's driver does next: without flushing input
        try:
            assert select.select([fd], [], [], HANG_GUARD)[0]
            assert os.read(fd, 10) == b"q"
        finally:
            termios.tcsetattr(fd, termios.TCSANOW, saved)


def test_no_terminal_no_question(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEXTUAL_CELL_WIDTH", raising=False)
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "r") as stdin, os.fdopen(write_end, "w") as stdout:
        found = probe(stdin, stdout)
        stdout.flush()
    assert found == TerminalGraphics(tty=False)
    assert found.best == "unicode"


def test_replies_parsed_from_noise() -> None:
    text = "junk\x1b_Gi=31;ENOTSUPPORTED\x1b\\\x1b[6;0;0t\x1b[?64;4c"
    found = parse_replies(text, environ={"TEXTUAL_CELL_WIDTH": "8", "TEXTUAL_CELL_HEIGHT": "16"})
    # Kitty said no; a 0x0 cell answer is no answer, so textual-serve's environment gives the size.
    assert (found.kitty, found.sixel, found.cell, found.answered) == (False, True, (8, 16), True)
    assert parse_replies("", environ={}).cell == terminal_probe.DEFAULT_CELL
    assert parse_replies("", window_cell=(7, 15), environ={}).cell == (7, 15)
