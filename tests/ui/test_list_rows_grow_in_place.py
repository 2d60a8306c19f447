"""The last item of a streamed list takes new text in its row (textual_compat._paragraphs_updated_in_place).

growing_list_blocks keeps the rows of a list's earlier items; the last item, parsed again at
each append, had its row (row, bullet, column, paragraph) removed and mounted afresh in every
frame while it grew. A last item that is still the same paragraphs now takes the new text in
the row it has; one that changed shape (a nested list appears) gets a new row as before. Either
way the picture is what one parse of the whole text draws.
"""

from __future__ import annotations

import pytest
from textual.strip import Strip

from liaobots_tui.ui.textual_compat import render_subtree
from liaobots_tui.ui.widgets.markdown_column import PieceMarkdown
from tests.ui.test_streamed_list_grows import Pane, box_in, rows, stream


def cells(piece: PieceMarkdown) -> list[list[tuple[str, str]]]:
    strips: list[Strip] | None = render_subtree(piece)
    assert strips is not None
    return [[(char, str(seg.style or "")) for seg in strip for char in seg.text] for strip in strips]


@pytest.mark.ui
async def test_a_growing_last_item_keeps_its_row_and_draws_as_one_parse() -> None:
    app = Pane()
    async with app.run_test(size=(90, 50)) as pilot:
        streamed = await box_in(app, 1)
        piece = await stream(pilot, streamed, ["Intro.\n\n- one\n- a second item that", " keeps growing *in"])
        before = rows(piece)
        piece = await stream(pilot, streamed, [" italics* across appends [b]x[/b]"])
        after = rows(piece)
        assert after == before  # the same row widgets: the last one took the new text
        paragraph = after[-1].children[1].children[0]
        piece = await stream(pilot, streamed, ["\n- three"])
        assert rows(piece)[1].children[1].children[0] is paragraph  # still that paragraph
        whole = await box_in(app, 2)
        once = await stream(pilot, whole, [piece.source])
        await pilot.pause()
        assert cells(piece) == cells(once)
        assert "[b]x[/b]" in "".join(char for row in cells(piece) for char, _ in row)  # not markup


@pytest.mark.ui
async def test_a_last_item_that_changes_shape_gets_a_new_row_and_draws_as_one_parse() -> None:
    app = Pane()
    async with app.run_test(size=(90, 50)) as pilot:
        streamed = await box_in(app, 1)
        piece = await stream(pilot, streamed, ["- one\n- two"])
        last = rows(piece)[-1]
        piece = await stream(pilot, streamed, ["\n  - nested under two\n  - and more"])
        assert rows(piece)[-1] is not last  # a paragraph and a list now: a new row
        piece = await stream(pilot, streamed, ["\n- three\n\nAfter."])
        whole = await box_in(app, 2)
        once = await stream(pilot, whole, [piece.source])
        await pilot.pause()
        assert cells(piece) == cells(once)
