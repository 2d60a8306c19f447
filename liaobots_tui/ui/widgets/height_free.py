"""HeightFree: a column whose children's places do not depend on the height it is given is arranged once.

Textual lays out an auto-height container twice in every frame it changes: once to
measure it (``arrange`` at its width and height 0) and once to place its children
(``arrange`` at its width and the height just measured). The second arrangement
misses every cache, so each child's box model is worked out again against the new
height, and a child that is itself a container is arranged again too, down the tree.
While a reply streams its message box, column, live piece and growing list get taller
in every frame: measured on a paced stream, the blocks of the live piece (list rows,
fences, tables) were arranged three times a frame and their box models recomputed,
about a third of a long frame's layout time, though none of them had changed.

In a vertical column (or a horizontal row) whose displayed children are all sized in
cells or by their content (no ``fr``, percentage or viewport heights, no docks,
top-aligned), the children's places are the same whatever height it is given, so it is
arranged at height 0 always: the measuring pass and the placing pass share one
arrangement, and an unchanged child's box model (keyed by the size it is given) is
found in its cache from frame to frame. A column that does not qualify is arranged
as Textual does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.css.scalar import Unit
from textual.geometry import Size
from textual.layouts.horizontal import HorizontalLayout
from textual.layouts.vertical import VerticalLayout
from textual.widget import Widget

if TYPE_CHECKING:
    from textual.layout import DockArrangeResult

    _Mixin = Widget
else:
    # Not a Widget at run time: Textual takes a class's CSS (its DEFAULT_CSS, its type name
    # in selectors) from its first base that is a DOM node, which must stay the container.
    _Mixin = object

#: Height units that do not depend on the size of the container or the screen.
_FIXED_UNITS = frozenset({Unit.AUTO, Unit.CELLS})


def _fixed(scalar: object) -> bool:
    unit = getattr(scalar, "unit", None)
    return scalar is None or unit in _FIXED_UNITS


def places_ignore_height(widget: Widget) -> bool:
    """Are the places of ``widget``'s children the same whatever height ``widget`` is given?"""
    styles = widget.styles
    # A row's children are as tall as their own heights say, each at the row's top (a child
    # with no height fills the row, and the check below turns the row down for it).
    if not isinstance(widget.layout, VerticalLayout | HorizontalLayout) or styles.align_vertical != "top":
        return False
    for child in widget.children:
        child_styles = child.styles
        if child_styles.display == "none":
            continue
        height = child_styles.height
        if (
            height is None  # no height: it fills the container
            or height.unit not in _FIXED_UNITS
            or not _fixed(child_styles.min_height)
            or not _fixed(child_styles.max_height)
            or child_styles.is_docked
            or child_styles.is_split
            or child_styles.overlay == "screen"
            or child_styles.position == "absolute"
        ):
            return False
    return True


class HeightFree(_Mixin):
    """Mixed into a vertical or horizontal container (listed before it): arranged once per width
    when it can be."""

    def arrange(self, size: Size, optimal: bool = False) -> DockArrangeResult:
        if size.height and places_ignore_height(self):
            size = Size(size.width, 0)
        return super().arrange(size, optimal)
