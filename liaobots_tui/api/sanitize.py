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

import json
import re
from typing import Any, TextIO, cast

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
    # The JSON-escaped form too: raw bodies are scrubbed before they are decoded.
    for form in {secret, secret.strip(), json.dumps(secret.strip())[1:-1]}:
        if len(form) >= MIN_SECRET_LEN and form in text:
            text = text.replace(form, MASK)
    return text


def _mask_tail(cut: str, secret: str | None) -> str:
    """``cut`` with a trailing prefix of ``secret`` (:data:`MIN_SECRET_LEN` or more characters) masked."""
    if not secret:
        return cut
    code = secret.strip()
    for size in range(min(len(code) - 1, len(cut)), MIN_SECRET_LEN - 1, -1):
        if cut.endswith(code[:size]):
            return cut[: len(cut) - size] + MASK
    return cut


def cut_scrubbed(text: str, secret: str | None, limit: int) -> str:
    """Scrub, cut to ``limit`` characters, then mask any piece of the secret left at the cut.

    A server that echoes the code across the cut would otherwise get all but one
    character of it printed: a prefix of the code of :data:`MIN_SECRET_LEN` or more
    characters at the end of the cut text is masked as well.
    """
    text = scrub_secret(text, secret)
    if len(text) <= limit:
        return text
    return _mask_tail(text[:limit], secret) + "…"


def scrub_cut(text: str, secret: str | None) -> str:
    """Scrub text that someone else may already have cut with "…" (an error message, a finish reason).

    Whole occurrences of the code are masked, and so is a piece of it (6+ characters)
    left just before any "…" or at the very end.
    """
    text = scrub_secret(text, secret)
    if not secret:
        return text
    # Each "…" may mark a cut, wherever later wording (" (HTTP 400)") put it.
    return "…".join(_mask_tail(piece, secret) for piece in text.split("…"))


#: Largest count (tokens, ids, milliseconds) taken from the gateway: JSON integers are
#: unbounded, SQLite's and most arithmetic's are not. 2**53 is exact as a float as well.
MAX_COUNT = 2**53


def clean_count(value: object) -> int:
    """``value`` as a count when it is an integer in [0, :data:`MAX_COUNT`], else 0."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT:
        return value
    return 0


#: Characters JSON may carry raw but a terminal would obey (DEL and C1), plus the line
#: separators some viewers break lines on.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029]")


def terminal_json(obj: object) -> str:
    """``json.dumps(obj, ensure_ascii=False)`` with DEL and C1 escaped as ``\\uXXXX``.

    ``ensure_ascii=False`` keeps non-ASCII text readable and escapes C0 already,
    but lets U+0080–U+009F out raw; U+009B alone is a CSI to many terminals.
    """
    text = json.dumps(obj, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) if _JSON_UNSAFE.search(text) else text


class TerminalGuard:
    """A text stream that drops terminal controls from everything written to it.

    The command line's last line of defence: wrapped around ``sys.stdout`` and
    ``sys.stderr`` for the scripting commands, so nothing the gateway sent can
    reach a terminal (or a file later shown in one) with an escape sequence, even
    through a path that forgot to clean it. Newlines, tabs and CRLF line ends pass;
    everything else (reads, ``fileno``, ``isatty``…) goes to the wrapped stream.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    @classmethod
    def wrap(cls, stream: TextIO) -> TextIO:
        """``stream`` guarded (once: a guarded stream is returned as it is)."""
        # Duck-typed TextIO: it has the methods print() and the CLI use, the rest delegates.
        return stream if isinstance(stream, cls) else cast(TextIO, cls(stream))

    @property
    def wrapped(self) -> TextIO:
        return self._stream

    def write(self, text: str) -> int:
        if "\r\n" in text:
            # CSV rows end in CRLF, which moves no cursor anywhere harmful; a lone CR does.
            self._stream.write("\r\n".join(map(clean_text, text.split("\r\n"))))
        else:
            self._stream.write(clean_text(text))
        return len(text)  # what the caller handed over, as TextIO.write promises

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
