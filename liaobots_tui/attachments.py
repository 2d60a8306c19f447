"""Check and load a file the user attaches (CLI `-a FILE`, the app's attach prompt): image, text or PDF.

What a file is comes from its bytes, never its name: a PDF starts with ``%PDF-``; an
image is accepted only through :mod:`liaobots_tui.image_files` (PNG, JPEG, WebP or GIF
as Pillow detects them, the pixel cap checked from the header before anything is
decoded, then one full decode); anything else must be UTF-8 text without NUL bytes.
Every refusal is one :class:`InputError` line naming the file; a FIFO, device or
directory is refused without reading from it.
"""

from __future__ import annotations

import os
from pathlib import Path

from liaobots_tui.api.messages import PDF_MIME, TEXT_MIME, FilePart, ImagePart
from liaobots_tui.api.sanitize import clean_line
from liaobots_tui.config import Settings
from liaobots_tui.errors import InputError
from liaobots_tui.image_files import MAX_PIXELS, UnsafeImage, identify, open_regular_file, verify

#: The providers reject larger inline images (Anthropic 5 MB per image, OpenAI 20 MB); 20 MB bounds memory.
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
_MIB = 1024 * 1024


PDF_MAGIC = b"%PDF-"


def attachment_limit(settings: Settings) -> int:
    """The ``max_attachment_mb`` setting in bytes."""
    return int(settings.max_attachment_mb * _MIB)


def load_attachment(path: Path, limit: int = MAX_ATTACHMENT_BYTES) -> ImagePart | FilePart:
    """Read ``path`` as an image, text or PDF part, or raise InputError saying exactly why not.

    ``limit``: the largest file accepted, in bytes (the ``max_attachment_mb`` setting).
    """
    shown = str(path)
    data = _read(path, shown, limit)
    if not data:
        raise InputError(f"attachment is empty: {shown}")
    # A file name that is not UTF-8 (Latin-1 on a UTF-8 system) holds surrogates SQLite cannot store.
    readable = path.name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    name = clean_line(readable, 255) or "file"
    if data.startswith(PDF_MAGIC):
        return FilePart(name, data, mime_type=PDF_MIME, size=len(data))
    try:
        identify(data)
    except UnsafeImage as exc:
        # Pillow reads some plain text as an image format it then refuses (XBM is C source): text wins.
        if exc.problem in ("not_image", "unsupported") and is_text(data):
            return FilePart(name, data, mime_type=TEXT_MIME, size=len(data))
        if exc.problem == "not_image":
            raise InputError(f"not a text file, image or PDF: {shown}") from None
    try:
        kind = verify(data)
    except UnsafeImage as exc:
        raise InputError(_refusal(exc, shown)) from None
    return ImagePart(data, mime_type=kind.mime_type, name=name)


def is_text(data: bytes) -> bool:
    """Whether ``data`` is UTF-8 text (BOM allowed); a NUL byte means binary, as grep and git judge."""
    if b"\0" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _read(path: Path, shown: str, limit: int) -> bytes:
    """The file's bytes, at most ``limit`` of them."""
    if not path.exists():
        raise InputError(f"attachment not found: {shown}")
    if path.is_dir():
        raise InputError(f"attachment is a directory, not a file: {shown}")
    try:
        with open_regular_file(path) as fh:
            size = os.fstat(fh.fileno()).st_size
            # One byte past the limit, not st_size: the file may grow while we read it.
            data = fh.read(limit + 1) if size <= limit else b""
            size = max(size, len(data))
    except UnsafeImage as exc:
        if exc.problem == "not_file":
            raise InputError(f"attachment is not a file: {shown}") from None
        raise InputError(f"cannot read attachment {shown}: {exc.reason}") from None
    except OSError as exc:
        raise InputError(f"cannot read attachment {shown}: {exc.strerror or type(exc).__name__}") from None
    if size > limit:
        # Both in MiB, the unit the limit is set in: mixing units printed "21.0 MB (limit 21 MB)".
        raise InputError(f"attachment too large: {shown} is {_too_large(size, limit)}")
    return data


def _too_large(size: int, limit: int) -> str:
    """``21.0 MB (limit 20 MB)``; in KB when the limit is under a megabyte (``0.0 MB`` says nothing)."""
    if limit >= _MIB:
        return f"{size / _MIB:.1f} MB (limit {limit / _MIB:.0f} MB)"
    return f"{size / 1024:.1f} KB (limit {limit / 1024:.1f} KB)"


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
