"""MessageActions: the chat screen's actions on the messages shown: select, scroll, copy, export.

A base class of :class:`~liaobots_tui.ui.screens.chat.ChatScreen`, kept apart so
the screen itself only lays out, binds keys and hands work to the controller.
Everything here reads the conversation view; nothing talks to the gateway.
"""

from __future__ import annotations

import re

from textual.screen import Screen

from liaobots_tui.export_files import write_export
from liaobots_tui.ui.export_actions import app_export_dir, build_then_write_asking
from liaobots_tui.ui.screens.dialogs import ListPickerModal, TextInputModal, expand_path
from liaobots_tui.ui.widgets.conversation import ConversationView
from liaobots_tui.ui.widgets.message_box import MessageBox, MessageHeader


def slug(text: str) -> str:
    """A file name stem from a chat title."""
    name = re.sub(r"[^\w-]+", "-", text.lower(), flags=re.UNICODE).strip("-")
    return name[:50] or "conversation"


class MessageActions(Screen[None]):
    """Selecting, scrolling, copying and exporting the messages of ``view``."""

    @property
    def view(self) -> ConversationView:
        return self.query_one("#conversation", ConversationView)

    def focused_box(self) -> MessageBox | None:
        """The selected message (its header has focus), if any."""
        focused = self.focused
        return focused.box if isinstance(focused, MessageHeader) else None

    def selected_box(self, *, role: str | None = None) -> MessageBox | None:
        """The selected message, else the last one (of ``role``)."""
        focused = self.focused_box()
        if focused is not None and (role is None or focused.message.role == role):
            return focused
        for box in reversed(self.view.boxes()):
            if role is None or box.message.role == role:
                return box
        return None

    def action_focus_messages(self) -> None:
        boxes = self.view.boxes()
        if not boxes:
            self.notify("No messages yet", timeout=2)
            return
        boxes[-1].select()

    def action_focus_message(self, delta: int) -> None:
        boxes = self.view.boxes()
        focused = self.focused_box()
        if not boxes or focused is None or focused not in boxes:
            return
        if delta < 0 and boxes.index(focused) == 0 and self.view.hidden_count:
            self.run_worker(self.view.load_earlier(), group="earlier")
            return
        boxes[max(0, min(len(boxes) - 1, boxes.index(focused) + delta))].select()

    def action_scroll_conversation(self, direction: int) -> None:
        if direction < 0:
            self.view.scroll_page_up(animate=False)
        else:
            self.view.scroll_page_down(animate=False)

    def action_scroll_latest(self) -> None:
        self.view.scroll_to_latest()

    def _copy(self, text: str, what: str) -> None:
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied {what} ({len(text):,} characters)", timeout=3)

    def action_copy_message(self) -> None:
        box = self.selected_box()
        if box is None or not box.copy_text:
            self.notify("Nothing to copy", severity="warning", timeout=3)
            return
        self._copy(box.copy_text, "the message")

    def action_copy_last(self) -> None:
        box = self.selected_box(role="assistant")
        if box is None or not box.copy_text:
            self.notify("There is no reply to copy yet", severity="warning", timeout=3)
            return
        self._copy(box.copy_text, "the reply")

    def action_copy_code(self) -> None:
        from liaobots_tui.markdown_export import code_blocks  # on first use: start-up does not need it

        box = self.selected_box() if self.focused_box() is not None else self.selected_box(role="assistant")
        blocks = code_blocks(box.copy_text) if box is not None else []
        if not blocks:
            self.notify("No code block in this message", severity="warning", timeout=3)
            return
        if len(blocks) == 1:
            self._copy(blocks[0].code, "the code block")
            return
        labels = [f"{i + 1}. {b.language or 'text'}: {b.preview}" for i, b in enumerate(blocks)]

        def done(index: int | None) -> None:
            if index is not None:
                self._copy(blocks[index].code, f"code block {index + 1}")

        self.app.push_screen(ListPickerModal("Copy which code block?", labels), done)

    def export_conversation(self, conversation_id: int | None, title: str) -> None:
        """Ask where, then save the stored conversation as Markdown."""
        if conversation_id is None:
            self.notify("Nothing to export yet", severity="warning", timeout=3)
            return
        from liaobots_tui.markdown_export import conversation_markdown  # on first use, as above
        from liaobots_tui.ui.app import LiaobotsApp

        app = self.app
        assert isinstance(app, LiaobotsApp)
        name = f"{slug(title)}.md"
        default = str(app_export_dir(app) / name)

        def done(value: str | None) -> None:
            if not value or not value.strip():
                return
            path = expand_path(value)
            if path.is_dir():
                path = path / name
            store = app.store

            def build() -> str:  # in a thread: the store is thread-safe, the export pure
                return conversation_markdown(
                    store.load_conversation(conversation_id), versions=store.versions(conversation_id)
                )

            def write(text: str, replace: bool) -> str:
                write_export(path, text, replace=replace)
                return f"Saved to {path}"

            build_then_write_asking(self, path, build, write, what="export")

        self.app.push_screen(
            TextInputModal("Export to Markdown", value=default, complete_paths=True, ok_label="Save"), done
        )
