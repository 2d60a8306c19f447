"""Writing an export from the app: the folder it is offered in, and a dialog before any file is replaced.

Used by the chat's Markdown export and the usage screen's CSV export, so both
default to the same folder (:func:`liaobots_tui.export_files.export_dir`, from the
``export_dir`` setting) and both ask the same way: a confirm dialog naming the file,
Cancel focused. Cancelling writes nothing and says so.

A chat's Markdown is worked out in a thread (:func:`build_then_write_asking`): a 5 MB reply
takes seconds to parse, and the app keeps drawing and taking keys meanwhile.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App
from textual.widget import Widget

from liaobots_tui.errors import InputError, LiaobotsError
from liaobots_tui.export_files import export_dir
from liaobots_tui.ui.screens.dialogs import ConfirmModal
from liaobots_tui.ui.textual_compat import call_next_after


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


#: Seconds a build may take before the user is told that the export is under way.
NOTICE_AFTER = 0.3


def build_then_write_asking(
    node: Widget,
    path: Path,
    build: Callable[[], str],
    write: Callable[[str, bool], str],
    *,
    what: str = "file",
) -> None:
    """Run ``build()`` in a thread, then :func:`write_asking` with ``write(text, replace)``.

    ``build`` may raise LiaobotsError or sqlite3.Error (shown as the export failing, one line).
    A build that takes a while gets an "Exporting…" notice: the file appears only once it is
    built.
    """

    async def run() -> None:
        built = False

        def tell() -> None:
            if not built:  # the build may end between the loop's timer and this call
                node.notify(f"Exporting to {path.name}…", timeout=3, markup=False)

        # Not set_timer: its one-shot timer can skip its only tick (a loop preempted, or the
        # build's thread holding the GIL, for longer than the delay), and a slow export then
        # showed no sign of itself until its file appeared (textual_compat.call_next_after).
        notice = call_next_after(node, NOTICE_AFTER, tell)
        try:
            text = await asyncio.to_thread(build)
        except (LiaobotsError, sqlite3.Error) as exc:
            node.notify(str(exc), title="Export failed", severity="error", markup=False)
            return
        finally:
            built = True
            notice.cancel()
        write_asking(node, path, lambda replace: write(text, replace), what=what)

    node.run_worker(run(), group="export")
