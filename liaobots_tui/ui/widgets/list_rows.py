"""The rows of a Markdown list, arranged once a frame: a row and its item's column.

Textual composes each list item as ``Horizontal(MarkdownBullet, Vertical(*blocks))``. The
bullet has no height of its own, so it fills its row: the row's children's places depend on
the height the row is given, and the row, and the item's column inside it, were arranged
twice in every frame they changed (measured at height 0, then placed at the height measured;
see height_free), each arrangement resolving every child's box model again. While a reply
streams a list, its rows are what changes in every frame.

With the bullet as tall as its symbol (``textual_compat.growing_list_blocks`` makes the
rows, with such a bullet: one row, drawn the same, as it has no background of its own) a
row's places ignore its height, and the row and the column are :class:`HeightFree`: one
arrangement per width serves both passes. The classes keep Textual's type names as CSS
bases (``Horizontal``, ``Vertical``), so the stylesheet's rules for list rows
(``MarkdownBulletList Horizontal`` and so on) apply to them as to Textual's.
"""

from __future__ import annotations

from textual.containers import Horizontal, Vertical

from liaobots_tui.ui.widgets.height_free import HeightFree


class ItemColumn(HeightFree, Vertical):
    """The blocks of a list item, beside its bullet: arranged once per width."""


class ListRow(HeightFree, Horizontal):
    """A list item's row (its bullet, then its column): arranged once per width."""
