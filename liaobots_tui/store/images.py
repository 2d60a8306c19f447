"""Image files of the history: one directory per conversation under the images dir.

The database records image paths relative to the images dir, so a moved data dir
keeps working; :class:`ImageFiles` turns parts into such paths (writing or copying
the bytes first) and stored paths back into absolute ones.

What lands on disk is chosen by what the bytes are, never by the MIME type or name
they came with: a generated image is saved only when
:func:`liaobots_tui.image_files.verify` accepts it, under the extension of the format
Pillow detected. Bytes that are not an accepted image and still reach
:meth:`ImageFiles.store_part` (a damaged file copied from an old conversation) are kept
as ``.bin``, which no system viewer opens as a program or a page. The images dir and
every conversation dir are mode 0700: they hold what the user sent and received.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import secrets
import shutil
import stat
import time
from pathlib import Path

from liaobots_tui.api.messages import FilePart, ImagePart
from liaobots_tui.image_files import UnsafeImage, identify, verify

#: Extension of bytes that are not an accepted image: nothing opens it as a program or a page.
UNKNOWN_EXT = ".bin"

# A stem handed in is used only when it cannot name another directory or a hidden file.
_SAFE_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")


def detected_ext(data: bytes) -> str:
    """The extension of the image format the bytes really are (header only), else :data:`UNKNOWN_EXT`."""
    try:
        return identify(data).ext
    except UnsafeImage:
        return UNKNOWN_EXT


def private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents as mode 0700, tighten it to 0700 if looser; return it.

    ``Path.mkdir(mode=…, parents=True)`` gives missing parents the default mode, and an
    older version created the images dir that way, so the mode is checked every time.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.name == "posix" and stat.S_IMODE(path.stat().st_mode) != 0o700:
        os.chmod(path, 0o700)
    return path


class ImageFiles:
    """Reads and writes the image files under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def conversation_dir(self, conversation_id: int) -> Path:
        """Where the conversation's images live (not created here)."""
        return self.root / str(conversation_id)

    def ensure_conversation_dir(self, conversation_id: int) -> Path:
        """The conversation's image dir, created (with the images dir) as mode 0700."""
        private_dir(self.root)
        return private_dir(self.conversation_dir(conversation_id))

    def save_generated(self, conversation_id: int, image: ImagePart, stem: str | None = None) -> ImagePart:
        """Write a generated image to a new file and return the part pointing at it.

        The returned part has the file's ``path``, no ``data``, and the detected MIME
        type in place of the one the gateway claimed.

        Raises:
            UnsafeImage: the bytes are not a PNG/JPEG/WebP/GIF Pillow can decode, or
                have too many pixels. Nothing is written then.
        """
        kind = verify(image.data)
        directory = self.ensure_conversation_dir(conversation_id)
        if not stem or not _SAFE_STEM.fullmatch(stem):
            stem = f"img-{time.time_ns() // 1_000_000}-{secrets.token_hex(4)}"
        path = write_new_file(directory, stem, kind.ext, image.data)
        return dataclasses.replace(image, data=b"", path=str(path), mime_type=kind.mime_type)

    def store_part(
        self,
        conversation_id: int,
        message_id: int,
        index: int,
        part: ImagePart | FilePart,
        written: list[Path],
    ) -> str | None:
        """The path to record for an image or attached file: relative to the root when the file is ours.

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
        self.ensure_conversation_dir(conversation_id)
        path = write_new_file(conv_dir, f"{message_id}-{index}", _ext(part, data), data)
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


def _ext(part: ImagePart | FilePart, data: bytes) -> str:
    """The extension to store bytes under: chosen by what they are, never by the name they came with.

    An attached text file is ``.txt`` whatever it was called (an ``.html`` or ``.sh`` kept
    under its own name would open as a page or run as a program); a PDF is ``.pdf`` only
    when it starts with the PDF magic bytes.
    """
    if isinstance(part, ImagePart):
        return detected_ext(data)
    if part.file_kind == "pdf":
        return ".pdf" if data.startswith(b"%PDF-") else UNKNOWN_EXT
    return ".txt"


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
