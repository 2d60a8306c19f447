"""Markdown helpers shared by the app and the CLI: code blocks of a reply and the conversation export.

No Textual here: these are plain functions over the message model, tested directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from markdown_it import MarkdownIt

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
    tokens = MarkdownIt("gfm-like").parse(text)
    blocks: list[CodeBlock] = []
    for token in tokens:
        if token.type in ("fence", "code_block"):
            language = (token.info or "").strip().split(" ", 1)[0]
            blocks.append(CodeBlock(language, token.content))
    return blocks


def _image_line(part: ImagePart) -> str:
    return f"![image]({part.path})" if part.path else f"[image {part.mime_type}]"


def _file_line(part: FilePart) -> str:
    """A link to the stored copy of an attached file (its name alone when it has none)."""
    # The name is the user's file name, but it may hold control characters: one clean line, no brackets.
    name = clean_line(part.name, 255).replace("[", "(").replace("]", ")")
    kind = "PDF" if part.file_kind == "pdf" else "text"
    if not part.path:
        return f"📎 {name} ({kind})"
    target = part.path.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
    return f"📎 [{name}]({target}) ({kind})"


def conversation_markdown(
    conversation: StoredConversation, versions: Mapping[int, Version] | None = None
) -> str:
    """The whole conversation as a Markdown document: title, system prompt, then each turn.

    ``versions`` (message id → which version it is): the messages hold the chosen
    versions; each with others gets a note saying so.
    """
    out: list[str] = [f"# {conversation.title or 'Conversation'}", ""]
    if conversation.system:
        out += ["> **System:** " + conversation.system.replace("\n", "\n> "), ""]
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
                message.reasoning.strip(),
                "",
                "</details>",
                "",
            ]
        for file in message.files:
            out += [_file_line(file), ""]
        if message.text.strip():
            out += [message.text.rstrip(), ""]
        for image in message.images:
            out += [_image_line(image), ""]
        for source in message.sources:
            out.append(f"- [{source.title or source.uri}]({source.uri})")
        if message.sources:
            out.append("")
        if message.status in ("failed", "cancelled"):
            out += [f"*[{message.status}: {message.error or message.status}]*", ""]
    return "\n".join(out).rstrip() + "\n"
