"""Syntax-highlighting lexers made ready off the event loop, once the first chat is painted.

Pygments builds a lexer class's regular expressions the first time the class is used,
and Textual highlights a code block as it is appended: the first ``python`` fence of a
session cost 47 ms of CPU in that one append (css 63, sql 23, javascript 21, measured
on a busy machine), the longest iteration of a paced stream. A daemon thread builds
the lexers of the languages models write most often after the first paint, while the
user reads or types; the built expressions are cached on the classes for the whole
process. The thread holds the interpreter lock only in short slices (it is Python
code, switched every few milliseconds), so the screen stays responsive meanwhile.
"""

from __future__ import annotations

import threading

from pygments.lexers import get_lexer_by_name  # type: ignore[import-untyped]
from pygments.util import ClassNotFound  # type: ignore[import-untyped]

#: The fence languages warmed, most often written first.
LANGUAGES = tuple(
    "python bash javascript typescript json sql rust go c cpp java html css yaml toml diff shell"
    " csharp kotlin ruby php".split()
)

_started: threading.Thread | None = None
_lock = threading.Lock()


def warm(languages: tuple[str, ...] = LANGUAGES) -> None:
    """Build the lexers of ``languages`` now (in the calling thread)."""
    for name in languages:
        try:
            get_lexer_by_name(name)
        except ClassNotFound:
            continue  # an older Pygments without it: it is built on first use, as before


def start() -> threading.Thread:
    """Warm the lexers in a daemon thread, once per process; the thread (for a caller to wait on)."""
    global _started
    with _lock:
        if _started is None:
            _started = threading.Thread(target=warm, name="lexer-warmup", daemon=True)
            _started.start()
        return _started
