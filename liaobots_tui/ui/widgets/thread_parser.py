"""The chat's Markdown parser, made once per thread rather than once per render of a piece.

Textual's ``Markdown`` calls its ``parser_factory`` at every update and every append:
while a reply streams that made a fresh parser (with its linkify matcher, whose
compiled schemas and bound-method rules are reference cycles) several times a
second, each left for the cyclic collector once dropped (measured: the largest share
of what was still waiting for it after a reply, megabytes of it). A parser keeps no
state between parses except the linkify matcher's, which is per call but stored on
the matcher, so one is shared per thread: updates parse in Textual's worker threads,
appends on the event loop's.
"""

from __future__ import annotations

import threading

from markdown_it import MarkdownIt

from liaobots_tui.ui.widgets.markdown_pieces import chat_parser

_local = threading.local()


def thread_chat_parser() -> MarkdownIt:
    """This thread's chat parser (see :func:`~liaobots_tui.ui.widgets.markdown_pieces.chat_parser`)."""
    parser: MarkdownIt | None = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = chat_parser()
    return parser
