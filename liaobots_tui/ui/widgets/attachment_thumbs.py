"""AttachmentThumbs: a row of small previews of the images attached to a user message.

Each attachment is an :class:`~liaobots_tui.ui.widgets.image_preview.ImagePreview`
in its thumbnail variant (≤ 20×6 cells, caption ``W×H · name``); PNG, JPEG, WebP
and GIF within the pixel cap are drawn, anything else shows a placeholder saying why
(decoding shares the previews' one-or-two-at-a-time slots). Click/Enter on one opens
the viewer.

Integration: ``MessageBox.compose`` for a user message yields
``AttachmentThumbs(message.images, settings.image_mode)`` instead of one
``ImagePreview`` per image (when ``message.images`` is non-empty). Nothing to handle.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import HorizontalGroup

from liaobots_tui.api.messages import ImagePart
from liaobots_tui.ui.widgets.image_preview import ImagePreview


class AttachmentThumbs(HorizontalGroup):
    """Thumbnails side by side; wraps nothing, so keep attachments few (the prompt caps them)."""

    DEFAULT_CSS = """
    AttachmentThumbs { height: auto; padding: 0 1; }
    AttachmentThumbs > ImagePreview { margin-right: 1; }
    """

    def __init__(self, parts: Sequence[ImagePart], mode: str | None = None, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.parts = list(parts)
        self.mode = mode

    def compose(self) -> ComposeResult:
        for part in self.parts:
            yield ImagePreview(part, self.mode, thumb=True)

    @property
    def previews(self) -> list[ImagePreview]:
        return list(self.query(ImagePreview))
