"""A finished reply's text is held once: its pieces read it from the saved record's string.

While a reply streams, each piece of its column keeps the text written to it; once the reply
is saved, the message box keeps the record (copy, edit, export) and the pieces read their text
from the record's string by offsets instead. A text shown from history is held once too: its
pieces read the column's text. Kept both ways, a 160 kB reply held ~320 kB more for as long as
the chat was open (bench/reply_memory.py).
"""

from __future__ import annotations

import pytest

from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.ui.widgets.markdown_column import MarkdownColumn
from liaobots_tui.ui.widgets.markdown_pieces import split_pieces
from tests.ui.column_app import ColumnApp
from tests.ui.conftest import SIZE, AppFactory, demo_settings
from tests.ui.driving import chat, send, settle


@pytest.mark.ui
async def test_a_finished_reply_reads_its_pieces_from_the_saved_record(
    gateway: FakeGateway, make_app: AppFactory
) -> None:
    app = make_app(demo_settings(gateway))
    prompt = "[[deltas=1500]] a long answer"  # 6 pieces, most of them off screen and parked
    async with app.run_test(size=SIZE) as pilot:
        await send(app, pilot, prompt)
        reply = chat(app).view.boxes()[-1]
        assert reply.message.status == "complete"
        (column,) = reply.columns
        assert len(column.piece_sources) > 3  # several pieces, some parked
        saved = reply.message.text
        assert saved == gateway.reply_text_for("gpt-5.4", prompt)
        assert reply.own_chars == 0  # every piece reads the record's string
        assert column.text == saved
        assert "".join(piece.text for piece in split_pieces(saved)) == saved
        # Scrolled to the top, parked pieces are drawn again from the shared text, as a reload.
        chat(app).view.scroll_home(animate=False)
        await settle(app, pilot)
        assert column.piece_sources == [piece.source for piece in split_pieces(saved)]
        assert reply.copy_text == saved


@pytest.mark.ui
async def test_a_text_from_history_is_held_once() -> None:
    # 10 pieces (a long history is split the same way; 400 parts took ~2.6 s of CPU for 67 pieces).
    text = "".join(f"## Part {n}\n\nSome words for part {n} · 第{n}部分.\n\n" for n in range(60))
    pieces = split_pieces(text)
    assert len(pieces) >= 8
    column = MarkdownColumn(text)
    async with ColumnApp(column).run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert column.own_chars == 0
        assert column.text == text
        assert column.piece_sources == [piece.source for piece in pieces]


@pytest.mark.ui
async def test_a_column_keeps_its_own_text_when_the_record_differs() -> None:
    column = MarkdownColumn(streaming=True)
    async with ColumnApp(column).run_test(size=(100, 30)) as pilot:
        column.append("streamed words\n\nand more\n")
        await column.finish()
        await pilot.pause()
        held = column.own_chars
        assert held == len("streamed words\n\nand more\n")
        assert column.share_text("another text") is False
        assert column.own_chars == held and column.text == "streamed words\n\nand more\n"
        assert column.share_text("streamed words\n\nand more\n") is True
        assert column.own_chars == 0 and column.text == "streamed words\n\nand more\n"
