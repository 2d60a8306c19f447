"""The chat's Markdown widgets share one parser per thread instead of making one per render
(each a cycle-laden object left for the collector, several a second while a reply streams)."""

from __future__ import annotations

import threading

import pytest
from textual.app import App, ComposeResult

from liaobots_tui.ui.widgets import thread_parser
from liaobots_tui.ui.widgets.markdown_column import MarkdownColumn
from liaobots_tui.ui.widgets.markdown_pieces import chat_parser
from liaobots_tui.ui.widgets.thread_parser import thread_chat_parser
from tests.ui.driving import until

TEXT = "# Title\n\nA line\nbroken, a link https://example.com and *emphasis*.\n\n- a\n- b\n"


def test_one_parser_per_thread_parsing_as_the_chat_parser_does() -> None:
    parser = thread_chat_parser()
    assert thread_chat_parser() is parser
    others: list[object] = []
    thread = threading.Thread(target=lambda: others.append(thread_chat_parser()))
    thread.start()
    thread.join()
    assert others and others[0] is not parser  # its own: the linkify matcher keeps per-call state
    assert parser.render(TEXT) == chat_parser().render(TEXT)  # hard breaks, linkify: as before
    assert parser.render(TEXT) == parser.render(TEXT)  # parsing leaves it as it was


class _Column(App[None]):
    def compose(self) -> ComposeResult:
        yield MarkdownColumn(streaming=True)


async def test_a_streamed_text_makes_no_parser_per_append(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[object] = []

    def counted() -> object:
        made.append(threading.get_ident())
        return chat_parser()

    monkeypatch.setattr(thread_parser, "chat_parser", counted)
    monkeypatch.setattr(thread_parser, "_local", threading.local())  # none made yet in any thread
    app = _Column()
    async with app.run_test() as pilot:
        column = app.query_one(MarkdownColumn)
        for line in TEXT.splitlines(keepends=True) * 4:
            column.append(line)
            await column.flush()
            await pilot.pause()
        await column.finish()
        await until(pilot, lambda: bool(column.pieces) and bool(column.pieces[-1].children), "drawn")
        assert column.text == TEXT * 4
    assert 1 <= len(made) == len(set(made))  # at most one per thread, whatever the appends
