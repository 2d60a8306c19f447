"""How a comparison's replies are stored: every charged reply stays in the chat, as versions.

A comparison asks one prompt of several models; the gateway charges every reply,
so the chat keeps every reply it was charged for, and "This chat" counts them all:

- **One kept**: the prompt and the kept reply continue the chat; the other replies
  are stored beside it as its other versions (``‹ 2/3 ›``, in the order the
  models were given), reachable like a regenerated reply's.
- **None kept**: the prompt and its replies are set aside whole (:class:`SetAsideTurn`):
  the prompt becomes a version of the next prompt sent in that chat, so the
  replies show from there. A chat not saved yet holds the turn until its first
  turn saves it (see :meth:`ConversationController.set_aside`).

A reply that holds nothing (refused, failed or stopped before its first byte,
without a usage report) was not charged and is not stored: there is nothing to
go back to. Headless: no textual or rich.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from liaobots_tui.api.messages import ImagePart, Message, Part
from liaobots_tui.chat import saved_image_or_note
from liaobots_tui.store import MessageRecord, Store


@dataclass(frozen=True)
class SetAsideTurn:
    """A prompt whose replies continue nothing (a comparison closed with none kept)."""

    prompt: Message
    replies: tuple[MessageRecord, ...]


def charged(reply: MessageRecord) -> bool:
    """The reply holds something (text, thinking, an image) or a usage report: worth storing."""
    return bool(reply.parts) or reply.usage is not None


def store_turn(
    store: Store,
    conversation_id: int,
    prompt: Message,
    replies: Sequence[MessageRecord],
    chosen: int | None,
) -> list[MessageRecord]:
    """Store ``prompt`` and ``replies`` as versions of each other (see ``Store.add_turn``); prompt first.

    Generated images are written (verified) to their files first; one that is not
    a safe image is stored as a note instead. The replies' ids are ignored.
    """
    saved = [
        reply.revised(parts=_saved_parts(store, conversation_id, prompt.text, reply.parts))
        for reply in replies
    ]
    return store.add_turn(conversation_id, prompt, saved, chosen)


def _saved_parts(store: Store, conversation_id: int, prompt_text: str, parts: Sequence[Part]) -> list[Part]:
    """The reply's parts with each generated image written to its file, or a note where it is unsafe."""
    saved: list[Part] = []
    for part in parts:
        if isinstance(part, ImagePart) and part.generated and part.data:
            saved.append(saved_image_or_note(store, conversation_id, part, prompt_text, saved))
        else:
            saved.append(part)
    return saved
