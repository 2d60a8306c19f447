"""Where the palette's "Screenshot" goes, and writing it there.

Textual saves to ``~/Downloads`` and fails without a word when that directory
does not exist (servers, containers, fresh accounts). Here the screenshot goes
to ``~/Downloads`` when it exists, else to ``screenshots/`` in the app's data
directory (created), and the caller is told the file's path or why it failed.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from liaobots_tui import paths
from liaobots_tui.errors import LiaobotsError


def screenshot_dir(home: Path | None = None, data: Path | None = None) -> Path:
    """``~/Downloads`` if it is a directory, else the data directory's ``screenshots/`` (created)."""
    downloads = (home or Path.home()) / "Downloads"
    try:
        if downloads.is_dir():
            return downloads
    except OSError:
        pass
    return paths.ensure_dir((data or paths.data_dir()) / "screenshots")


def save_screenshot(svg: str, directory: Path, *, now: datetime | None = None) -> Path:
    """Write ``svg`` under a new time-stamped name in ``directory``; LiaobotsError says why not."""
    stamp = (now or datetime.now()).strftime("%Y-%m-%d_%H-%M-%S")
    try:
        paths.ensure_dir(directory)
        for n in range(1, 1000):
            target = directory / (f"liaobots_{stamp}.svg" if n == 1 else f"liaobots_{stamp}-{n}.svg")
            try:
                with target.open("x", encoding="utf-8") as out:  # never overwrite an earlier one
                    out.write(svg)
                return target
            except FileExistsError:
                continue
    except OSError as exc:
        raise LiaobotsError(f"Cannot save the screenshot in {directory}: {exc.strerror or exc}") from exc
    raise LiaobotsError(f"Cannot save the screenshot in {directory}: too many with the same time")
