"""Which image bytes we accept, whoever sent them: the gateway's generated images and the user's attachments.

An image is accepted only as PNG, JPEG, WebP or GIF *as Pillow detects it*, never by the
MIME type or file name it came with: a gateway that labels a payload ``application/hta``
or ``image/svg+xml`` must not choose what we write to disk or hand to a system viewer.
The pixel count is checked from the header before any pixel is decoded, so a small file
declaring 12000×12000 costs nothing.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

#: Largest image we decode (about 40 megapixels: a 4K image from the gateway is ~16 Mpx).
MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class ImageKind:
    """What the bytes really are."""

    format: str  # Pillow's name: PNG, JPEG, WEBP, GIF
    mime_type: str
    ext: str  # with the dot
    width: int
    height: int


_KINDS = {
    "PNG": ("image/png", ".png"),
    "JPEG": ("image/jpeg", ".jpg"),
    "WEBP": ("image/webp", ".webp"),
    "GIF": ("image/gif", ".gif"),
}


class UnsafeImage(ValueError):
    """The bytes are not an image we accept; ``reason`` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def identify(data: bytes) -> ImageKind:
    """Read the header only: the format and size, checked against :data:`MAX_PIXELS`.

    Raises:
        UnsafeImage: not PNG/JPEG/WebP/GIF, unreadable, or too many pixels.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                kind, (width, height) = img.format or "", img.size
    except Image.DecompressionBombError:
        raise UnsafeImage("too many pixels to be a safe image") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise UnsafeImage("not an image") from None
    known = _KINDS.get(kind)
    if known is None:
        raise UnsafeImage(f"unsupported image type {kind or 'unknown'} (PNG, JPEG, WebP or GIF only)")
    if width * height > MAX_PIXELS:
        raise UnsafeImage(f"{width}×{height} is too many pixels (limit {MAX_PIXELS // 1_000_000} Mpx)")
    return ImageKind(kind, known[0], known[1], width, height)


def verify(data: bytes) -> ImageKind:
    """:func:`identify`, then decode once: a truncated or damaged file fails here.

    Raises:
        UnsafeImage: as :func:`identify`, or "damaged or truncated".
    """
    kind = identify(data)
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.verify()  # PNG chunk CRCs and structure
        with Image.open(io.BytesIO(data)) as img:
            img.load()  # the pixels themselves: a cut-off JPEG, GIF or WebP fails here
    except Image.DecompressionBombError:
        raise UnsafeImage("too many pixels to be a safe image") from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise UnsafeImage("damaged or truncated") from None
    return kind
