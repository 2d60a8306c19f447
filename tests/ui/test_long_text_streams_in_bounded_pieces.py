"""A long reply is drawn as bounded Markdown pieces, even a single endless paragraph or code fence.

The cutting rules are plain functions (tested directly, in milliseconds); one Pilot
test streams a long paragraph and a long fence into a real MarkdownColumn and checks
that the pieces stay bounded, lose nothing, and match what a reload of the text shows.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from textual.widgets import Markdown

from liaobots_tui.ui.widgets.markdown_column import MarkdownColumn, PieceMarkdown
from liaobots_tui.ui.widgets.markdown_pieces import (
    BLOCK_CHARS,
    SEAL_BLOCKS,
    chat_parser,
    split_pieces,
)
from tests.ui.column_app import ColumnApp

WORDS = "lorem ipsum dolor sit amet, consectetur adipiscing elit. sed do eiusmod tempor".split()


def paragraph(chars: int, seed: int = 3, extra: tuple[str, ...] = ()) -> str:
    rng = random.Random(seed)
    pool = [*WORDS, *extra]
    out: list[str] = []
    size = 0
    while size < chars:
        word = rng.choice(pool)
        out.append(word)
        size += len(word) + 1
    return " ".join(out)


def fence(lines: int) -> str:
    return "```python\n" + "".join(f"value_{i} = compute({i})  # step {i}\n" for i in range(lines)) + "```\n"


# ---------------------------------------------------------------- the cutting rules


def test_a_short_text_is_one_piece() -> None:
    text = "# Title\n\nA paragraph.\n\n- a\n- b\n"
    assert [p.source for p in split_pieces(text)] == [text]


def test_blocks_are_grouped_a_fixed_number_per_piece() -> None:
    text = "".join(f"Paragraph {i}.\n\n" for i in range(SEAL_BLOCKS * 3))
    pieces = split_pieces(text)
    assert len(pieces) == 3
    assert "".join(p.text for p in pieces) == text
    assert all(not p.lead and not p.close and not p.inside for p in pieces)


def test_a_long_paragraph_is_cut_into_bounded_pieces_that_render_as_the_whole() -> None:
    text = paragraph(60_000, extra=("**bold words here**", "`a code span`", "[a link](https://x.org)"))
    pieces = split_pieces(text)
    assert "".join(p.text for p in pieces) == text  # nothing lost or doubled
    assert len(pieces) > 15
    assert all(len(p.source) <= BLOCK_CHARS for p in pieces)
    assert all(p.inside for p in pieces[:-1]) and not pieces[-1].inside
    # Each piece's inline Markdown renders as its part of the paragraph: no emphasis,
    # code span or link is cut in two.
    inline = chat_parser().renderInline
    assert "".join(inline(p.text) for p in pieces) == inline(text)


def test_a_paragraph_is_cut_after_a_line_break_where_it_has_one() -> None:
    lines = [paragraph(70, seed=i) for i in range(200)]
    text = "\n".join(lines) + "\n"
    pieces = split_pieces(text)
    assert len(pieces) > 2
    assert all(p.text.endswith("\n") for p in pieces)  # single newlines are hard breaks: exact


def test_emphasis_is_not_cut_in_two_unless_it_is_huge() -> None:
    # A bold span across the first cut window: the cut falls outside it.
    text = paragraph(2000) + " **" + paragraph(1500, seed=5) + "** " + paragraph(6000, seed=6)
    pieces = split_pieces(text)
    assert len(pieces) > 1 and "".join(p.text for p in pieces) == text
    assert all(p.text.count("**") % 2 == 0 for p in pieces)
    # One 40,000-character bold span has no clean cut: it is cut anyway, cost wins.
    huge = "**" + paragraph(40_000) + "** tail"
    pieces = split_pieces(huge)
    assert len(pieces) > 1 and "".join(p.text for p in pieces) == huge
    assert max(len(p.source) for p in pieces) <= 4 * BLOCK_CHARS


def test_a_long_fence_is_closed_and_reopened_with_its_language() -> None:
    text = "Before.\n\n" + fence(600) + "\nAfter.\n"
    pieces = split_pieces(text)
    assert "".join(p.text for p in pieces) == text
    assert len(pieces) > 3
    for first, second in zip(pieces, pieces[1:], strict=False):
        if first.close:
            assert first.close == "```\n" and second.lead == "```python\n"
            assert first.inside
    # Every piece is valid Markdown on its own: the code lines come out as code, in order.
    code = [line for p in pieces for line in chat_parser().parse(p.source) if line.type == "fence"]
    assert "".join(t.content for t in code) == "".join(
        f"value_{i} = compute({i})  # step {i}\n" for i in range(600)
    )
    assert {t.info for t in code} == {"python"}


def test_a_single_huge_line_is_cut_anyway() -> None:
    text = "x" * 50_000
    pieces = split_pieces(text)
    assert "".join(p.text for p in pieces) == text
    # Bounded: with no place to cut cleanly, a block is cut at four times the usual size.
    assert max(len(p.source) for p in pieces) <= 4 * BLOCK_CHARS


# ---------------------------------------------------------------- streaming into the widget


async def stream(text: str, pilot: Any, column: MarkdownColumn) -> int:
    """Feed ``text`` in small deltas, as a model does; returns the longest piece source seen."""
    longest = 0
    for start in range(0, len(text), 7):
        column.append(text[start : start + 7])
        if start % 700 == 0:
            await column.flush()
            longest = max(longest, *(len(m.source) for m in column.pieces))
            await asyncio.sleep(0)
    await column.finish()
    return max(longest, *(len(m.source) for m in column.pieces))


@pytest.mark.ui
@pytest.mark.parametrize(
    "text",
    [
        pytest.param(paragraph(30_000, extra=("*em*", "`x`")), id="paragraph"),
        pytest.param("Intro.\n\n" + fence(500) + "\nDone.\n", id="fence"),
    ],
)
async def test_a_growing_paragraph_or_fence_streams_in_bounded_pieces_like_a_reload(text: str) -> None:
    column = MarkdownColumn(streaming=True)
    async with ColumnApp(column).run_test(size=(100, 30)) as pilot:
        longest = await stream(text, pilot, column)
        assert column.text == text
        # The live piece never grew past a block's bound plus one flush.
        assert longest <= BLOCK_CHARS + MarkdownColumn.FLUSH_CHARS
        streamed = [m.source for m in column.pieces]
        assert len(streamed) > 5
        # What a reload of the same text shows.
        assert streamed == [p.source for p in split_pieces(text)]
        cut = [m for m in column.pieces if isinstance(m, PieceMarkdown) and m.cut]
        continued = [m for m in column.pieces if isinstance(m, PieceMarkdown) and m.continued]
        assert len(cut) == len(continued) == len(streamed) - 1
        # The halves of each cut block are drawn joined: no margin between the pieces.
        for piece in cut:
            assert piece.children[-1].has_class("-joined-below")
            assert piece.children[-1].styles.margin.bottom == 0
    # The reload itself: the same widgets from the whole text.
    reloaded = MarkdownColumn(text)
    async with ColumnApp(reloaded).run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert [m.source for m in reloaded.query(Markdown)] == streamed
