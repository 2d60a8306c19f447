"""Writing an export from the app: the folder it is offered in, and a dialog before any file is replaced.

Used by the chat's Markdown export and the usage screen's CSV export, so both
default to the same folder (:func:`liaobots_tui.export_files.export_dir`, from the
``export_dir`` setting) and both ask the same way: a confirm dialog naming the file,
Cancel focused. Cancelling writes nothing and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App
from textual.widget import Widget

from liaobots_tui.errors import InputError
from liaobots_tui.export_files import export_dir
from liaobots_tui.ui.screens.dialogs import ConfirmModal


def app_export_dir(app: App[Any]) -> Path:
    """The export folder for this app's settings; the working directory when even the fallback fails."""
    settings = getattr(app, "settings", None)
    configured = getattr(settings, "export_dir", "")
    try:
        return export_dir(configured if isinstance(configured, str) else "")
    except OSError:
        return Path.cwd()


def write_asking(
    node: Widget,
    path: Path,
    write: Callable[[bool], str],
    *,
    what: str = "file",
) -> None:
    """Call ``write(replace)``; when the file exists, ask before calling it again with ``replace=True``.

    ``write`` returns the notice to show once written; it raises FileExistsError (not
    replacing) or InputError (one line, shown as an error).
    """

    def attempt(replace: bool) -> None:
        try:
            notice = write(replace)
        except FileExistsError:
            if replace:  # the file came back between the answer and the write: ask again
                attempt(False)
                return
            node.app.push_screen(
                ConfirmModal(
                    f"Replace {path.name}?",
                    f"{path} already exists. Replace it with this {what}?",
                    confirm_label="Replace",
                    focus_cancel=True,
                ),
                answered,
            )
            return
        except InputError as exc:
            node.notify(exc.message, title="Export failed", severity="error", markup=False)
            return
        node.notify(notice, title="Exported", timeout=5, markup=False)

    def answered(replace: bool | None) -> None:
        if replace:
            attempt(True)
        else:
            node.notify(f"Not exported: {path} was left as it was", timeout=4, markup=False)

    attempt(False)
