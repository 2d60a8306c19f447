"""Which image bytes we accept, whoever sent them: the gateway's generated images and the user's attachments.

An image is accepted only as PNG, JPEG, WebP or GIF *as Pillow detects it*, never by the
MIME type or file name it came with: a gateway that labels a payload ``application/hta``
or ``image/svg+xml`` must not choose what we write to disk or hand to a system viewer.
The pixel count is checked from the header before any pixel is decoded, so a small file
declaring 12000×12000 costs nothing.

Decoding itself (:func:`verify`, the app's previews) goes through :func:`decode_slot`,
which lets one or two images decode at a time within a pixel budget: six large images
in one reply are decoded in turn instead of all at once.
"""

from __future__ import annotations

import contextlib
import io
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

from liaobots_tui.regular_files import NotARegularFile, open_regular

if TYPE_CHECKING:
    from types import ModuleType

#: Largest image we decode (about 40 megapixels: a 4K image from the gateway is ~16 Mpx).
MAX_PIXELS = 40_000_000

#: Images decoding at once, and the pixels they may hold between them: a 40 Mpx image decodes
#: alone (~160 MB as RGBA), two smaller ones side by side.
MAX_PARALLEL_DECODES = 2
DECODE_PIXEL_BUDGET = MAX_PIXELS

Problem = Literal["not_image", "unsupported", "too_many_pixels", "damaged", "not_file", "unreadable"]


@dataclass(frozen=True)
class ImageKind:
    """What the bytes really are."""

    format: str  # Pillow's name: PNG, JPEG, WEBP, GIF
    mime_type: str
    ext: str  # with the dot
    width: int
    height: int

    @property
    def pixels(self) -> int:
        return self.width * self.height


_KINDS = {
    "PNG": ("image/png", ".png"),
    "JPEG": ("image/jpeg", ".jpg"),
    "WEBP": ("image/webp", ".webp"),
    "GIF": ("image/gif", ".gif"),
}
#: File name endings a system viewer may be handed for each format (it picks its handler by them).
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "PNG": (".png",),
    "JPEG": (".jpg", ".jpeg", ".jpe"),
    "WEBP": (".webp",),
    "GIF": (".gif",),
}
_ACCEPTED = tuple(_KINDS)


class UnsafeImage(ValueError):
    """The bytes are not an image we accept; ``reason`` says why in a few words.

    ``problem`` names the class of failure so callers can word their own message
    (the CLI's attachment errors predate this module); ``detected`` is Pillow's name
    for an unsupported format, ``kind`` the header of an image with too many pixels.
    """

    def __init__(
        self,
        reason: str,
        *,
        problem: Problem = "not_image",
        detected: str = "",
        kind: ImageKind | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.problem: Problem = problem
        self.detected = detected
        self.kind = kind


_pillow: ModuleType | None = None


def _pil() -> ModuleType:
    """``PIL.Image``, imported on the first image (about 25 ms a text-only `liaobots ask` never pays).

    Every decode path comes through here (identify, verify) before Pillow allocates pixels,
    so the block size below is set before the first large image.
    """
    global _pillow
    if _pillow is None:
        from PIL import Image

        _pillow = Image
        _return_freed_pixels_to_the_system()
    return _pillow


def pillow() -> ModuleType:
    """``PIL.Image`` for decoding elsewhere (the preview's thumbnails): set up as :func:`_pil` says."""
    return _pil()


def _open(source: IO[bytes], formats: tuple[str, ...] | None) -> tuple[str, int, int]:
    Image = _pil()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with Image.open(source, formats=formats) as img:
            return img.format or "", img.size[0], img.size[1]


def _identify_stream(source: IO[bytes]) -> ImageKind:
    Image = _pil()
    try:
        # Only our four formats' parsers see the bytes first: the others (IMT, PSD, …) have
        # raised ValueError and worse on hostile input.
        kind, width, height = _open(source, _ACCEPTED)
    except Image.DecompressionBombError:
        raise UnsafeImage("too many pixels to be a safe image", problem="too_many_pixels") from None
    except Exception:  # any parser failure on untrusted bytes means "not one of ours", never a traceback
        kind = ""
    if not kind:
        try:
            source.seek(0)
            other, _, _ = _open(source, None)  # header only, to name what it is ("BMP")
        except Exception:
            raise UnsafeImage("not an image") from None
        raise UnsafeImage(
            f"unsupported image type {other or 'unknown'} (PNG, JPEG, WebP or GIF only)",
            problem="unsupported",
            detected=other or "unknown",
        )
    mime, ext = _KINDS[kind]
    found = ImageKind(kind, mime, ext, width, height)
    if width * height > MAX_PIXELS:
        raise UnsafeImage(
            f"{width}×{height} is too many pixels (limit {MAX_PIXELS // 1_000_000} Mpx)",
            problem="too_many_pixels",
            kind=found,
        )
    return found


def identify(data: bytes) -> ImageKind:
    """Read the header only: the format and size, checked against :data:`MAX_PIXELS`.

    Raises:
        UnsafeImage: not PNG/JPEG/WebP/GIF, unreadable, or too many pixels.
    """
    return _identify_stream(io.BytesIO(data))


def open_regular_file(path: str | Path) -> IO[bytes]:
    """``path`` opened for reading only if it is a regular file; a FIFO or device never blocks us.

    Errors while reading the returned file are the caller's (a truncated image is not "unreadable").

    Raises:
        UnsafeImage: ``not_file`` for a FIFO, device, socket or directory; ``unreadable``
            when it cannot be opened (the reason says why).
    """
    try:
        return open_regular(path)
    except NotARegularFile:
        raise UnsafeImage("not a regular file", problem="not_file") from None
    except OSError as exc:
        raise UnsafeImage(exc.strerror or type(exc).__name__, problem="unreadable") from None


def identify_path(path: str | Path) -> ImageKind:
    """:func:`identify` for a file, reading only its header; a FIFO or device is refused unread.

    Raises:
        UnsafeImage: as :func:`identify` and :func:`open_regular_file`.
    """
    with open_regular_file(path) as fh:
        return _identify_stream(fh)


def has_extension_for(path: str | Path, kind: ImageKind) -> bool:
    """Whether the file name ends the way ``kind`` is named, so a system viewer treats it as that image."""
    return Path(path).suffix.lower() in EXTENSIONS.get(kind.format, ())


class _DecodeBudget:
    """At most ``parallel`` decodes and ``pixels`` pixels at once; a bigger image waits to decode alone."""

    def __init__(self, parallel: int, pixels: int) -> None:
        self._cond = threading.Condition()
        self._parallel = parallel
        self._pixels = pixels
        self._running = 0
        self._held = 0

    @contextlib.contextmanager
    def slot(self, pixels: int) -> Iterator[None]:
        want = max(0, min(pixels, self._pixels))  # never more than the whole budget: it would wait forever
        with self._cond:
            self._cond.wait_for(lambda: self._running < self._parallel and self._held + want <= self._pixels)
            self._running += 1
            self._held += want
        try:
            yield
        finally:
            with self._cond:
                self._running -= 1
                self._held -= want
                self._cond.notify_all()

    @property
    def running(self) -> int:
        with self._cond:
            return self._running


_BUDGET = _DecodeBudget(MAX_PARALLEL_DECODES, DECODE_PIXEL_BUDGET)

#: Pillow allocates a large image in blocks of this size. Its default (16 MB) is under glibc's
#: largest mmap threshold (32 MB), so after the first big free every block comes from the
#: decoding thread's malloc arena and stays there: six 36 Mpx previews decoded one after the
#: other on different worker threads kept ~1 GB resident. Blocks above the threshold are
#: mmapped and go back to the system when the image is freed (bench/image_preview.py --six).
PILLOW_BLOCK_SIZE = 64 * 1024 * 1024


def _return_freed_pixels_to_the_system() -> None:
    core: Any = getattr(_pil(), "core", None)  # the C module; not in Pillow's typed surface
    with contextlib.suppress(AttributeError, ValueError):  # an old or odd Pillow: a memory cost, not a fault
        if core.get_block_size() < PILLOW_BLOCK_SIZE:
            core.set_block_size(PILLOW_BLOCK_SIZE)


def decode_slot(pixels: int) -> contextlib.AbstractContextManager[None]:
    """Hold this while decoding an image of ``pixels`` pixels (blocks the calling thread until there is room).

    Call it from a worker thread, never on an event loop.
    """
    return _BUDGET.slot(pixels)


def decodes_running() -> int:
    """How many decodes hold a slot now (tests and benchmarks watch it)."""
    return _BUDGET.running


def verify(data: bytes) -> ImageKind:
    """:func:`identify`, then decode once: a truncated or damaged file fails here.

    Raises:
        UnsafeImage: as :func:`identify`, or "damaged or truncated".
    """
    kind = identify(data)
    Image = _pil()
    try:
        with decode_slot(kind.pixels):
            with Image.open(io.BytesIO(data), formats=(kind.format,)) as img:
                img.verify()  # PNG chunk CRCs and structure
            with Image.open(io.BytesIO(data), formats=(kind.format,)) as img:
                img.load()  # the pixels themselves: a cut-off JPEG, GIF or WebP fails here
    except Image.DecompressionBombError:
        raise UnsafeImage("too many pixels to be a safe image", problem="too_many_pixels") from None
    except Exception:  # any decoder failure on untrusted bytes: the file is bad, never a traceback
        raise UnsafeImage("damaged or truncated", problem="damaged") from None
    return kind
