"""The last item of a streamed list takes new text in its row (textual_compat._paragraphs_updated_in_place).

growing_list_blocks keeps the rows of a list's earlier items; the last item, parsed again at
each append, had its row (row, bullet, column, paragraph) removed and mounted afresh in every
frame while it grew. A last item that is still the same paragraphs now takes the new text in
the row it has; one that changed shape (a nested list appears) gets a new row as before. Either
way the picture is what one parse of the whole text draws.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.strip import Strip
from textual.widgets._markdown import MarkdownList

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


def cells(piece: PieceMarkdown) -> list[list[tuple[str, str]]]:
    strips: list[Strip] | None = render_subtree(piece)
    assert strips is not None
    return [[(char, str(seg.style or "")) for seg in strip for char in seg.text] for strip in strips]


@pytest.mark.ui
async def test_a_growing_last_item_keeps_its_row_and_draws_as_one_parse() -> None:
    app = Pane()
    async with app.run_test(size=(90, 50)) as pilot:
        streamed = await box_in(app, 1)
        piece = await stream(pilot, streamed, ["Intro.\n\n- one\n- a second item that", " keeps growing *in"])
        before = rows(piece)
        piece = await stream(pilot, streamed, [" italics* across appends [b]x[/b]"])
        after = rows(piece)
        assert after == before  # the same row widgets: the last one took the new text
        paragraph = after[-1].children[1].children[0]
        piece = await stream(pilot, streamed, ["\n- three"])
        assert rows(piece)[1].children[1].children[0] is paragraph  # still that paragraph
        whole = await box_in(app, 2)
        once = await stream(pilot, whole, [piece.source])
        await pilot.pause()
        assert cells(piece) == cells(once)
        assert "[b]x[/b]" in "".join(char for row in cells(piece) for char, _ in row)  # not markup


@pytest.mark.ui
async def test_a_last_item_that_changes_shape_gets_a_new_row_and_draws_as_one_parse() -> None:
    app = Pane()
    async with app.run_test(size=(90, 50)) as pilot:
        streamed = await box_in(app, 1)
        piece = await stream(pilot, streamed, ["- one\n- two"])
        last = rows(piece)[-1]
        piece = await stream(pilot, streamed, ["\n  - nested under two\n  - and more"])
        assert rows(piece)[-1] is not last  # a paragraph and a list now: a new row
        piece = await stream(pilot, streamed, ["\n- three\n\nAfter."])
        whole = await box_in(app, 2)
        once = await stream(pilot, whole, [piece.source])
        await pilot.pause()
        assert cells(piece) == cells(once)
