"""Rows of the history database to and from the ``api.messages`` types.

Pure conversion: no SQL runs here. Image paths are turned into stored form (and
back) by the :class:`~liaobots_tui.store.images.ImageFiles` handed in; an attached file
(kind ``file``) keeps its name in the ``text`` column and its bytes beside the images.

Reading never fails on what a row holds: the file may have been written by an older
version, edited by hand or damaged. A JSON column that does not parse reads as empty,
a value of the wrong type as its empty default, a timestamp outside what a calendar
can show (before 1970, past the year 9999, not a number) as the nearest one that is,
and text from the gateway stored by a version that did not sanitize it is cleaned.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, cast, get_args

from liaobots_tui.api.messages import (
    PDF_MIME,
    TEXT_MIME,
    FilePart,
    FinishReason,
    Format,
    ImagePart,
    Message,
    Part,
    ProviderData,
    ReasoningPart,
    Role,
    Source,
    TextPart,
    Usage,
)
from liaobots_tui.api.sanitize import clean_line, clean_text
from liaobots_tui.store.images import ImageFiles
from liaobots_tui.store.records import MessageRecord, MessageStatus

INTERRUPTED = "interrupted"
#: Error of a message whose stored status is not one we know.
UNREADABLE = "unreadable status in the history file"

#: The latest timestamp every local time zone can show as a date (a day before 10000-01-01 UTC).
MAX_TIMESTAMP = dt.datetime(9999, 12, 30, tzinfo=dt.UTC).timestamp()

_ROLES = frozenset(get_args(Role))
_STATUSES = frozenset(get_args(MessageStatus))
_FORMATS = frozenset(get_args(Format))
_FINISH_REASONS = frozenset(get_args(FinishReason))

#: One ``parts`` row without its ids: kind, text, mime type, stored path, generated, provider json.
PartRow = tuple[str, str | None, str | None, str | None, int, str | None]


def bound_text(value: str | None) -> str | bytes | None:
    """A text value to bind where the SQL reads ``CAST(? AS TEXT)``: ASCII as it is, else its UTF-8 bytes.

    Binding a non-ASCII str makes sqlite3 ask CPython for its UTF-8 form, which CPython then
    keeps on the str for as long as the str lives (the PyUnicode utf8 cache): every saved
    reply the app goes on showing was held twice, as characters and as UTF-8 (a 160 kB reply
    with CJK and dashes: 501,614 bytes held instead of 323,816). Encoded here, the UTF-8 copy
    is a temporary that goes with the statement. An ASCII str is its own UTF-8: nothing is
    cached, so it is bound as it is. The cast stores the bytes as TEXT, as binding the str did.
    """
    if value is None or value.isascii():
        return value
    return value.encode("utf-8")


def json_or_none(value: Any) -> str | None:
    """Compact JSON for a non-empty value, else None (so empty things cost no bytes)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")) if value else None


def load_json(text: object) -> Any:
    """A JSON column's value; None when NULL, not text or not JSON (a damaged row reads as empty)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if not isinstance(text, str) or not text:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def load_json_dict(text: object) -> dict[str, Any]:
    """A JSON object column as a dict; empty when NULL, damaged or not an object."""
    value = load_json(text)
    return value if isinstance(value, dict) else {}


def timestamp(value: object) -> float:
    """A stored Unix time, clamped to what dates can show (0 for garbage)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    number = float(value)
    if math.isnan(number):
        return 0.0
    return min(max(number, 0.0), MAX_TIMESTAMP)


def optional_timestamp(value: object) -> float | None:
    """:func:`timestamp`, keeping NULL as None."""
    return None if value is None else timestamp(value)


def text(value: object) -> str:
    """A text column as str: NULL and non-text values read as empty, bytes as UTF-8."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return ""


def _known(value: object, allowed: frozenset[str]) -> str | None:
    return value if isinstance(value, str) and value in allowed else None


def str_or_none(value: object) -> str | None:
    """A non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def message_values(record: MessageRecord) -> tuple[Any, ...]:
    """model, format, status, error, finish_reason, usage_json, sources_json, ended_at."""
    message = record.message
    usage = message.usage.to_dict() if message.usage is not None else None
    sources = [{"uri": s.uri, "title": s.title} for s in message.sources]
    return (
        message.model,
        message.format,
        record.status,
        record.error,
        message.finish_reason,
        json_or_none(usage),
        json_or_none(sources),
        record.ended_at,
    )


def part_rows(
    images: ImageFiles, conversation_id: int, message_id: int, parts: Sequence[Part], written: list[Path]
) -> list[PartRow]:
    """The rows for ``parts``; writes image files first (their paths go in ``written``)."""
    return [
        part_row(images, conversation_id, message_id, index, part, written)
        for index, part in enumerate(parts)
    ]


def part_row(
    images: ImageFiles, conversation_id: int, message_id: int, index: int, part: Part, written: list[Path]
) -> PartRow:
    """The row for part number ``index``; an image's file is written first (its path goes in ``written``)."""
    pd = json_or_none(part.provider_data)
    if isinstance(part, ImagePart):
        stored = images.store_part(conversation_id, message_id, index, part, written)
        # An attached image's own name rides in the text column too (unused for images before).
        return ("image", part.name or None, part.mime_type, stored, int(part.generated), pd)
    if isinstance(part, FilePart):
        # The name rides in the text column: no schema change, and an older version shows it as text.
        stored = images.store_part(conversation_id, message_id, index, part, written)
        return ("file", part.name, part.mime_type, stored, 0, pd)
    return (part.kind, part.text, None, None, 0, pd)


def set_paths(images: ImageFiles, parts: Sequence[Part], rows: list[PartRow]) -> tuple[Part, ...]:
    """The parts with each image pointing at the file its row records (parts are values: new ones)."""
    return tuple(
        replace(part, path=str(images.resolve(row[3])))
        if isinstance(part, ImagePart | FilePart) and row[3] is not None
        else part
        for part, row in zip(parts, rows, strict=True)
    )


def part_from_row(
    images: ImageFiles, row: sqlite3.Row, *, appended: str = "", untrusted: bool = False
) -> Part:
    """A part from its row; images come back lazy (``path`` set, ``data`` empty).

    ``appended``: the part's streamed chunks, joined (text after ``parts.text``).
    ``untrusted``: the part belongs to a reply (gateway text), cleaned of terminal controls.
    """
    pd = part_provider_data(row)
    kind = row["kind"]
    if kind == "image":
        stored = row["path"]
        mime = row["mime_type"]
        return ImagePart(
            data=b"",
            mime_type=mime if isinstance(mime, str) and mime else "image/png",
            generated=bool(row["generated"]),
            path=str(images.resolve(stored)) if isinstance(stored, str) and stored else None,
            provider_data=pd,
            name=clean_line(text(row["text"]), 255),
        )
    if kind == "file":
        return file_from_row(images, row, pd)
    body = text(row["text"]) + appended
    if untrusted:
        body = clean_text(body)
    if kind == "reasoning":
        return ReasoningPart(body, provider_data=pd)
    return TextPart(body, provider_data=pd)


def part_provider_data(row: sqlite3.Row) -> ProviderData:
    """A part row's provider data (empty when NULL or damaged)."""
    return cast(ProviderData, load_json_dict(row["provider_data_json"]))


def file_from_row(images: ImageFiles, row: sqlite3.Row, pd: ProviderData) -> FilePart:
    """An attached file, lazy like an image; its size read from the file (0 when it vanished).

    The name and MIME type are the user's own input, but the row may have been edited:
    the name is cleaned to one line and an unknown type reads as text.
    """
    stored = row["path"]
    path = images.resolve(stored) if isinstance(stored, str) and stored else None
    try:
        size = path.stat().st_size if path is not None else 0
    except OSError:
        size = 0
    mime = PDF_MIME if row["mime_type"] == PDF_MIME else TEXT_MIME
    return FilePart(
        name=clean_line(text(row["text"]), 255) or "file",
        data=b"",
        mime_type=mime,
        path=str(path) if path is not None else None,
        size=size,
        provider_data=pd,
    )


def message_from_row(row: sqlite3.Row, parts: Sequence[Part]) -> MessageRecord:
    """A record from its row; "streaming" reads as failed/interrupted (see the package docstring)."""
    status = cast(MessageStatus | None, _known(row["status"], _STATUSES))
    error = clean_line(text(row["error"])) or None
    if status is None:
        status, error = "failed", error or UNREADABLE
    elif status == "streaming":
        status, error = "failed", error or INTERRUPTED
    model = clean_line(text(row["model"]), 200) or None
    message = Message(
        role=cast(Role, _known(row["role"], _ROLES) or "assistant"),
        parts=parts,
        model=model,
        format=cast(Format | None, _known(row["format"], _FORMATS)),
        usage=_usage(row["usage_json"]),
        finish_reason=cast(FinishReason | None, _known(row["finish_reason"], _FINISH_REASONS)),
        sources=_sources(row["sources_json"]),
    )
    return MessageRecord(
        message,
        id=row["id"],
        status=status,
        error=error,
        created_at=timestamp(row["created_at"]),
        ended_at=optional_timestamp(row["ended_at"]),
    )


def _usage(column: object) -> Usage | None:
    stored = load_json_dict(column)
    if not stored:
        return None
    known = Usage().to_dict()
    counts = {key: int(value) for key, value in stored.items() if key in known and _finite_number(value)}
    return Usage(**counts)


def _finite_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _sources(column: object) -> tuple[Source, ...]:
    stored = load_json(column)
    if not isinstance(stored, list):
        return ()
    return tuple(
        Source(uri=clean_line(item["uri"], 2000), title=clean_line(text(item.get("title")), 300))
        for item in stored
        if isinstance(item, dict) and isinstance(item.get("uri"), str)
    )
