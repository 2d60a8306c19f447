"""Open a file for reading only when it is a regular file: a FIFO, device or socket is refused unread.

A config path or an attachment that is a FIFO would block a plain ``read()`` forever
(no writer), and ``/dev/zero`` never ends. The file is opened non-blocking, checked
with ``fstat`` on the open descriptor (no race with a rename in between), and only
then read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO


class NotARegularFile(OSError):
    """The path exists but is a FIFO, device, socket or directory; ``what`` names which."""

    def __init__(self, what: str) -> None:
        super().__init__(f"is {what}, not a regular file")
        self.what = what


def describe_mode(mode: int) -> str:
    """``a FIFO``, ``a device``… for a non-regular ``st_mode``."""
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "a special file"


def open_regular(path: str | Path) -> IO[bytes]:
    """``path`` opened for binary reading if it is a regular file (use it in a ``with``).

    Raises:
        NotARegularFile: a FIFO, device, socket or directory.
        OSError: it cannot be opened (missing, no permission…).
    """
    # O_NONBLOCK: opening a FIFO that has no writer would otherwise hang right here.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotARegularFile(describe_mode(mode))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
