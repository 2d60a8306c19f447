"""PromptInput: the multi-line prompt, and the attachment chips above it.

Keys: Enter sends; ctrl+j always adds a newline (a terminal
sends LF for it everywhere, tmux and SSH included), and shift+enter does too
where the terminal reports it (kitty keyboard protocol). Up on the first line
and down on the last line walk through earlier prompts, keeping the unsent
draft. Pasting the path of an image file attaches it instead of inserting it,
which is also what dropping a file onto most terminals does.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from urllib.parse import unquote, urlparse

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message as TextualMessage
from textual.widgets import Static, TextArea

from liaobots_tui.api.messages import Attachment, FilePart
from liaobots_tui.api.sanitize import clean_line
from liaobots_tui.attachment_sizes import describe
from liaobots_tui.ui.widgets.image_preview import human_size
from liaobots_tui.ui.widgets.ordered_input import bound_actions, run_bound_key

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")
#: Pasting one existing path with these endings attaches the file (its bytes then decide what it is).
ATTACHABLE_SUFFIXES = IMAGE_SUFFIXES + (
    ".pdf", ".txt", ".md", ".markdown", ".rst", ".csv", ".tsv", ".json", ".jsonl", ".log", ".yaml", ".yml",
    ".toml", ".ini", ".xml", ".html", ".css", ".py", ".js", ".ts", ".go", ".rs", ".c", ".h", ".cpp", ".java",
    ".sh", ".sql", ".diff", ".patch",
)  # fmt: skip


def pasted_image_path(text: str) -> Path | None:
    """The image, PDF or text file a paste names, if it is exactly one existing such path.

    Accepts what terminals and file managers paste: quoted paths, backslash
    escaped spaces, ``file://`` URLs and ``~``.
    """
    raw = text.strip()
    if not raw or "\n" in raw or len(raw) > 4096:
        return None
    if raw.startswith("file://"):
        raw = unquote(urlparse(raw).path)
    else:
        try:
            words = shlex.split(raw)
        except ValueError:
            return None
        if len(words) != 1:
            return None
        raw = words[0]
    path = Path(raw).expanduser()
    if path.suffix.lower() not in ATTACHABLE_SUFFIXES:
        return None
    try:
        return path if path.is_file() else None
    except OSError:
        return None


class PromptHistory:
    """Earlier prompts, oldest first, walked with up/down like a shell; each text once (the latest use)."""

    def __init__(self, entries: list[str] | None = None, limit: int = 500) -> None:
        self.entries: list[str] = []
        self.limit = limit
        self.index: int | None = None  # None: editing the draft, not a history entry
        self.draft = ""
        for entry in entries or []:
            self.add(entry)

    def add(self, text: str) -> None:
        text = text.rstrip()
        if not text:
            return
        if text in self.entries:  # sent again: it moves to the newest place, not a second one
            self.entries.remove(text)
        self.entries.append(text)
        del self.entries[: -self.limit]
        self.reset()

    def reset(self) -> None:
        self.index = None
        self.draft = ""

    def load(self, newest_first: list[str]) -> None:
        """Start from stored prompts (every chat's, newest first), e.g. when the app starts."""
        self.entries = []
        for text in reversed(newest_first[: self.limit]):
            self.add(text)

    def previous(self, current: str) -> str | None:
        if not self.entries:
            return None
        if self.index is None:
            self.draft = current
            self.index = len(self.entries) - 1
        elif self.index > 0:
            self.index -= 1
        else:
            return None
        return self.entries[self.index]

    def next(self) -> str | None:
        if self.index is None:
            return None
        if self.index < len(self.entries) - 1:
            self.index += 1
            return self.entries[self.index]
        self.index = None
        return self.draft


#: TextArea's own key bindings, run in key order (see :mod:`liaobots_tui.ui.widgets.ordered_input`).
_TEXT_AREA_ACTIONS = bound_actions(TextArea.BINDINGS)


class PromptInput(TextArea):
    """The prompt. Posts :class:`PromptInput.Submitted` on Enter."""

    BINDINGS = [
        # TextArea uses the page keys for its own cursor; in a chat they should scroll the conversation.
        Binding("pageup", "screen.scroll_conversation(-1)", "Scroll up", show=False, priority=True),
        Binding("pagedown", "screen.scroll_conversation(1)", "Scroll down", show=False, priority=True),
    ]

    class Submitted(TextualMessage):
        """Enter was pressed: ``text`` is the prompt (may be empty when only images are attached)."""

        def __init__(self, prompt: PromptInput, text: str) -> None:
            super().__init__()
            self.prompt = prompt
            self.text = text

    class PathPasted(TextualMessage):
        """An image path was pasted: attach it rather than insert it."""

        def __init__(self, path: Path) -> None:
            super().__init__()
            self.path = path

    def __init__(self, *, id: str | None = None, history: PromptHistory | None = None) -> None:
        super().__init__(
            "",
            id=id,
            soft_wrap=True,
            compact=True,
            show_line_numbers=False,
            tab_behavior="focus",
            placeholder="Message  (Enter send · ctrl+j newline · ↑ history · ctrl+f attach · ctrl+e editor)",
        )
        self.prompt_history = history or PromptHistory()

    # Overriding the private key handler is how Textual documents customising TextArea keys:
    # it runs before any public on_key handler could prevent the default edit.
    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.post_message(self.Submitted(self, self.text))
            return
        if event.key in ("ctrl+j", "shift+enter", "ctrl+enter"):
            event.stop()
            event.prevent_default()
            if not self.read_only:
                start, end = self.selection
                self.replace("\n", start, end, maintain_selection_offset=False)  # cursor after it
            return
        if await run_bound_key(self, event, _TEXT_AREA_ACTIONS):
            return  # Backspace, arrows…: now, not after the letters typed behind it (ordered_input)
        await super()._on_key(event)

    async def _on_paste(self, event: events.Paste) -> None:
        # Textual calls every class's _on_paste along the MRO, so TextArea's own handler
        # inserts ordinary text after this one; calling it here too pasted everything twice.
        path = pasted_image_path(event.text)
        if path is not None:
            event.stop()
            event.prevent_default()
            self.post_message(self.PathPasted(path))

    def action_cursor_up(self, select: bool = False) -> None:
        if not select and self.cursor_location[0] == 0 and self.selection.is_empty:
            entry = self.prompt_history.previous(self.text)
            if entry is not None:
                self._load(entry, at_end=False)
            return
        super().action_cursor_up(select)

    def action_cursor_down(self, select: bool = False) -> None:
        last_row = self.document.line_count - 1
        if not select and self.cursor_location[0] == last_row and self.selection.is_empty:
            entry = self.prompt_history.next()
            if entry is not None:
                self._load(entry, at_end=True)
            return
        super().action_cursor_down(select)

    def _load(self, text: str, *, at_end: bool) -> None:
        self.load_text(text)
        if at_end:
            self.move_cursor(self.document.end)
        else:
            # The cursor lands on the first line, so another "up" keeps going back.
            self.move_cursor((0, len(self.document.get_line(0))))

    def restore(self, text: str) -> None:
        """Put ``text`` back (a failed send), cursor at the end."""
        self.load_text(text)
        self.move_cursor(self.document.end)
        self.prompt_history.reset()


class AttachmentChip(Static, can_focus=True):
    """One attached image or file: name, size, a token estimate for files; click or Delete removes it."""

    BINDINGS = [
        Binding("delete,backspace,x", "remove", "Remove attachment"),
    ]

    class Removed(TextualMessage):
        def __init__(self, chip: AttachmentChip) -> None:
            super().__init__()
            self.chip = chip

    #: Cells around the text: padding (1 each side) and the right margin, from app.tcss.
    FRAME = 3

    def __init__(self, part: Attachment, name: str) -> None:
        self.part = part
        self.label = name
        if isinstance(part, FilePart):
            # File names may hold escapes: Content() never parses markup, clean_line drops controls.
            self.text = Content(f"▤ {clean_line(name, 60)} · {describe(part)} ✕")
            super().__init__(self.text)
            self.tooltip = "Attached file: click or press Delete to remove"
            return
        size = human_size(len(part.data))
        self.text = Content(f"▣ {clean_line(name, 60)} · {size} ✕")  # file names may hold escapes
        super().__init__(self.text)
        self.tooltip = "Attached image: click or press Delete to remove"

    @property
    def cells(self) -> int:
        """Width the chip takes in a row of chips."""
        return self.text.cell_length + self.FRAME

    def action_remove(self) -> None:
        self.post_message(self.Removed(self))

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.action_remove()


class AttachmentBar(Horizontal):
    """Chips of the images that go with the next message. Hidden when empty.

    Every chip stays visible, since every one is sent: when they do not fit in
    one row the bar stacks them one per line (scrolling past a few lines).
    """

    class Changed(TextualMessage):
        pass

    def compose(self) -> ComposeResult:
        return iter(())

    def on_mount(self) -> None:
        self.display = False

    def on_resize(self, event: events.Resize) -> None:
        self._restack()

    def on_attachment_bar_changed(self, event: AttachmentBar.Changed) -> None:
        self._restack()  # and let it bubble: the screen updates the status too

    def _restack(self) -> None:
        needed = sum(chip.cells for chip in self.query_children(AttachmentChip))
        available = self.size.width or self.app.size.width
        self.set_class(needed > available, "-stacked")

    def holding(self, part: Attachment) -> str | None:
        """The name under which the same image or file (byte for byte) is attached already, if it is."""
        return next((c.label for c in self.query_children(AttachmentChip) if c.part.data == part.data), None)

    @property
    def parts(self) -> list[Attachment]:
        return [chip.part for chip in self.query_children(AttachmentChip)]

    @property
    def named_parts(self) -> list[tuple[Attachment, str]]:
        return [(chip.part, chip.label) for chip in self.query_children(AttachmentChip)]

    async def add(self, part: Attachment, name: str) -> None:
        await self.mount(AttachmentChip(part, name))
        self.display = True
        self.post_message(self.Changed())

    async def clear(self) -> None:
        await self.remove_children()
        self.display = False
        self.post_message(self.Changed())

    async def set_parts(self, parts: list[tuple[Attachment, str]]) -> None:
        await self.remove_children()
        for part, name in parts:
            await self.mount(AttachmentChip(part, name))
        self.display = bool(parts)
        self.post_message(self.Changed())

    async def on_attachment_chip_removed(self, event: AttachmentChip.Removed) -> None:
        event.stop()
        await event.chip.remove()
        self.display = bool(self.query_children(AttachmentChip))
        self.post_message(self.Changed())
