"""An export's message body is worked out from one parse of the message, with the same result as before.

:func:`contained` used to parse a message twice in full (once to move its headings
down, once more with a turn heading after it) and to rebuild the line list for every
setext heading; it now parses the message once and then only its last top-level block.
``_reference`` below is the former function, kept here to hold the new one to it,
byte for byte, on tricky Markdown and on many generated texts.
"""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from liaobots_tui.markdown_export import HEADING_SHIFT, _as_code, contained

_ATX = re.compile(r"^( {0,3})(#{1,6})(?=[ \t]|$)")
_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")


def _reference(text: str) -> str:
    """The former ``contained``: two full parses, setext headings spliced from the end."""
    tokens = MarkdownIt("gfm-like").parse(text)
    lines = text.split("\n")
    for token in reversed(tokens):
        if token.type != "heading_open" or token.level != 0 or token.map is None:
            continue
        start, end = token.map
        level = min(6, int(token.tag[1]) + HEADING_SHIFT)
        if token.markup.startswith("#"):
            m = _ATX.match(lines[start])
            if m is not None:
                lines[start] = m.group(1) + "#" * level + lines[start][m.end() :]
        else:
            words = " ".join(line.strip() for line in lines[start : end - 1])
            lines[start:end] = ["#" * level + " " + words]
    body = "\n".join(lines)
    fence: str | None = None
    for line in body.split("\n"):
        if fence is None:
            m = _FENCE_OPEN.match(line)
            if m and not (m.group(1)[0] == "`" and "`" in m.group(2)):
                fence = m.group(1)
        elif re.fullmatch(rf" {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*", line):
            fence = None
    if fence is not None:
        body = f"{body.rstrip()}\n{fence}"
    after = MarkdownIt("gfm-like").parse(f"{body}\n\n## next\n")
    room = len(after) >= 3 and after[-3].type == "heading_open" and after[-3].level == 0
    return body if room else _as_code(text)


TRICKY = [
    "",
    "\n\n",
    "plain words",
    "# Title\n\nSome text\n\n## User\n\nmore",
    "Setext one\nover two lines\n===\n\nand\n---\n\nend",
    "Para\n---\n",
    "```python\ncode never closed\n# not a heading",
    "````\n```\nstill code\n",
    "~~~ info\ncode\n~~~~\n\n# after",
    "``` a`b\nnot a fence, inline code\n# heading",
    "<!-- a comment that never ends\n\n# hidden",
    "<pre>\nunclosed pre\n\n## x",
    "<div>\nhtml block\n</div>\n\n# h",
    "- item\n\n  ```\n  open fence in a list",
    "- item\n\n   ```\nfence at three spaces",
    "> quote\n> ```\n> open in a quote",
    "> # heading in a quote\n\n# top",
    "    indented code\n    # not a heading\n",
    "| a | b |\n|---|---|\n| 1 | 2 |\n\n# after table",
    "[ref]: /url\n\n# h\n\n[ref]",
    "text\r\n# crlf heading\r\n\r\nmore\r\n",
    "<!--\r\n-->\r\n\r\n# after a closed comment",
    "####### seven hashes\n###### six\n#### four",
    "line\n<script>\nnever closed",
    "a\n\n<?php\nnever closed",
    "1. one\n2. two\n\n    code in list\n\n# h",
    "Heading\n===\nPara right after\n---\nagain\n===",
    "*emphasis*\n\n***\n\n___\n\nend",
]


def test_tricky_markdown_is_contained_as_before() -> None:
    for text in TRICKY:
        assert contained(text) == _reference(text), text


def test_lone_carriage_returns_break_lines_as_the_parser_reads_them() -> None:
    # The former function failed here (the parser's line numbers ran past its lines).
    text = "old mac\r# heading\r\nwords\r<!--\rnever closed"
    assert contained(text) == _reference(text.replace("\r\n", "\n").replace("\r", "\n"))
    assert contained("a\r# b") == "a\n### b"


LINES = st.sampled_from(
    [
        "",
        "",
        "text",
        "more text",
        "# h1",
        "## h2",
        "###### h6",
        "===",
        "---",
        "```",
        "```py",
        "~~~",
        "````",
        "    indented",
        "- item",
        "  - nested",
        "1. one",
        "> quote",
        "> ```",
        "<!--",
        "-->",
        "<pre>",
        "</pre>",
        "<div>",
        "| a | b |",
        "|---|---|",
        "[r]: /u",
        "***",
        "   ```",
        "  # h",
        "\t# tab",
        "a `b` c",
    ]
)


@given(st.lists(LINES, max_size=25))
def test_generated_markdown_is_contained_as_before(lines: list[str]) -> None:
    text = "\n".join(lines)
    assert contained(text) == _reference(text)


def test_a_long_reply_of_setext_headings_is_contained_as_before() -> None:
    text = "".join(f"Part {n}\n---\n\nwords {n}\n\n" for n in range(3_000))
    assert contained(text) == _reference(text)
