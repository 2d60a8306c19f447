"""Image files of the history: one directory per conversation under the images dir.

The database records image paths relative to the images dir, so a moved data dir
keeps working; :class:`ImageFiles` turns parts into such paths (writing or copying
the bytes first) and stored paths back into absolute ones.
"""

from __future__ import annotations

import contextlib
import mimetypes
import os
import secrets
import shutil
import time
from pathlib import Path

from liaobots_tui import paths
from liaobots_tui.api.messages import ImagePart

_MIME_EXT = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "image/heic": ".heic",
    "image/heif": ".heif",
    "image/bmp": ".bmp",
    "image/svg+xml": ".svg",
}


def ext_for(mime_type: str) -> str:
    """The file extension (with the dot) for a MIME type."""
    mime = mime_type.split(";", 1)[0].strip().lower()
    return _MIME_EXT.get(mime) or mimetypes.guess_extension(mime) or ".bin"


class ImageFiles:
    """Reads and writes the image files under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def conversation_dir(self, conversation_id: int) -> Path:
        """Where the conversation's images live (not created here)."""
        return self.root / str(conversation_id)

    def save(self, conversation_id: int, data: bytes, mime_type: str) -> Path:
        """Write a new image file for the conversation and return its absolute path."""
        directory = paths.ensure_dir(self.conversation_dir(conversation_id))
        stem = f"img-{time.time_ns() // 1_000_000}-{secrets.token_hex(4)}"
        return write_new_file(directory, stem, ext_for(mime_type), data)

    def store_part(
        self, conversation_id: int, message_id: int, index: int, part: ImagePart, written: list[Path]
    ) -> str | None:
        """The path to record for an image: relative to the root when the file is ours.

        Bytes not yet in the conversation's directory are written (or copied) there
        first; each new file is appended to ``written`` so a failed transaction can
        remove it.
        """
        conv_dir = self.conversation_dir(conversation_id)
        if part.path:
            current = Path(part.path)
            if is_within(current, conv_dir):
                return current.resolve().relative_to(self.root.resolve()).as_posix()
        data = part.data
        if not data and part.path:
            try:
                data = Path(part.path).read_bytes()
            except OSError:
                data = b""
        if not data:
            # Nothing to copy (a file that vanished): keep whatever reference we have.
            return part.path
        paths.ensure_dir(conv_dir)
        path = write_new_file(conv_dir, f"{message_id}-{index}", ext_for(part.mime_type), data)
        written.append(path)
        return path.relative_to(self.root).as_posix()

    def resolve(self, stored: str) -> Path:
        """The absolute path of a recorded one."""
        path = Path(stored)
        return path if path.is_absolute() else self.root / path

    def delete_conversation(self, conversation_id: int) -> None:
        """Remove the conversation's directory; a missing one is no error."""
        shutil.rmtree(self.conversation_dir(conversation_id), ignore_errors=True)

    @staticmethod
    def discard(written: list[Path]) -> None:
        """Remove files written for a transaction that did not commit."""
        for path in written:
            with contextlib.suppress(OSError):
                path.unlink()


def is_within(path: Path, directory: Path) -> bool:
    """Whether ``path`` resolves to somewhere inside ``directory``."""
    try:
        path.resolve().relative_to(directory.resolve())
    except ValueError:
        return False
    return True


def write_new_file(directory: Path, stem: str, ext: str, data: bytes) -> Path:
    """Write ``data`` to a new file ``stem[-n]ext`` in ``directory``, never overwriting one; mode 0600.

    A crash mid-write can leave a partial file, but never one the database points
    at: rows are committed (or the path handed out) only after the write returns.
    """
    n = 1
    while True:
        target = directory / (f"{stem}{ext}" if n == 1 else f"{stem}-{n}{ext}")
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
        except FileExistsError:
            n += 1
            continue
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
        except BaseException:
            with contextlib.suppress(OSError):
                target.unlink()
            raise
        return target
