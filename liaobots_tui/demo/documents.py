"""The fake gateway's view of attached files: checks PDFs the way the real APIs do, counts what it saw.

Each format's parser hands every PDF it meets to :meth:`Documents.pdf` (the raw base64
of an Anthropic ``document`` or Gemini ``inlineData``, or the data URL of a Chat
``file`` / Responses ``input_file`` part), which refuses what the real API refuses
(bad base64, a data URL that is not ``application/pdf``, bytes without the ``%PDF-``
magic) and counts its pages. Text files travel as text blocks ``<file name="…">``;
:meth:`Documents.count_text_files` counts those. The reply then says what was seen,
so a test or a demo user can tell the files arrived.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

PDF_MAGIC = b"%PDF-"
_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")
_TEXT_FILE = re.compile(r'<file name="[^"\n]*">\n')
_DATA_URL = re.compile(r"data:([^;,]*);base64,(.*)", re.DOTALL)


class BadDocument(ValueError):
    """The PDF is refused; the message is the tail the format's error wording needs."""


@dataclass
class Documents:
    """Files of one request: PDFs (and their pages) and text files."""

    pdfs: int = 0
    pages: int = 0
    text_files: int = 0

    def pdf(self, encoded: object) -> None:
        """Check and count one base64 PDF (no ``data:`` prefix). Raises BadDocument."""
        if not isinstance(encoded, str):
            raise BadDocument("missing")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise BadDocument("base64") from None
        if not raw.startswith(PDF_MAGIC):
            raise BadDocument("not_pdf")
        self.pdfs += 1
        self.pages += max(1, len(_PAGE.findall(raw)))

    def pdf_data_url(self, url: object) -> None:
        """Check and count a ``data:application/pdf;base64,…`` URL. Raises BadDocument."""
        match = _DATA_URL.fullmatch(url) if isinstance(url, str) else None
        if match is None:
            raise BadDocument("missing" if url is None else "data_url")
        if match.group(1) != "application/pdf":
            raise BadDocument(f"mime:{match.group(1)}")
        self.pdf(match.group(2))

    def counted(self, text: str) -> Documents:
        """These documents plus the text files found in ``text`` (all the request's text)."""
        self.text_files += len(_TEXT_FILE.findall(text))
        return self

    def note(self) -> str:
        """``I received 2 PDFs (7 pages) and 1 text file.``; empty when there were none."""
        seen: list[str] = []
        if self.pdfs:
            seen.append(f"{_n(self.pdfs, 'PDF')} ({_n(self.pages, 'page')})")
        if self.text_files:
            seen.append(_n(self.text_files, "text file"))
        return f"I received {' and '.join(seen)}. " if seen else ""


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
