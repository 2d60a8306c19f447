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

Even so, cutting all of a 50 MB reply takes half a second (135,000 fence lines), so a
huge text is shown from its end: :func:`tail_sections` cuts only its last screens,
guessing from a bounded window whether they start inside a code fence, and
:class:`SectionBuilder` cuts the rest a step at a time (the fence scan resumes where it
stopped and forgets the fences behind it), ending exactly where the end begins; the
caller checks the guess against it and cuts the end again if it was wrong.
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
#: Characters of text the fence scan looks at per ``finditer`` (amortizes its setup).
_SCAN_WINDOW = 64_000
#: How far before the end :func:`tail_sections` looks for the code fence its start may be in.
GUESS_WINDOW = 64_000


@dataclass(frozen=True, slots=True)
class Fence:
    """A code fence: its lines span ``start``..``end`` (``end`` is past its closing line)."""

    start: int
    end: int
    #: Its opening line as written (what reopens it), and the line that closes it.
    opening: str
    closing: str


def _opens(run: str, info: str) -> bool:
    """A fence-like line that does open a fence (a backtick run followed by a backtick is a code span)."""
    return not (run[0] == "`" and "`" in info)


class FenceScan:
    """The top-level code fences of a text, found a window at a time from a line start.

    Starting at ``start`` (a line start) outside any fence, or inside ``inside`` (a fence
    that opened earlier); :meth:`scan_to` looks at the lines up to a position, so a long
    text is scanned in steps and never more than is needed. A fence still open where
    the scan stopped is reported as running to the end of the text: what lies beyond was
    not looked at, and every query stays behind the scan.
    """

    def __init__(
        self, text: str, start: int = 0, inside: Fence | None = None, stop: int | None = None
    ) -> None:
        self.text = text
        #: Lines starting before this position have been looked at (a line start).
        self.scanned = start
        self._stop = len(text) if stop is None else stop
        self._found: list[Fence] = []
        self._starts: list[int] = []
        # The fence open at ``scanned``: its start, opening line, fence character and run length.
        self._open: tuple[int, str, str, int] | None = (
            None if inside is None else (inside.start, inside.opening, inside.closing[0], len(inside.closing))
        )

    def scan_to(self, end: int) -> None:
        """Look at every line that starts before ``end`` (at least a window more, up to the stop)."""
        text, scanned = self.text, self.scanned
        if end <= scanned or scanned >= self._stop:
            return
        end = min(self._stop, max(end, scanned + _SCAN_WINDOW))
        upto = _line_start_after(text, end - 1) if end < len(text) else len(text)
        lines: list[tuple[int, str, str]] = []
        if scanned == 0:  # the first line has no newline before it
            first = _FENCE_LINE.match("\n" + text[:200])
            if first is not None:
                lines.append((-1, first.group(1), first.group(2)))
        endpos = upto - 1 if upto and text[upto - 1] == "\n" else upto
        lines.extend(
            (m.start(), m.group(1), m.group(2))
            for m in _FENCE_LINE.finditer(text, max(0, scanned - 1), endpos)
        )
        for newline, run, info in lines:
            if self._open is None:
                if _opens(run, info):
                    self._open = (newline + 1, (run + info).rstrip(), run[0], len(run))
                continue
            start, opening, char, count = self._open
            if run[0] == char and len(run) >= count and not info.strip():
                self._found.append(Fence(start, _line_start_after(text, newline + 1), opening, char * count))
                self._starts.append(start)
                self._open = None
        self.scanned = upto

    def holding(self, at: int) -> Fence | None:
        """The fence whose lines hold position ``at`` (scanned up to there), or None."""
        if self._open is not None and self._open[0] < at:
            start, opening, char, count = self._open
            return Fence(start, len(self.text), opening, char * count)
        index = bisect.bisect_right(self._starts, at) - 1
        if index < 0:
            return None
        fence = self._found[index]
        return fence if fence.start < at < fence.end else None

    def forget_before(self, at: int) -> None:
        """Drop the fences that end before ``at``: a scan over 50 MB keeps a few, not 70,000."""
        index = bisect.bisect_right(self._starts, at) - 1
        if index > 256:
            del self._found[:index], self._starts[:index]

    def all_found(self) -> list[Fence]:
        """The fences found so far, the open one as running to the end of the text."""
        found = list(self._found)
        if self._open is not None:
            start, opening, char, count = self._open
            found.append(Fence(start, len(self.text), opening, char * count))
        return found


def fences(text: str) -> list[Fence]:
    """The top-level code fences of ``text``, in order (an unclosed one runs to the end)."""
    scan = FenceScan(text)
    scan.scan_to(len(text))
    return scan.all_found()


def _line_start_after(text: str, at: int, limit: int | None = None) -> int:
    """The start of the line after the one holding ``at``: len(text) at the end, ``limit`` if none before."""
    if limit is None:
        newline = text.find("\n", at)
        return len(text) if newline < 0 else newline + 1
    newline = text.find("\n", at, limit)
    return limit if newline < 0 else newline + 1


def _block_cut(text: str, start: int, limit: int, index: FenceScan) -> int | None:
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


def _reopen(fence: Fence | None) -> str:
    """What a section starting inside ``fence`` begins with."""
    return "" if fence is None else fence.opening + "\n"


def _close(text: str, cut: int, fence: Fence | None) -> str:
    """What a section ending at ``cut`` inside ``fence`` ends with."""
    if fence is None:
        return ""
    return ("" if text[cut - 1] == "\n" else "\n") + fence.closing + "\n"


class _Cutter:
    """Cuts ``text[start:end]`` into Markdown sections, a few at a time (see :meth:`step`)."""

    def __init__(self, text: str, start: int, end: int, size: int, index: FenceScan) -> None:
        self.text, self.end, self.size, self.index = text, end, size, index
        self.sections: list[Section] = []
        self.at = start
        index.scan_to(start)
        self.lead = _reopen(index.holding(start))
        self.done = False

    def step(self, count: int) -> bool:
        """Cut up to ``count`` more sections; True once the whole range is cut."""
        text, size, end, index = self.text, self.size, self.end, self.index
        for _ in range(count):
            start = self.at
            if end - start <= size * 3 // 2:
                break
            want = start + size
            limit = min(end, start + size * _REACH)
            index.scan_to(limit)
            index.forget_before(start)
            cut = _block_cut(text, want, limit, index)
            if cut is not None:
                self.sections.append(Section(start, cut, self.lead))
                self.at, self.lead = cut, ""
                continue
            # No clean place within reach: cut at a line break (or a space) near ``want``.
            cut = _line_start_after(text, want, limit)
            if cut >= limit:
                space = text.find(" ", want, limit)
                cut = space + 1 if space >= 0 else limit
            fence = index.holding(cut)
            self.sections.append(Section(start, cut, self.lead, _close(text, cut, fence)))
            self.at, self.lead = cut, _reopen(fence)
        else:
            return False
        if self.at < end or not self.sections:
            index.scan_to(end)
            fence = index.holding(end) if end < len(text) else None
            self.sections.append(Section(self.at, end, self.lead, _close(text, end, fence)))
            self.at = end
        self.done = True
        return True


class SectionBuilder:
    """The Markdown sections of ``text[:end]``, cut a step at a time (a background task's work).

    ``end`` defaults to the whole text; with an earlier ``end`` the last section stops
    there exactly (closing a code fence that runs on past it), so the sections of a
    tail cut separately (:func:`tail_sections`) continue them.
    """

    #: Sections cut per :meth:`step`: a few milliseconds of work.
    STEP = 32

    def __init__(self, text: str, end: int | None = None, size: int = SECTION_CHARS) -> None:
        self.end = len(text) if end is None else end
        self._index = FenceScan(text, stop=self.end)
        self._cutter = _Cutter(text, 0, self.end, size, self._index)

    @property
    def done(self) -> bool:
        """Every section is cut."""
        return self._cutter.done

    @property
    def sections(self) -> list[Section]:
        """The sections cut so far, in order."""
        return self._cutter.sections

    def step(self, count: int = STEP) -> bool:
        """Cut up to ``count`` more sections; True once all are cut."""
        return self._cutter.done or self._cutter.step(count)

    def run(self) -> list[Section]:
        """Cut whatever is left; the sections."""
        while not self.step(1 << 30):
            pass
        return self.sections

    def fence_at_end(self) -> Fence | None:
        """The code fence that runs on past ``end`` (exact once :attr:`done`), or None."""
        self._index.scan_to(self.end)
        return self._index.holding(self.end) if self.end < len(self._index.text) else None


def markdown_sections(text: str, size: int = SECTION_CHARS) -> list[Section]:
    """``text`` (Markdown) cut into sections of about ``size`` characters (see the module docstring)."""
    return SectionBuilder(text, size=size).run()


@dataclass(frozen=True, slots=True)
class Tail:
    """The sections of a text's end, cut before the text before them was read (:func:`tail_sections`)."""

    #: Where the first of them starts: the sections before it end there (``SectionBuilder(text, start)``).
    start: int
    sections: list[Section]
    #: The code fence taken to hold ``start`` (a guess: compare with ``SectionBuilder.fence_at_end``).
    fence: Fence | None


def tail_sections(text: str, chars: int, size: int = SECTION_CHARS) -> Tail:
    """The sections of about the last ``chars`` characters of ``text``, in time bounded by ``chars``.

    Whether the end begins inside a code fence depends on every fence before it; rather than
    scan them all, the scan starts at the last fence line within :data:`GUESS_WINDOW` before
    it that can only open a fence (it names a language), or else at the window's start
    taken as outside any fence. That is right unless a fence longer than the window holds
    the end; the caller checks the guess against :meth:`SectionBuilder.fence_at_end` and
    cuts the end again with :func:`sections_from` when it was wrong.
    """
    length = len(text)
    near = max(0, length - chars)
    if near == 0:
        return Tail(0, markdown_sections(text, size), None)
    window = _line_start_after(text, max(0, near - GUESS_WINDOW) - 1) if near > GUESS_WINDOW else 0
    begin = window
    if window > 0:
        for match in reversed(list(_FENCE_LINE.finditer(text, window - 1, near))):
            run, info = match.group(1, 2)
            if info.strip() and _opens(run, info):
                begin = match.start() + 1
                break
    index = FenceScan(text, begin)
    limit = min(length, near + size * _REACH)
    index.scan_to(limit)
    start = _block_cut(text, near, limit, index)
    if start is None:
        start = _line_start_after(text, near, limit)
        if start >= limit:
            space = text.find(" ", near, limit)
            start = space + 1 if space >= 0 else near
    fence = index.holding(start)
    cutter = _Cutter(text, start, length, size, index)
    while not cutter.step(1 << 30):
        pass
    return Tail(start, cutter.sections, fence)


def moved_tail(text: str, end: str, tail: Tail) -> Tail | None:
    """``tail`` (cut from ``end``, the end of ``text`` read first) as offsets into ``text``.

    None when ``end`` is not how ``text`` ends: the caller cuts the end again.
    """
    if not text.endswith(end):
        return None
    shift = len(text) - len(end)
    if not shift:
        return tail
    sections = [Section(s.start + shift, s.end + shift, s.lead, s.close) for s in tail.sections]
    fence = tail.fence
    if fence is not None:
        fence = Fence(fence.start + shift, fence.end + shift, fence.opening, fence.closing)
    return Tail(tail.start + shift, sections, fence)


def sections_from(text: str, start: int, fence: Fence | None, size: int = SECTION_CHARS) -> list[Section]:
    """The sections of ``text[start:]``, ``start`` being inside ``fence`` (or outside any, if None)."""
    cutter = _Cutter(text, start, len(text), size, FenceScan(text, start, fence))
    while not cutter.step(1 << 30):
        pass
    return cutter.sections


def plain_sections(text: str, size: int = SECTION_CHARS) -> list[Section]:
    """``text`` (shown as written) cut after line breaks near every ``size`` characters."""
    sections: list[Section] = []
    length = len(text)
    start = 0
    while length - start > size * 3 // 2:
        # Bounded: in one huge line (minified JSON) an unbounded look for the next newline
        # read the rest of the text once per section.
        cut = _line_start_after(text, start + size, min(length, start + size * _REACH))
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
