"""Queued text reaches the live piece in slices a frame can draw (ui/widgets/markdown_column.py).

While a piece is sealed the deltas pile up; handed over in one flush they were 1,000+
characters, ten and more new blocks laid out and drawn in one frame (the longest frames
of a paced stream). Now each flush hands at most FRAME_CHARS, waits for the last slice
to be written before the next (Textual's stream would merge them into one append), and
the rest follows soon after; the text and its pieces are what a reload shows.
"""

from __future__ import annotations

import pytest

from liaobots_tui.ui.widgets.markdown_column import MarkdownColumn
from liaobots_tui.ui.widgets.markdown_pieces import split_pieces
from tests.ui.column_app import ColumnApp, appends_recorded

#: Paragraphs, lists and fences: ~1,900 characters (a few FRAME_CHARS), under the column's skip-ahead backlog.
TEXT = "".join(
    f"Paragraph {n} says a few words about item {n}, enough to wrap once or twice on a line.\n\n"
    f"- point {n}a\n- point {n}b\n\n```\ncode {n}\n```\n\n"
    for n in range(15)
)


@pytest.mark.ui
async def test_a_backlog_is_written_in_slices_one_append_each(monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(TEXT) < MarkdownColumn.SKIP_CHARS  # drawn, not parked unread
    appended = appends_recorded(monkeypatch)
    handed: list[int] = []  # characters handed to the widgets by each flush
    flush_live = MarkdownColumn._flush_live

    async def one_flush(self: MarkdownColumn, live: object) -> bool:
        before = self.shown_chars
        try:
            return await flush_live(self, live)  # type: ignore[arg-type]
        finally:
            handed.append(self.shown_chars - before)

    monkeypatch.setattr(MarkdownColumn, "_flush_live", one_flush)
    # Sliced by characters alone: the widget budget's slicing is test_slices_bounded_by_widgets's.
    monkeypatch.setattr(MarkdownColumn, "FRAME_WIDGETS", 1_000)
    column = MarkdownColumn(streaming=True)
    async with ColumnApp(column).run_test(size=(80, 30)) as pilot:
        column.append(TEXT)  # all at once: a backlog, as after a slow seal
        await column.finish()
        await pilot.pause()
        assert column.text == TEXT
        # Slices (a fence line opening or closing a cut piece may ride along), as many as it takes.
        assert max(handed) <= MarkdownColumn.FRAME_CHARS + 2 * len("```\n")
        assert len(handed) > len(TEXT) // MarkdownColumn.FRAME_CHARS
        # Each append is one slice: none waited and joined the next one.
        assert appended and max(map(len, appended)) <= MarkdownColumn.FRAME_CHARS + len("```\n")
        assert column.piece_sources == [piece.source for piece in split_pieces(TEXT)]


@pytest.mark.ui
async def test_a_reply_that_keeps_up_is_written_whole_at_each_flush(monkeypatch: pytest.MonkeyPatch) -> None:
    appended = appends_recorded(monkeypatch)
    # Under the widget budget too (its slicing: test_slices_bounded_by_widgets).
    monkeypatch.setattr(MarkdownColumn, "FRAME_WIDGETS", 1_000)
    column = MarkdownColumn(streaming=True)
    async with ColumnApp(column).run_test(size=(80, 30)) as pilot:
        small = TEXT[:200]
        column.append(small)
        await column.flush()
        await pilot.pause()
        assert appended == [small]
        assert not column.has_pending()
