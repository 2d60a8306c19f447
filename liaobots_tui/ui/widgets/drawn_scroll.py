"""How far a scrolling view has moved since the frame whose positions its widgets report.

A scroll sets ``scroll_y`` at once, but ``Widget.region`` (where a widget sits on the screen)
comes from the last frame's layout until the next frame is laid out. Work that runs in
between (a parking pass queued before the scroll, run late on a busy machine) and compares
those regions with screen rows decides for where the view *was*. Every widget inside the view
is off by the same number of rows, so shifting the rows it compares with by that number
makes the decision the one the next frame would make.

Textual may build its map of regions afresh at a look-up (after a frame that left it stale),
with the scroll of that moment: then the regions are current and the count is 0. Read the
count after a region of the same pass (the view's own, say), so it and the regions it corrects
come from one map.
"""

from __future__ import annotations

from textual.widget import Widget


def rows_scrolled_since_drawn(view: Widget, child: Widget) -> int:
    """Rows ``view`` scrolled down since the frame that placed ``child`` (a child that scrolls with it).

    The frame placed ``child`` at its offset in the view's content (``virtual_region``) minus
    the scroll it was laid out at; the difference to the scroll now is what the view moved
    since. 0 when ``child`` has not been laid out (nothing to correct) or is docked (it does
    not scroll).
    """
    region = child.region
    if not region.width or child.styles.is_docked:
        return 0
    drawn_at = view.content_region.y + child.virtual_region.y - region.y
    return view.scroll_offset.y - drawn_at
