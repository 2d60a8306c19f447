"""Columns whose children's places ignore the height given are arranged once (ui/widgets/height_free.py).

While a reply streams, the message box, its column and the live piece are measured
(arranged at height 0) and placed (arranged at the measured height) in every frame;
now both passes share one arrangement, and the picture and the places are the same.
"""

from __future__ import annotations

import pytest
from textual._arrange import arrange as textual_arrange
from textual.containers import Vertical
from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import Static

from liaobots_tui.api.messages import Message, TextPart
from liaobots_tui.store import MessageRecord
from liaobots_tui.ui.widgets import height_free
from liaobots_tui.ui.widgets.conversation import ConversationView
from liaobots_tui.ui.widgets.height_free import HeightFree, places_ignore_height
from liaobots_tui.ui.widgets.message_box import MessageBox
from tests.ui.driving import until
from tests.ui.pictures import ConversationPane, picture

FINISHED = (
    "# Earlier\n\nA finished reply.\n\n- one\n- two\n\n```\ncode\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
)
#: Every kind of block; the list at the end is still growing.
STREAMED = (
    "# Title\n\nSome words with `code`.\n\n```python\nprint('hi')\n```\n\n"
    "| a | b |\n|---|---|\n| 1 | 2 |\n\n> a quote\n\n1. first\n2. second\n\n- a\n- b\n- the last item grows"
)


def places(widget: Widget, size: Size) -> list[tuple[Widget, object]]:
    arrangement = textual_arrange(widget, widget._nodes, size, widget.screen.size)
    return [(placement.widget, placement.region) for placement in arrangement.placements]


async def conversation(app: ConversationPane) -> tuple[MessageBox, MessageBox]:
    view = app.query_one(ConversationView)
    done = Message("assistant", [TextPart(FINISHED)], model="m", format="openai")
    finished = await view.add_message(MessageRecord(done, id=1, status="complete"))
    record = MessageRecord(Message("assistant", model="m", format="openai"), id=2, status="streaming")
    box = await view.add_message(record, streaming=True)
    box.append_text(STREAMED)
    return finished, box


@pytest.mark.ui
async def test_columns_are_placed_as_textual_would_place_them() -> None:
    app = ConversationPane()
    async with app.run_test(size=(70, 40)) as pilot:
        finished, box = await conversation(app)
        await until(pilot, lambda: box.columns[0].written_out and box.region.height > 20, "drawn")
        await pilot.pause()
        columns = [w for w in app.screen.walk_children(with_self=False) if isinstance(w, HeightFree)]
        # The message boxes, their columns and pieces (finished and live) all qualify.
        assert {type(w).__name__ for w in columns} >= {"MessageBox", "MarkdownColumn", "PieceMarkdown"}
        assert finished in columns and box in columns
        for widget in columns:
            assert places_ignore_height(widget), widget
            size = widget.content_region.size
            # What Textual itself arranges at the height given, child by child, in the same places.
            assert places(widget, size) == places(widget, Size(size.width, 0)), widget


@pytest.mark.ui
async def test_a_frame_measures_and_places_a_column_with_one_arrangement() -> None:
    app = ConversationPane()
    async with app.run_test(size=(70, 40)) as pilot:
        _, box = await conversation(app)
        await until(pilot, lambda: box.columns[0].written_out and box.region.height > 20, "drawn")
        await pilot.pause()
        piece = box.columns[0].pieces[-1]
        for widget in (box, box.columns[0], piece):
            width, height = widget.content_region.size
            assert height
            # The placing pass (at the height measured) finds the measuring pass's arrangement.
            assert widget.arrange(Size(width, height)) is widget.arrange(Size(width, 0))


@pytest.mark.ui
async def test_the_picture_is_what_textual_arranging_each_height_drew(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = ConversationPane()
    async with app.run_test(size=(70, 40)) as pilot:
        _, box = await conversation(app)
        await until(pilot, lambda: box.columns[0].written_out and box.region.height > 20, "drawn")
        await pilot.pause()
        arranged_once = picture(app)
        monkeypatch.setattr(height_free, "places_ignore_height", lambda widget: False)
        for widget in app.screen.walk_children(with_self=True):
            widget._clear_arrangement_cache()
            widget.refresh(layout=True)
        await pilot.pause()
        assert picture(app) == arranged_once


@pytest.mark.ui
async def test_a_column_whose_children_depend_on_its_height_is_arranged_as_textual_does() -> None:
    class Column(HeightFree, Vertical):
        pass

    app = ConversationPane()
    async with app.run_test(size=(40, 20)):
        plain, filling, docked, hidden_filler = Column(), Column(), Column(), Column()
        await app.screen.mount_all([plain, filling, docked, hidden_filler])
        await plain.mount_all([Static("a"), Static("b")])
        half = Static("half")
        half.styles.height = "50%"
        await filling.mount_all([Static("a"), half])
        dock = Static("d")
        dock.styles.dock = "bottom"
        await docked.mount_all([Static("a"), dock])
        filler = Static("f")
        filler.styles.height = "1fr"
        filler.display = False
        await hidden_filler.mount_all([Static("a"), filler])
        assert places_ignore_height(plain)
        assert not places_ignore_height(filling)
        assert not places_ignore_height(docked)
        assert places_ignore_height(hidden_filler)  # a child not shown takes no place
        plain.styles.align_vertical = "bottom"
        assert not places_ignore_height(plain)
        # Its CSS is the container's: the mixin is no DOM node of its own.
        assert plain.styles.layout is not None and plain.styles.layout.name == "vertical"
        size = Size(30, 12)
        assert filling.arrange(size) is not filling.arrange(Size(30, 0))
