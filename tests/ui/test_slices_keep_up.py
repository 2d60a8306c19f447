"""Streamed slices keep up with a model: a write is an append under way at once, and the widget
budget grows with the backlog instead of being dropped past it.

A fixed budget of a few widgets a slice fell behind a model in a run of list items; the
backlog passed ``BUDGET_CHARS``, the budget was dropped, and one slice mounted 20-25
widgets in a frame (the longest frames of a paced stream). Now the budget ramps up with
what is queued (``MarkdownColumn._widget_budget``) and never jumps.
"""

from __future__ import annotations

import pytest
from textual.await_complete import AwaitComplete

from liaobots_tui.ui.widgets.markdown_column import MarkdownColumn, PieceMarkdown
from liaobots_tui.ui.widgets.markdown_pieces import split_pieces
from liaobots_tui.ui.widgets.markdown_slices import LIST_ITEM_WIDGETS
from tests.ui.column_app import ColumnApp
from tests.ui.driving import until


def column_budget_steps(queued: int) -> int:
    """How many FRAME_WIDGETS steps the budget is for ``queued`` characters."""
    return MarkdownColumn(streaming=True)._widget_budget(queued) // (MarkdownColumn.FRAME_WIDGETS or 1)


def test_the_budget_grows_with_the_backlog_in_steps() -> None:
    column = MarkdownColumn(streaming=True)
    base, step = MarkdownColumn.FRAME_WIDGETS, MarkdownColumn.RAMP_CHARS
    assert base is not None
    edge = MarkdownColumn.BUDGET_CHARS
    # Up to BUDGET_CHARS the budget is FRAME_WIDGETS (what it was measured best at, under load).
    assert column._widget_budget(0) == column._widget_budget(edge - 1) == base
    # Past it, it goes on growing from there in steps: no jump to an unbounded slice.
    assert column._widget_budget(edge + 1) - column._widget_budget(edge - 1) <= base
    assert column._widget_budget(4 * step) == 4 * base
    assert column._widget_budget(MarkdownColumn.SKIP_CHARS) == MarkdownColumn.SKIP_CHARS // step * base


@pytest.mark.ui
async def test_a_write_is_an_append_under_way_at_once() -> None:
    """The next slice waits on the append's own event, never on loop turns polling a queue."""
    column = MarkdownColumn(streaming=True)
    async with ColumnApp(column).run_test(size=(60, 20)) as pilot:
        column.append("Hello **world**\n\n- a\n")
        await column.flush()
        piece = column.pieces[-1]
        assert isinstance(piece, PieceMarkdown)
        assert piece.writing  # registered when the flush handed it over
        await piece.appended()
        assert not piece.writing
        assert piece.source == "Hello **world**\n\n- a\n"
        await column.finish()
        await pilot.pause()
        assert column.text == "Hello **world**\n\n- a\n"


#: 20 list items of ~27 characters: a backlog past BUDGET_CHARS (scaled below) made only of list items.
ITEMS = "".join(f"- point {n} of a long list\n" for n in range(20))


@pytest.mark.ui
async def test_a_backlog_of_list_items_is_drained_in_slices_bounded_by_the_ramp(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The thresholds scaled down by ~4 (their ratio kept: the ramp's step is half the budget's edge),
    # so the backlog that crosses them is 20 items, not 70: each item mounts four widgets, and
    # 70 of them were ~3.6 s of CPU. The ramp is the same function of what is queued.
    monkeypatch.setattr(MarkdownColumn, "BUDGET_CHARS", 400)
    monkeypatch.setattr(MarkdownColumn, "RAMP_CHARS", 200)
    assert MarkdownColumn.BUDGET_CHARS < len(ITEMS) < MarkdownColumn.SKIP_CHARS
    assert len(ITEMS) < MarkdownColumn.FRAME_CHARS  # only the widget budget cuts the slices
    assert column_budget_steps(len(ITEMS)) >= 2  # the first slice is cut by a ramped-up budget
    handed: list[tuple[str, int]] = []  # each append's text and the characters queued behind it
    textual_append = PieceMarkdown.append
    column = MarkdownColumn(streaming=True)

    def append(self: PieceMarkdown, markdown: str) -> AwaitComplete:
        handed.append((markdown, sum(map(len, column._segments[-1].pending))))
        return textual_append(self, markdown)

    monkeypatch.setattr(PieceMarkdown, "append", append)
    async with ColumnApp(column).run_test(size=(80, 30)) as pilot:
        column.append(ITEMS)  # far behind at once, as after a slow seal on a busy machine
        await until(pilot, lambda: column.shown_chars >= len(ITEMS) and not column.has_pending(), "all shown")
        await column.finish()
        await pilot.pause()
        assert column.text == ITEMS
        assert column.piece_sources == [piece.source for piece in split_pieces(ITEMS)]
    assert handed
    for markdown, behind in handed:
        items = markdown.count("\n- ") + markdown.startswith("- ")
        # The budget for what was queued when the slice was cut (the slice and what stayed behind).
        allowed = max(1, column._widget_budget(len(markdown) + behind) // LIST_ITEM_WIDGETS)
        assert items <= allowed, (items, allowed, behind)
    # The first slice was cut past BUDGET_CHARS: bounded all the same, far below FRAME_CHARS' worth.
    first, behind = handed[0]
    assert len(first) + behind > MarkdownColumn.BUDGET_CHARS
    assert len(first) < MarkdownColumn.FRAME_CHARS // 2
