"""Where a long stored text is cut into sections that can be drawn one at a time.

No Textual here: plain functions over text, used by
:class:`~liaobots_tui.ui.widgets.lazy_text.LazyText` to show a long message from
history a screenful at a time. Unlike :mod:`~liaobots_tui.ui.widgets.markdown_pieces`
(which parses as a stream does, exactly, and costs a Markdown parse per piece), this
must cut a 50 MB reply in well under a second, so it only looks for cheap, safe
places with ``str.find``:

- between two top-level blocks: after a blank line, before a line that starts in
  the first column and outside a code fence (fence lines are tracked from the start
  of the text, so a fence is never mistaken for its contents);
- inside a code fence that runs on: between two lines, closing it with its fence
  line and opening the next section with the same fence (:attr:`Section.lead`,
  :attr:`Section.close`, which are not part of the message text);
- inside a paragraph that runs on with no blank line: after a line break (single
  newlines are hard breaks in the chat's Markdown, so this is exact), else at a space.

Sections are offsets into the one text (no copies), so a 50 MB message costs its
text plus a few numbers per section. Plain text (a user's prompt) is cut at line
breaks only.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

#: Characters per section, about a screenful of prose: a section is drawn whole.
SECTION_CHARS = 3_000
#: A section runs on to this many times SECTION_CHARS looking for a clean cut.
_REACH = 4


@dataclass(frozen=True, slots=True)
class Section:
    """``text[start:end]`` of a text; ``lead``/``close`` reopen and close a fence cut in two."""

    start: int
    end: int
    lead: str = ""
    close: str = ""

    def source(self, text: str) -> str:
        """What the section's widget shows."""
        return self.lead + text[self.start : self.end] + self.close

    @property
    def continued(self) -> bool:
        """It starts inside a code block that the previous section began."""
        return bool(self.lead)

    @property
    def cut(self) -> bool:
        """It ends inside a code block that the next section continues."""
        return bool(self.close)


#: A line that may open or close a code fence; the leading newline is part of the match
#: (a literal first character lets ``re`` skip ahead in C), so the text is searched with
#: a newline in front of it.
_FENCE_LINE = re.compile(r"\n {0,3}(`{3,}|~{3,})([^\n]*)")


@dataclass(frozen=True, slots=True)
class Fence:
    """A code fence: its lines span ``start``..``end`` (``end`` is past its closing line)."""

    start: int
    end: int
    #: Its opening line as written (what reopens it), and the line that closes it.
    opening: str
    closing: str


def fences(text: str) -> list[Fence]:
    """The top-level code fences of ``text``, in order (an unclosed one runs to the end)."""
    found: list[Fence] = []
    start, opening, char, count = -1, "", "", 0  # the open fence (start -1: none)
    first = _FENCE_LINE.match("\n" + text[:200])  # the first line has no newline before it
    matches = ([(-1, first.group(1, 2))] if first is not None else []) + [
        (m.start(), m.group(1, 2)) for m in _FENCE_LINE.finditer(text)
    ]
    for newline, (run, info) in matches:
        if start < 0:
            if run[0] == "`" and "`" in info:  # not a fence: an inline code span
                continue
            start, opening, char, count = newline + 1, (run + info).rstrip(), run[0], len(run)
        elif run[0] == char and len(run) >= count and not info.strip():
            found.append(Fence(start, _line_start_after(text, newline + 1), opening, char * count))
            start = -1
    if start >= 0:
        found.append(Fence(start, len(text), opening, char * count))
    return found


class _FenceIndex:
    """Which fence, if any, holds a position (fences are disjoint and in order)."""

    def __init__(self, text: str) -> None:
        self.fences = fences(text) if ("```" in text or "~~~" in text) else []
        self._starts = [fence.start for fence in self.fences]

    def holding(self, at: int) -> Fence | None:
        """The fence whose lines hold position ``at`` (a line start), or None."""
        index = bisect.bisect_right(self._starts, at) - 1
        if index < 0:
            return None
        fence = self.fences[index]
        return fence if fence.start < at < fence.end else None


def _line_start_after(text: str, at: int) -> int:
    """The start of the line after the one holding ``at`` (len(text) at the end)."""
    newline = text.find("\n", at)
    return len(text) if newline < 0 else newline + 1


def _block_cut(text: str, start: int, limit: int, index: _FenceIndex) -> int | None:
    """The first place in [start, limit) between two top-level blocks, outside fences, or None."""
    at = start
    while at < limit:
        blank = text.find("\n\n", at, limit)
        if blank < 0:
            return None
        cut = blank + 2
        while cut < limit and text[cut] == "\n":
            cut += 1
        if cut >= limit:
            return None
        fence = index.holding(cut)
        if fence is not None:
            at = fence.end  # its contents may hold blank lines: look after it
            continue
        if not text[cut].isspace():
            return cut
        at = cut
    return None


def markdown_sections(text: str, size: int = SECTION_CHARS) -> list[Section]:
    """``text`` (Markdown) cut into sections of about ``size`` characters (see the module docstring)."""
    sections: list[Section] = []
    index = _FenceIndex(text)
    length = len(text)
    start, lead = 0, ""
    while length - start > size * 3 // 2:
        want = start + size
        limit = min(length, start + size * _REACH)
        cut = _block_cut(text, want, limit, index)
        if cut is not None:
            sections.append(Section(start, cut, lead))
            start, lead = cut, ""
            continue
        # No clean place within reach: cut at a line break (or a space) near ``want``.
        cut = _line_start_after(text, want)
        if cut >= limit:
            space = text.find(" ", want, limit)
            cut = space + 1 if space >= 0 else limit
        close = next_lead = ""
        fence = index.holding(cut)
        if fence is not None:
            close = ("" if text[cut - 1] == "\n" else "\n") + fence.closing + "\n"
            next_lead = fence.opening + "\n"
        sections.append(Section(start, cut, lead, close))
        start, lead = cut, next_lead
    if start < length or not sections:
        sections.append(Section(start, length, lead))
    return sections


def plain_sections(text: str, size: int = SECTION_CHARS) -> list[Section]:
    """``text`` (shown as written) cut after line breaks near every ``size`` characters."""
    sections: list[Section] = []
    length = len(text)
    start = 0
    while length - start > size * 3 // 2:
        cut = _line_start_after(text, start + size)
        if cut - start > size * _REACH:
            cut = start + size * _REACH  # one huge line: it wraps the same either way
        sections.append(Section(start, cut))
        start = cut
    if start < length or not sections:
        sections.append(Section(start, length))
    return sections


def estimate_rows(text: str, section: Section, width: int) -> int:
    """About how many rows ``section`` takes at ``width`` columns, before it is drawn.

    Counted in C (``str.count``), not per line: the lines plus the wrapping of long ones,
    so a scrollbar over a 50 MB message is roughly right before most of it was ever drawn.
    """
    chars = section.end - section.start
    lines = text.count("\n", section.start, section.end) + 1
    return max(1, lines + chars // max(10, width))
