"""Where a long Markdown text is cut into pieces that each render as they would in the whole.

No Textual here: plain functions over text, shared by the streaming column (which
cuts as text arrives) and the reload of a stored reply (which cuts the whole text),
so both give the same pieces.

A piece ends after :data:`SEAL_BLOCKS` top-level blocks, or inside a block that grew
past :data:`BLOCK_CHARS`:

- a paragraph is cut after a line break (exact: single newlines are hard breaks
  here), else after a sentence, else at a space, and only where no inline construct
  (emphasis, code span, link) spans the cut: the two halves must render as the whole;
- a code fence is cut between two lines; the first piece gets a closing fence and
  the next an opening one with the same language (:attr:`Piece.lead`/:attr:`Piece.close`,
  which are not part of the message text).

So the Markdown widget of the live piece never holds more than about
``SEAL_BLOCKS`` blocks of bounded size, and a delta costs the same at the end of a
1 MB paragraph as at its start. Other block kinds (lists, tables, quotes) are only
cut between blocks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore

#: Top-level blocks per piece.
SEAL_BLOCKS = 12
#: A paragraph or fence this long (characters) is cut inside.
BLOCK_CHARS = 4000
#: A cut falls between these fractions of BLOCK_CHARS from the block's start: the rest
#: is lookahead, so a construct that closes a little later is seen before cutting.
_WINDOW = (BLOCK_CHARS // 4, BLOCK_CHARS * 3 // 4)
#: A paragraph with no clean cut is cut anyway at this length (a 1 MB emphasis span).
_FORCE_CHARS = BLOCK_CHARS * 4

_SENTENCE_END = re.compile(r"[.!?;:][\"')\]]*[ \t]+|[。！？；]")
_FENCE_LINE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*$")


def _hard_breaks(state: StateCore) -> None:
    for token in state.tokens:
        if token.type == "inline" and token.children:
            for child in token.children:
                if child.type == "softbreak":
                    child.type = "hardbreak"


def chat_parser() -> MarkdownIt:
    """GFM, but a single newline stays a line break: models write poems, addresses and
    step lists that way, and chat UIs show them as written."""
    parser = MarkdownIt("gfm-like")
    parser.core.ruler.push("chat_hard_breaks", _hard_breaks)
    return parser


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    """Inline structure for the cut checks. Without linkify, which costs half the time and
    cannot matter: a cut falls only after whitespace, never inside a bare URL."""
    return chat_parser().disable("linkify")


@lru_cache(maxsize=1)
def _block_parser() -> MarkdownIt:
    """Block structure only: the inline pass is most of markdown-it's time and not needed here."""
    return MarkdownIt("gfm-like").disable(["inline", "linkify"])


@dataclass(frozen=True)
class Block:
    """A top-level block: where it starts and ends (characters) and what it is."""

    start: int
    end: int
    kind: str
    #: For a fence: its marker (```` ``` ````, ``~~~~``) and info string.
    marker: str = ""
    info: str = ""


@dataclass(frozen=True)
class Piece:
    """One piece of a text: ``text`` is part of the message, ``lead``/``close`` are not
    (the fence lines that reopen or close a code block cut in two)."""

    text: str
    lead: str = ""
    close: str = ""
    #: It ends inside a block that the next piece continues (their halves are drawn joined).
    inside: bool = False

    @property
    def source(self) -> str:
        """What the piece's Markdown widget shows."""
        return self.lead + self.text + self.close


@dataclass(frozen=True)
class Cut:
    """Where a piece ends: ``at`` characters into its text; ``close`` ends it, ``lead`` opens the next."""

    at: int
    close: str = ""
    lead: str = ""
    #: The cut falls inside a block (the next piece continues it; styles join the halves).
    inside: bool = False


def blocks(source: str) -> list[Block]:
    """The top-level blocks of ``source``, in order."""
    offsets = [0]
    for line in source.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    found: list[tuple[int, str, str, str]] = []
    for token in _block_parser().parse(source):
        if token.level != 0 or token.map is None or token.nesting < 0:
            continue
        kind = token.type.removesuffix("_open")
        found.append((offsets[min(token.map[0], len(offsets) - 1)], kind, token.markup, token.info))
    result = []
    for i, (start, kind, marker, info) in enumerate(found):
        end = found[i + 1][0] if i + 1 < len(found) else len(source)
        result.append(Block(start, end, kind, marker if kind == "fence" else "", info.strip()))
    return result


#: Marks a candidate cut in the text rendered to find which cuts are clean: a Unicode
#: space, placed only right after whitespace, so no emphasis delimiter's flanking (and
#: so no inline construct) changes.
_MARK = "\u2008"
_HTML_TOKEN = re.compile(r"<[^>]*>|" + _MARK)
_VOID_TAGS = {"br", "img", "hr", "input"}


def _outside_constructs(text: str, cuts: list[int]) -> set[int] | None:
    """The cuts (offsets into ``text``, each right after whitespace) that fall outside every
    inline construct (emphasis, code span, link, inline HTML), from one inline render of
    ``text`` with a mark at each cut. None when a mark was lost (a URL encodes it)."""
    ordered = sorted(set(cuts))
    pieces, previous = [], 0
    for at in ordered:
        pieces += [text[previous:at], _MARK]
        previous = at
    pieces.append(text[previous:])
    rendered = _parser().renderInline("".join(pieces))
    clean: set[int] = set()
    depth, index = 0, 0
    for match in _HTML_TOKEN.finditer(rendered):
        token = match.group()
        if token == _MARK:
            if depth == 0:
                clean.add(ordered[index])
            index += 1
            continue
        index += token.count(_MARK)  # inside a tag's attributes (a link title): not clean
        name = token.strip("</>").split(maxsplit=1)[0].lower() if token.strip("</>") else ""
        if name in _VOID_TAGS or token.endswith("/>"):
            continue
        depth += -1 if token.startswith("</") else 1
    return clean if index == len(ordered) else None


def _starts_a_paragraph(text: str) -> bool:
    # The second half must still be a paragraph on its own ("2. x" or "    x" would not be).
    first = next((t for t in _block_parser().parse(text) if t.level == 0), None)
    return first is not None and first.type == "paragraph_open"


def _renders_as_whole(head: str, tail: str) -> bool:
    """The two halves of a paragraph render, inline, exactly as the paragraph does (slow path)."""
    parser = _parser()
    halves = str(parser.renderInline(head)) + str(parser.renderInline(tail))
    return halves == str(parser.renderInline(head + tail))


def _paragraph_cut(source: str, block: Block) -> int | None:
    """A clean cut inside a long paragraph (an offset in ``source``), or None to wait for more."""
    low, high = block.start + _WINDOW[0], min(block.start + _WINDOW[1], block.end)
    region = source[low:high]
    # A fixed lookahead: a stream cuts once the block reaches BLOCK_CHARS, so it has seen
    # exactly this much too, and a reload of the same text cuts at the same place.
    end = min(block.end, block.start + BLOCK_CHARS)
    # After a line break first (exact), then after a sentence, then at a space; latest first.
    newlines = [low + m.end() for m in re.finditer(r"\n", region)]
    sentences = [low + m.end() for m in _SENTENCE_END.finditer(region)]
    spaces = [low + m.end() for m in re.finditer(r"[ \t]+", region)]
    candidates = [at for group in (newlines, sentences, spaces) for at in reversed(group) if at < high]
    paragraph = source[block.start : end]
    clean = _outside_constructs(paragraph, [at - block.start for at in candidates])
    for at in candidates:
        if clean is not None and at - block.start not in clean:
            continue
        if clean is None and not _renders_as_whole(source[block.start : at], source[at:end]):
            continue
        if _starts_a_paragraph(source[at:end]):
            return at
    if block.end - block.start >= _FORCE_CHARS:
        # No clean cut in a huge paragraph: cut anyway (bounded cost beats exact emphasis).
        return (spaces or sentences or newlines or [high])[-1]
    return None


def _fence_cut(source: str, block: Block) -> Cut | None:
    """A cut between two lines of a long code fence, closing it and reopening it after."""
    lines = source[block.start : block.end].splitlines(keepends=True)
    if len(lines) < 2:
        return None
    content_start = block.start + len(lines[0])
    content_end = block.end
    closing = lines[-1]
    if len(lines) > 2 and _FENCE_LINE.match(closing.rstrip("\n")) and closing.strip()[0] == block.marker[0]:
        content_end -= len(closing)
    low = max(content_start, block.start + _WINDOW[0])
    high = min(block.start + _WINDOW[1], content_end)
    if high <= low:
        return None
    at = source.rfind("\n", low, high) + 1
    if at <= low:
        at = high  # one huge line: cut it (it scrolls sideways anyway)
    info = f"{block.info}" if block.info else ""
    close = ("" if source[at - 1] == "\n" else "\n") + block.marker + "\n"
    return Cut(at, close=close, lead=f"{block.marker}{info}\n", inside=True)


def next_cut(piece: Piece, *, final: bool) -> Cut | None:
    """Where ``piece`` must end, or None while it may keep growing.

    ``final``: the text is complete (a reload, or the end of a stream); otherwise its
    last block may still grow and is cut only once it is long enough.
    """
    source = piece.lead + piece.text
    found = blocks(source)
    shift = len(piece.lead)
    for index, block in enumerate(found[: SEAL_BLOCKS + 1]):
        if index == SEAL_BLOCKS:
            return Cut(block.start - shift)
        if block.end - block.start < BLOCK_CHARS:
            continue
        if block.kind == "paragraph":
            at = _paragraph_cut(source, block)
            if at is not None:
                return Cut(at - shift, inside=True)
            if index + 1 < len(found) or final:
                continue  # complete and unsplittable: it stays whole
            return None
        if block.kind == "fence":
            cut = _fence_cut(source, block)
            if cut is not None:
                return Cut(cut.at - shift, close=cut.close, lead=cut.lead, inside=True)
    return None


#: Characters parsed at a time when a stored text is cut (doubled while no cut is found).
_WINDOW_CHARS = 8_000


def split_pieces(text: str) -> list[Piece]:
    """``text`` cut as the streaming column cuts it: the pieces of a stored reply.

    Each cut is looked for in a window of the text, as a stream sees only what
    arrived so far, so a 1 MB reply costs a linear number of parsed characters.
    """
    pieces: list[Piece] = []
    lead = ""
    rest = text
    while rest:
        window = _WINDOW_CHARS
        while True:
            final = len(rest) <= window
            cut = next_cut(Piece(rest[:window], lead), final=final)
            if cut is not None or final:
                break
            window *= 2
        if cut is None or cut.at <= 0 or cut.at >= len(rest):
            pieces.append(Piece(rest, lead))
            break
        pieces.append(Piece(rest[: cut.at], lead, cut.close, cut.inside))
        rest, lead = rest[cut.at :], cut.lead
    return pieces


@dataclass(frozen=True)
class Ahead:
    """Pieces cut off the front of a streamed backlog (:func:`cut_ahead`) and what is left."""

    pieces: list[Piece]
    #: The text after the last cut; the live piece goes on with it.
    rest: str
    #: The lead of the piece that goes on with ``rest``.
    lead: str
    #: ``rest`` continues a block the last piece began (their halves are drawn joined).
    continued: bool


#: First window when a backlog is cut: pieces are about this long, so a cut usually
#: needs one parse of a window this size, not of :data:`_WINDOW_CHARS`.
_AHEAD_WINDOW_CHARS = 2_000


def cut_ahead(text: str, lead: str, keep: int, most: int) -> Ahead:
    """Cut finished pieces off the front of ``text`` (not final: more may follow) while
    more than ``keep`` characters would be left and less than ``most`` were cut, as the
    streaming column would cut them.

    A model that outruns the renderer leaves a backlog; the pieces cut here are far
    above the end the user watches, so the column parks them without drawing them.
    Each cut is looked for in a growing window, as the stream sees growing text, so
    the pieces are the ones a reload of the finished text shows; ``most`` bounds the
    work of one call (the caller goes on at its next turn).
    """
    pieces: list[Piece] = []
    rest, continued = text, False
    done = 0
    while len(rest) > keep and done < most:
        window = _AHEAD_WINDOW_CHARS
        cut: Cut | None = None
        while window < len(rest):
            cut = next_cut(Piece(rest[:window], lead), final=False)
            if cut is not None:
                break
            window *= 2
        else:
            cut = next_cut(Piece(rest, lead), final=False)
        if cut is None or cut.at <= 0:
            break
        pieces.append(Piece(rest[: cut.at], lead, cut.close, cut.inside))
        rest, lead, continued = rest[cut.at :], cut.lead, cut.inside
        done += cut.at
    return Ahead(pieces, rest, lead, continued)


def estimate_rows(source: str, width: int) -> int:
    """About how many rows ``source`` takes as Markdown ``width`` cells wide (before it is drawn).

    A parked piece that was never drawn stands in with this height until it is
    scrolled near and measured; wrapping each source line is close for prose, and
    block margins roughly match the blank lines between blocks.
    """
    width = max(10, width)
    rows = 0
    for line in source.split("\n"):
        rows += max(1, -(-len(line) // width))
    return rows
