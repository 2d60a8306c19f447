"""Rows of the history database to and from the ``api.messages`` types.

Pure conversion: no SQL runs here. Image paths are turned into stored form (and
back) by the :class:`~liaobots_tui.store.images.ImageFiles` handed in.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, cast

from liaobots_tui.api.messages import (
    FinishReason,
    Format,
    ImagePart,
    Message,
    MessageStatus,
    Part,
    ProviderData,
    ReasoningPart,
    Role,
    Source,
    TextPart,
    Usage,
)
from liaobots_tui.store.images import ImageFiles

INTERRUPTED = "interrupted"

#: One ``parts`` row without its ids: kind, text, mime type, stored path, generated, provider json.
PartRow = tuple[str, str | None, str | None, str | None, int, str | None]


def json_or_none(value: Any) -> str | None:
    """Compact JSON for a non-empty value, else None (so empty things cost no bytes)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")) if value else None


def load_json_dict(text: str | None) -> dict[str, Any]:
    """A JSON object column as a dict; empty when NULL or not an object."""
    if not text:
        return {}
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


def str_or_none(value: object) -> str | None:
    """A non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def message_values(message: Message) -> tuple[Any, ...]:
    """model, format, status, error, finish_reason, usage_json, sources_json."""
    usage = message.usage.to_dict() if message.usage is not None else None
    sources = [{"uri": s.uri, "title": s.title} for s in message.sources]
    return (
        message.model,
        message.format,
        message.status,
        message.error,
        message.finish_reason,
        json_or_none(usage),
        json_or_none(sources),
    )


def part_rows(
    images: ImageFiles, conversation_id: int, message_id: int, parts: list[Part], written: list[Path]
) -> list[PartRow]:
    """The rows for ``parts``; writes image files first (their paths go in ``written``)."""
    rows: list[PartRow] = []
    for index, part in enumerate(parts):
        pd = json_or_none(part.provider_data)
        if isinstance(part, ImagePart):
            stored = images.store_part(conversation_id, message_id, index, part, written)
            rows.append(("image", None, part.mime_type, stored, int(part.generated), pd))
        else:
            rows.append((part.kind, part.text, None, None, 0, pd))
    return rows


def set_paths(images: ImageFiles, parts: list[Part], rows: list[PartRow]) -> None:
    """Point each image part at the file its row records."""
    for part, row in zip(parts, rows, strict=True):
        if isinstance(part, ImagePart) and row[3] is not None:
            part.path = str(images.resolve(row[3]))


def part_from_row(images: ImageFiles, row: sqlite3.Row) -> Part:
    """A part from its row; images come back lazy (``path`` set, ``data`` empty)."""
    pd = cast(ProviderData, load_json_dict(row["provider_data_json"]))
    kind = row["kind"]
    if kind == "image":
        stored = row["path"]
        return ImagePart(
            data=b"",
            mime_type=row["mime_type"] or "image/png",
            generated=bool(row["generated"]),
            path=None if stored is None else str(images.resolve(stored)),
            provider_data=pd,
        )
    if kind == "reasoning":
        return ReasoningPart(row["text"] or "", provider_data=pd)
    return TextPart(row["text"] or "", provider_data=pd)


def message_from_row(row: sqlite3.Row, parts: list[Part]) -> Message:
    """A message from its row; "streaming" reads as failed/interrupted (see the package docstring)."""
    status = cast(MessageStatus, row["status"])
    error = row["error"]
    if status == "streaming":
        status, error = "failed", error or INTERRUPTED
    usage_dict = load_json_dict(row["usage_json"])
    known = Usage().to_dict()
    usage = Usage(**{k: int(v) for k, v in usage_dict.items() if k in known}) if usage_dict else None
    sources_raw = json.loads(row["sources_json"]) if row["sources_json"] else []
    sources = [Source(uri=s["uri"], title=s.get("title", "")) for s in sources_raw]
    return Message(
        role=cast(Role, row["role"]),
        parts=parts,
        model=row["model"],
        format=cast(Format | None, row["format"]),
        status=status,
        error=error,
        usage=usage,
        finish_reason=cast(FinishReason | None, row["finish_reason"]),
        sources=sources,
        id=row["id"],
        created_at=row["created_at"],
    )
