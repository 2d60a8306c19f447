"""The one sanitizer for text that comes from outside: the gateway, a model, a usage record.

Everything the gateway sends is untrusted. A reply can be shaped by prompt injection,
an error body by whoever runs the server. Before such text is stored or shown it goes
through :func:`clean_text` (terminal-safe: no C0 controls but newline and tab, no DEL,
no C1), and a one-line field (a model id, a title, an error) through :func:`clean_line`,
which also collapses whitespace and caps the length. The auth code is removed with
:func:`scrub_secret` *before* anything is cut, so a cut can never leave most of it behind.

Markup safety is the front ends' job (they show this text with markup off); this module
only guarantees that no byte of it can drive a terminal.
"""

from __future__ import annotations

import re

#: C0 controls except tab (0x09) and newline (0x0A), DEL, and C1 (U+0080–U+009F).
#: CR goes too: a bare CR lets text overwrite what a terminal already shows.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_UNSAFE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"\s+")

#: Shorter auth codes are test/demo values; scrubbing them would mangle ordinary words.
MIN_SECRET_LEN = 6
#: What a scrubbed auth code (or a piece of one) reads as.
MASK = "[auth code]"


def clean_text(text: str) -> str:
    """``text`` without the characters that can drive a terminal (keeps newlines and tabs)."""
    return _UNSAFE.sub("", text) if _UNSAFE.search(text) else text


def clean_line(text: str, limit: int = 300) -> str:
    """One line of at most ``limit`` characters: controls dropped, whitespace collapsed, cut with "…"."""
    line = _SPACES.sub(" ", _UNSAFE_LINE.sub(" ", text)).strip()
    return line if len(line) <= limit else line[: max(limit - 1, 0)].rstrip() + "…"


def scrub_secret(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of ``secret`` (and its trimmed form) replaced by :data:`MASK`.

    Call it on the whole text before cutting: see :func:`cut_scrubbed` for text that is
    already cut by someone else.
    """
    if not secret:
        return text
    for form in {secret, secret.strip()}:
        if len(form) >= MIN_SECRET_LEN and form in text:
            text = text.replace(form, MASK)
    return text


def cut_scrubbed(text: str, secret: str | None, limit: int) -> str:
    """Scrub, cut to ``limit`` characters, then mask any piece of the secret left at the cut.

    A server that echoes the code across the cut would otherwise get all but one
    character of it printed: a prefix of the code of :data:`MIN_SECRET_LEN` or more
    characters at the end of the cut text is masked as well.
    """
    text = scrub_secret(text, secret)
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if secret:
        code = secret.strip()
        for size in range(min(len(code) - 1, len(cut)), MIN_SECRET_LEN - 1, -1):
            if cut.endswith(code[:size]):
                cut = cut[: len(cut) - size] + MASK
                break
    return cut + "…"
