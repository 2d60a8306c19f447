"""A Markdown table drawn as ONE widget: boxed rows of wrapped cells, columns fitted to the width.

Textual's own table is a grid of one widget per cell with auto column widths: every
layout pass of the screen measures every cell again, several times over (measured
while a reply streamed: tables re-laid out up to 17 times per frame, most of the
longest frames). Here the cells are laid out once per width, as plain lines of
:class:`~textual.content.Content`, and drawn by one widget.

The cells come from Textual's Markdown parser as ``Content`` (its inline styles: bold,
code, links), never from markup, so ``[b]`` in a cell is shown as written. The look
follows Textual's table: thin box lines in a faint colour, a bold header in the
primary colour, one space of padding in each cell, columns as wide as their text,
widened to fill the width and narrowed (wrapping their text) when they do not fit.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content
from textual.geometry import Size
from textual.style import Style
from textual.widget import Widget

#: A column narrowed to fit is never narrower than this (unless there is no room at all).
MIN_COLUMN = 6


def column_widths(natural: Sequence[int], available: int, least: Sequence[int] = ()) -> list[int]:
    """Widths of the columns' text (padding and lines excluded) for ``available`` cells of text.

    Columns keep their natural widths when those fit and share what is left over in
    proportion. Otherwise, when every column can have its ``least`` width (its longest
    word: no word cut in two), each gets it and the rest goes to the columns that want
    more, in proportion to what they lack; failing that, the widest are narrowed to a
    common cap (the narrow ones keep their width), and when even that cannot fit every
    column gets an equal share.
    """
    count = len(natural)
    if not count:
        return []
    natural = [max(1, width) for width in natural]
    available = max(count, available)
    total = sum(natural)
    if total <= available:
        extra = available - total
        widths = [width + extra * width // total for width in natural]
        widths[-1] += available - sum(widths)
        return widths
    least = [min(width, most) for width, most in zip(least, natural, strict=True)] if least else []
    if least and sum(least) <= available:
        lacking = [width - low for width, low in zip(natural, least, strict=True)]
        extra, wanted = available - sum(least), sum(lacking)
        widths = [low + extra * lack // wanted for low, lack in zip(least, lacking, strict=True)]
        for index in sorted(range(count), key=lambda i: lacking[i] - (widths[i] - least[i]), reverse=True):
            if sum(widths) >= available:
                break
            if widths[index] < natural[index]:  # the rounding's leftovers, one cell each
                widths[index] += 1
        return widths
    floor = min(MIN_COLUMN, available // count)
    # The largest cap such that the capped widths fit.
    low, high = floor, max(natural)
    while low < high:
        cap = (low + high + 1) // 2
        if sum(min(width, cap) for width in natural) <= available:
            low = cap
        else:
            high = cap - 1
    widths = [min(width, max(low, floor)) for width in natural]
    if sum(widths) > available:
        share = max(1, available // count)
        widths = [min(width, share) for width in widths]
    # The cap (or the share) leaves cells over: one more cap would not fit, but each column still
    # narrower than its text can take one of them, the widest first, so the table is as wide as its
    # room (it wraps: every cell it has is wanted). Was: up to a cell a column empty at the right.
    narrowed = sorted((i for i in range(count) if widths[i] < natural[i]), key=lambda i: -natural[i])
    while narrowed and sum(widths) < available:
        for index in narrowed:
            if sum(widths) >= available:
                break
            if widths[index] < natural[index]:
                widths[index] += 1
        narrowed = [i for i in narrowed if widths[i] < natural[i]]
    return widths


def table_lines(
    headers: Sequence[Content],
    rows: Sequence[Sequence[Content]],
    width: int,
    *,
    header_style: Style | str = "",
    border_style: Style | str = "",
) -> list[Content]:
    """The table as lines of at most ``width`` cells (more only when even 1-cell columns do not fit)."""
    count = max([len(headers), *(len(row) for row in rows)], default=0)
    if not count:
        return []
    grid = [list(headers) + [Content("")] * (count - len(headers))]
    grid += [list(row[:count]) + [Content("")] * (count - len(row)) for row in rows]
    natural = [max(grid[r][c].cell_length for r in range(len(grid))) for c in range(count)]
    longest_word = [
        max((len(word) for r in range(len(grid)) for word in grid[r][c].plain.split()), default=1)
        for c in range(count)
    ]
    widths = column_widths(natural, width - (count + 1) - 2 * count, longest_word)

    def rule(left: str, middle: str, right: str) -> Content:
        return Content.styled(left + middle.join("─" * (w + 2) for w in widths) + right, border_style)

    bar = Content.styled("│", border_style)
    lines = [rule("┌", "┬", "┐")]
    for index, row in enumerate(grid):
        if index:
            lines.append(rule("├", "┼", "┤"))
        wrapped = [cell.wrap(w) or [Content("")] for cell, w in zip(row, widths, strict=True)]
        if index == 0 and header_style:
            wrapped = [[line.stylize_before(header_style) for line in cell] for cell in wrapped]
        for y in range(max(len(cell) for cell in wrapped)):
            parts: list[Content | str] = [bar]
            for cell, w in zip(wrapped, widths, strict=True):
                text = cell[y] if y < len(cell) else Content("")
                parts += [" ", text.pad_right(max(0, w - text.cell_length)), " ", bar]
            lines.append(Content.assemble(*parts))
    lines.append(rule("└", "┴", "┘"))
    return lines


class TableLines(Widget):
    """A whole Markdown table in one widget (see the module docstring)."""

    DEFAULT_CSS = """
    TableLines { width: 1fr; height: auto; }
    TableLines > .table-lines--header { color: $primary; text-style: bold; }
    TableLines > .table-lines--border { color: $foreground 20%; }
    """
    COMPONENT_CLASSES = {"table-lines--header", "table-lines--border"}

    def __init__(self, headers: Sequence[Content], rows: Sequence[Sequence[Content]]) -> None:
        super().__init__()
        self.headers = list(headers)
        self.rows = [list(row) for row in rows]
        self._laid_out: tuple[object, list[Content]] | None = None

    def set_cells(self, headers: Sequence[Content], rows: Sequence[Sequence[Content]]) -> None:
        """New cells (a streamed table grew): drawn at the next refresh."""
        self.headers = list(headers)
        self.rows = [list(row) for row in rows]
        self._laid_out = None
        self.refresh(layout=True)

    @property
    def plain_text(self) -> str:
        """The cells' text, a row a line, cells separated by tabs (what the table holds)."""
        return "\n".join("\t".join(cell.plain for cell in row) for row in [self.headers, *self.rows])

    def _lines(self, width: int) -> list[Content]:
        header = self.get_visual_style("table-lines--header")
        border = self.get_visual_style("table-lines--border")
        key = (width, header, border)
        if self._laid_out is None or self._laid_out[0] != key:
            lines = table_lines(self.headers, self.rows, width, header_style=header, border_style=border)
            self._laid_out = (key, lines)
        return self._laid_out[1]

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return max((line.cell_length for line in self._lines(container.width)), default=0)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(width))

    def render(self) -> Content:
        return Content("\n").join(self._lines(self.size.width))

    async def action_link(self, href: str) -> None:
        """A link in a cell was clicked: the Markdown block above handles it (as Textual's cells do)."""
        parent = self.parent
        action = getattr(parent, "action_link", None)
        if action is not None:
            await action(href)
