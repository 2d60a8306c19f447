"""Check and load an image the user attaches (CLI `-a FILE`, the app's attach prompt).

The bytes are accepted only through :mod:`liaobots_tui.image_files` (PNG, JPEG, WebP
or GIF as Pillow detects them, the pixel cap checked from the header before anything
is decoded, then one full decode). Every refusal is one :class:`InputError` line
naming the file; a FIFO or device is refused without reading from it.
"""

from __future__ import annotations

import os
from pathlib import Path

from liaobots_tui.api.messages import ImagePart
from liaobots_tui.errors import InputError
from liaobots_tui.image_files import MAX_PIXELS, UnsafeImage, open_regular_file, verify

#: The providers reject larger inline images (Anthropic 5 MB per image, OpenAI 20 MB); 20 MB bounds memory.
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
_MIB = 1024 * 1024


def load_attachment(path: Path) -> ImagePart:
    """Read ``path`` as an image part, or raise InputError saying exactly why not."""
    shown = str(path)
    data = _read(path, shown)
    try:
        kind = verify(data)
    except UnsafeImage as exc:
        raise InputError(_refusal(exc, shown)) from None
    return ImagePart(data, mime_type=kind.mime_type)


def _read(path: Path, shown: str) -> bytes:
    """The file's bytes, at most :data:`MAX_ATTACHMENT_BYTES` of them."""
    if not path.exists():
        raise InputError(f"attachment not found: {shown}")
    try:
        with open_regular_file(path) as fh:
            size = os.fstat(fh.fileno()).st_size
            # One byte past the limit, not st_size: the file may grow while we read it.
            data = fh.read(MAX_ATTACHMENT_BYTES + 1) if size <= MAX_ATTACHMENT_BYTES else b""
            size = max(size, len(data))
    except UnsafeImage as exc:
        if exc.problem == "not_file":
            raise InputError(f"attachment is not a file: {shown}") from None
        raise InputError(f"cannot read attachment {shown}: {exc.reason}") from None
    except OSError as exc:
        raise InputError(f"cannot read attachment {shown}: {exc.strerror or type(exc).__name__}") from None
    if size > MAX_ATTACHMENT_BYTES:
        # Both in MiB, the unit the limit is set in: mixing units printed "21.0 MB (limit 21 MB)".
        limit = MAX_ATTACHMENT_BYTES / _MIB
        raise InputError(f"attachment too large: {shown} is {size / _MIB:.1f} MB (limit {limit:.0f} MB)")
    return data


def _refusal(exc: UnsafeImage, shown: str) -> str:
    """The one-line message for a refused attachment (wording the CLI has always used)."""
    if exc.problem == "unsupported":
        return f"unsupported image type {exc.detected}: {shown} (use PNG, JPEG, GIF or WebP)"
    if exc.problem == "too_many_pixels":
        if exc.kind is not None:
            return (
                f"attachment has too many pixels: {shown} is {exc.kind.width}×{exc.kind.height} "
                f"(limit {MAX_PIXELS // 1_000_000} Mpx)"
            )
        return f"attachment has too many pixels to be a safe image: {shown}"
    if exc.problem == "damaged":
        return f"attachment is damaged or truncated: {shown}"
    return f"attachment is not an image: {shown}"
