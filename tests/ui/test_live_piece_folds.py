"""The finished blocks of a streaming piece are drawn from lines rendered once (ui/widgets/flat_blocks.py).

While a reply streams, every block of the live piece above the last one is final: they
are folded into one FlatBlocks widget (the blocks hidden), so each frame lays out and
draws a few widgets, not every block. The picture is the same, the text is exact, a
selection gives the drawn text, a width or theme change draws them afresh, and a full
update of the piece starts over.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.geometry import Offset
from textual.selection import Selection
from textual.strip import Strip
from textual.widgets.markdown import MarkdownBlock

from liaobots_tui.api.messages import Message
from liaobots_tui.store import MessageRecord
from liaobots_tui.ui.textual_compat import render_subtree
from liaobots_tui.ui.widgets.conversation import ConversationView
from liaobots_tui.ui.widgets.flat_blocks import FlatBlocks, flat_blocks_of, unfold
from liaobots_tui.ui.widgets.markdown_column import MarkdownColumn, PieceMarkdown
from liaobots_tui.ui.widgets.message_box import MessageBox
from tests.ui.driving import until

APP_CSS = Path(__file__).parents[2] / "liaobots_tui" / "ui" / "app.tcss"
#: Seven blocks of every kind (fewer than a piece holds): the last paragraph is still growing.
TEXT = (
    "# A title\n\n"
    "A first paragraph with *emphasis*, `code` and a [link](https://example.com).\n\n"
    "- one\n- two\n- three [b]not markup[/b]\n\n"
    "```python\nprint('hi')\n```\n\n"
    "| a | b |\n|---|---|\n| 1 | 2 |\n\n"
    "> quoted words\n\n"
    "The last paragraph grows"
)


class Pane(App[None]):
    CSS_PATH = APP_CSS

    def compose(self) -> ComposeResult:
        yield ConversationView()


async def streaming(app: Pane, text: str) -> tuple[MessageBox, MarkdownColumn, PieceMarkdown]:
    view = app.query_one(ConversationView)
    record = MessageRecord(Message("assistant", model="gpt-5.4", format="openai"), id=1, status="streaming")
    box = await view.add_message(record, streaming=True)
    box.append_text(text)
    column = box.columns[0]
    piece = column.pieces[-1]
    assert isinstance(piece, PieceMarkdown)
    return box, column, piece


def folded(piece: PieceMarkdown) -> int:
    flat = flat_blocks_of(piece)
    return len(flat.blocks) if flat is not None and flat.region.height else 0


def cells(strips: list[Strip]) -> list[list[tuple[str, str]]]:
    """Each line as (character, style) per cell: equal pictures whatever the segments' cuts.

    The style's text leaves out the mouse offsets (each widget's own) and keeps the rest.
    """
    return [[(char, str(seg.style or "")) for seg in strip for char in seg.text] for strip in strips]


def drawn(piece: PieceMarkdown) -> list[list[tuple[str, str]]]:
    strips = render_subtree(piece)
    assert strips is not None
    return cells(strips)


@pytest.mark.ui
async def test_finished_blocks_fold_into_lines_and_look_the_same() -> None:
    app = Pane()
    async with app.run_test(size=(100, 50)) as pilot:
        box, column, piece = await streaming(app, TEXT)
        await until(pilot, lambda: folded(piece) == 6, "the six finished blocks folded")
        blocks = [child for child in piece.children if isinstance(child, MarkdownBlock)]
        assert [block.display for block in blocks] == [False] * 6 + [True]  # the growing one stays a widget
        await pilot.pause()
        with_lines = drawn(piece)
        flat = flat_blocks_of(piece)
        assert flat is not None
        assert "[b]not markup[/b]" in flat.text and "print('hi')" in flat.text
        # Drawn by the blocks again: the same picture, cell for cell and style for style.
        unfold(piece)
        await until(pilot, lambda: flat_blocks_of(piece) is None and blocks[0].region.height > 0, "unfolded")
        await pilot.pause()
        assert drawn(piece) == with_lines
        assert box.copy_text == TEXT == column.text


@pytest.mark.ui
async def test_the_stream_goes_on_after_a_fold_and_ends_as_a_reload_shows_it() -> None:
    app = Pane()
    async with app.run_test(size=(100, 50)) as pilot:
        box, column, piece = await streaming(app, TEXT)
        await until(pilot, lambda: folded(piece) == 6, "folded")
        more = " and grows.\n\n- a new list\n- of two\n\nAnd a closing paragraph."
        box.append_text(more)
        await until(pilot, lambda: folded(piece) == 8, "the next finished blocks folded too")
        await box.finish(None)
        await pilot.pause()
        assert column.text == TEXT + more == box.copy_text
        assert piece.source == TEXT + more
        # A reload of the same text draws the same picture.
        reload = MarkdownColumn(TEXT + more)
        await app.query_one(ConversationView).mount(reload)
        await until(pilot, lambda: bool(reload.pieces) and reload.pieces[0].region.height > 0, "reload drawn")
        shown = reload.pieces[0]
        assert isinstance(shown, PieceMarkdown)
        assert shown.region.height == piece.region.height


@pytest.mark.ui
async def test_a_selection_in_the_folded_lines_gives_the_drawn_text() -> None:
    app = Pane()
    async with app.run_test(size=(100, 50)) as pilot:
        _box, _column, piece = await streaming(app, TEXT)
        await until(pilot, lambda: folded(piece) == 6, "folded")
        flat = flat_blocks_of(piece)
        assert flat is not None
        selected = flat.get_selection(Selection(Offset(0, 0), Offset(7, 0)))
        assert selected is not None and selected[0] == flat.text.split("\n")[0][:7]
        assert "A title" in flat.text.split("\n")[0]


@pytest.mark.draws_frames  # the lines are drawn afresh when a frame draws them (tests/headless_frames.py)
@pytest.mark.ui
async def test_a_width_or_theme_change_draws_the_blocks_afresh() -> None:
    app = Pane()
    async with app.run_test(size=(100, 50)) as pilot:
        box, _column, piece = await streaming(app, TEXT)
        await until(pilot, lambda: folded(piece) == 6, "folded")
        await pilot.resize_terminal(60, 50)
        box.append_text(" a little.")  # the next append folds again, at the new width

        def refolded_narrower() -> bool:
            flat = flat_blocks_of(piece)
            return folded(piece) == 6 and flat is not None and flat.drawn_for[0] == piece.content_region.width

        await until(pilot, refolded_narrower, "folded again at the new width")
        flat = flat_blocks_of(piece)
        assert flat is not None and all(line.cell_length == flat.drawn_for[0] for line in flat.lines)
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        box.append_text(" More.")

        def refolded_in_theme() -> bool:
            flat = flat_blocks_of(piece)
            return folded(piece) == 6 and flat is not None and flat.drawn_for[1] == app.theme

        await until(pilot, refolded_in_theme, "folded again in the new theme")


@pytest.mark.ui
async def test_a_full_update_of_the_piece_drops_the_folded_lines() -> None:
    app = Pane()
    async with app.run_test(size=(100, 50)) as pilot:
        _box, _column, piece = await streaming(app, TEXT)
        await until(pilot, lambda: folded(piece) == 6, "folded")
        await piece.update("# Another\n\nText.\n")
        await until(pilot, lambda: not piece.query_children(FlatBlocks), "the lines gone")
        assert flat_blocks_of(piece) is None
        assert [type(c).__name__ for c in piece.children if isinstance(c, MarkdownBlock)] == [
            "MarkdownH1",
            "MarkdownParagraph",
        ]


@pytest.mark.ui
async def test_a_piece_is_not_flattened_from_stale_folded_lines() -> None:
    app = Pane()
    async with app.run_test(size=(100, 50)) as pilot:
        _box, _column, piece = await streaming(app, TEXT)
        await until(pilot, lambda: folded(piece) == 6, "folded")
        flat = flat_blocks_of(piece)
        assert flat is not None and not flat.stale
        # As if the theme changed while the folded lines were off screen (never drawn since).
        flat.drawn_for = (flat.drawn_for[0], "another theme")
        assert flat.stale
        assert not piece.flatten()
        assert flat_blocks_of(piece) is None
        assert all(child.display for child in piece.children if isinstance(child, MarkdownBlock))
