"""Safe access to textual-image: ask the terminal before the app runs, import it on the first image.

Importing ``textual_image.widget`` probes the terminal (DA1, a Kitty graphics
query, the cell size) and reads stdin, which only works **before** ``App.run()``
(afterwards Textual's input thread owns stdin), and it costs ~0.15 s of CPU
(Pillow, its renderers) plus up to 0.3 s of waiting before the first paint of a
chat that may show no image at all. So the app asks the same questions itself,
in one round trip (:mod:`liaobots_tui.ui.terminal_probe`), and imports
textual-image only when the first image is drawn, telling it the answers instead
of letting it ask (:func:`~liaobots_tui.ui.textual_compat.import_textual_image_quietly`).
On odd ptys the import raises (``ZeroDivisionError`` when the pty reports 0
columns, in 0.12 and 0.14 alike), so every exception is caught and the app runs
without images (:class:`~liaobots_tui.ui.widgets.image_preview.ImagePreview`
then shows a text placeholder with the file path).

Integration (cli/app):

1. Right before ``app.run()``: ``images.probe_terminal(settings.image_mode)``
   (``run_app`` does this). With mode ``off`` the terminal is not asked.
2. Widgets call :func:`image_widget_class` with :func:`resolve_mode` of
   ``settings.image_mode``; the first call imports textual-image
   (:func:`load_image_support`). ``LIAOBOTS_IMAGE_MODE`` overrides the setting,
   which is how tests pin ``unicode``.

Works with textual-image 0.12 (what Python 3.11 gets) and 0.14+: the 0.14-only
``on_error=`` argument is only passed where :func:`supports_on_error` says so.

Also here, PIL-only helpers shared by the preview and the viewer (Pillow imported on
the first image, not at start-up):
:func:`prepare_image` (header checked first, decode off the event loop one or two at a time,
keep only a thumbnail),
:func:`fit_width` and :func:`caption`.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import io
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from liaobots_tui import image_files
from liaobots_tui.api.messages import ImagePart
from liaobots_tui.image_files import UnsafeImage
from liaobots_tui.ui import terminal_probe
from liaobots_tui.ui.terminal_probe import TerminalGraphics

if TYPE_CHECKING:
    from PIL import Image as PILImage

#: Image drawing modes (same values as ``config.IMAGE_MODES``).
MODES: tuple[str, ...] = ("auto", "halfcell", "unicode", "off")
#: Environment override of the mode; wins over ``settings.image_mode``.
ENV_IMAGE_MODE = "LIAOBOTS_IMAGE_MODE"


@dataclass
class _Support:
    loaded: bool = False
    error: str | None = None
    classes: dict[str, type[Any]] | None = None
    version: str = ""
    #: What the terminal answered before the app ran (None: not asked; headless, tests).
    graphics: TerminalGraphics | None = None


_SUPPORT = _Support()


def resolve_mode(setting: str | None = None) -> str:
    """The mode in force: ``LIAOBOTS_IMAGE_MODE`` if valid, else ``setting`` if valid, else ``auto``."""
    for candidate in (os.environ.get(ENV_IMAGE_MODE), setting):
        if candidate is not None and candidate.strip().lower() in MODES:
            return candidate.strip().lower()
    return "auto"


def probe_terminal(mode: str | None = None) -> TerminalGraphics | None:
    """Ask the terminal what it can draw images with (one round trip); the answer is kept.

    Call right before ``App.run()``: afterwards Textual reads stdin. With the mode in
    force ``off`` the terminal is not asked (None). Never raises.
    """
    if resolve_mode(mode) == "off":
        return None
    _SUPPORT.graphics = terminal_probe.probe()
    return _SUPPORT.graphics


def load_image_support(mode: str | None = None) -> bool:
    """Import textual-image once (without it probing the terminal); True when images can be drawn.

    :func:`image_widget_class` calls it on the first image. Never raises: a failure is
    remembered and reported by :func:`image_support_error`. When the mode in force is
    ``off`` nothing is imported.
    """
    if _SUPPORT.loaded:
        return _SUPPORT.classes is not None
    if resolve_mode(mode) == "off":
        return False
    _SUPPORT.loaded = True
    try:
        _SUPPORT.classes = _import_classes()
    except Exception as exc:  # ZeroDivisionError, TerminalError, OSError on odd ptys; ImportError
        _SUPPORT.error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        _SUPPORT.classes = None
        return False
    try:
        from importlib.metadata import version

        _SUPPORT.version = version("textual-image")
    except Exception:  # metadata missing in odd installs: the version is informational only
        _SUPPORT.version = ""
    return True


def _import_classes() -> dict[str, type[Any]]:
    """The textual-image import (a seam: tests replace it to simulate a failing pty).

    ``auto`` is the best class for what the terminal answered before the app ran; when it
    was not asked (headless), text cells: half cells on a terminal, Unicode elsewhere.
    """
    from liaobots_tui.ui.textual_compat import import_textual_image_quietly

    graphics = _SUPPORT.graphics or _unasked_terminal()
    ti_widget = import_textual_image_quietly(graphics.cell)
    best: dict[str, type[Any]] = {
        "sixel": ti_widget.SixelImage,
        "kitty": ti_widget.TGPImage,
        "halfcell": ti_widget.HalfcellImage,
        "unicode": ti_widget.UnicodeImage,
    }
    return {
        "auto": best[graphics.best],
        "halfcell": ti_widget.HalfcellImage,
        "unicode": ti_widget.UnicodeImage,
    }


def _unasked_terminal() -> TerminalGraphics:
    stdout = sys.__stdout__
    try:
        tty = stdout is not None and stdout.isatty()
    except (OSError, ValueError):
        tty = False
    cell = terminal_probe.window_cell_size(stdout) if tty and stdout is not None else None
    return TerminalGraphics(tty=tty, cell=cell or terminal_probe.DEFAULT_CELL)


def image_support_error() -> str | None:
    """Why images are unavailable (the import's exception), or None."""
    return _SUPPORT.error


def textual_image_version() -> str:
    """The installed textual-image version once loaded ("" before, or if unknown)."""
    return _SUPPORT.version


def image_widget_class(mode: str) -> type[Any] | None:
    """The textual-image widget class for ``mode`` (auto|halfcell|unicode), None for ``off`` or no support.

    Loads textual-image on first use if :func:`load_image_support` was not called
    (harmless headless, as in tests, where no probe happens).
    """
    mode = mode.strip().lower()
    if mode not in MODES or mode == "off":
        return None
    if not _SUPPORT.loaded:
        load_image_support(mode)
    if _SUPPORT.classes is None:
        return None
    return _SUPPORT.classes.get(mode)


def supports_on_error(cls: type[Any]) -> bool:
    """Whether this textual-image widget takes ``on_error=`` (0.14+)."""
    try:
        return "on_error" in inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return False


def _reset_for_tests() -> None:
    """Forget the loaded state (tests that simulate an import failure)."""
    _SUPPORT.loaded = False
    _SUPPORT.error = None
    _SUPPORT.classes = None
    _SUPPORT.version = ""
    _SUPPORT.graphics = None


def cell_size() -> tuple[int, int]:
    """Terminal cell size in pixels (width, height) as the terminal told; 10×20 when unknown."""
    if _SUPPORT.graphics is not None:
        return _SUPPORT.graphics.cell
    if _SUPPORT.classes is None:
        return terminal_probe.DEFAULT_CELL
    from liaobots_tui.ui.textual_compat import terminal_cell_size  # the private API lives there

    return terminal_cell_size() or terminal_probe.DEFAULT_CELL


# ---------------------------------------------------------------- decoding (PIL only; run off the event loop)


@dataclass
class PreparedImage:
    """What a preview needs: a downscaled copy to draw (or None) and the facts for the caption."""

    thumb: PILImage.Image | None
    width: int = 0
    height: int = 0
    nbytes: int = 0
    error: str | None = None


#: The threads previews decode on: as many as may decode at once. Pillow's freed pixel blocks
#: that are not mmapped stay in the decoding thread's malloc arena, so decoding on whichever
#: default-executor thread is free left ~55 MB behind per 40 Mpx image; a fixed pair of
#: threads keeps that to two arenas (bench/image_preview.py --six).
_DECODER = ThreadPoolExecutor(max_workers=image_files.MAX_PARALLEL_DECODES, thread_name_prefix="image-decode")


async def prepare_image_async(part: ImagePart, max_side: int | None) -> PreparedImage:
    """:func:`prepare_image` on the image-decoding threads, awaited without blocking the event loop."""
    return await asyncio.get_running_loop().run_in_executor(_DECODER, prepare_image, part, max_side)


def prepare_image(part: ImagePart, max_side: int | None) -> PreparedImage:
    """Measure the part's image from its header and (if ``max_side``) decode a thumbnail of it.

    Nothing is decoded unless the header says PNG/JPEG/WebP/GIF within
    :data:`~liaobots_tui.image_files.MAX_PIXELS`: a small file declaring 12000×12000
    gets a placeholder saying so, not 600 MB of pixels. The decode waits for a
    :func:`~liaobots_tui.image_files.decode_slot`, so a reply with six large images
    decodes them one or two at a time. A saved image is decoded straight from its file
    (never held as bytes too), and only the thumbnail outlives this call.
    ``max_side=None`` reads the header only. Call it off the event loop. Never raises.
    """
    try:
        nbytes = len(part.data) if part.data else _file_size(part.path)
        kind = image_files.identify(part.data) if part.data else _identify_saved(part.path)
    except UnsafeImage as exc:
        found = exc.kind
        width, height = (found.width, found.height) if found is not None else (0, 0)
        return PreparedImage(None, width, height, _size_or_zero(part), error=_why_not(exc, part))
    if max_side is None:
        return PreparedImage(None, kind.width, kind.height, nbytes)
    try:
        with image_files.decode_slot(kind.pixels):
            thumb = _decode_thumbnail(part, kind, max_side)
    except UnsafeImage as exc:
        return PreparedImage(None, kind.width, kind.height, nbytes, error=_why_not(exc, part))
    except Exception:  # any decoder failure on untrusted bytes is a placeholder, never a crash
        return PreparedImage(None, kind.width, kind.height, nbytes, error="damaged or truncated")
    return PreparedImage(thumb, kind.width, kind.height, nbytes)


def _identify_saved(path: str | None) -> image_files.ImageKind:
    if not path:
        raise UnsafeImage("no image data", problem="not_image")
    return image_files.identify_path(path)


def _file_size(path: str | None) -> int:
    try:
        return os.stat(path).st_size if path else 0
    except OSError:
        return 0


def _size_or_zero(part: ImagePart) -> int:
    return len(part.data) if part.data else _file_size(part.path)


def _why_not(exc: UnsafeImage, part: ImagePart) -> str:
    """The placeholder's reason, in a few words."""
    if exc.problem == "too_many_pixels":
        return f"too many pixels to preview (limit {image_files.MAX_PIXELS // 1_000_000} Mpx)"
    if exc.problem == "unreadable":
        return f"cannot read {part.path}: {exc.reason}"
    if exc.problem == "not_file":
        return f"cannot read {part.path}: not a regular file"
    return exc.reason


def _decode_thumbnail(part: ImagePart, kind: image_files.ImageKind, max_side: int) -> PILImage.Image:
    with contextlib.ExitStack() as stack:
        if part.data:
            source: IO[bytes] = io.BytesIO(part.data)
        else:
            assert part.path is not None  # _identify_saved checked it
            source = stack.enter_context(image_files.open_regular_file(part.path))
        # Only the format the header named may parse it: no other plugin sees these bytes.
        pillow = image_files.pillow()
        img: PILImage.Image = stack.enter_context(pillow.open(source, formats=(kind.format,)))
        if (img.width, img.height) != (kind.width, kind.height):
            raise UnsafeImage("the file changed while it was read", problem="damaged")
        # draft() lets JPEG decode at a reduced scale; other formats ignore it.
        img.draft("RGB", (max_side, max_side))
        if max(img.size) > max_side:
            img.thumbnail((max_side, max_side), pillow.Resampling.BILINEAR, reducing_gap=2.0)
        # A copy outlives the `with`, which closes the file and frees the decode.
        thumb = img.copy()
    if thumb.mode not in ("RGB", "RGBA", "L"):
        thumb = thumb.convert("RGBA")
    return thumb


def fit_width(px_width: int, px_height: int, max_cols: int, max_rows: int) -> int:
    """Width in cells that shows the whole image within ``max_cols`` × ``max_rows`` cells, keeping its shape.

    Never wider than the image's own pixels would be at the terminal's cell size
    (a small image is not blown up), never below 1.
    """
    if px_width <= 0 or px_height <= 0:
        return max(1, min(max_cols, 20))
    cell_w, cell_h = cell_size()
    natural = max(1, round(px_width / cell_w))
    # rows = cols * cell_w * (h / w) / cell_h  →  cols = rows * cell_h * w / (cell_w * h)
    by_rows = int(max_rows * cell_h * px_width / (cell_w * px_height))
    return max(1, min(max_cols, natural, by_rows))


def human_size(n: int) -> str:
    """``1.2 MB``-style size, decimal units as file managers show them."""
    if n < 1000:
        return f"{n} B"
    if n < 1_000_000:
        return f"{n / 1000:.1f} kB"
    return f"{n / 1_000_000:.1f} MB"


def caption(part: ImagePart, info: PreparedImage) -> str:
    """``2048×1152 · 1.2 MB · /path/to/file.png`` (the mime type stands in for an unsaved image)."""
    bits = []
    if info.width and info.height:
        bits.append(f"{info.width}×{info.height}")
    if info.nbytes:
        bits.append(human_size(info.nbytes))
    bits.append(part.path or f"{part.mime_type} (not saved yet)")
    return " · ".join(bits)
