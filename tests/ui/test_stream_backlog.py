"""A reply that outruns the renderer: the backlog's finished pieces are parked undrawn, nothing is lost.

The pieces cut from a backlog are the ones a reload of the text shows (the cutting
rule is tested directly); in the conversation pane a reply given all at once ends
with only the pieces near the view drawn, copy gives the whole text, and a parked
piece scrolled back into view shows exactly its text. Sealed pieces on screen keep
their measured height until the width changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult

from liaobots_tui.api.messages import Message
from liaobots_tui.demo.replies import reply_text
from liaobots_tui.store import MessageRecord
from liaobots_tui.ui.widgets.conversation import ConversationView
from liaobots_tui.ui.widgets.markdown_column import MarkdownColumn, ParkedRun
from liaobots_tui.ui.widgets.markdown_pieces import cut_ahead, estimate_rows, split_pieces
from tests.ui.driving import until

APP_CSS = Path(__file__).parents[2] / "liaobots_tui" / "ui" / "app.tcss"

#: About 50 kB of the demo's realistic Markdown: headings, lists, fences and tables.
TEXT = reply_text("gpt-5.4", "[[deltas=10000]] a long answer")


def test_pieces_cut_from_a_backlog_are_the_pieces_a_reload_shows() -> None:
    ahead = cut_ahead(TEXT, "", keep=2_500, most=10**9)
    whole = split_pieces(TEXT)
    assert len(ahead.pieces) > 10
    assert [p.source for p in ahead.pieces] == [p.source for p in whole[: len(ahead.pieces)]]
    assert "".join(p.text for p in ahead.pieces) + ahead.rest == TEXT
    assert 0 < len(ahead.rest) <= 2_500 + max(len(p.text) for p in whole)


def test_a_backlog_is_cut_a_bounded_amount_at_a_time() -> None:
    ahead = cut_ahead(TEXT, "", keep=2_500, most=5_000)
    cut = sum(len(p.text) for p in ahead.pieces)
    assert 5_000 <= cut < 5_000 + max(len(p.text) for p in split_pieces(TEXT))


def test_an_estimated_height_grows_with_the_text_and_shrinks_with_the_width() -> None:
    assert estimate_rows("a\n\nb\n", 80) == 4
    assert estimate_rows("x" * 200, 100) == 2
    assert estimate_rows("x" * 200, 50) == 4


class Pane(App[None]):
    """The conversation pane alone, styled as in the app (a MessageBox grows with its reply)."""

    CSS_PATH = APP_CSS

    def compose(self) -> ComposeResult:
        yield ConversationView(id="conversation")


async def stream_all_at_once(app: Pane, pilot: Any) -> tuple[ConversationView, MarkdownColumn]:
    view = app.query_one(ConversationView)
    reply = MessageRecord(Message("assistant", model="gpt-5.4", format="openai"), id=1, status="streaming")
    box = await view.add_message(reply, streaming=True)
    # Words as a model sends them, all before the first flush: a model far ahead of the screen.
    for start in range(0, len(TEXT), 5):
        box.append_text(TEXT[start : start + 5])
    await box.finish(None)
    await pilot.pause()
    return view, box.columns[0]


@pytest.mark.ui
async def test_a_backlog_is_parked_undrawn_and_nothing_is_lost() -> None:
    app = Pane()
    async with app.run_test(size=(100, 30)) as pilot:
        view, column = await stream_all_at_once(app, pilot)
        box = view.boxes()[0]
        assert box.copy_text == TEXT == column.text
        assert column.piece_sources == [p.source for p in split_pieces(TEXT)]  # as a reload cuts it
        # Most pieces were never drawn: only those near the end have widgets.
        assert column.parked_count >= len(column.piece_sources) - 4
        assert len(column.pieces) <= 4

        # Settled, one blank stands for the run of parked pieces (a piece drawn while the backlog
        # drained is parked once laid out; a replaced blank may linger, empty, until its removal lands).
        def runs() -> int:
            return len([run for run in column.query_children(ParkedRun) if run.members])

        await until(pilot, lambda: runs() == 1, "one run of parked pieces")
        assert column.parked_flags[0] and not column.parked_flags[-1]
        # Scrolled back to the top, the first piece is drawn from its text.
        view.scroll_home(animate=False)
        await until(pilot, lambda: not column.parked_flags[0], "first piece drawn")
        assert column.pieces[0].source == column.piece_sources[0]
        # And the end of the reply, now far away, is parked in its turn (finished, it is sealed).
        await until(pilot, lambda: column.parked_flags[-1], "last piece parked")
        assert box.copy_text == TEXT


@pytest.mark.ui
async def test_sealed_pieces_on_screen_keep_their_height_until_the_width_changes() -> None:
    app = Pane()
    async with app.run_test(size=(100, 30)) as pilot:
        view, column = await stream_all_at_once(app, pilot)
        view.scroll_home(animate=False)
        await until(pilot, lambda: any(p.styles.height is not None for p in column.pieces), "pinned")
        await pilot.resize_terminal(60, 30)
        await pilot.pause()
        await until(pilot, lambda: any(p.styles.height is not None for p in column.pieces), "pinned again")
        pieces = column.pieces
        pinned = [p.region.height for p in pieces]
        # Measured afresh, unpinned, they take what they were pinned at: no height is stale.
        column.unpin()
        # A flat piece is mounted afresh from its source (in the background): wait for it.
        await until(
            pilot,
            lambda: not any(p.redrawing for p in pieces) and all(p.region.height for p in pieces),
            "redrawn and laid out",
        )
        assert [p.region.height for p in pieces] == pinned
