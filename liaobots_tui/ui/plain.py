"""Outside text as something a widget can show: plain (never markup), terminal-safe, bounded.

Replies, errors, model ids, usage records, source titles, chat titles and file names
come from the gateway, a model or the file system. Textual parses a ``str`` handed to
a Static, a DataTable cell, a Select or OptionList prompt or a toast as content
markup: ``[/]`` raises MarkupError (the app dies) and ``[@click=app.…]`` becomes an
action the user can trigger by clicking. And Textual writes control characters other
than BEL/BS/CR straight to the terminal, so an ``ESC ] 52`` in a model id would set
the clipboard. Widgets therefore get outside text only through these helpers:
:class:`~textual.content.Content` or :class:`~rich.text.Text` built *without* markup,
from text cleaned by :mod:`liaobots_tui.api.sanitize` (the api layer cleans at the
boundary already; this is the last guard, and it covers text stored by older versions).
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content
from textual.fuzzy import Matcher
from textual.markup import escape

from liaobots_tui.api.sanitize import clean_line, clean_text

#: Longest one-line label we show for an outside string (model ids, titles, error lines).
LINE_LIMIT = 300


def plain(text: str) -> Content:
    """Multi-line outside text as Content: no markup, no terminal controls (newlines and tabs kept)."""
    return Content(clean_text(text))


def plain_line(text: str, limit: int = LINE_LIMIT) -> Content:
    """One line of outside text as Content: no markup, controls and runs of whitespace collapsed, cut."""
    return Content(clean_line(text, limit))


def plain_cell(text: str, limit: int = LINE_LIMIT, *, justify: str | None = None) -> Text:
    """A DataTable cell or Select prompt from outside text (these widgets parse a ``str`` as markup)."""
    return Text(clean_line(text, limit), justify=justify)  # type: ignore[arg-type]


def markup_escaped(text: str, limit: int = LINE_LIMIT) -> str:
    """One line of outside text for an API that only takes markup (the command palette's
    ``help``): cleaned, with every ``[`` escaped so it shows as written."""
    return escape(clean_line(text, limit))


def highlighted(matcher: Matcher, text: str, limit: int = LINE_LIMIT) -> Content:
    """A command-palette prompt from outside text, with the matched letters highlighted.

    ``Matcher.highlight`` parses its argument as markup (a model id ``[/]`` raised
    MarkupError when the palette searched models): it gets the escaped text instead.
    """
    return matcher.highlight(markup_escaped(text, limit))
