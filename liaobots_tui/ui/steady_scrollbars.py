"""A scrollbar that is drawn again only when what it shows changes (its thumb moved, its size or colours).

While a reply streams, the conversation grows in every frame: Textual sets its vertical
scrollbar's virtual size (and, anchored, its position) each time, each set asks for a
repaint, and the layout pass asks for one more (``Widget._scroll_update``). So the whole
bar, as tall as the view, was drawn afresh in nearly every frame (measured over a paced
3,000-delta reply: 226 draws, ~3,900 rows), though on a long reply the thumb moves by an
eighth of a cell only every few frames. :class:`SteadyScrollBar` works out what a draw
would show (the thumb's ends in eighths of a cell, as ``ScrollBarRender.render_bar``
places them, the bar's size and colours) and lets a repaint through only when that
differs from what it drew last. A size change repaints it anyway (Textual marks a widget
whose size changed dirty without asking ``refresh``).

The conversation view gets one through ``textual_compat.steady_vertical_scrollbar``
(Textual makes a widget's scrollbars itself, in private fields).
"""

from __future__ import annotations

from math import ceil
from typing import Self

from rich.console import RenderableType
from textual.geometry import Region
from textual.scrollbar import ScrollBar, ScrollBarRender

#: What a draw of the bar shows: its size, thickness, direction, colours and thumb (or None).
DrawnKey = tuple[tuple[int, int], int, bool, str, tuple[int, int] | None]


def thumb_eighths(size: int, virtual_size: int, window_size: int, position: float) -> tuple[int, int] | None:
    """Where ``ScrollBarRender.render_bar`` puts the thumb: its start and end in eighths of a cell.

    None when it draws no thumb (the bar is blank). The same arithmetic as Textual's, so two
    inputs with the same result draw the same glyphs.
    """
    if not (window_size and size and virtual_size and size != virtual_size):
        return None
    eighths = len(ScrollBarRender.VERTICAL_BARS)  # 8, the same for horizontal bars
    thumb_size = max(1, window_size / (virtual_size / size))
    span = virtual_size - window_size
    place = (size - thumb_size) * (position / span) if span else 0.0
    start = int(place * eighths)
    return max(0, start), max(0, start + ceil(thumb_size * eighths))


class SteadyScrollBar(ScrollBar):
    """A scrollbar whose repaints that would draw the same bar are skipped (see the module docstring)."""

    def __init__(self, vertical: bool = True, name: str | None = None, *, thickness: int = 1) -> None:
        super().__init__(vertical, name, thickness=thickness)
        #: What the last draw showed (None: not drawn yet, or not a plain bar).
        self.drawn: DrawnKey | None = None

    def _key_of(self, bar: RenderableType) -> DrawnKey | None:
        if not isinstance(bar, ScrollBarRender):
            return None
        width, height = self.size
        length = height if bar.vertical else width
        thumb = thumb_eighths(length, int(bar.virtual_size), int(bar.window_size), bar.position)
        return (width, height), bar.thickness, bar.vertical, str(bar.style), thumb

    def render(self) -> RenderableType:
        bar = super().render()
        self.drawn = self._key_of(bar)
        return bar

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        if (
            repaint
            and not (regions or layout or recompose)
            and self.drawn is not None
            and self.is_mounted
            and self.parent is not None
            and self._key_of(ScrollBar.render(self)) == self.drawn
        ):
            return self  # it would draw what it shows
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)
