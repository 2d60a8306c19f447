"""Containers whose rows all look alike are drawn from one row (ui/widgets/uniform_rows.py): same picture.

While a reply streams, the message box, its column and the live piece grow in every
frame, and Textual drew every row of each afresh; now one row is rendered and repeated.
"""

from __future__ import annotations

import pytest
from textual.containers import Vertical

from liaobots_tui.api.messages import Message
from liaobots_tui.store import MessageRecord
from liaobots_tui.ui.widgets.conversation import ConversationView
from liaobots_tui.ui.widgets.uniform_rows import UniformRows, rows_alike
from tests.ui.driving import until
from tests.ui.pictures import ConversationPane, picture

TEXT = "# Title\n\nSome words.\n\n- a\n- b\n\n```\ncode\n```\n\n> quote\n\nThe end is still coming"


@pytest.mark.ui
async def test_a_streaming_reply_looks_the_same_drawn_from_one_row(monkeypatch: pytest.MonkeyPatch) -> None:
    app = ConversationPane()
    async with app.run_test(size=(80, 40)) as pilot:
        view = app.query_one(ConversationView)
        user = MessageRecord(Message("user", model="m", format="openai"), id=1, status="complete")
        await view.add_message(user)
        record = MessageRecord(Message("assistant", model="m", format="openai"), id=2, status="streaming")
        box = await view.add_message(record, streaming=True)
        box.append_text(TEXT)
        await until(
            pilot,
            lambda: box.columns[0].text == TEXT and box.columns[0].written_out and box.region.height > 12,
            "drawn",
        )
        await pilot.pause()
        assert isinstance(box, UniformRows) and box.uniform_rows()
        drawn_from_one_row = picture(app)
        monkeypatch.setattr(UniformRows, "uniform_rows", lambda self: False)
        for widget in app.screen.walk_children(with_self=True):
            widget.refresh()
        await pilot.pause()
        assert picture(app) == drawn_from_one_row


@pytest.mark.ui
async def test_rows_differ_with_a_top_or_bottom_edge() -> None:
    class Boxed(UniformRows, Vertical):
        pass

    app = ConversationPane()
    async with app.run_test(size=(40, 10)):
        plain, padded, bordered = Boxed(), Boxed(), Boxed()
        padded.styles.padding = (1, 0, 0, 0)
        bordered.styles.border_bottom = ("solid", "red")
        await app.screen.mount_all([plain, padded, bordered])
        assert rows_alike(plain) and not rows_alike(padded) and not rows_alike(bordered)
        bordered.border_title = "x"
        assert not rows_alike(bordered)
        # Its CSS is the container's: the mixin is no DOM node of its own.
        assert plain.styles.layout is not None and plain.styles.layout.name == "vertical"
