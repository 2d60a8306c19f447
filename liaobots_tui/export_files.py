"""Where exports go and how they are written: one folder for Markdown and CSV, and no silent overwrite.

The folder is the ``export_dir`` setting when set (``~`` expanded), else the user's
download folder as platformdirs finds it (the XDG ``DOWNLOAD`` user dir on Linux,
``~/Downloads`` elsewhere) when it exists, else ``exports/`` in the app's data
directory (created): servers and fresh accounts often have no download folder.
:func:`write_export` refuses to replace an existing file unless told to, so every
front end asks first (the app with a dialog, the CLI with ``--force``).
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

from liaobots_tui import paths
from liaobots_tui.errors import InputError


def export_dir(configured: str = "", *, downloads: Path | None = None, data: Path | None = None) -> Path:
    """The folder exports are offered in (see the module docstring); the fallback is created."""
    if configured.strip():
        return Path(configured.strip()).expanduser()
    folder = downloads if downloads is not None else platformdirs.user_downloads_path()
    try:
        if folder.is_dir():
            return folder
    except OSError:
        pass
    return paths.ensure_dir((data if data is not None else paths.data_dir()) / "exports")


def write_export(path: Path, text: str, *, replace: bool = False, newline: str = "\n") -> Path:
    """Write ``text`` to ``path`` (parents created); an existing file is replaced only when ``replace``.

    Raises:
        FileExistsError: the file exists and ``replace`` is False (nothing is written).
        InputError: the file could not be written, in one line naming it.
    """
    try:
        # Apart from the write: a file standing where a folder should be also raises FileExistsError.
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        # "x": a file that appeared after the caller asked is never replaced unasked.
        with open(path, "w" if replace else "x", encoding="utf-8", newline=newline) as fh:
            fh.write(text)
    except FileExistsError:
        raise
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
