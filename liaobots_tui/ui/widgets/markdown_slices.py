"""How much streamed Markdown one frame takes in: a slice ends where it would add too many widgets.

No Textual here: plain functions over text. The streaming column hands its live piece
what arrived since the last flush; everything in it is mounted, laid out and drawn in
the next frame. Measured on a paced stream (3,000 deltas at 400/s, the chat screen), a
frame's CPU grew by about a millisecond per widget it mounted, and the longest frames
were the ones that took in a dozen lines of Markdown at once: 15-25 new widgets (each
list item is four: its row, bullet, column and paragraph), where a frame that mounts
nothing costs a few milliseconds. Characters are a poor measure of that work (600
characters are one paragraph or a dozen list items), so :func:`widgets_cut` estimates
the widgets each whole line adds and ends the slice, after a whole line, before it
passes a budget; the rest follows in the next slice, a frame later.

The estimate only has to be about right, and it counts a widget's cost rather than
widgets: a line starting a list item adds four widgets; an opening code fence two (the
fence and its code) that cost about four (its code is highlighted); the first line of
a table two (the table and its lines) that cost about four (its cells are measured
and wrapped), each later row one (the same widget laid out again); a heading or the
first line of a paragraph one; anything else (blank lines, a paragraph's further
lines, lines inside a fence) none. Measured after the change, the frames that took
in most were those with a fence and a table in the same slice.
"""

from __future__ import annotations

import re

#: A line that opens or closes a code fence (three or more backticks or tildes).
_FENCE = re.compile(r"^\s{0,12}(`{3,}|~{3,})")
#: A line that starts a list item (bullet or number), nested or not.
_LIST_ITEM = re.compile(r"^\s{0,12}(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")
_TABLE_ROW = re.compile(r"^\s{0,3}\|")
_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")

#: Estimated cost (in widgets) of a line of each kind when it lands.
LIST_ITEM_WIDGETS = 4
FENCE_WIDGETS = 4
TABLE_WIDGETS = 4
TABLE_ROW_WIDGETS = 1


def in_fence(text: str) -> bool:
    """Does ``text`` end inside a code fence (an odd number of fence lines)?"""
    return sum(1 for line in text.splitlines() if _FENCE.match(line)) % 2 == 1


def widgets_cut(text: str, *, after: str, most: int) -> int:
    """Where a slice of ``text`` ends so that it adds about ``most`` widgets at most:
    ``len(text)`` when it all fits, else a position just after a newline (never 0: the
    first line is taken whatever it costs).

    ``after`` is what was written before ``text`` (its end says whether the first line
    continues one, and whether a fence is open).
    """
    fenced = in_fence(after)
    # The first line continues the last one written unless that one was finished.
    continues = bool(after) and not after.endswith("\n")
    blank_before = not after.strip() or after.endswith("\n\n")
    table_before = not continues and bool(_TABLE_ROW.match(after.rstrip("\n").rpartition("\n")[2]))
    added = 0
    at = 0
    for line in text.splitlines(keepends=True):
        # An unfinished last line is drawn as it stands (its widget too): counted like the others.
        body = line.rstrip("\r\n")
        table_row = False
        if continues:
            cost = 0
            continues = False
        elif _FENCE.match(body):
            cost = 0 if fenced else FENCE_WIDGETS
            fenced = not fenced
        elif fenced or not body.strip():
            cost = 0
        elif _LIST_ITEM.match(body):
            cost = LIST_ITEM_WIDGETS
        elif _TABLE_ROW.match(body):
            table_row = True
            cost = TABLE_ROW_WIDGETS if table_before else TABLE_WIDGETS
        elif _HEADING.match(body):
            cost = 1
        else:
            cost = 1 if blank_before else 0
        if at and added + cost > most:
            return at
        added += cost
        at += len(line)
        blank_before = not body.strip()
        table_before = table_row
    return len(text)
