"""ImageViewerScreen: one image full-screen, zoomed to fit the terminal.

Keys: ``s`` save a copy elsewhere (asks for a path), ``o`` open in the system
viewer (``xdg-open``/``open``, started detached, never waited on), ``c`` copy the
file path (``app.copy_to_clipboard``), ``Esc`` close (or cancel the path prompt).

The system viewer picks its handler by the file's name and content, so it is only
offered a file whose bytes Pillow detects as PNG/JPEG/WebP/GIF *and* whose name ends
in that format's extension; anything else (an ``.hta`` or ``.svg`` a gateway chose)
is never opened. A copy saved elsewhere is checked the same way and gets the
detected format's extension when the name the user typed has another one.

Integration: nothing to wire. ``ImagePreview`` pushes it on click/Enter; the app
may also ``push_screen(ImageViewerScreen(part, settings.image_mode))`` itself.
Tests pass ``opener=`` to record launches instead of starting a program.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Middle
from textual.content import Content
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, Static

from liaobots_tui import image_files
from liaobots_tui.api.messages import ImagePart
from liaobots_tui.errors import InputError
from liaobots_tui.image_files import ImageKind, UnsafeImage
from liaobots_tui.ui import images
from liaobots_tui.ui.images import PreparedImage
from liaobots_tui.ui.widgets.keys_footer import KeysFooter


def open_in_system_viewer(path: str) -> None:
    """Start the platform's opener on ``path`` and return at once.

    Raises:
        InputError: no opener program is installed, or it could not start.
    """
    if sys.platform == "darwin":
        program = "open"
    elif sys.platform == "win32":
        program = "explorer"
    else:
        program = "xdg-open"
    exe = shutil.which(program)
    if exe is None:
        raise InputError(f"{program} is not installed; open {path} yourself")
    try:
        # Own session and no pipes: the viewer must outlive us and never write into the TUI.
        subprocess.Popen(
            [exe, path],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        raise InputError(f"could not start {program}: {exc.strerror or exc}") from None


def detect_kind(part: ImagePart) -> ImageKind:
    """What the part's bytes really are (header only), whatever its MIME type or file name says.

    Raises:
        InputError: not an image we accept, or the file cannot be read.
    """
    try:
        if part.data:
            return image_files.identify(part.data)
        if part.path:
            return image_files.identify_path(part.path)
    except UnsafeImage as exc:
        # Too many pixels to preview is still a real image: it may be opened and saved.
        if exc.problem == "too_many_pixels" and exc.kind is not None:
            return exc.kind
        raise InputError(f"not a PNG, JPEG, WebP or GIF image ({exc.reason})") from None
    raise InputError("there is no image data")


def with_extension(path: Path, kind: ImageKind) -> Path:
    """``path``, with ``kind``'s extension added when its name does not already end in one of its own."""
    if image_files.has_extension_for(path, kind):
        return path
    return path.with_name(path.name + kind.ext)


def default_save_path(part: ImagePart, kind: ImageKind | None = None) -> Path:
    """``~/<file name>`` for a saved or named image, ``~/liaobots-image-<time>.<ext>`` otherwise.

    The extension is the detected format's (``kind``; detected here when not given, and
    the part's own name or MIME type only when detection fails).
    """
    if kind is None:
        try:
            kind = detect_kind(part)
        except InputError:
            kind = None
    # An attached picture is offered under the name the user gave it, not the stored one (``7-1.png``).
    own = Path(part.name).name if part.name else ""
    if part.path or own not in ("", ".", ".."):
        name = Path.home() / (own if own not in ("", ".", "..") else Path(part.path or "").name)
        return with_extension(name, kind) if kind is not None else name
    ext = kind.ext if kind is not None else ".png"
    return Path.home() / f"liaobots-image-{time.strftime('%Y%m%d-%H%M%S')}{ext}"


class ImageViewerScreen(Screen[None]):
    """Full-screen view of one image."""

    DEFAULT_CSS = """
    ImageViewerScreen { background: $surface; }
    ImageViewerScreen > #viewer-caption { dock: top; height: 1; padding: 0 1; color: $text-muted; }
    ImageViewerScreen > #viewer-body { height: 1fr; }
    ImageViewerScreen #viewer-image { height: auto; }
    ImageViewerScreen > #save-path { dock: bottom; }
    """

    #: Keys go to the screen's bindings until the save prompt is opened.
    AUTO_FOCUS = ""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("s", "save", "Save as…"),
        Binding("o", "open_external", "Open in viewer"),
        Binding("c", "copy_path", "Copy path"),
    ]

    #: Long side in pixels of the copy decoded for the viewer.
    MAX_SIDE = 2048

    def __init__(
        self,
        part: ImagePart,
        mode: str | None = None,
        *,
        opener: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__()
        self.part = part
        self.mode = images.resolve_mode(mode)
        self.info: PreparedImage | None = None
        self.image_widget: Widget | None = None
        self._opener = opener or open_in_system_viewer
        #: Whether "open in system viewer" is offered: set once the file is checked (see openable_path).
        self.can_open = False

    def compose(self) -> ComposeResult:
        yield Static(Content("loading image…"), id="viewer-caption")
        with Middle(id="viewer-body"), Center(id="viewer-center"):
            yield Static(Content(""), id="viewer-placeholder")
        prompt = Input(placeholder="save to path", id="save-path")
        prompt.display = False
        yield prompt
        yield KeysFooter()

    def on_mount(self) -> None:
        self._load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_external":
            return self.can_open  # hidden from the footer, and the key does nothing, for anything else
        return True

    def _openable(self) -> bool:
        try:
            self.openable_path()
        except InputError:
            return False
        return True

    @work(exclusive=True, group="image-viewer")
    async def _load(self) -> None:
        self.can_open = await asyncio.to_thread(self._openable)
        self.refresh_bindings()
        cls = images.image_widget_class(self.mode)
        info = await images.prepare_image_async(self.part, self.MAX_SIDE if cls else None)
        self.info = info
        self.query_one("#viewer-caption", Static).update(Content(images.caption(self.part, info)))
        placeholder = self.query_one("#viewer-placeholder", Static)
        if cls is None or info.thumb is None:
            why = info.error or ("images off" if self.mode == "off" else "cannot draw images here")
            placeholder.update(Content(f"[{self.part.path or 'image'} · {why}]"))
            return
        kwargs: dict[str, Any] = {"id": "viewer-image"}
        if images.supports_on_error(cls):
            kwargs["on_error"] = lambda exc: Static(Content(f"[cannot draw: {exc}]"))
        self.image_widget = cls(info.thumb, **kwargs)
        self._fit()
        await placeholder.remove()
        await self.query_one("#viewer-center", Center).mount(self.image_widget)
        self.image_widget.call_after_refresh(self.image_widget.refresh, layout=True)

    def _fit(self) -> None:
        if self.image_widget is None or self.info is None:
            return
        cols, rows = self.size.width or self.app.size.width, (self.size.height or self.app.size.height) - 2
        # Zoom to fit: may enlarge a small image, unlike the inline preview.
        cell_w, cell_h = images.cell_size()
        w, h = self.info.width, self.info.height
        by_rows = int(rows * cell_h * w / (cell_w * h)) if w and h else cols
        self.image_widget.styles.width = max(1, min(cols, by_rows))

    def on_resize(self, event: events.Resize) -> None:
        self._fit()

    # ------------------------------------------------------------------ actions

    def action_close(self) -> None:
        prompt = self.query_one("#save-path", Input)
        if prompt.display:
            self._close_prompt()
            return
        self.dismiss(None)

    def _close_prompt(self) -> None:
        prompt = self.query_one("#save-path", Input)
        prompt.display = False
        self.set_focus(None)

    def action_save(self) -> None:
        prompt = self.query_one("#save-path", Input)
        prompt.value = str(default_save_path(self.part))
        prompt.display = True
        prompt.focus()

    @on(Input.Submitted, "#save-path")
    def _save_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            target = self.save_to(event.value)
        except InputError as exc:
            self.notify(exc.message, title="Not saved", severity="error", markup=False)
            return
        self._close_prompt()
        self.notify(f"Saved to {target}", title="Image saved", markup=False)

    def save_to(self, text: str) -> Path:
        """Copy the image to ``text`` (a file path, or a directory to put it in under its own name).

        Only an image we accept is saved, under a name ending in its detected format's
        extension (``.png`` is added to ``cat`` or ``cat.html`` for a PNG).

        Raises:
            InputError: empty path, not an accepted image, existing file, or a write failure.
        """
        if not text.strip():
            raise InputError("type a path to save the image to")
        kind = detect_kind(self.part)
        target = Path(text.strip()).expanduser()
        if target.is_dir():
            target = target / default_save_path(self.part, kind).name
        target = with_extension(target, kind)
        if target.exists():
            raise InputError(f"{target} already exists; choose another name")
        try:
            data = self.part.load() if self.part.data else self._read_saved()
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "xb") as fh:  # "x": never replace a file that appeared meanwhile
                fh.write(data)
        except FileExistsError:
            raise InputError(f"{target} already exists; choose another name") from None
        except OSError as exc:
            raise InputError(f"could not write {target}: {exc.strerror or exc}") from None
        return target

    def _read_saved(self) -> bytes:
        assert self.part.path is not None  # detect_kind found data or a path
        try:
            with image_files.open_regular_file(self.part.path) as fh:
                return fh.read()
        except UnsafeImage as exc:
            raise InputError(f"cannot read {self.part.path}: {exc.reason}") from None

    def action_open_external(self) -> None:
        if not self.part.path:
            self.notify("This image is not saved to a file yet.", severity="warning")
            return
        try:
            self._opener(self.openable_path())
        except InputError as exc:
            self.notify(exc.message, title="Cannot open", severity="error", markup=False)

    def openable_path(self) -> str:
        """The file to hand the system viewer: only an accepted image named with its own format's extension.

        Raises:
            InputError: no file, not an accepted image, or a name the viewer would read as another type.
        """
        path = self.part.path
        if not path:
            raise InputError("this image is not saved to a file yet")
        try:
            kind = image_files.identify_path(path)
        except UnsafeImage as exc:
            # Too many pixels included: a viewer would decode the bomb we refused to.
            raise InputError(f"not opening {path}: {exc.reason}") from None
        if not image_files.has_extension_for(path, kind):
            raise InputError(f"not opening {path}: it is a {kind.format} image named as something else")
        return path

    def action_copy_path(self) -> None:
        if not self.part.path:
            self.notify("This image is not saved to a file yet.", severity="warning")
            return
        self.app.copy_to_clipboard(self.part.path)
        self.notify(f"Copied {self.part.path}", markup=False)
