"""A Markdown table that wraps uses the whole width it has: no cells left empty at its right edge.

When every column could not keep its longest word, the widest columns were narrowed
to a common cap and what the cap left over (up to a cell a column) stayed empty at
the table's right. Now those cells go to the columns still narrower than their text.
Checked on the lines (any table, any width) and in a Markdown column at the terminal
widths 60, 100 and 140: the table's widest line is the width its Markdown gives it.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from textual.app import App, ComposeResult
from textual.content import Content

from liaobots_tui.ui.widgets.markdown_column import MarkdownColumn
from liaobots_tui.ui.widgets.markdown_table import TableLines, column_widths, table_lines
from tests.ui.driving import until

WORDS = ["a", "git", "revert", "--hard", "history", "branches", "constant", "antidisestablishmentarianism"]
#: A table whose longest words do not all fit at 60 columns (the common cap), and one whose do.
LONG_WORDS = (
    "| Term | Meaning | Example |\n|---|---|---|\n"
    "| antidisestablishmentarianism | opposition to withdrawing state support from an established church "
    "| pneumonoultramicroscopicsilicovolcanoconiosis is a word coined to be the longest |\n"
)
WRAPPING = (
    "| Command | Rewrites history | Safe on shared branches |\n|---|---|---|\n"
    "| `git revert` | no, it adds a commit that undoes the change and keeps the history as it was | yes |\n"
    "| `git commit --amend` | yes, the last commit is replaced by a new one with another id "
    "| only before pushing, or when nobody else has pulled the branch yet |\n"
)


def test_the_cap_leaves_no_cell_over_when_the_columns_want_more() -> None:
    # Capped at 27 the columns took 59 of 60 cells; the last one goes to the widest column.
    widths = column_widths([5, 200, 300], 60)
    assert widths[0] == 5 and sum(widths) == 60 and abs(widths[1] - widths[2]) <= 1
    assert sum(column_widths([90, 68], 23, [28, 28])) == 23
    assert sum(column_widths([43, 76, 88, 91, 87], 24, [28] * 5)) == 24
    # Columns that fit keep their widths and share what is left: unchanged.
    assert column_widths([4, 8], 12) == [4, 8]


cells = st.lists(st.sampled_from(WORDS), max_size=10).map(lambda words: Content(" ".join(words)))


# A small space: 42 shapes (1-6 columns x 7 widths), cells drawn from the same few words. 60
# examples still reach most shapes; 150 took ~1.5 s of CPU (0.5 s now) for pure table code.
@settings(max_examples=60)
@given(
    columns=st.integers(1, 6),
    data=st.data(),
    width=st.sampled_from([30, 40, 60, 80, 100, 140, 200]),
)
def test_every_line_of_a_table_is_as_wide_as_the_room_it_has(
    columns: int, data: st.DataObject, width: int
) -> None:
    headers = data.draw(st.lists(cells, min_size=columns, max_size=columns))
    rows = data.draw(st.lists(st.lists(cells, min_size=columns, max_size=columns), min_size=1, max_size=4))
    lines = table_lines(headers, rows, width)
    if width >= 4 * columns + 1:  # every column can have a cell of text
        assert {line.cell_length for line in lines} == {width}


class Host(App[None]):
    def __init__(self, markdown: str) -> None:
        super().__init__()
        self.markdown = markdown

    def compose(self) -> ComposeResult:
        yield MarkdownColumn(self.markdown)


@pytest.mark.parametrize("width", [60, 100, 140])
@pytest.mark.parametrize("markdown", [LONG_WORDS, WRAPPING], ids=["long-words", "wrapping"])
async def test_a_wrapping_table_in_a_reply_is_as_wide_as_its_markdown(width: int, markdown: str) -> None:
    app = Host("Before.\n\n" + markdown + "\nAfter.\n")
    async with app.run_test(size=(width, 60)) as pilot:
        await until(pilot, lambda: bool(app.query(TableLines)) and app.query_one(TableLines).size.width > 0)
        await pilot.pause()
        table = app.query_one(TableLines)
        markdown_widget = table.parent.parent if table.parent is not None else None
        assert markdown_widget is not None
        room = markdown_widget.content_region.width  # the Markdown's width inside its padding
        assert table.size.width == room
        lines = [strip.text for strip in app.screen._compositor.render_strips()]
        drawn = [line.rstrip() for line in lines if line.lstrip().startswith(("┌", "│", "├", "└"))]
        assert drawn and len(drawn) > 5  # it wraps: more lines than its three rows and rules
        assert max(len(line.strip()) for line in drawn) == room
