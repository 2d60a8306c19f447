"""Check and load an image the user attaches (CLI `-a FILE`, the app's attach prompt)."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from liaobots_tui.api.messages import ImagePart
from liaobots_tui.errors import InputError

#: The providers reject larger inline images (Anthropic 5 MB per image, OpenAI 20 MB); 20 MB bounds memory.
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
_MIB = 1024 * 1024
_MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}


def load_attachment(path: Path) -> ImagePart:
    """Read ``path`` as an image part, or raise InputError saying exactly why not."""
    shown = str(path)
    if not path.exists():
        raise InputError(f"attachment not found: {shown}")
    if not path.is_file():
        raise InputError(f"attachment is not a file: {shown}")
    size = path.stat().st_size
    if size > MAX_ATTACHMENT_BYTES:
        # Both in MiB, the unit the limit is set in: mixing units printed "21.0 MB (limit 21 MB)".
        limit = MAX_ATTACHMENT_BYTES / _MIB
        raise InputError(f"attachment too large: {shown} is {size / _MIB:.1f} MB (limit {limit:.0f} MB)")
    data = path.read_bytes()
    try:
        with Image.open(io.BytesIO(data)) as img:
            kind = img.format or ""
    except (UnidentifiedImageError, OSError):
        raise InputError(f"attachment is not an image: {shown}") from None
    mime = _MIME.get(kind)
    if mime is None:
        raise InputError(f"unsupported image type {kind or 'unknown'}: {shown} (use PNG, JPEG, GIF or WebP)")
    _check_decodes(data, shown)
    return ImagePart(data, mime_type=mime)


def _check_decodes(data: bytes, shown: str) -> None:
    """Decode the image once: the header alone passes a truncated or damaged file,
    which the gateway would reject only after the prompt was sent and paid for."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.verify()  # PNG chunk CRCs and structure
        with Image.open(io.BytesIO(data)) as img:
            img.load()  # the pixels themselves: a cut-off JPEG, GIF or WebP fails here
    except Image.DecompressionBombError:
        raise InputError(f"attachment has too many pixels to be a safe image: {shown}") from None
    except (OSError, SyntaxError, ValueError, EOFError):
        raise InputError(f"attachment is damaged or truncated: {shown}") from None
