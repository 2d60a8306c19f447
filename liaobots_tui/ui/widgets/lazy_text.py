"""LazyText: a long finished text from history, drawn a screenful at a time.

Opening a chat that holds a 50 MB reply must cost about a screen, not the text. The
text is cut into sections (:mod:`liaobots_tui.ui.text_sections`: offsets into the one
string, found with ``str.find``, no parse) and only the sections near the view are
widgets: one Markdown widget each (or one Static for plain text). Everything above and
below them is one blank each, as tall as the sections it stands for, so the widget
count does not grow with the text and the scrollbar spans the whole message.

A blank's height is estimated from the text (lines plus wrapping) until a section has
been drawn; then its measured height is kept (per width). The conversation view calls
:meth:`LazyText.show_rows` after every scroll and layout (the same pass that parks
streamed pieces): sections that came near are mounted, those that went far are
removed; while heights settle it asks the view to look again after the next layout. A
chat opens at its bottom, so the last sections are the ones mounted first.

A huge Markdown text (over :data:`TAIL_FIRST_CHARS`) is not even cut whole before it is
shown: only its end is (:func:`~liaobots_tui.ui.text_sections.tail_sections`, bounded by
the screen), and the sections before it are cut by a background task a few at a time
after the first paint, so opening it costs the same for 1 MB as for 50 MB. Until then
the top blank stands for the uncut text; scrolling into it finishes the cut at once.

A reply over a megabyte comes from the store unread (a
:class:`~liaobots_tui.store.big_text.StoredText`): only about its last
:data:`TAIL_READ_BYTES` are read before the first paint, and cut as above; the whole text is
read by a thread after the first paint, the sections already cut are moved to where their
end sits in it, and the head is cut as for any huge text. Scrolling into the top blank before
then reads it at once.

Each section is cleaned (terminal-safe) when it is drawn; Markdown is never Textual markup.
"""

from __future__ import annotations

import asyncio

from textual.app import ComposeResult
from textual.containers import ScrollableContainer, Vertical
from textual.widget import Widget
from textual.widgets import Static

from liaobots_tui.api.sanitize import clean_text
from liaobots_tui.store.big_text import StoredText
from liaobots_tui.ui.first_paint import FirstPaint
from liaobots_tui.ui.plain import plain
from liaobots_tui.ui.text_sections import (
    Section,
    SectionBuilder,
    Tail,
    estimate_rows,
    markdown_sections,
    moved_tail,
    plain_sections,
    sections_from,
    tail_sections,
)
from liaobots_tui.ui.textual_compat import call_next_after
from liaobots_tui.ui.widgets.markdown_column import PieceMarkdown

#: Texts longer than this are shown lazily (shorter ones are drawn whole, as before).
LAZY_CHARS = 12_000
#: Tallest a blank gets (rows); see LazyText._update_blanks.
BLANK_CAP = 2_000
#: Markdown texts longer than this are shown from their end before the rest is cut.
TAIL_FIRST_CHARS = 200_000
#: How much of such a text's end is cut before it is shown: a few screens.
TAIL_CHARS = 24_000
#: How much of a stored text's end is read before it is shown: room for TAIL_CHARS and the
#: window before them where tail_sections looks for the code fence they may start in.
TAIL_READ_BYTES = 512_000


class Blank(Widget):
    """Stands in for the sections above or below the drawn ones.

    ``BLANK``: Textual then draws each visible row as a blank strip, instead of rendering
    the widget's whole height up front (2.6 million strips, 800 MB, for a 50 MB reply).
    """

    BLANK = True

    def __init__(self) -> None:
        super().__init__(classes="lazy-blank")


class LazyText(Vertical):
    """``text`` shown lazily; ``markdown=False`` shows it as written (a user's prompt)."""

    DEFAULT_CSS = """
    LazyText { height: auto; }
    LazyText > .lazy-blank { width: 1fr; height: 0; }
    """

    #: Rows drawn beyond the asked-for range at the start, so the first screen is full.
    FIRST_ROWS = 80
    #: A view this far into a blank (rows) walks section by section; farther, it jumps.
    WALK_ROWS = 200
    #: Refreshes waited for the layout to take a change before keeping the view in place.
    LAYOUT_TRIES = 20
    #: Seconds after mounting a huge text before the rest of it is cut in the background.
    HEAD_DELAY = 0.5

    def __init__(self, text: str | StoredText, *, markdown: bool = True, classes: str = "body") -> None:
        super().__init__(classes="lazy-text")
        #: A stored text whose whole is not read yet; ``text`` holds its end meanwhile.
        self._stored: StoredText | None = None
        if isinstance(text, StoredText):
            if text.loaded or not markdown:
                text = text.load()
            else:
                self._stored, text = text, _from_line_start(text.tail(TAIL_READ_BYTES))
        self.text = text
        self.markdown = markdown
        self._piece_classes = classes
        #: The text's sections, in order; while ``_head`` runs, those of its end only.
        self.sections: list[Section]
        #: Cuts the text before the first section (in the background), or None: all are cut.
        self._head: SectionBuilder | None = None
        self._tail: Tail | None = None
        if self._stored is not None:
            # Cut as the end of a longer text: the head is cut once the whole is read.
            self._tail = tail_sections(text, TAIL_CHARS)
            self.sections = list(self._tail.sections)
        elif markdown and len(text) > TAIL_FIRST_CHARS:
            self._tail = tail_sections(text, TAIL_CHARS)
            self.sections = list(self._tail.sections)
            self._head = SectionBuilder(text, end=self._tail.start)
        else:
            self.sections = (markdown_sections if markdown else plain_sections)(text)
        #: Measured heights at ``_width``: section index → rows.
        self._measured: dict[int, int] = {}
        self._width = 0
        #: Mounted sections: index → widget; always a contiguous run [_first, _last).
        self._shown: dict[int, Widget] = {}
        self._first = len(self.sections)
        self._top = Blank()
        self._bottom = Blank()

    # ------------------------------------------------------------------ composition

    def compose(self) -> ComposeResult:
        yield self._top
        # Open at the end (a chat opens at its bottom): the last sections, about two screens.
        width = self._guess_width()
        rows, first = 0, len(self.sections)
        while first > 0 and rows < self.FIRST_ROWS:
            first -= 1
            rows += estimate_rows(self.text, self.sections[first], width)
        self._first = first
        for index in range(first, len(self.sections)):
            widget = self._section_widget(index)
            self._shown[index] = widget
            yield widget
        yield self._bottom

    def on_mount(self) -> None:
        self._width = self._guess_width()
        self._update_blanks()
        if self._head is not None or self._stored is not None:
            self.run_worker(self._after_first_paint(), group="lazy-text-wait")

    async def _after_first_paint(self) -> None:
        """Start the rest well after the first paint (the app's, when it keeps one; else this mount).

        What the user sees first, and what the app does right after showing a chat (the
        balance, the first keys), waits for none of it. Timed from the app's first paint: on a
        busy machine the chat can take longer than HEAD_DELAY to reach the screen after mounting.
        """
        first_paint = getattr(self.app, "first_paint", None)
        if isinstance(first_paint, FirstPaint):
            await first_paint.wait()
        # Not set_timer: its one-shot timer can skip its only tick (a loop preempted for longer
        # than the delay), and the rest was then never cut or read in the background: the view
        # going up did it all at once, a freeze (textual_compat.call_next_after).
        call_next_after(self, self.HEAD_DELAY, self._start_head)

    def _guess_width(self) -> int:
        width = self.size.width or (self.parent.size.width if isinstance(self.parent, Widget) else 0)
        return width or max(20, self.app.size.width // 2)

    def _section_widget(self, index: int) -> Widget:
        section = self.sections[index]
        source = clean_text(section.source(self.text))
        if not self.markdown:
            return Static(plain(source), classes=self._piece_classes)
        return PieceMarkdown(
            source, classes=self._piece_classes, cut=section.cut, continued=section.continued
        )

    # ------------------------------------------------------------------ heights

    def _height(self, index: int) -> int:
        measured = self._measured.get(index)
        return (
            measured if measured is not None else estimate_rows(self.text, self.sections[index], self._width)
        )

    def _rows_between(self, first: int, last: int) -> int:
        """Rows of sections [first, last): measured ones as measured, the rest estimated in one count.

        From the first section on, the text not cut yet (before it) counts too. At most
        :data:`BLANK_CAP`: a span whose characters alone wrap to more is not counted at all
        (counting the lines of 50 MB took 30 ms, and this runs after every scroll).
        """
        if first >= last and (first or (self._head is None and self._stored is None)):
            return 0
        if first == 0 and self._stored is not None:
            return BLANK_CAP  # the text not read yet: a stored text this long is over the cap
        start = 0 if first == 0 else self.sections[first].start
        end = self.sections[last - 1].end if last else self.sections[0].start
        width = max(10, self._width)
        if (end - start) // width >= BLANK_CAP:
            return BLANK_CAP
        lines = self.text.count("\n", start, end) + (last - first)
        rows = lines + (end - start) // width
        for index, height in self._measured.items():
            if first <= index < last:
                rows += height - estimate_rows(self.text, self.sections[index], self._width)
        return min(BLANK_CAP, max(0, rows))

    def _laid_out(self) -> bool:
        """The layout has taken the last change (mounts, removals, blank heights): rows can be trusted."""
        expected = [self._top, *self._shown.values(), self._bottom]
        if list(self.children) != expected:
            return False  # a mount or removal is still on its way
        if any(not widget.size.height for widget in self._shown.values()):
            return False
        blanks = all(
            blank.size.height == (blank.styles.height.value if blank.styles.height else 0)
            for blank in (self._top, self._bottom)
        )
        return blanks and sum(widget.outer_size.height for widget in expected) == self.size.height

    def _update_blanks(self) -> None:
        # Capped: Textual's layout keeps a spatial map with a cell per 20 rows of every widget,
        # so a blank as tall as a 50 MB text (2.6 million rows) cost 700 MB and seconds per
        # layout. Beyond the cap, rows of a blank stand for text in proportion (see show_rows).
        self._top.styles.height = min(BLANK_CAP, self._rows_between(0, self._first))
        self._bottom.styles.height = min(
            BLANK_CAP, self._rows_between(self._last_shown(), len(self.sections))
        )

    def _last_shown(self) -> int:
        return self._first + len(self._shown)

    def _measure(self) -> None:
        """Record the heights of the drawn sections (they replace the estimates)."""
        for index, widget in self._shown.items():
            height = widget.outer_size.height
            if height and widget.region.height:
                self._measured[index] = height

    # ------------------------------------------------------------------ windowing

    def show_rows(self, top: int, bottom: int) -> bool:
        """Draw the sections that fall within screen rows ``top``..``bottom``; drop the others.

        True when the caller should call again after the next layout, with the rows of the
        view then: the heights this changed are laid out then (estimates become measures, and
        a view that follows the end is moved by that layout, with no scroll event). The rows
        are taken as they stand in the frame ``region`` reports (the conversation view
        shifts them when it scrolled since), so a call is never repeated with rows of an
        earlier scroll.
        """
        region = self.region
        if not region.height or not self.display:
            return False
        width = self.size.width
        if width != self._width:
            # Heights change with the width: re-estimate the blanks, let the layout take
            # them, then place the drawn run against that layout.
            self._width = width
            self._measured.clear()
            self._update_blanks()
            return True
        if not self._laid_out():
            return True
        self._measure()
        if bottom < region.y or top > region.bottom:
            return False  # nowhere near the view: leave what is drawn (it is bounded anyway)
        uncut = self._head is not None or self._stored is not None
        if uncut and top - region.y < self._top.outer_size.height:
            # The view reaches the text not cut yet: cut it now (the background task had not
            # finished), then place the drawn run against the new layout.
            self._finish_head()
            return True
        top, bottom = max(0, top - region.y), bottom - region.y
        count = len(self.sections)
        above, drawn_top = self._first, self._top.outer_size.height
        drawn_bottom = drawn_top + sum(w.outer_size.height for w in self._shown.values())
        below = count - self._last_shown()
        jump = False
        if top < drawn_top - self.WALK_ROWS and drawn_top:
            # Far up in the top blank: its rows stand for the sections above in proportion.
            first, y, jump = min(above - 1, above * top // drawn_top), top, True
        elif top > drawn_bottom + self.WALK_ROWS and below and bottom >= self.size.height:
            # The view reaches the end (End, or the scrollbar dragged down): the last sections.
            first, rows = count - 1, self._height(count - 1)
            while first > 0 and rows < bottom - top:
                first -= 1
                rows += self._height(first)
            y, jump = top, True
        elif top > drawn_bottom + self.WALK_ROWS and below:
            span = max(1, self._bottom.outer_size.height)
            first = self._last_shown() + min(below - 1, below * (top - drawn_bottom) // span)
            y, jump = top, True
        else:
            # Near the drawn run: walk from it, a section at a time.
            first, y = self._first, drawn_top
            while first > 0 and y > top:
                first -= 1
                y -= self._height(first)
            while first < count - 1 and y + self._height(first) <= top:
                y += self._height(first)
                first += 1
        last, filled = first, y
        while last < count and filled < bottom:
            filled += self._height(last)
            last += 1
        last = max(last, first + 1)
        if (first, last) == (self._first, self._last_shown()):
            self._update_blanks()
            return False
        self._move_window(first, last, jump=jump, jump_row=top)
        return True

    def _move_window(self, first: int, last: int, *, jump: bool, jump_row: int) -> None:
        gone = [w for i, w in self._shown.items() if not first <= i < last]
        kept = {i: w for i, w in self._shown.items() if first <= i < last}
        above = list(range(first, min(kept) if kept else last))
        below = list(range(max(kept) + 1, last)) if kept else []
        # What must stay where the user reads: a section kept in place, or after a jump the
        # section jumped to, at the row the view showed.
        if kept and not jump:
            anchor = min(kept)
            anchor_row = kept[anchor].region.y - self.region.y
        else:
            anchor, anchor_row = first, jump_row
        scroller = next((a for a in self.ancestors if isinstance(a, ScrollableContainer)), None)
        following = scroller is not None and scroller.scroll_y >= scroller.max_scroll_y
        with self.app.batch_update():
            if gone:
                self.remove_children(gone)
            shown = dict(kept)
            if above:
                widgets = [self._section_widget(i) for i in above]
                self.mount_all(widgets, before=kept[min(kept)] if kept else self._bottom)
                shown.update(zip(above, widgets, strict=True))
            if below:
                widgets = [self._section_widget(i) for i in below]
                self.mount_all(widgets, before=self._bottom)
                shown.update(zip(below, widgets, strict=True))
            self._shown = dict(sorted(shown.items()))
            self._first = first
            self._update_blanks()
        if scroller is not None and not following:
            self.call_after_refresh(self._keep_in_place, scroller, anchor, anchor_row, scroller.scroll_y)

    def _keep_in_place(
        self, scroller: ScrollableContainer, anchor: int, row: int, scrolled_to: float, tries: int = 0
    ) -> None:
        """Scroll so that section ``anchor`` is back at ``row`` (blanks and heights changed above it).

        ``scrolled_to`` is where the view was when the change was made: if it moved since (End,
        a key, the wheel, all of which can come before a loaded machine lays the change out),
        the user's move wins and nothing is kept.
        """
        widget = self._shown.get(anchor)
        if widget is None or scroller.scroll_y != scrolled_to:
            return
        if not self._laid_out():
            if tries < self.LAYOUT_TRIES:
                self.call_after_refresh(self._keep_in_place, scroller, anchor, row, scrolled_to, tries + 1)
            return
        delta = (widget.region.y - self.region.y) - row
        if delta:
            scroller.scroll_to(y=scroller.scroll_y + delta, animate=False, immediate=True)

    # ------------------------------------------------------------------ the head, cut later

    def _start_head(self) -> None:
        if self._stored is not None:
            self.run_worker(
                self._read_whole, thread=True, group="lazy-text-read", exclusive=True, exit_on_error=False
            )
        elif self._head is not None:
            self.run_worker(self._cut_head(), group="lazy-text-head", exclusive=True)

    def _read_whole(self) -> None:
        """In a thread: read the stored text whole, then take it on the UI thread and cut its head."""
        stored = self._stored
        if stored is None:
            return
        stored.load()
        if self.is_mounted:
            self.app.call_from_thread(self._take_whole, True)

    def _take_whole(self, cut_in_background: bool) -> None:
        """The stored text is read (or is read now): its end's sections move to where they sit in it."""
        stored, tail = self._stored, self._tail
        if stored is None or tail is None or not self.is_mounted:
            return  # taken already (the view went up first), or the chat was left meanwhile
        whole = stored.load()
        self._stored = None
        moved = moved_tail(whole, self.text, tail)
        self.text = whole
        if moved is None:
            # The end read first is not the end of the whole (rewritten meanwhile): cut it again.
            self._tail = tail_sections(whole, TAIL_CHARS)
            moved = self._tail
            self.sections = list(moved.sections)
            self._measured.clear()
            with self.app.batch_update():
                self.remove_children(list(self._shown.values()))
                self._first = max(0, len(self.sections) - max(1, len(self._shown)))
                widgets = [self._section_widget(i) for i in range(self._first, len(self.sections))]
                self.mount_all(widgets, before=self._bottom)
                self._shown = dict(zip(range(self._first, len(self.sections)), widgets, strict=True))
        self._tail = moved
        self.sections = list(moved.sections)
        self._head = SectionBuilder(whole, end=moved.start)
        self._update_blanks()
        if cut_in_background and self.is_mounted:
            self.run_worker(self._cut_head(), group="lazy-text-head", exclusive=True)

    async def _cut_head(self) -> None:
        """Cut the sections before the end a step at a time, yielding to the UI between steps."""
        while self._head is not None and not self._head.step():
            await asyncio.sleep(0)
        self._finish_head()

    @property
    def complete(self) -> bool:
        """Every section of the text is cut (see :data:`TAIL_FIRST_CHARS`)."""
        return self._head is None and self._stored is None

    def _finish_head(self) -> None:
        """Cut what is left before the end, put those sections in front of the others."""
        if self._stored is not None:
            self._take_whole(False)  # the view reached the text not read yet: read it now
        head, tail = self._head, self._tail
        if head is None or tail is None:
            return
        head.run()
        self._head = self._tail = None
        # The top blank's height may change (when under its cap): keep what is read in place.
        scroller = next((a for a in self.ancestors if isinstance(a, ScrollableContainer)), None)
        following = scroller is None or scroller.scroll_y >= scroller.max_scroll_y
        drawn = next(iter(self._shown.values()), None)
        row = drawn.region.y - self.region.y if drawn is not None and drawn.region.height else None
        fence = head.fence_at_end()
        if fence == tail.fence:
            shift = len(head.sections)
            self.sections = head.sections + self.sections
            self._first += shift
            self._shown = {index + shift: widget for index, widget in self._shown.items()}
            self._measured = {index + shift: rows for index, rows in self._measured.items()}
            self._update_blanks()
        else:
            # The end was cut guessing wrong whether it starts inside a code fence (one longer
            # than the window the guess reads): cut it again and redraw what is shown of it.
            shown_start = self.sections[self._first].start if self._shown else tail.start
            cut = len(head.sections)
            self.sections = head.sections + sections_from(self.text, tail.start, fence)
            self._measured.clear()
            first = next(i for i in range(cut, len(self.sections)) if self.sections[i].end > shown_start)
            last = len(self.sections)
            with self.app.batch_update():
                self.remove_children(list(self._shown.values()))
                widgets = [self._section_widget(i) for i in range(first, last)]
                self.mount_all(widgets, before=self._bottom)
                self._shown = dict(zip(range(first, last), widgets, strict=True))
                self._first = first
                self._update_blanks()
        if scroller is not None and not following and row is not None:
            self.call_after_refresh(self._keep_in_place, scroller, self._first, row, scroller.scroll_y)

    @property
    def shown_sections(self) -> list[int]:
        """Indices of the sections drawn now, in order."""
        return list(self._shown)

    def width_changed(self) -> None:
        """Heights change with the width: forget the measured ones."""
        self._measured.clear()


def _from_line_start(tail: str) -> str:
    """``tail`` from its first line start: the fence scan takes its first character as one."""
    newline = tail.find("\n")
    return tail[newline + 1 :] if 0 <= newline < len(tail) - 1 else tail
