"""VersionActions: the chat screen's versions, forks and search hits.

- ``‹ 2/3 ›`` on a message with versions; :meth:`action_version` moves the selected
  message (else the last one with versions) to its previous or next version, and the
  chat below it to what was last shown there. What the next turn sends follows.
- :meth:`action_fork` starts a new chat with the history up to the selected (else
  the last) message; its title names the origin.
- :meth:`open_at_message` opens a chat at a search hit, the message selected and marked.

The rules are the controller's (:meth:`ConversationController.choose_version`,
:meth:`~ConversationController.fork`); this class only shows what they did.
"""

from __future__ import annotations

from liaobots_tui.api.sanitize import clean_line
from liaobots_tui.ui.screens.chat_base import ChatScreenBase
from liaobots_tui.ui.widgets.message_box import MessageBox

#: Class of the header of the message a search hit opened the chat at.
FOUND = "-found"


class VersionActions(ChatScreenBase):
    """See the module docstring; a base of :class:`~liaobots_tui.ui.screens.chat.ChatScreen`."""

    def _with_versions(self) -> MessageBox | None:
        """The selected message; with none selected, the last message that has versions."""
        focused = self.focused_box()
        if focused is not None:
            return focused
        return next((b for b in reversed(self.view.boxes()) if b.version is not None), None)

    async def action_version(self, step: int) -> None:
        """Show the previous (-1) or next (1) version of the selected message."""
        box = self._with_versions()
        message_id = box.message.id if box is not None else None
        if box is None or message_id is None or box.version is None:
            self.notify(
                "No other versions here: regenerate (ctrl+r) or edit & resend (F4) keep the earlier one.",
                severity="warning",
                timeout=4,
            )
            return
        position = next((i for i, m in enumerate(self.controller.messages) if m.id == message_id), None)
        with self.guard("switch versions"):
            messages = self.controller.choose_version(message_id, step)
            if messages is None:
                which = "first" if step < 0 else "last"
                self.notify(f"This is the {which} version ({box.version.count} in all)", timeout=2)
                return
            await self._show(messages)
            chosen = messages[position].id if position is not None and position < len(messages) else None
            if chosen is not None:
                shown = await self.view.reveal(chosen)
                if shown is not None:
                    shown.select()  # keep the selection, so the key can be pressed again

    async def action_fork(self) -> None:
        """Start a new chat holding the history up to the selected (else the last) message."""
        box = self.selected_box()
        if box is None or box.message.id is None or self.conversation_id is None:
            self.notify("Nothing to fork yet: send a prompt first", severity="warning", timeout=3)
            return
        with self.guard("fork the chat"):
            messages = await self.controller.fork(box.message.id)
            await self._show(messages)
            self.refresh_chats()
            title = clean_line(self.controller.title, 80)
            self.notify(
                f"{title}: continue it below; the original chat is unchanged", title="Forked", timeout=5
            )
            self.prompt.focus()

    async def open_at_message(self, conversation_id: int, message_id: int) -> None:
        """Open a chat at a search hit: the message scrolled to, selected and marked."""
        await self.open_conversation(conversation_id)
        if self.conversation_id != conversation_id:
            return  # could not open (already reported)
        box = await self.view.reveal(message_id)
        if box is None:
            self.notify("That message is no longer in this chat", severity="warning", timeout=3)
            self.prompt.focus()
            return
        box.header.add_class(FOUND)
        box.select()
