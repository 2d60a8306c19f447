"""Turn parking: a finished message wholly far off screen keeps no widget tree, only a blank.

Pieces of a long reply far off screen are parked (``MarkdownColumn.park_offscreen``), but
each message box kept its chrome mounted however far away it was: header, column, the
parked run's blank, reply line (~8 widgets a turn, ~22 kB each), for every turn of the chat.

A finished :class:`~liaobots_tui.ui.widgets.message_box.MessageBox` (not streaming, not
selected, not being edited, no long lazy text, no image) whose rows all lie beyond the park
margin *folds*: its children are removed and the box stands as a blank of the height it had.
What it needs to come back is kept here (:class:`Folded`): its text columns' pieces, every
one parked at the rows it took (``MarkdownColumn.set_aside``), where each column sat in the
box, the header's classes (a search hit's mark) and whether the thinking block was open. The
box itself stays: everything that refers to a message (selection, versions, copy, regenerate,
export, search jumps) holds the box and its record, never its children.

When the box comes near the view again (the same pass that parks pieces, after any scroll,
jump, resize or layout) it composes its children again from its record; the pieces that will
be near the view are drawn at once, the others stay parked at their old heights, so the box is
as tall as before (after a width change the parked heights are re-estimated, as parked pieces
are, and measured again once drawn). Asking for its header (select, a search hit) unfolds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from liaobots_tui.ui.widgets.markdown_column import PiecesAside


@dataclass(slots=True)
class Folded:
    """What a folded message box keeps to compose itself again (see the module docstring)."""

    #: Rows the box stands for (its whole height as it was laid out, re-estimated on a width change).
    height: int
    #: Its text columns' pieces, all parked, in order.
    asides: list[PiecesAside] = field(default_factory=list)
    #: Rows of a prompt's own text (scaled like a parked piece on a width change).
    text_rows: int = 0
    #: The header's classes (status, a search hit's mark).
    header_classes: tuple[str, ...] = ()
    #: The thinking block was opened.
    thinking_open: bool = False

    def rescale(self, old_width: int, new_width: int) -> None:
        """The width changed: the text's rows are re-estimated; the rest (header, lines) stays."""
        if not old_width or not new_width or old_width == new_width:
            return
        before = self.text_rows + sum(aside.rows for aside in self.asides)
        for aside in self.asides:
            aside.rescale(old_width, new_width)
        if self.text_rows:
            self.text_rows = max(1, round(self.text_rows * old_width / new_width))
        after = self.text_rows + sum(aside.rows for aside in self.asides)
        self.height = max(1, self.height + after - before)


def within(y: int, height: int, top: int, bottom: int) -> bool:
    """Do rows ``y``..``y + height`` meet screen rows ``top``..``bottom`` (as pieces are parked)?"""
    return y + height >= top and y <= bottom


#: A window no row meets: every piece of a box unfolded away from the view stays parked.
NOWHERE = (10**9, -(10**9))
