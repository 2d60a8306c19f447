"""A list streamed as the last block grows by its last items (textual_compat.growing_list_blocks).

Textual replaced the whole list at each append (every item's widgets mounted, styled, laid
out and drawn afresh in each frame); the rows of the items before the last are kept. The
picture is what one parse of the whole text draws.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.strip import Strip
from textual.widgets._markdown import MarkdownBullet, MarkdownList

from liaobots_tui.api.messages import Message
from liaobots_tui.store import MessageRecord
from liaobots_tui.ui.textual_compat import render_subtree
from liaobots_tui.ui.widgets.conversation import ConversationView
from liaobots_tui.ui.widgets.markdown_column import PieceMarkdown
from liaobots_tui.ui.widgets.message_box import MessageBox
from tests.ui.driving import until

APP_CSS = Path(__file__).parents[2] / "liaobots_tui" / "ui" / "app.tcss"


class Pane(App[None]):
    CSS_PATH = APP_CSS

    def compose(self) -> ComposeResult:
        yield ConversationView()


async def box_in(app: Pane, number: int) -> MessageBox:
    record = MessageRecord(Message("assistant", model="m", format="openai"), id=number, status="streaming")
    return await app.query_one(ConversationView).add_message(record, streaming=True)


async def stream(pilot: object, box: MessageBox, parts: list[str]) -> PieceMarkdown:
    """Each part written in an append of its own (each waits until the previous is drawn)."""
    written = box.columns[0].text
    for part in parts:
        box.append_text(part)
        written += part
        piece = box.columns[0].pieces[-1]
        assert isinstance(piece, PieceMarkdown)

        def drawn(piece: PieceMarkdown = piece, written: str = written) -> bool:
            return piece.source == written and not piece.lock.is_locked and piece.region.height > 0

        await until(pilot, drawn, f"{written!r} drawn")
    return piece


def rows(piece: PieceMarkdown) -> list[Horizontal]:
    lists = [child for child in piece.children if isinstance(child, MarkdownList) and child.display]
    return list(lists[-1].query_children(Horizontal))


def symbols(piece: PieceMarkdown) -> list[str]:
    return [row.query_one(MarkdownBullet).symbol for row in rows(piece)]


def cells(piece: PieceMarkdown) -> list[list[tuple[str, str]]]:
    strips: list[Strip] | None = render_subtree(piece)
    assert strips is not None
    return [[(char, str(seg.style or "")) for seg in strip for char in seg.text] for strip in strips]


@pytest.mark.ui
async def test_a_streamed_list_keeps_its_earlier_items_and_draws_as_one_parse() -> None:
    app = Pane()
    async with app.run_test(size=(90, 50)) as pilot:
        streamed = await box_in(app, 1)
        parts = ["Intro.\n\n- one\n- tw", "o *still*\n- three", "\n  - nested\n- four"]
        piece = await stream(pilot, streamed, parts)
        first_rows = rows(piece)
        piece = await stream(pilot, streamed, ["\n- five [b]x[/b]"])  # appended to what is there
        assert rows(piece)[:3] == first_rows[:3]  # the same widgets: never remounted (the last one is)
        whole = await box_in(app, 2)
        once = await stream(pilot, whole, [piece.source])
        await pilot.pause()
        assert symbols(piece) == symbols(once) == ["• "] * 5
        assert cells(piece) == cells(once)


@pytest.mark.ui
async def test_an_ordered_list_that_grows_a_digit_is_numbered_as_one_parse() -> None:
    app = Pane()
    async with app.run_test(size=(90, 50)) as pilot:
        streamed = await box_in(app, 1)
        items = [f"{n}. item {n}\n" for n in range(1, 13)]
        piece = await stream(pilot, streamed, ["".join(items[:3]), *items[3:]])
        whole = await box_in(app, 2)
        once = await stream(pilot, whole, [piece.source])
        await pilot.pause()
        assert symbols(piece) == symbols(once)
        assert symbols(piece)[0] == "  1. " and symbols(piece)[-1] == " 12. "
        assert cells(piece) == cells(once)
