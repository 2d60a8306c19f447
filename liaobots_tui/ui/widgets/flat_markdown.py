"""A finished Markdown widget that can be *flattened*: drawn from lines rendered once, its blocks gone.

Textual lays out and draws every widget of the screen in each frame; while a reply
streams that is one frame every few deltas, and each finished piece of the reply
on screen is a tree of block widgets (paragraphs, list items and their bullets,
fences, tables) that never changes again. Measured on the paced stream, those trees
were most of the widgets each frame laid out and drew (130-170 in the map), and
the frames took 100-300 ms of CPU.

:meth:`FlatMarkdown.flatten` renders the widget once, whole, into lines (Strips) at
its present width, drops its block widgets and from then on draws those lines: one
widget with a fixed height, whose layout is read and whose lines are copied. The
Markdown source stays (``source``), so copy and export keep the exact text. Its
lines are drawn afresh from the source (:meth:`FlatMarkdown.unflatten`, the blocks
mounted again) when the width or the theme changed. Mouse selection works on the
drawn lines (as in a log), and a link click is handled as the Markdown's own.
"""

from __future__ import annotations

from textual.await_complete import AwaitComplete
from textual.selection import Selection
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Markdown

from liaobots_tui.ui.textual_compat import render_subtree
from liaobots_tui.ui.widgets.flat_blocks import with_selection


async def _nothing() -> None:
    """Nothing to wait for."""


class FlatMarkdown(Markdown):
    """A Markdown widget that can show a finished text from lines rendered once (see the module)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        #: The rendered lines while flat (None: drawn by its block widgets).
        self._flat: list[Strip] | None = None
        #: Width and theme the lines were rendered at.
        self._flat_key: tuple[int, str] = (0, "")
        self._unflattening = False
        #: The last flatten found the pinned height differs from what the blocks measure now.
        self.stale_height = False

    @property
    def is_flat(self) -> bool:
        return self._flat is not None

    @property
    def flat_for(self) -> tuple[int, str] | None:
        """The width and theme its flat lines were rendered at (None: not flat)."""
        return self._flat_key if self._flat is not None else None

    @property
    def redrawing(self) -> bool:
        """Its blocks are being mounted afresh (see unflatten): its height is not final yet."""
        return self._unflattening

    @property
    def flat_text(self) -> str:
        """What the flat lines show, a line each (what a mouse selection copies from)."""
        return "\n".join(strip.text.rstrip() for strip in self._flat or ())

    def flatten(self) -> bool:
        """Draw from now on from the lines the widget draws now; its block widgets go. True when flat.

        Only for a finished text whose layout is current (the caller pins its height first).
        """
        if self._flat is not None:
            return True
        self.stale_height = False
        region = self.region
        if self._unflattening or not self.children or not region.height:
            return False
        gutter = self.styles.gutter
        parent = self.parent.size if isinstance(self.parent, Widget) else self.app.size
        measured = self.get_content_height(parent, self.app.size, region.width - gutter.width)
        if measured + gutter.height != region.height:
            # Its height was pinned from a layout older than its last blocks: measure again first.
            self.stale_height = True
            return False
        strips = render_subtree(self)
        if strips is None or len(strips) != self.region.height:
            return False
        self._flat = [strip.apply_offsets(0, y) for y, strip in enumerate(strips)]
        self._flat_key = (self.region.width, self.app.theme)
        # The lines hold the padding already; the height is what they measured.
        self.styles.padding = 0
        self.styles.height = len(strips)
        self.remove_children()
        self.refresh()
        return True

    def unflatten(self) -> AwaitComplete:
        """Draw from block widgets again (mounted afresh from the source); its height is measured again."""
        if self._flat is None:
            return AwaitComplete(_nothing())
        self._flat = None
        self._unflattening = True
        self.styles.clear_rule("padding")
        self.styles.height = None

        async def redraw() -> None:
            try:
                if self.is_attached:  # a piece parked or removed meanwhile is drawn when it comes back
                    await self.update(self.source)
            finally:
                self._unflattening = False

        return AwaitComplete(redraw())

    def render_line(self, y: int) -> Strip:
        flat = self._flat
        if flat is None:
            return super().render_line(y)
        if (self.region.width or self._flat_key[0], self.app.theme) != self._flat_key:
            # Resized or re-themed without a word to the column: the lines are stale. Not
            # awaited on this widget's own queue: the remount it starts waits on that queue.
            self.call_later(self._drop_stale_lines)
        line = flat[y] if 0 <= y < len(flat) else Strip.blank(self.size.width)
        return with_selection(self, y, line)

    def on_resize(self) -> None:
        # A width change the view does not see (its scrollbar appearing narrows its content):
        # drawn afresh now, not only when a frame next draws this widget.
        if self._flat is not None and self.region.width and self.region.width != self._flat_key[0]:
            self.unflatten()

    def _drop_stale_lines(self) -> None:
        if self._flat is not None:
            self.unflatten()  # runs on its own (a task): see render_line

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        if self._flat is None:
            return super().get_selection(selection)
        return selection.extract(self.flat_text), "\n"

    async def action_link(self, href: str) -> None:
        """A link in the flat lines was clicked: as a click in one of the blocks would say."""
        self.post_message(Markdown.LinkClicked(self, href))
