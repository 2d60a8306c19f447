"""A long reply's pieces that were off screen at a theme change show the new theme's colours.

Finished pieces are drawn from lines rendered once (flat, ``flat_markdown.py``) or hidden while
parked far from the view; a live piece's finished blocks are folded into lines
(``flat_blocks.py``). Lines drawn in the old theme are found stale only when drawn. Here the
theme changes while the start of a reply is far above the view; scrolled back up, the screen
must show, cell for cell and style for style, what the same reply shows when drawn in that
theme from the start.
"""

from __future__ import annotations

from typing import Any

import pytest
from rich.style import Style

from liaobots_tui.ui.widgets.conversation import ConversationView
from liaobots_tui.ui.widgets.markdown_column import MarkdownColumn, ParkedRun, PieceMarkdown
from tests.ui.driving import settle, until
from tests.ui.test_finished_pieces_are_flat import THEMED_TEXT, Pane, reply

pytestmark = [pytest.mark.ui, pytest.mark.draws_frames]

SIZE = (100, 30)
OLD, NEW = "textual-dark", "textual-light"

Cell = tuple[str, Style | None]


def view_cells(app: Pane, view: ConversationView) -> list[list[Cell]]:
    """The view's rows as drawn, a (character, style) per cell, without its scrollbar (its thumb
    depends on how the heights of the parked pieces were estimated)."""
    region = view.scrollable_content_region
    rows: list[list[Cell]] = []
    for y, strip in enumerate(app.screen._compositor.render_strips()):
        if region.y <= y < region.bottom:
            cells = [(ch, seg.style) for seg in strip.crop(region.x, region.right) for ch in seg.text]
            rows.append(cells)
    return rows


def drawn_in(view: ConversationView, column: MarkdownColumn, theme: str) -> bool:
    """Every piece on the view is drawn (none parked there), by its blocks or from lines of ``theme``."""
    view.schedule_parking()
    shown = view.region
    if any(run.region.overlaps(shown) for run in column.query_children(ParkedRun)):
        return False
    for piece in column.pieces:
        if not piece.region.height:
            return False  # not laid out yet
        if piece.region.overlaps(shown) and isinstance(piece, PieceMarkdown):
            if piece.redrawing or (piece.flat_for is not None and piece.flat_for[1] != theme):
                return False
    return True


async def top_of_reply(
    app: Pane, pilot: Any, view: ConversationView, column: MarkdownColumn
) -> list[list[Cell]]:
    view.scroll_home(animate=False, immediate=True)
    await until(pilot, lambda: view.scroll_y == 0 and drawn_in(view, column, app.theme), "the top drawn")
    await settle(app, pilot)
    await until(pilot, lambda: drawn_in(view, column, app.theme), "the top drawn, settled")
    return view_cells(app, view)


async def test_pieces_off_screen_at_a_theme_change_are_drawn_in_the_new_theme() -> None:
    fresh = Pane()
    async with fresh.run_test(size=SIZE) as pilot:
        fresh.theme = NEW
        view, column = await reply(fresh, pilot, THEMED_TEXT)
        expected = await top_of_reply(fresh, pilot, view, column)

    app = Pane()
    async with app.run_test(size=SIZE) as pilot:
        app.theme = OLD
        view, column = await reply(app, pilot, THEMED_TEXT)
        # The view follows the reply to its end: its start is far above, parked or flat.
        await until(pilot, lambda: view.scroll_y > 0, "the start off screen")
        drawn_old = await top_of_reply(app, pilot, view, column)
        assert drawn_old != expected  # the themes differ on screen (else this test proves nothing)
        view.scroll_end(animate=False, immediate=True)
        await until(pilot, lambda: drawn_in(view, column, OLD), "the end drawn")
        await settle(app, pilot)
        app.theme = NEW
        await settle(app, pilot)
        assert view_cells(app, view)  # the end, drawn in the new theme
        assert await top_of_reply(app, pilot, view, column) == expected
