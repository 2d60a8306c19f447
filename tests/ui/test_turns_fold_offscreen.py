"""A finished turn wholly off screen keeps no widget tree (turn_park), and comes back as it was.

Each test draws the same conversation twice when it compares: once as the app does, once
with folding turned off (the picture of what was there), and waits on conditions only.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.widget import Widget

from liaobots_tui.api.messages import Message, ReasoningPart, Source, TextPart
from liaobots_tui.store import MessageRecord, Version
from liaobots_tui.ui.widgets.conversation import ConversationView
from liaobots_tui.ui.widgets.markdown_column import ParkedRun, PieceMarkdown
from liaobots_tui.ui.widgets.message_box import MessageBox, ThinkingBlock
from tests.ui.driving import until
from tests.ui.pictures import ConversationPane, picture

SIZE = (80, 24)


def reply_text(n: int) -> str:
    """A reply of headings, paragraphs, a list and a fence: several pieces, ~3 screens tall."""
    parts = [
        f"## Part {n}.{i}\n\nSome prose for part {i} of reply {n}, long enough to wrap once or twice "
        f"at eighty columns so heights depend on the width.\n\n- item a\n- item b\n\n"
        f"```python\nprint({n}, {i})\n```\n\n"
        for i in range(6)
    ]
    return "".join(parts)


def records(turns: int) -> list[MessageRecord]:
    out: list[MessageRecord] = []
    for n in range(turns):
        prompt = Message("user", [TextPart(f"Question {n}: tell me about part {n}")])
        reply = Message("assistant", [TextPart(reply_text(n))], model="m", format="openai")
        out.append(MessageRecord(prompt, id=2 * n + 1, status="complete"))
        out.append(MessageRecord(reply, id=2 * n + 2, status="complete"))
    return out


def text_rows(app: ConversationPane, *, scrollbar: bool = True) -> list[str]:
    """The characters on screen, row by row (without the scrollbar's two columns if not ``scrollbar``)."""
    rows = ["".join(char for char, _ in row) for row in picture(app)]
    return [(row if scrollbar else row[:-2]).rstrip() for row in rows]


async def settled(pilot: Any, view: ConversationView) -> None:
    """Nothing near the view is folded or parked, and every piece near it is drawn."""

    def quiet() -> bool:
        view.schedule_parking()  # (a look costs nothing when nothing moves)
        if any(box.folded and near(view, box) for box in view.boxes()):
            return False
        if any(near(view, run) for run in view.query(ParkedRun)):
            return False
        pieces = [piece for box in view.boxes() for column in box.columns for piece in column.pieces]
        return all(drawn(piece) for piece in pieces if near(view, piece))

    await until(pilot, quiet, "parking settled")
    for _ in range(3):
        await pilot.pause()


def drawn(piece: Widget) -> bool:
    """A piece's blocks are mounted (or folded into its own lines: flat)."""
    assert isinstance(piece, PieceMarkdown)
    return not piece.redrawing and (piece.is_flat or bool(piece.children))


def near(view: ConversationView, widget: Widget) -> bool:
    region = widget.region
    return bool(region.height) and region.bottom >= view.region.y and region.y <= view.region.bottom


async def conversation(pilot: Any, app: ConversationPane, turns: int) -> ConversationView:
    view = app.query_one(ConversationView)
    for record in records(turns):
        await view.add_message(record)
    await until(pilot, lambda: view.max_scroll_y > 0, "taller than the view")
    return view


async def at_top_and_back(pilot: Any, view: ConversationView) -> None:
    view.scroll_end(animate=False)
    await settled(pilot, view)
    view.scroll_home(animate=False)
    await settled(pilot, view)


@pytest.mark.ui
async def test_far_turns_fold_and_come_back_as_they_were(monkeypatch: pytest.MonkeyPatch) -> None:
    # What the top of the chat looks like with nothing folded: drawn with folding off.
    with monkeypatch.context() as patch:
        patch.setattr(MessageBox, "fold", lambda self: False)
        plain_app = ConversationPane()
        async with plain_app.run_test(size=SIZE) as pilot:
            view = await conversation(pilot, plain_app, 4)
            await at_top_and_back(pilot, view)
            expected, height = text_rows(plain_app), view.virtual_size.height

    app = ConversationPane()
    async with app.run_test(size=SIZE) as pilot:
        view = await conversation(pilot, app, 4)
        view.scroll_end(animate=False)
        await settled(pilot, view)
        boxes = view.boxes()
        folded = [box for box in boxes if box.folded]
        # The first turns are far above the view: their boxes hold no widget, only their height.
        assert boxes[0] in folded and boxes[1] in folded
        assert all(not box.children for box in folded)
        assert not boxes[-1].folded  # the one on screen
        assert view.virtual_size.height == height  # folding changed no height
        # Copy reads the record: a folded box copies what it showed.
        assert boxes[1].copy_text == reply_text(0)
        view.scroll_home(animate=False)
        await settled(pilot, view)
        assert not boxes[0].folded and not boxes[1].folded
        assert text_rows(app) == expected
        assert view.virtual_size.height == height
        # And down again: the first ones fold once more, the last come back.
        view.scroll_end(animate=False)
        await until(pilot, lambda: boxes[0].folded, "folded again")


@pytest.mark.ui
async def test_a_folded_box_is_selected_with_its_version_and_marks() -> None:
    app = ConversationPane()
    async with app.run_test(size=SIZE) as pilot:
        view = await conversation(pilot, app, 4)
        view.scroll_end(animate=False)
        await settled(pilot, view)
        reply = view.boxes()[1]
        assert reply.folded
        reply_id = reply.message.id
        assert reply_id is not None
        # Versions set while folded show once it is composed again.
        view.set_versions({reply_id: Version(2, 3)})
        reply.header.add_class("-found")  # a search hit's mark; asking for the header unfolds it
        assert not reply.folded
        reply.select()
        await until(pilot, lambda: app.focused is reply.header and near(view, reply), "selected, in view")
        await settled(pilot, view)
        header = "".join(text_rows(app))
        assert "‹ 2/3 ›" in header
        assert reply.header.has_class("-found")
        # Selected: it stays composed however far the view goes.
        view.scroll_end(animate=False)
        await settled(pilot, view)
        assert not reply.folded
        # Selection moves on: now it folds, and keeps its mark when it comes back.
        app.set_focus(None)
        view.schedule_parking()
        await until(pilot, lambda: reply.folded, "folded once deselected")
        assert reply.sources_list() is None  # no sources: nothing composed for the asking
        view.scroll_home(animate=False)
        await settled(pilot, view)
        assert reply.header.has_class("-found") and "‹ 2/3 ›" in "".join(text_rows(app))


@pytest.mark.ui
async def test_a_width_change_while_folded_shows_the_text_at_the_new_width(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    narrow = (60, SIZE[1])
    with monkeypatch.context() as patch:
        patch.setattr(MessageBox, "fold", lambda self: False)
        plain_app = ConversationPane()
        async with plain_app.run_test(size=narrow) as pilot:
            view = await conversation(pilot, plain_app, 3)
            await at_top_and_back(pilot, view)
            expected = text_rows(plain_app, scrollbar=False)

    app = ConversationPane()
    async with app.run_test(size=SIZE) as pilot:
        view = await conversation(pilot, app, 3)
        view.scroll_end(animate=False)
        await settled(pilot, view)
        assert view.boxes()[1].folded
        await pilot.resize_terminal(*narrow)
        await settled(pilot, view)
        view.scroll_home(animate=False)
        await settled(pilot, view)
        # (The scrollbar differs: pieces further down keep estimated heights until drawn.)
        assert text_rows(app, scrollbar=False) == expected


@pytest.mark.ui
async def test_an_opened_thinking_block_and_sources_survive_a_fold() -> None:
    app = ConversationPane()
    async with app.run_test(size=SIZE) as pilot:
        view = app.query_one(ConversationView)
        thought = Message(
            "assistant",
            [ReasoningPart("First I think about it."), TextPart(reply_text(9))],
            model="m",
            format="openai",
            sources=(Source("https://example.com/a", "A"),),
        )
        first = await view.add_message(MessageRecord(thought, id=100, status="complete"))
        for record in records(3):
            await view.add_message(record)
        await until(pilot, lambda: view.max_scroll_y > 0, "taller than the view")
        view.scroll_home(animate=False)
        await settled(pilot, view)
        first.query_one(ThinkingBlock).collapsed = False  # the user opened it
        await settled(pilot, view)
        view.scroll_end(animate=False)
        await until(pilot, lambda: first.folded, "folded")
        # The palette's source entries ask for the list: composed again for the asking.
        found = first.sources_list()
        assert found is not None and [s.uri for s in found.sources] == ["https://example.com/a"]
        assert not first.folded
        view.scroll_end(animate=False)
        view.scroll_home(animate=False)
        await settled(pilot, view)
        view.scroll_end(animate=False)
        await settled(pilot, view)
        await until(pilot, lambda: first.folded, "folded once seen and left")
        view.scroll_home(animate=False)
        await settled(pilot, view)
        assert not first.query_one(ThinkingBlock).collapsed
        assert "First I think about it." in "\n".join(text_rows(app))
