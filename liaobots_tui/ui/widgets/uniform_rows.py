"""UniformRows: a container whose rows all look alike is drawn from one rendered row.

While a reply streams, the message box, its Markdown column and the live piece grow
taller in every frame, and Textual draws a widget whose size changed afresh, every
row of it (its styles cache is cleared): measured on a paced stream, those blank
container rows (border, padding, background; their children draw over the rest) were
most of the lines rendered afresh per frame, ~130 of ~230. A container with no
content of its own, no top or bottom border, padding, outline, title or keyline
draws every row the same, so one row is rendered (through Textual's own styles cache)
and repeated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

if TYPE_CHECKING:
    _Mixin = Widget
else:
    # Not a Widget at run time: Textual takes a class's CSS (its DEFAULT_CSS, its type name
    # in selectors) from its first base that is a DOM node, which must stay the container.
    _Mixin = object


def _no_edge(edge: tuple[str, object]) -> bool:
    return edge[0] in ("", "none")


def rows_alike(widget: Widget) -> bool:
    """Does every row of ``widget`` (a container: its children draw its content) look the same?"""
    styles = widget.styles
    padding = styles.padding
    return (
        widget.is_container
        and not padding.top
        and not padding.bottom
        and _no_edge(styles.border_top)
        and _no_edge(styles.border_bottom)
        and _no_edge(styles.outline_top)
        and _no_edge(styles.outline_bottom)
        and widget.border_title is None
        and widget.border_subtitle is None
        and not styles.has_rule("keyline")
        and (not styles.has_rule("hatch") or styles.hatch == "none")
    )


class UniformRows(_Mixin):
    """Mixed into a container (listed before it): its rows are drawn from one when they all look alike."""

    def uniform_rows(self) -> bool:
        """Draw from one row now? (A subclass that sometimes draws content of its own says when not.)"""
        return rows_alike(self)

    def render_lines(self, crop: Region) -> list[Strip]:
        if crop.height <= 1 or not self.uniform_rows():
            return super().render_lines(crop)
        # A row that is shown: the styles cache renders it only when it is stale.
        row = super().render_lines(Region(crop.x, crop.y, crop.width, 1))
        return row * crop.height if len(row) == 1 else super().render_lines(crop)
