"""A centred heading drawn before the conversation's scrollbar appeared is centred again after it.

The scrollbar narrows the view's content, not the view: nothing told the reply's lines
rendered once (the live piece's folded blocks, a flattened piece) that they were drawn
for the wider view. They found out only when a frame drew them, so a frame laid out but
not drawn, or a piece scrolled away, kept the heading one cell off. Now they are dropped
when they are resized (``on_resize``), drawn or not.
"""

from __future__ import annotations

import pytest

from liaobots_tui.api.messages import Message
from liaobots_tui.store import MessageRecord
from liaobots_tui.ui.widgets.conversation import ConversationView
from liaobots_tui.ui.widgets.flat_blocks import FlatBlocks
from liaobots_tui.ui.widgets.markdown_column import PieceMarkdown
from tests.ui.driving import until
from tests.ui.pictures import ConversationPane, picture
from tests.ui.test_height_free import conversation

HEAD = "# Title\n\nSome words.\n\n- one\n- two\n\n"
MORE = "".join(f"Paragraph {n} that makes the reply taller than the view.\n\n" for n in range(30))


def row_with(app: ConversationPane, text: str) -> str:
    rows = ["".join(char for char, _ in row) for row in picture(app)]
    return next(row for row in rows if text in row)


async def everything_laid_out_again(app: ConversationPane, pilot: object) -> None:
    for widget in app.screen.walk_children(with_self=True):
        widget._clear_arrangement_cache()
        widget.refresh(layout=True)
    await pilot.pause()  # type: ignore[attr-defined]


@pytest.mark.ui
async def test_a_folded_heading_is_centred_for_the_narrower_view() -> None:
    # A finished reply and a streaming one below it whose title is written (and folded) in an
    # early slice, before the reply grows past the view and its scrollbar appears.
    app = ConversationPane()
    async with app.run_test(size=(70, 40)) as pilot:
        view = app.query_one(ConversationView)
        _, box = await conversation(app)
        await until(pilot, lambda: box.columns[0].written_out and box.region.height > 20, "drawn")
        await pilot.pause()
        assert view.show_vertical_scrollbar
        width = box.columns[0].pieces[-1].content_region.width
        folded = [flat for flat in app.query(FlatBlocks) if flat.lines and not flat.dropped]
        assert all(flat.drawn_for[0] == width for flat in folded)
        shown = row_with(app, "Title")
        await everything_laid_out_again(app, pilot)
        assert row_with(app, "Title") == shown


@pytest.mark.ui
async def test_a_flattened_piece_is_drawn_again_for_the_narrower_view() -> None:
    app = ConversationPane()
    async with app.run_test(size=(70, 20)) as pilot:
        view = app.query_one(ConversationView)
        record = MessageRecord(Message("assistant", model="m", format="openai"), id=1, status="streaming")
        box = await view.add_message(record, streaming=True)
        column = box.columns[0]
        box.append_text(HEAD)
        await until(pilot, lambda: column.written_out, "the title written")
        await box.finish(None)
        piece = column.pieces[0]
        assert isinstance(piece, PieceMarkdown)

        def flattened() -> bool:
            view.schedule_parking()  # a short reply grows no piece: nothing else looks
            return piece.is_flat

        await until(pilot, flattened, "the finished piece flattened")
        assert not view.show_vertical_scrollbar
        wide = piece.flat_for
        assert wide is not None
        # Another reply below makes the view scroll: its content narrows under the first.
        other = MessageRecord(Message("assistant", model="m", format="openai"), id=2, status="streaming")
        second = await view.add_message(other, streaming=True)
        second.append_text(MORE)
        await until(
            pilot, lambda: second.columns[0].written_out and view.show_vertical_scrollbar, "a scrollbar"
        )
        view.scroll_home(animate=False)
        await until(pilot, lambda: view.scroll_y == 0 and not piece.redrawing, "at the top, redrawn")
        assert piece.flat_for is None or piece.flat_for[0] < wide[0]
        shown = row_with(app, "Title")
        await everything_laid_out_again(app, pilot)
        assert row_with(app, "Title") == shown
