"""A finished turn keeps only the widgets that show something.

A Textual widget costs ~22 kB for as long as it is mounted (its message queue and task,
styles, caches), and a chat keeps every message's box: a hidden, empty notice line under
each message and an empty sources list (with its title) under each reply were three of the
twelve widgets of a turn (bench/reply_memory.py). They are mounted when they have something
to show: the notice while a reply streams, fails or was cancelled, the sources list when
the reply cites some.
"""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult

from liaobots_tui.api.messages import Message, Source, TextPart
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.store import MessageRecord
from liaobots_tui.ui.widgets.message_box import MessageBox
from liaobots_tui.ui.widgets.sources import SourcesList
from tests.ui.conftest import SIZE, AppFactory, demo_settings
from tests.ui.driving import chat, send


@pytest.mark.ui
async def test_a_finished_turn_has_no_empty_notice_or_sources_widgets(
    gateway: FakeGateway, make_app: AppFactory
) -> None:
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=SIZE) as pilot:
        await send(app, pilot, "[[deltas=50]] a short answer")
        prompt, reply = chat(app).view.boxes()[-2:]
        assert reply.message.status == "complete"
        for box in (prompt, reply):
            assert not box.query_children(".notice")
            assert not box.query(SourcesList)
        # The header, the column (its pieces are its own) and the reply line; the prompt: its header and text.
        kinds = [type(child).__name__ for child in reply.children]
        assert kinds == ["MessageHeader", "MarkdownColumn", "Static"]
        assert reply.children[-1].has_class("reply-line")
        assert len(prompt.children) == 2


class _Boxes(App[None]):
    def __init__(self, *boxes: MessageBox) -> None:
        super().__init__()
        self._boxes = boxes

    def compose(self) -> ComposeResult:
        yield from self._boxes


@pytest.mark.ui
async def test_a_failed_reply_with_sources_composes_both_in_order() -> None:
    failed = MessageRecord(
        Message("assistant", [TextPart("Partial")], sources=[Source("https://example.com", "Example")]),
        status="failed",
        error="Gateway said no",
    )
    box = MessageBox(failed)
    async with _Boxes(box).run_test(size=SIZE) as pilot:
        await pilot.pause()
        kinds = [type(child).__name__ for child in box.children]
        assert kinds == ["MessageHeader", "MarkdownColumn", "SourcesList", "Static", "Static"]
        assert box.children[-2].has_class("reply-line")
        notice = box.children[-1]
        assert notice.has_class("notice") and notice.has_class("-failed")
        assert str(notice.render()) == "✗ Gateway said no"
