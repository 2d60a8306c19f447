"""A slice of streamed text adds a bounded number of widgets, and the next waits for it to be drawn.

``markdown_slices.widgets_cut`` ends a slice (after a whole line) before the widgets its
lines would mount pass a budget (a list item is four widgets, a fence or a table's first
line about four); ``MarkdownColumn`` hands the rest over only once the screen has laid
out the last slice, so two slices never land in one frame. The text and its pieces are
what one parse shows.
"""

from __future__ import annotations

import itertools

import pytest
from textual.await_complete import AwaitComplete
from textual.screen import Screen

from liaobots_tui.ui.widgets.markdown_column import MarkdownColumn, PieceMarkdown
from liaobots_tui.ui.widgets.markdown_pieces import split_pieces
from liaobots_tui.ui.widgets.markdown_slices import LIST_ITEM_WIDGETS, in_fence, widgets_cut
from tests.ui.column_app import ColumnApp
from tests.ui.driving import until

ITEMS = "".join(f"- item {n}\n" for n in range(6))


def test_list_items_are_cut_at_the_budget_after_a_whole_line() -> None:
    at = widgets_cut(ITEMS, after="", most=2 * LIST_ITEM_WIDGETS)
    assert ITEMS[:at] == "- item 0\n- item 1\n"


def test_what_fits_is_taken_whole() -> None:
    assert widgets_cut(ITEMS, after="", most=6 * LIST_ITEM_WIDGETS) == len(ITEMS)


def test_the_first_line_is_taken_whatever_it_costs() -> None:
    assert widgets_cut("- one\n- two\n", after="", most=1) == len("- one\n")


def test_an_unfinished_last_line_counts_as_the_widget_it_draws() -> None:
    text = "- a\n- b\n- c"
    assert text[: widgets_cut(text, after="", most=2 * LIST_ITEM_WIDGETS)] == "- a\n- b\n"


def test_a_line_continued_from_the_last_slice_adds_nothing() -> None:
    text = "em\n- one\n"
    assert widgets_cut(text, after="- it", most=LIST_ITEM_WIDGETS) == len(text)


def test_lines_inside_an_open_fence_add_nothing() -> None:
    code = "- not\n- a\n- list\n# nor a heading\n```\n"
    assert in_fence("Code:\n\n```python\n")
    assert widgets_cut(code, after="Code:\n\n```python\n", most=1) == len(code)
    # Outside a fence the same lines are three list items and a heading.
    assert widgets_cut(code, after="", most=2 * LIST_ITEM_WIDGETS) == len("- not\n- a\n")


def test_a_table_costs_its_first_line_then_a_little_a_row() -> None:
    table = "| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n"
    assert widgets_cut(table, after="", most=7) == len(table)
    assert widgets_cut(table, after="", most=5) == len("| a | b |\n|---|---|\n")


#: Lists, paragraphs and a fence: ~700 characters, past FRAME_CHARS but under BUDGET_CHARS.
TEXT = "".join(
    f"Part {n}.\n\n" + "".join(f"- point {n}.{i} in a list\n" for i in range(5)) + f"\n```\ncode {n}\n```\n\n"
    for n in range(5)
)


@pytest.mark.ui
async def test_a_burst_of_list_items_is_drawn_a_few_a_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(TEXT) < MarkdownColumn.SKIP_CHARS  # drawn, not parked unread
    layouts = 0
    textual_refresh_layout = Screen._refresh_layout

    def refresh_layout(self: Screen[object], *args: object, **kwargs: object) -> None:
        nonlocal layouts
        layouts += 1
        textual_refresh_layout(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Screen, "_refresh_layout", refresh_layout)
    appended: list[tuple[str, int]] = []  # each append's text and the layout passes before it
    textual_append = PieceMarkdown.append

    def append(self: PieceMarkdown, markdown: str) -> AwaitComplete:
        appended.append((markdown, layouts))
        return textual_append(self, markdown)

    monkeypatch.setattr(PieceMarkdown, "append", append)
    column = MarkdownColumn(streaming=True)
    async with ColumnApp(column).run_test(size=(80, 30)) as pilot:
        column.append(TEXT)  # a burst, as after a slow seal: drained by the column's own timers
        await until(pilot, lambda: column.shown_chars >= len(TEXT) and not column.has_pending(), "all shown")
        await column.finish()
        await pilot.pause()
        assert column.text == TEXT
        assert column.piece_sources == [piece.source for piece in split_pieces(TEXT)]
    # No append brought more than two new list items (the budget under BUDGET_CHARS).
    assert len(TEXT) <= MarkdownColumn.BUDGET_CHARS
    for markdown, _ in appended:
        assert markdown.count("\n- ") + markdown.startswith("- ") <= 2, markdown
    assert len(appended) >= TEXT.count("\n- ") // 2
    # Each slice was laid out before the next was handed over.
    passes = [before for _, before in appended]
    assert all(later > earlier for earlier, later in itertools.pairwise(passes)), passes


@pytest.mark.ui
async def test_a_backlog_past_the_budget_is_drained_without_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stream far ahead of the screen (unpaced) is drained on the timer alone, not a slice per
    frame: paced by frames too, such a reply took twice as long. Under BUDGET_CHARS each slice
    waits for the last one to be drawn again, and nothing of the backlog is lost either way."""
    # Paragraphs (a widget each), so the budgeted end of the backlog drains in a few slices too.
    text = "".join(f"Paragraph {n} of a reply far ahead of the screen, {'word ' * 12}\n\n" for n in range(40))
    assert MarkdownColumn.BUDGET_CHARS < len(text) < MarkdownColumn.SKIP_CHARS
    decided: list[tuple[int, bool]] = []  # (characters queued, paced by frames) after each slice
    budgeted = MarkdownColumn._budgeted

    def noted(self: MarkdownColumn) -> bool:
        answer = budgeted(self)
        decided.append((sum(map(len, self._segments[-1].pending)), answer))
        return answer

    monkeypatch.setattr(MarkdownColumn, "_budgeted", noted)
    column = MarkdownColumn(streaming=True)
    async with ColumnApp(column).run_test(size=(80, 30)) as pilot:
        column.append(text)
        await until(pilot, lambda: column.shown_chars >= len(text) and not column.has_pending(), "all shown")
        await column.finish()
        await pilot.pause()
        assert column.text == text
        assert column.piece_sources == [piece.source for piece in split_pieces(text)]
    queued = [(chars, answer) for chars, answer in decided if chars]
    assert queued[0][0] > MarkdownColumn.BUDGET_CHARS and not queued[0][1]  # far ahead: on the timer
    assert any(answer for _, answer in queued)  # the backlog's last BUDGET_CHARS: budgeted again
    assert all(answer == (chars <= MarkdownColumn.BUDGET_CHARS) for chars, answer in queued)
