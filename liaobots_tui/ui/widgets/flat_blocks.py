"""FlatBlocks: the finished blocks of a streaming Markdown widget, drawn from lines rendered once.

While a reply streams, only the last block of the live piece changes (Textual's
Markdown stream re-parses from the start of the last block); every block above it is
final. Yet each frame laid out and drew all of them again (measured on a paced
3,000-delta stream: 50-80 widgets a frame, most of them the live piece's paragraphs,
list items with their bullets, fences and tables, 55-65 ms of CPU in the longest
frames with the collector off; every widget costs a box model and a styled render).

:func:`fold_finished` renders each finished, laid-out block once (as the screen
draws it) into the live piece's :class:`FlatBlocks`, the piece's first child, and
hides the block (``display: none``: out of the layout and the drawing, kept in the
DOM): the live piece becomes one fixed-height widget for what is final plus the
growing block. The lines include the blank rows the blocks' margins made between
them, and the FlatBlocks carries the first block's top margin and the last block's
bottom margin, so the next block lands on the same row as before.

:func:`unfold` shows the blocks again and drops the lines: a full update of the
piece, or lines drawn at another width or in another theme (the blocks restyle
themselves; the next fold draws them again). Selection and link clicks work on the
drawn lines as in a flattened piece (see :mod:`~liaobots_tui.ui.widgets.flat_markdown`).
"""

from __future__ import annotations

from textual.selection import Selection
from textual.strip import Strip
from textual.style import Style
from textual.widget import Widget
from textual.widgets import Markdown
from textual.widgets.markdown import MarkdownBlock

from liaobots_tui.ui.textual_compat import render_subtree


def with_selection(widget: Widget, y: int, line: Strip) -> Strip:
    """``line`` (row ``y`` of ``widget``'s drawn lines) with the part the mouse selected highlighted."""
    selection = widget.text_selection
    if selection is None or (span := selection.get_span(y)) is None:
        return line
    start, end = span
    end = line.cell_length if end == -1 else end
    style = widget.screen.get_component_rich_style("screen--selection")
    head, picked, tail = line.crop(0, start), line.crop(start, end), line.crop(end, line.cell_length)
    return Strip.join([head, picked.apply_style(style), tail])


class FlatBlocks(Widget):
    """The finished blocks at the top of a streaming Markdown widget, as lines (see the module)."""

    DEFAULT_CSS = """
    FlatBlocks { height: auto; width: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[Strip] = []
        #: The blocks drawn here (hidden in the Markdown widget), in order.
        self.blocks: list[MarkdownBlock] = []
        #: Width and theme the lines were drawn at.
        self.drawn_for: tuple[int, str] = (0, "")
        #: Unfolded: its blocks are shown again and it is being removed (never drawn into again).
        self.dropped = False

    @property
    def stale(self) -> bool:
        """Were the lines drawn at another width or in another theme than now?"""
        return (self.size.width, self.app.theme) != self.drawn_for

    @property
    def text(self) -> str:
        """What the lines show, a line each (what a mouse selection copies from)."""
        return "\n".join(strip.text.rstrip() for strip in self.lines)

    def add(self, lines: list[Strip], blocks: list[MarkdownBlock], *, top: int, bottom: int) -> None:
        """Draw ``lines`` (of ``blocks``) after the ones drawn already; margins ``top`` (of the first
        block drawn here) and ``bottom`` (of the last) stand in for theirs."""
        start = len(self.lines)
        self.lines += [line.apply_offsets(0, start + y) for y, line in enumerate(lines)]
        self.blocks += blocks
        self.styles.height = len(self.lines)
        if start == 0:
            self.styles.margin = (top, 0, bottom, 0)
        else:
            self.styles.margin = (self.styles.margin.top, 0, bottom, 0)
        self.refresh(layout=True)

    def on_resize(self) -> None:
        # A width change the view does not see (its scrollbar appearing narrows its content, not
        # the view): the lines are stale now, whether or not this widget is drawn (a frame laid
        # out but not drawn, or scrolled away, never asks render_line). The blocks restyle
        # themselves at the new width; the next fold draws them again.
        parent = self.parent
        if self.lines and self.stale and not self.dropped and isinstance(parent, Markdown):
            unfold(parent)

    def render_line(self, y: int) -> Strip:
        if self.stale:
            # Resized or re-themed: the lines are stale. The blocks are shown again (they restyle
            # themselves) once this draw is over: not while the screen is being drawn.
            parent = self.parent
            if isinstance(parent, Markdown) and not self.dropped:
                self.dropped = True  # once, though every line of this draw comes here
                self.call_later(unfold, parent)
        line = self.lines[y] if 0 <= y < len(self.lines) else Strip.blank(self.size.width)
        return with_selection(self, y, line)

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        return selection.extract(self.text), "\n"

    async def action_link(self, href: str) -> None:
        """A link in the lines was clicked: as a click in its block would say."""
        parent = self.parent
        if isinstance(parent, Markdown):
            self.post_message(Markdown.LinkClicked(parent, href))


def flat_blocks_of(markdown: Markdown) -> FlatBlocks | None:
    """The FlatBlocks of ``markdown`` in use (not one being removed), if it has one."""
    for child in markdown.children:
        if isinstance(child, FlatBlocks) and not (child.dropped and not child.blocks):
            return child
        if isinstance(child, MarkdownBlock):
            return None
    return None


def fold_finished(markdown: Markdown, most: int | None = None) -> int:
    """Draw the finished, laid-out blocks of ``markdown`` (all shown blocks but the last; the
    first ``most`` of them if given) into its FlatBlocks and hide them. How many were folded.

    Only while no update or append of ``markdown`` is under way (the caller checks): the
    blocks above the last are then final.
    """
    content = markdown.content_region
    width = content.width
    if not width or not content.height:
        return 0
    flat = flat_blocks_of(markdown)
    if flat is not None and (flat.dropped or flat.drawn_for != (width, markdown.app.theme)):
        return 0  # stale: unfolded at its next draw (or now), folded again after
    shown = [child for child in markdown.children if isinstance(child, MarkdownBlock) and child.display]
    finished = shown[:-1][:most]
    if not finished:
        return 0
    # Blank rows and the cells beside a narrower block, as the Markdown widget draws them.
    base, background = markdown.background_colors
    blank = Style(background=base + background).rich_style
    above = flat.region if flat is not None else None
    if flat is not None and not above.height:  # type: ignore[union-attr]
        return 0  # not laid out yet
    lines: list[Strip] = []
    folded: list[MarkdownBlock] = []
    for block in finished:
        region = block.region
        if not region.height or region.x < content.x or region.right > content.right:
            break  # not laid out yet (or oddly placed): it stays a widget, and so do those after it
        gap = region.y - above.bottom if above is not None else 0
        strips = render_subtree(block)
        if gap < 0 or strips is None:
            break
        left, right = region.x - content.x, content.right - region.right
        lines += [Strip.blank(width, blank)] * gap
        if left or right:
            strips = [Strip.join([Strip.blank(left, blank), s, Strip.blank(right, blank)]) for s in strips]
        lines += strips
        folded.append(block)
        above = region
    if not folded:
        return 0
    if flat is None:
        flat = FlatBlocks()
        flat.drawn_for = (width, markdown.app.theme)
        markdown.mount(flat, before=0)
    flat.add(lines, folded, top=folded[0].styles.margin.top, bottom=folded[-1].styles.margin.bottom)
    for block in folded:
        block.display = False
    return len(folded)


def unfold(markdown: Markdown) -> None:
    """Show the folded blocks of ``markdown`` again and drop their lines (see the module)."""
    flat = flat_blocks_of(markdown)
    if flat is None:
        return
    for block in flat.blocks:
        block.display = True
    flat.blocks = []
    flat.dropped = True
    flat.remove()


#: Blocks a sealed piece folds per look before it is flattened (see fold_a_step).
FOLD_STEP = 4


def fold_a_step(markdown: Markdown) -> bool:
    """Fold up to :data:`FOLD_STEP` more finished blocks of a sealed ``markdown`` before it is
    flattened; True while it is still folding (look again after the next layout).

    Flattening renders the whole piece in one go: a piece whose blocks were mounted
    afresh (a full update at its seal, or unfolded at another width) drew 12 blocks
    and their children (list items, bullets, fences) in one iteration, the longest of
    a paced stream (~60 ms CPU on a busy machine). Folded a few blocks a frame, its
    flatten draws the FlatBlocks' lines and one block.
    """
    shown = [child for child in markdown.children if isinstance(child, MarkdownBlock) and child.display]
    if len(shown) <= FOLD_STEP + 1:
        return False  # cheap enough to flatten now
    flat = flat_blocks_of(markdown)
    current = flat is not None and flat.drawn_for == (markdown.content_region.width, markdown.app.theme)
    if flat is not None and current and not flat.dropped and not flat.region.height:
        return True  # the last step's lines are not laid out yet: the next step needs their place
    folded = fold_finished(markdown, FOLD_STEP)
    return folded > 0
