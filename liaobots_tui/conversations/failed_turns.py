"""What happens to a turn that failed: a resend replaces it, and a chat that never got a reply goes.

Pure rules over a conversation's records (oldest first), applied by the
:class:`~liaobots_tui.conversations.controller.ConversationController`:

* :func:`resent_failed_prompt`: the new prompt resends the last prompt, whose
  reply failed (the app puts a failed prompt back in the input; the CLI user
  runs ``ask -c`` with it again). The failed pair is replaced instead of a
  duplicate prompt being added next to it.
* :func:`failed_before_any_reply`: the chat holds one prompt whose reply failed
  before a single byte arrived. Such a chat holds nothing the gateway sent; it
  is deleted when the user leaves it (the prompt itself is put back or typed again).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from liaobots_tui.api.messages import Attachment, FilePart, ImagePart
from liaobots_tui.store import MessageRecord


def _attachment_keys(parts: Sequence[object]) -> list[str] | None:
    """A digest per image or file, in order (saved ones are read back); None when one cannot be read."""
    keys: list[str] = []
    for part in parts:
        if isinstance(part, ImagePart | FilePart):
            try:
                keys.append(hashlib.sha256(part.load()).hexdigest())
            except OSError:
                return None
    return keys


def resent_failed_prompt(
    messages: Sequence[MessageRecord], text: str, images: Sequence[Attachment]
) -> int | None:
    """Id of the saved prompt that ``text`` + ``images`` resend, when its reply failed; else None."""
    if len(messages) < 2:
        return None
    prompt, reply = messages[-2], messages[-1]
    if prompt.role != "user" or prompt.id is None or reply.role != "assistant" or reply.status != "failed":
        return None
    if prompt.text.strip() != text.strip():
        return None
    before, now = _attachment_keys(prompt.parts), _attachment_keys(list(images))
    return prompt.id if before is not None and before == now else None


def failed_before_any_reply(messages: Sequence[MessageRecord]) -> bool:
    """The chat's only turn failed before its reply had any content."""
    if len(messages) != 2:
        return False
    prompt, reply = messages
    return (
        prompt.role == "user"
        and reply.role == "assistant"
        and reply.status == "failed"
        and not reply.parts
        and not reply.reasoning
    )
