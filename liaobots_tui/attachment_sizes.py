"""Sizes and rough token estimates of attachments, for chips, the CLI and the size checks.

Rough on purpose: the gateway bills what the model's own tokenizer counts. Text runs
about four bytes a token for English and code; Anthropic documents 1,500 to 3,000
tokens per PDF page (its text plus the page as an image), so a page counts as 2,000;
an image counts as the ~1,600 tokens a 1-megapixel picture costs on Claude and GPT.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from liaobots_tui.api.messages import Attachment, FilePart
from liaobots_tui.api.models import context_window
from liaobots_tui.errors import InputError

BYTES_PER_TOKEN = 4
TOKENS_PER_PDF_PAGE = 2000
TOKENS_PER_IMAGE = 1600

# A page object's dictionary; ``/Pages`` (the tree's inner nodes) must not count.
_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")


def pdf_pages(data: bytes) -> int:
    """Page objects seen in the PDF bytes; at least 1 (pages in compressed object streams are not seen)."""
    return max(1, len(_PAGE.findall(data)))


def estimate_tokens(part: Attachment) -> int:
    """A rough input-token count for ``part`` (loads a stored file's bytes for a PDF's page count)."""
    if not isinstance(part, FilePart):
        return TOKENS_PER_IMAGE
    if part.file_kind == "pdf":
        return pdf_pages(part.load()) * TOKENS_PER_PDF_PAGE
    size = part.size or len(part.load())
    return max(1, -(-size // BYTES_PER_TOKEN))


def size_of(part: Attachment) -> int:
    """The attachment's byte count without reading a stored file when the size is known."""
    if isinstance(part, FilePart):
        return part.size or len(part.load())
    return len(part.data) if part.data else len(part.load())


def human_size(n: int) -> str:
    """``512 B``, ``12.3 KB``, ``4.5 MB`` (binary units, as the size limit is set)."""
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / (1024 * 1024):.1f} MB"


def human_tokens(n: int) -> str:
    """``~850 tokens``, ``~12k tokens``."""
    if n < 1000:
        return f"~{n} tokens"
    return f"~{n / 1000:.1f}k tokens" if n < 10_000 else f"~{n // 1000}k tokens"


def describe(part: Attachment) -> str:
    """``PDF · 1.2 MB · ~8k tokens``: what a chip and ``ask`` show of an attachment."""
    if isinstance(part, FilePart):
        kind = "PDF" if part.file_kind == "pdf" else "text"
    else:
        kind = "image"
    return f"{kind} · {human_size(size_of(part))} · {human_tokens(estimate_tokens(part))}"


def attachment_name(part: Attachment) -> str:
    """What the user calls the attachment: its file name, else ``image``."""
    return part.name or "image"


def check_fits(model: str, attachments: Sequence[Attachment], prompt: str = "") -> None:
    """Refuse attachments whose token estimate is past ``model``'s context window (when it is known).

    One file past the window is named; otherwise the prompt and all attachments together
    are checked. The estimate is rough (see the module docstring), so only what surely
    cannot fit is refused; a model with no known window is not checked.

    Raises:
        InputError: one line naming the file (or the total), its estimate and the window.
    """
    window = context_window(model)
    if window is None or not attachments:
        return
    estimates = [(part, estimate_tokens(part)) for part in attachments]
    for part, tokens in estimates:
        if tokens > window:
            raise InputError(
                f"{attachment_name(part)} is {human_tokens(tokens)}, more than {model}'s context window "
                f"of {window:,} tokens: attach a part of it, or pick a model with a larger window"
            )
    total = sum(tokens for _, tokens in estimates) + -(-len(prompt.encode("utf-8")) // BYTES_PER_TOKEN)
    if total > window:
        raise InputError(
            f"the prompt and its attachments are {human_tokens(total)}, more than {model}'s context "
            f"window of {window:,} tokens: attach fewer files, or pick a model with a larger window"
        )
