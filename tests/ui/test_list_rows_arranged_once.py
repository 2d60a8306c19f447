"""A streamed list's rows and items' columns are arranged once a frame (ui/widgets/list_rows.py).

- Once composed (a list mounted whole) and once grown (rows added to a shown list), the
  rows, bullets and columns are the classes arranged once a frame, and they keep the
  stylesheet's rules for Textual's list rows (height auto, width 1fr: without them a row
  would fill its list and nothing would qualify), and the column's paragraphs keep theirs.
- Each row and column is placed where Textual places it at the height it is given, from
  the arrangement made at height 0 (the measuring pass's).
- A bullet as tall as its symbol draws the same picture as Textual's, which fills its row.
"""

from __future__ import annotations

import pytest
from textual._arrange import arrange as textual_arrange
from textual.css.scalar import Unit
from textual.geometry import Size
from textual.widget import Widget
from textual.widgets._markdown import MarkdownBullet, MarkdownParagraph

from liaobots_tui.ui.textual_compat import render_subtree
from liaobots_tui.ui.widgets.height_free import places_ignore_height
from liaobots_tui.ui.widgets.list_rows import ItemColumn, ListRow
from liaobots_tui.ui.widgets.markdown_column import PieceMarkdown
from tests.ui.test_streamed_list_grows import Pane, box_in, stream

#: Each a list that is the last block (the one that grows; finished blocks are folded into lines),
#: in the parts it streams in, and how many rows it has (nested ones too).
LISTS = [
    (
        [
            "Intro.\n\n- one\n- two is a longer item that wraps over more than one line of the narrow view\n",
            "- three\n\n  with a second paragraph\n\n  - nested\n  - nested again\n",
            "- four",
        ],
        6,
    ),
    (
        [
            "1. first\n2. second, also long enough to wrap over",
            " two lines of this narrow view\n",
            "3. third",
        ],
        3,
    ),
]


def placed(widget: Widget, size: Size) -> list[tuple[Widget, object]]:
    arrangement = textual_arrange(widget, widget._nodes, size, widget.screen.size)
    return [(placement.widget, placement.region) for placement in arrangement.placements]


def all_rows(piece: PieceMarkdown) -> list[Widget]:
    return [w for w in piece.walk_children(with_self=False) if isinstance(w, ListRow)]


def check_rows(piece: PieceMarkdown, count: int) -> None:
    found = all_rows(piece)
    assert len(found) == count
    textuals = [
        w for w in piece.walk_children(with_self=False) if type(w).__name__ in ("Horizontal", "Vertical")
    ]
    assert textuals == []  # none left as Textual composes them
    for row in found:
        bullet, column = row.children
        assert isinstance(bullet, MarkdownBullet) and isinstance(column, ItemColumn)
        assert bullet.styles.height is not None and bullet.styles.height.unit == Unit.AUTO
        assert bullet.region.height == 1  # as tall as its symbol
        for container in (row, column):
            height, width = container.styles.height, container.styles.width
            assert height is not None and height.unit == Unit.AUTO, container  # the stylesheet's rule
            assert width is not None and width.unit == Unit.FRACTION, container
            assert places_ignore_height(container), container
            size = container.content_region.size
            assert size.height
            assert placed(container, size) == placed(container, Size(size.width, 0)), container
        assert column.region.height == row.region.height
    paragraphs = [w for row in found for w in row.query(MarkdownParagraph)]
    assert paragraphs and all(p.styles.margin == paragraphs[0].styles.margin for p in paragraphs)


def cells(piece: PieceMarkdown) -> list[list[tuple[str, object]]]:
    strips = render_subtree(piece)
    assert strips is not None
    # Characters and their background: a bullet's blank rows (Textual's) and its row's
    # background below a one-row bullet (here) differ only in the colour of a space's ink.
    return [
        [(ch, seg.style.bgcolor if seg.style else None) for seg in strip for ch in seg.text]
        for strip in strips
    ]


async def streamed(
    parts: list[str], count: int
) -> tuple[list[list[tuple[str, object]]], list[list[tuple[str, object]]]]:
    """``parts`` streamed into a box of an app of their own (all of it on screen), its rows checked;
    the piece's cells, then its cells with bullets as tall as their rows (as Textual's fill them)."""
    app = Pane()
    async with app.run_test(size=(60, 60)) as pilot:
        piece = await stream(pilot, await box_in(app, 1), parts)
        await pilot.pause()
        check_rows(piece, count)
        mine = cells(piece)
        for row in all_rows(piece):
            # As Textual's bullet: as tall as its row (it fills it), its blank rows drawn below the symbol.
            row.children[0].styles.height = row.region.height
        await pilot.pause()
        return mine, cells(piece)


@pytest.mark.ui
@pytest.mark.parametrize(("parts", "count"), LISTS)
async def test_list_rows_composed_or_grown_are_arranged_once_and_draw_as_textuals(
    parts: list[str], count: int
) -> None:
    grown, grown_textuals = await streamed(parts, count)  # rows added as the list grows
    whole, whole_textuals = await streamed(["".join(parts)], count)  # the list composed at once
    assert grown == grown_textuals == whole == whole_textuals
