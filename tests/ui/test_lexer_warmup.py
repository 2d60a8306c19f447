"""The lexers of common fence languages are built once, off the event loop, after the first paint."""

from __future__ import annotations

from pygments.lexers import get_lexer_by_name

from liaobots_tui.ui import lexer_warmup
from liaobots_tui.ui.first_paint import FirstPaint


def built(name: str) -> bool:
    """Its regular expressions are built (cached on the class: the next use builds nothing)."""
    return "_tokens" in type(get_lexer_by_name(name)).__dict__


async def test_the_first_paint_starts_one_warmup_that_builds_the_common_lexers() -> None:
    FirstPaint().mark()
    thread = lexer_warmup.start()
    assert lexer_warmup.start() is thread  # once per process
    thread.join()  # a condition (the thread's end), not a time
    assert thread.daemon  # never holds the app's exit
    for name in ("python", "javascript", "sql", "css", "rust", "bash"):
        assert built(name), name


def test_an_unknown_language_is_skipped() -> None:
    lexer_warmup.warm(("no-such-language-xyz", "toml"))
    assert built("toml")
