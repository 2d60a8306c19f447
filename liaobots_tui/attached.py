"""Attachments taken from a saved prompt to be sent again (edit, resend): fresh parts with their names."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from liaobots_tui.api.messages import Attachment, FilePart, ImagePart, Message


def fresh_copy(part: Attachment) -> Attachment:
    """``part`` holding its bytes and no stored path, so the store writes it anew for the new message."""
    if isinstance(part, FilePart):
        data = part.load()
        return dataclasses.replace(part, data=data, path=None, size=part.size or len(data))
    return ImagePart(part.load(), mime_type=part.mime_type, name=part.name)


def attachments_of(message: Message) -> list[tuple[Attachment, str]]:
    """The message's files and images as (fresh part, name to show), files first as they are sent."""
    named: list[tuple[Attachment, str]] = [(fresh_copy(p), p.name) for p in message.files]
    named += [(fresh_copy(p), p.name or (Path(p.path).name if p.path else "image")) for p in message.images]
    return named
