"""Finished pieces on screen are drawn from lines rendered once: few widgets, same picture, exact text.

A reply's sealed pieces near the view are *flattened* (their block widgets go, one
widget draws the lines they drew); the screen shows what it showed before, copy
gives the exact text, a mouse selection gives the drawn text, and a width or theme
change draws them afresh from their source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.geometry import Offset
from textual.selection import Selection

from liaobots_tui.api.messages import Message
from liaobots_tui.demo.replies import reply_text
from liaobots_tui.store import MessageRecord
from liaobots_tui.ui.widgets.conversation import ConversationView
from liaobots_tui.ui.widgets.markdown_column import MarkdownColumn, PieceMarkdown
from tests.ui.driving import until

APP_CSS = Path(__file__).parents[2] / "liaobots_tui" / "ui" / "app.tcss"
#: About 10 kB of the demo's Markdown: headings, lists, fences and tables, eight pieces (20 kB
#: made the same checks on twice the text).
TEXT = reply_text("gpt-5.4", "[[deltas=2000]] a long answer")
#: About 20 kB: the width-and-theme test keeps the text it was written with. With TEXT a flat
#: piece in the parking margin, off screen, kept its old theme's lines (they are found stale
#: only when drawn: FlatMarkdown.render_line) and that test's wait for every piece never ended.
THEMED_TEXT = reply_text("gpt-5.4", "[[deltas=4000]] a long answer")
HOSTILE = "A [b]bold?[/b] and [@click=app.quit]quit[/] stay literal.\n\n"


class Pane(App[None]):
    CSS_PATH = APP_CSS

    def compose(self) -> ComposeResult:
        yield ConversationView()


def screen_lines(app: App[Any]) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def reply(app: Pane, pilot: Any, text: str) -> tuple[ConversationView, MarkdownColumn]:
    view = app.query_one(ConversationView)
    record = MessageRecord(Message("assistant", model="gpt-5.4", format="openai"), id=1, status="streaming")
    box = await view.add_message(record, streaming=True)
    for start in range(0, len(text), 40):
        box.append_text(text[start : start + 40])
    await box.finish(None)
    await pilot.pause()
    return view, box.columns[0]


def flat(column: MarkdownColumn) -> list[PieceMarkdown]:
    return [p for p in column.pieces if isinstance(p, PieceMarkdown) and p.is_flat]


@pytest.mark.ui
async def test_finished_pieces_on_screen_are_flat_and_look_the_same() -> None:
    app = Pane()
    async with app.run_test(size=(100, 60)) as pilot:
        view, column = await reply(app, pilot, HOSTILE + TEXT)
        view.scroll_home(animate=False)
        await until(pilot, lambda: not column.parked_flags[0], "the first piece drawn")
        piece = column.pieces[0]
        assert isinstance(piece, PieceMarkdown)
        await until(pilot, lambda: piece.is_flat, "the first piece flat")
        await pilot.pause()
        assert not piece.children  # its block widgets are gone
        drawn_flat = screen_lines(app)
        assert "[b]bold?[/b]" in piece.flat_text and "[@click=app.quit]quit[/]" in piece.flat_text
        # Drawn by its block widgets again: the same picture.
        await piece.unflatten()
        await until(pilot, lambda: bool(piece.children) and piece.region.height > 0, "blocks again")
        await pilot.pause()
        assert not piece.is_flat and screen_lines(app) == drawn_flat
        assert view.boxes()[0].copy_text == HOSTILE + TEXT == column.text
        assert piece.source == column.piece_sources[0]


@pytest.mark.ui
async def test_the_screen_holds_few_widgets_for_a_long_reply_with_tables() -> None:
    app = Pane()
    async with app.run_test(size=(100, 40)) as pilot:
        view, column = await reply(app, pilot, TEXT * 2)  # 16 pieces, a dozen of them with tables
        shown = [p for p in column.pieces if isinstance(p, PieceMarkdown)]

        def all_flat() -> bool:
            view.schedule_parking()  # the end of a reply grows no piece: nothing else looks
            # A piece is flat at once; its block widgets are removed by a message after (flaked
            # under load: 143 widgets counted while the removals were still queued).
            return all(isinstance(p, PieceMarkdown) and p.is_flat and not p.children for p in column.pieces)

        await until(pilot, all_flat, "every shown piece flat, its block widgets removed")
        assert shown
        # A flat piece is one widget; the whole pane is a handful, whatever the reply holds.
        assert len(list(view.query("*"))) < 40
        assert view.boxes()[0].copy_text == TEXT * 2


@pytest.mark.ui
async def test_a_selection_in_a_flat_piece_gives_the_drawn_text() -> None:
    app = Pane()
    async with app.run_test(size=(100, 40)) as pilot:
        view, column = await reply(app, pilot, "First line here.\nSecond line there.\n")
        piece = column.pieces[0]
        assert isinstance(piece, PieceMarkdown)

        def flattened() -> bool:
            view.schedule_parking()  # a short reply grows no piece: nothing else looks
            return piece.is_flat

        await until(pilot, flattened, "flat")
        selected = piece.get_selection(Selection(Offset(1, 0), Offset(18, 1)))
        assert selected is not None
        assert selected[0] == "First line here.\n Second line there"


@pytest.mark.draws_frames  # the lines are drawn afresh when a frame draws them (tests/headless_frames.py)
@pytest.mark.ui
async def test_a_width_or_theme_change_draws_flat_pieces_afresh() -> None:
    app = Pane()
    async with app.run_test(size=(100, 40)) as pilot:
        view, column = await reply(app, pilot, THEMED_TEXT)
        await until(pilot, lambda: bool(flat(column)), "flat pieces")
        await pilot.resize_terminal(70, 40)

        def narrower() -> bool:
            return bool(flat(column)) and all(p.region.width < 70 for p in flat(column))

        await until(pilot, narrower, "narrower")
        for piece in flat(column):
            assert all(len(line.rstrip()) <= piece.region.width for line in piece.flat_text.split("\n"))
        old = {id(p): p.flat_text for p in flat(column)}
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"

        def redrawn() -> bool:
            # Each piece flat before is drawn afresh: by its blocks, or flat again (a parking pass
            # may flatten it anew before this looks, on a busy machine) from lines of the new theme.
            return all(
                p.flat_for is None or p.flat_for[1] == app.theme for p in column.pieces if id(p) in old
            )

        await until(pilot, redrawn, "redrawn")
        view.schedule_parking()
        await until(pilot, lambda: bool(flat(column)), "flat again")
        assert view.boxes()[0].copy_text == THEMED_TEXT
