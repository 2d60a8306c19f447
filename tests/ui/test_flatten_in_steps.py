"""A finished piece with many blocks is folded a few blocks a frame before it is flattened.

Flattening renders a piece whole in one go; a piece whose blocks were mounted afresh
(a full update, or drawn again at another width) drew a dozen blocks and their
children in one iteration. Folded in steps (:func:`fold_a_step`), the flatten draws the
folded lines and a few blocks; the picture and the text stay the same.
"""

from __future__ import annotations

import pytest
from textual.widgets.markdown import MarkdownBlock

from liaobots_tui.ui.widgets.flat_blocks import FOLD_STEP, FlatBlocks
from liaobots_tui.ui.widgets.markdown_column import PieceMarkdown
from tests.ui.driving import until
from tests.ui.test_finished_pieces_are_flat import HOSTILE, TEXT, Pane, reply, screen_lines


def shown_blocks(piece: PieceMarkdown) -> int:
    return sum(1 for child in piece.children if isinstance(child, MarkdownBlock) and child.display)


@pytest.mark.ui
async def test_a_piece_drawn_afresh_is_folded_in_steps_then_flattened_looking_the_same() -> None:
    app = Pane()
    async with app.run_test(size=(100, 60)) as pilot:
        view, column = await reply(app, pilot, HOSTILE + TEXT)
        view.scroll_home(animate=False)
        await until(pilot, lambda: not column.parked_flags[0], "the first piece drawn")
        piece = column.pieces[0]
        assert isinstance(piece, PieceMarkdown)
        await until(pilot, lambda: piece.is_flat, "the first piece flat")
        await pilot.pause()
        drawn_flat = screen_lines(app)
        flat_text = piece.flat_text

        flattened_from: list[int] = []
        folds_seen: list[int] = []
        flatten = piece.flatten

        def recording_flatten() -> bool:
            blocks = shown_blocks(piece)
            folded = next((c for c in piece.children if isinstance(c, FlatBlocks)), None)
            done = flatten()
            if done:
                flattened_from.append(blocks)
                folds_seen.append(len(folded.blocks) if folded is not None else 0)
            return done

        piece.flatten = recording_flatten  # type: ignore[method-assign]
        await piece.unflatten()
        await until(pilot, lambda: bool(piece.children) and piece.region.height > 0, "blocks again")
        assert shown_blocks(piece) > FOLD_STEP + 1  # the case at hand: more than one step's worth
        view.schedule_parking()  # as a scroll would: the view looks at what is near
        await until(pilot, lambda: piece.is_flat, "flat again")
        await pilot.pause()
        # Flattened from the folded lines and a few blocks, not from every block at once.
        assert flattened_from and flattened_from[-1] <= FOLD_STEP + 1
        assert folds_seen[-1] > 0
        assert not piece.children
        assert piece.flat_text == flat_text
        assert screen_lines(app) == drawn_flat
        assert view.boxes()[0].copy_text == HOSTILE + TEXT == column.text
