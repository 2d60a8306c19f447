"""Safe access to textual-image: import it once, before the app runs, and pick a widget class.

Importing ``textual_image.widget`` probes the terminal (DA1, a Kitty graphics
query, the cell size) and reads stdin, so it must happen **before**
``App.run()``: afterwards Textual's input thread owns stdin. On odd ptys the
import raises (``ZeroDivisionError`` when the pty reports 0 columns, in 0.12
and 0.14 alike), so every exception is caught and the app runs without images
(:class:`~liaobots_tui.ui.widgets.image_preview.ImagePreview` then shows a
text placeholder with the file path).

Integration (cli/app):

1. Right before ``app.run()``: ``images.load_image_support(settings.image_mode)``
   (``run_app`` does this). With mode ``off`` nothing is imported, so no probe.
2. Widgets call :func:`image_widget_class` with :func:`resolve_mode` of
   ``settings.image_mode``; ``LIAOBOTS_IMAGE_MODE`` overrides the setting, which is
   how tests pin ``unicode``.

Works with textual-image 0.12 (what Python 3.11 gets) and 0.14+: the 0.14-only
``on_error=`` argument is only passed where :func:`supports_on_error` says so.

Also here, PIL-only helpers shared by the preview and the viewer:
:func:`prepare_image` (decode off the event loop, keep only a thumbnail),
:func:`fit_width` and :func:`caption`.
"""

from __future__ import annotations

import inspect
import io
import os
from dataclasses import dataclass
from typing import Any

from PIL import Image as PILImage
from PIL import UnidentifiedImageError

from liaobots_tui.api.messages import ImagePart

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


_SUPPORT = _Support()


def resolve_mode(setting: str | None = None) -> str:
    """The mode in force: ``LIAOBOTS_IMAGE_MODE`` if valid, else ``setting`` if valid, else ``auto``."""
    for candidate in (os.environ.get(ENV_IMAGE_MODE), setting):
        if candidate is not None and candidate.strip().lower() in MODES:
            return candidate.strip().lower()
    return "auto"


def load_image_support(mode: str | None = None) -> bool:
    """Import textual-image once (probing the terminal); True when images can be drawn.

    Call before ``App.run()``. Never raises: a failure is remembered and reported by
    :func:`image_support_error`. When the mode in force is ``off`` nothing is imported.
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
    """The import that probes the terminal (a seam: tests replace it to simulate a failing pty)."""
    from textual_image import widget as ti_widget

    return {
        "auto": ti_widget.Image,
        "halfcell": ti_widget.HalfcellImage,
        "unicode": ti_widget.UnicodeImage,
    }


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


def cell_size() -> tuple[int, int]:
    """Terminal cell size in pixels (width, height) as textual-image measured it; 10×20 when unknown."""
    if _SUPPORT.classes is None:
        return (10, 20)
    from liaobots_tui.ui.textual_compat import terminal_cell_size  # the private API lives there

    return terminal_cell_size() or (10, 20)


# ---------------------------------------------------------------- decoding (PIL only; run off the event loop)


@dataclass
class PreparedImage:
    """What a preview needs: a downscaled copy to draw (or None) and the facts for the caption."""

    thumb: PILImage.Image | None
    width: int = 0
    height: int = 0
    nbytes: int = 0
    error: str | None = None


def prepare_image(part: ImagePart, max_side: int | None) -> PreparedImage:
    """Read the part's bytes once, measure them and (if ``max_side``) keep only a thumbnail.

    The encoded bytes and the full-size decode are dropped before returning, so a
    4K image costs its thumbnail in memory, not 3 copies. ``max_side=None`` reads
    the header only (the placeholder needs the size, not the pixels). Never raises.
    """
    try:
        data = part.load()
    except OSError as exc:
        return PreparedImage(None, error=f"cannot read {part.path}: {exc.strerror or exc}")
    nbytes = len(data)
    if not data:
        return PreparedImage(None, error="no image data")
    try:
        with PILImage.open(io.BytesIO(data)) as img:
            width, height = img.size
            if max_side is None:
                return PreparedImage(None, width, height, nbytes)
            # draft() lets JPEG decode at a reduced scale; other formats ignore it.
            img.draft("RGB", (max_side, max_side))
            if max(img.size) > max_side:
                img.thumbnail((max_side, max_side), PILImage.Resampling.BILINEAR, reducing_gap=2.0)
            # A copy outlives the `with`, which closes the file and frees the decode.
            thumb = img.copy()
    except (UnidentifiedImageError, OSError, ValueError, PILImage.DecompressionBombError) as exc:
        return PreparedImage(None, nbytes=nbytes, error=f"cannot decode image: {exc}")
    finally:
        del data
    if thumb.mode not in ("RGB", "RGBA", "L"):
        thumb = thumb.convert("RGBA")
    return PreparedImage(thumb, width, height, nbytes)


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
