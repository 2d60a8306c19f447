"""A reply that is one single endless paragraph: shown whole, copied exactly, drawn in bounded pieces.

A model can send one endless paragraph (no blank line in a megabyte). Pieces are bounded,
so fifty blocks' worth proves what a megabyte would (bench/tui_stream.py's paragraph part
streams the megabyte and measures what a delta costs at its end). It streams in
as a model sends it (small deltas, the loop given turns), into the conversation pane
styled as in the app; at the end copy gives the text exactly, every piece is bounded,
the pieces join up to the text, and only a few pieces have widgets (the rest are
parked, their text kept).
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from liaobots_tui.api.messages import Message
from liaobots_tui.store import MessageRecord
from liaobots_tui.ui.widgets.conversation import ConversationView
from liaobots_tui.ui.widgets.markdown_pieces import BLOCK_CHARS, split_pieces
from tests.ui.driving import until

APP_CSS = Path(__file__).parents[2] / "liaobots_tui" / "ui" / "app.tcss"
WORDS = "lorem ipsum dolor sit amet, consectetur adipiscing **elit**. sed do `eiusmod` tempor".split()


def one_paragraph(chars: int) -> str:
    rng = random.Random(5)
    out: list[str] = []
    size = 0
    while size < chars:
        word = rng.choice(WORDS)
        out.append(word)
        size += len(word) + 1
    return " ".join(out)[:chars]


TEXT = one_paragraph(50 * BLOCK_CHARS)


class Pane(App[None]):
    CSS_PATH = APP_CSS

    def compose(self) -> ComposeResult:
        yield ConversationView(id="conversation")


@pytest.mark.ui
async def test_an_endless_paragraph_is_shown_whole_in_bounded_pieces() -> None:
    assert "\n" not in TEXT and len(TEXT) == 50 * BLOCK_CHARS
    app = Pane()
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(ConversationView)
        reply = MessageRecord(
            Message("assistant", model="gpt-5.4", format="openai"), id=1, status="streaming"
        )
        box = await view.add_message(reply, streaming=True)
        for start in range(0, len(TEXT), 2_000):
            box.append_text(TEXT[start : start + 2_000])
            if start % 20_000 == 0:
                await asyncio.sleep(0)  # the loop gets turns, as the screen's stream worker gives them
        await box.finish(None)
        await pilot.pause()
        column = box.columns[0]
        assert box.copy_text == TEXT == column.text
        pieces = column.piece_sources
        assert len(pieces) >= len(TEXT) // BLOCK_CHARS
        # Bounded: a paragraph is cut inside once it reaches a block's length.
        assert max(map(len, pieces)) <= BLOCK_CHARS
        assert "".join(pieces) == TEXT  # prose pieces have no lead or close: their texts join up
        assert pieces == [p.source for p in split_pieces(TEXT)]  # as a reload of the reply cuts it
        # Only the pieces near the view have widgets.
        await until(pilot, lambda: len(column.pieces) <= 4, "pieces far off screen parked")
        assert column.parked_count >= len(pieces) - 4
