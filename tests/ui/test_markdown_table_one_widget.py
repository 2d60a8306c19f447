"""A Markdown table in a reply is one widget: its cells' text exactly, hostile text literal, fitted."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.content import Content

from liaobots_tui.ui.widgets.markdown_column import MarkdownColumn, PieceMarkdown
from liaobots_tui.ui.widgets.markdown_table import MIN_COLUMN, TableLines, column_widths, table_lines
from tests.ui.driving import until

TABLE = (
    "| Approach | Memory | Speed |\n|---|---|---|\n"
    "| `for line in fh` | constant | fast |\n| mmap | paged | fastest |\n"
)
HOSTILE = "[b]bold?[/b]", "[@click=app.quit]x[/]", "[/]", "\x1b]52;c;Zm9v\x07"


def test_columns_keep_their_widths_when_they_fit_and_share_what_is_left() -> None:
    assert column_widths([4, 8], 12) == [4, 8]
    widths = column_widths([4, 8], 24)
    assert sum(widths) == 24 and widths[0] < widths[1]


def test_wide_columns_are_narrowed_first_and_the_narrow_ones_keep_their_width() -> None:
    widths = column_widths([5, 200, 300], 60)
    # A common cap, the cells it leaves over to the widest (test_markdown_table_fills_width.py).
    assert widths[0] == 5 and sum(widths) == 60 and abs(widths[1] - widths[2]) <= 1
    assert all(width >= 1 for width in column_widths([50] * 30, 20))
    assert column_widths([50, 50], 4 * MIN_COLUMN) == [2 * MIN_COLUMN] * 2


def test_words_are_not_cut_in_two_when_every_column_can_hold_its_longest_word() -> None:
    # Seen at 100 columns with the chats list open: "Comman|d", "histor|y" in cells of 6.
    headers = [Content("Command"), Content("Rewrites history"), Content("Safe on shared branches")]
    lines = table_lines(headers, [[Content("git revert"), Content("no"), Content("yes")]], 34)
    cells = [cell.strip() for line in lines[1:-1] for cell in line.plain.strip("│").split("│")]
    for word in ("Command", "Rewrites", "history", "shared", "branches", "revert"):
        assert word in cells
    assert {len(line.plain) for line in lines} == {34}
    assert column_widths([7, 16, 23], 24, [7, 8, 8]) == [7, 8, 9]


def test_table_lines_hold_every_cell_and_fit_the_width() -> None:
    long = "a long cell that has to wrap over several lines of the table"
    lines = table_lines([Content("H1"), Content("H2")], [[Content("x"), Content(long)]], 30)
    text = [line.plain for line in lines]
    assert all(len(line) == 30 for line in text)
    assert text[0].startswith("┌") and text[-1].startswith("└") and text[2].startswith("├")
    inside = " ".join(line.strip("│ ").split("│")[-1].strip() for line in text[3:-1])
    assert " ".join(inside.split()) == long


async def test_a_streamed_table_is_one_widget_with_the_cells_text_literal() -> None:
    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield MarkdownColumn(streaming=True)

    app = Host()
    async with app.run_test(size=(90, 40)) as pilot:
        column = app.query_one(MarkdownColumn)
        column.append("Before.\n\n" + TABLE)
        await column.finish()
        await until(pilot, lambda: bool(app.query(TableLines)), "the table")
        hostile_row = "| " + " | ".join(HOSTILE[:3]) + " |\n"
        piece = column.pieces[0]
        assert isinstance(piece, PieceMarkdown)
        await piece.append(hostile_row)
        tables = app.query(TableLines)
        assert len(tables) == 1 and not app.query("MarkdownTableCellContents")
        table = tables.first()
        await until(pilot, lambda: len(table.rows) == 3, "the streamed row")
        assert table.plain_text.split("\n") == [
            "Approach\tMemory\tSpeed",
            "for line in fh\tconstant\tfast",
            "mmap\tpaged\tfastest",
            "\t".join(HOSTILE[:3]),
        ]
        await pilot.pause()
        shown = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
        for cell in (*HOSTILE[:3], "for line in fh", "fastest"):
            assert cell in shown


async def test_terminal_controls_in_a_cell_never_reach_the_screen() -> None:
    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield MarkdownColumn("| a |\n|---|\n| " + HOSTILE[3] + " |\n")

    app = Host()
    async with app.run_test(size=(60, 20)) as pilot:
        await until(pilot, lambda: bool(app.query(TableLines)), "the table")
        await pilot.pause()
        shown = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
        assert "\x1b" not in shown and "\x07" not in shown
