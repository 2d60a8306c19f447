"""File names for generated pictures: when made and what was asked, e.g. ``2026-11-30-1432-red-fox-1``.

The prompt is the user's text, so it goes through :func:`prompt_slug` before it
touches a path: ASCII letters and digits only (accents folded, everything else a
single ``-``), lower case, cut at a word boundary to :data:`MAX_SLUG` characters.
No dot, slash or backslash survives, so a prompt cannot name a directory, a hidden
file or an extension. The stems carry no extension: whoever writes the file adds the
one of the format detected in the bytes.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

#: Longest prompt slug in a file name (the whole stem stays well under any file system's limit).
MAX_SLUG = 40
#: Stand-in when the prompt has nothing ASCII to show (only emoji, say).
FALLBACK_SLUG = "image"

_NOT_WORD = re.compile(r"[^a-z0-9]+")


def prompt_slug(prompt: str, limit: int = MAX_SLUG) -> str:
    """``"A red fox, in snow!"`` → ``"a-red-fox-in-snow"``; never empty, never longer than ``limit``."""
    folded = unicodedata.normalize("NFKD", prompt).encode("ascii", "ignore").decode("ascii")
    slug = _NOT_WORD.sub("-", folded.lower()).strip("-")
    if len(slug) > limit:
        cut = slug[: limit + 1]
        # Cut at the last whole word when there is one; a single long word is cut where it must be.
        slug = cut.rsplit("-", 1)[0] if "-" in cut else slug[:limit]
    return slug.strip("-") or FALLBACK_SLUG


def picture_stem(prompt: str, number: int, when: datetime | None = None) -> str:
    """``<local date>-<HHMM>-<slug>-<number>``, ``number`` counting the reply's pictures from 1."""
    moment = when if when is not None else datetime.now()
    return f"{moment:%Y-%m-%d-%H%M}-{prompt_slug(prompt)}-{max(1, number)}"
