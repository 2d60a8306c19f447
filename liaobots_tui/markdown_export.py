"""Markdown helpers shared by the app and the CLI: code blocks of a reply and the conversation export.

No Textual here: these are plain functions over the message model, tested directly.

In an export the title is the only level-1 heading and each turn opens with a
level-2 heading (``## You``, ``## Assistant (…)``). What a message says cannot take
that structure over (:func:`contained`): its own top-level headings are moved two
levels down (a reply's ``## User`` becomes ``#### User``, under the turn it belongs
to), a code fence left open (a cut-off reply) is closed, and a body that would still
swallow what follows (an unclosed ``<!--`` or ``<pre>``) is shown as a code block.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Mapping
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

from liaobots_tui.api.messages import FilePart, ImagePart
from liaobots_tui.api.sanitize import clean_line
from liaobots_tui.store import StoredConversation, Version


@dataclass(frozen=True)
class CodeBlock:
    """One fenced or indented code block of a Markdown text."""

    language: str
    code: str

    @property
    def preview(self) -> str:
        """The first non-blank line, for pickers."""
        first = next((line for line in self.code.splitlines() if line.strip()), "")
        return first.strip()[:70]


def code_blocks(text: str) -> list[CodeBlock]:
    """Every code block in ``text`` in document order (same parser as the Markdown widget)."""
    blocks: list[CodeBlock] = []
    for token in _parse_blocks(text):
        if token.type in ("fence", "code_block"):
            language = (token.info or "").strip().split(" ", 1)[0]
            blocks.append(CodeBlock(language, token.content))
    return blocks


#: How many levels a message's own headings move down, below the turn headings (level 2).
HEADING_SHIFT = 2

#: The Markdown widget's parser cut to its block pass: headings, fences and where each block
#: starts are all known before inline parsing, which is half the time of a parse and unused here.
_BLOCKS = MarkdownIt("gfm-like").disable(["inline", "linkify", "text_join"])


def _parse_blocks(text: str) -> list[Token]:
    """The block tokens of ``text``, parsed with the cyclic collector held off.

    A parse makes an object or more per block and none of them is in a cycle, yet each
    collector pass scans them all again: measured at 45% of the parse of a 5 MB reply,
    and growing faster than the text. Held off only for the parse, on this thread.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _BLOCKS.parse(text)
    finally:
        if collecting:
            gc.enable()


_ATX = re.compile(r"^( {0,3})(#{1,6})(?=[ \t]|$)")
_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_LONE_CR = re.compile(r"\r(?!\n)")


def _demoted_headings(text: str) -> tuple[str, int]:
    """``text`` with its top-level headings moved :data:`HEADING_SHIFT` levels down (to at most 6).

    Also where (a character offset into the result) its last top-level block starts:
    what follows the text can only join that block, so only it needs parsing again.
    """
    lines = text.split("\n")
    out: list[str] = []
    copied = 0  # lines of ``text`` already in ``out``
    last_block = 0  # index in ``out`` of the line the last top-level block starts on
    for token in _parse_blocks(text):
        if token.level != 0 or token.nesting == -1 or token.map is None:
            continue
        start, end = token.map
        out += lines[copied:start]
        copied = max(copied, start)
        last_block = len(out)
        if token.type != "heading_open":
            continue
        level = min(6, int(token.tag[1]) + HEADING_SHIFT)
        if token.markup.startswith("#"):
            line = lines[start]
            m = _ATX.match(line)
            out.append(line if m is None else m.group(1) + "#" * level + line[m.end() :])
            copied = start + 1
        else:  # setext: the text lines, then a line of = or -
            words = " ".join(line.strip() for line in lines[start : end - 1])
            out.append("#" * level + " " + words)
            copied = end
    out += lines[copied:]
    offset = sum(len(line) + 1 for line in out[:last_block])
    return "\n".join(out), offset


def _closed_fences(text: str) -> str:
    """``text`` with a code fence that is still open at its end closed (CommonMark's rules)."""
    fence: str | None = None
    closing: re.Pattern[str] | None = None
    for line in text.split("\n"):
        if closing is None:
            m = _FENCE_OPEN.match(line)
            # A backtick fence's info string may not hold a backtick (then it is inline code).
            if m and not (m.group(1)[0] == "`" and "`" in m.group(2)):
                fence = m.group(1)
                closing = re.compile(rf" {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*")
        elif closing.fullmatch(line):
            fence = closing = None
    return text if fence is None else f"{text.rstrip()}\n{fence}"


def _leaves_room(text: str) -> bool:
    """Whether a turn heading right after ``text`` is still read as a heading."""
    tokens = _parse_blocks(f"{text}\n\n## next\n")
    return len(tokens) >= 3 and tokens[-3].type == "heading_open" and tokens[-3].level == 0


def _as_code(text: str) -> str:
    longest = max((len(m.group(0)) for m in re.finditer(r"~+", text)), default=0)
    fence = "~" * max(3, longest + 1)
    return f"{fence}\n{text}\n{fence}"


def contained(text: str) -> str:
    """A message body that keeps to its own turn of an export (see the module docstring).

    One parse of ``text``, then one of its last block: a block that starts at the top
    level is read the same from there as from the start of the text, and only the last
    one can take in a heading put after it. Linear in the text.
    """
    if _LONE_CR.search(text):
        # The parser reads a lone CR as a line break: its line numbers would not be
        # those of ``split("\n")`` (they ran past the end of the list).
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    demoted, last_block = _demoted_headings(text)
    body = _closed_fences(demoted)
    if last_block > len(body.rstrip()):  # nothing of the last block is left (cannot happen)
        last_block = 0
    return body if _leaves_room(body[last_block:]) else _as_code(text)


def _link_text(name: str) -> str:
    # The user's file name may hold control characters or brackets: one clean line, no brackets.
    return clean_line(name, 255).replace("[", "(").replace("]", ")")


def _link_target(path: str) -> str:
    return path.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def _image_line(part: ImagePart) -> str:
    """The picture, named as the user attached it (``image`` for a generated one)."""
    alt = _link_text(part.name) or "image"
    return f"![{alt}]({_link_target(part.path)})" if part.path else f"[image {part.mime_type}]"


def _file_line(part: FilePart) -> str:
    """A link to the stored copy of an attached file (its name alone when it has none)."""
    name = _link_text(part.name)
    kind = "PDF" if part.file_kind == "pdf" else "text"
    if not part.path:
        return f"📎 {name} ({kind})"
    return f"📎 [{name}]({_link_target(part.path)}) ({kind})"


def conversation_markdown(
    conversation: StoredConversation, versions: Mapping[int, Version] | None = None
) -> str:
    """The whole conversation as a Markdown document: title, system prompt, then each turn.

    ``versions`` (message id → which version it is): the messages hold the chosen
    versions; each with others gets a note saying so.
    """
    out: list[str] = [f"# {conversation.title or 'Conversation'}", ""]
    if conversation.system:
        out += ["> **System:** " + contained(conversation.system).replace("\n", "\n> "), ""]
    for message in conversation.messages:
        if message.role == "user":
            out.append("## You")
        else:
            who = " · ".join(x for x in (message.model, message.format) if x)
            out.append(f"## Assistant ({who})" if who else "## Assistant")
        out.append("")
        version = (versions or {}).get(message.id) if message.id is not None else None
        if version is not None:
            others = version.count - 1
            note = f"{others} other{'s' * (others != 1)} not shown"
            out += [f"*Version {version.number} of {version.count}; {note}.*", ""]
        if message.reasoning.strip():
            out += [
                "<details><summary>Thinking</summary>",
                "",
                contained(message.reasoning.strip()),
                "",
                "</details>",
                "",
            ]
        for file in message.files:
            out += [_file_line(file), ""]
        if message.text.strip():
            out += [contained(message.text.rstrip()), ""]
        for image in message.images:
            out += [_image_line(image), ""]
        for source in message.sources:
            out.append(f"- [{source.title or source.uri}]({source.uri})")
        if message.sources:
            out.append("")
        if message.status in ("failed", "cancelled"):
            out += [f"*[{message.status}: {message.error or message.status}]*", ""]
    return "\n".join(out).rstrip() + "\n"
