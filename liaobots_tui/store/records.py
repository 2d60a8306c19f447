"""Stored records: a message value with the store's identity and lifecycle around it.

A :class:`~liaobots_tui.api.messages.Message` says what was said; a
:class:`MessageRecord` says which row of the history holds it (``id``), where
its life stands (``status``, with the one-line ``error`` of a failed or
cancelled reply) and when it began and ended (``created_at``, ``ended_at``, both
Unix seconds). Both are frozen: when a reply grows or ends, a new record replaces
the old one, and the store's copy is the truth (:class:`~liaobots_tui.store.Store`
hands back the record as written, image paths and id included). Front ends track
a reply by its ``id``, never by object identity.

A record not (yet) stored has ``id`` None: a reply being built before its row is
written, or a comparison's reply that was never kept.

A :class:`StoredConversation` is a conversation as the store holds it: its id,
title, system prompt and records. :meth:`StoredConversation.request` gives the
plain :class:`~liaobots_tui.api.messages.Conversation` a request sends.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from liaobots_tui.api.messages import (
    Conversation,
    FilePart,
    FinishReason,
    Format,
    ImagePart,
    Message,
    Part,
    Role,
    Source,
    Usage,
)

#: A message's life: streaming while a reply arrives, then one of the three ends.
MessageStatus = Literal["streaming", "complete", "failed", "cancelled"]
#: Statuses a reply ends with.
ENDED: frozenset[MessageStatus] = frozenset({"complete", "failed", "cancelled"})


@dataclass(frozen=True)
class MessageRecord:
    """One message of the history: the value, its row id, status, error and times.

    The properties below read through to :attr:`message`, so code that shows a
    message reads a record the same way; there are no setters (use :meth:`revised`,
    :meth:`ended` or :func:`dataclasses.replace`).
    """

    message: Message
    #: The row id; None while not stored.
    id: int | None = None
    status: MessageStatus = "complete"
    #: One-line reason shown when status is failed or cancelled.
    error: str | None = None
    #: When the message was written (a reply: when its request went out); 0 while unknown.
    created_at: float = 0.0
    #: When the reply left "streaming" (complete, failed or cancelled); None while streaming or unknown.
    ended_at: float | None = None

    # ---------------------------------------------------------------- the value, read through

    @property
    def role(self) -> Role:
        return self.message.role

    @property
    def parts(self) -> Sequence[Part]:
        return self.message.parts

    @property
    def model(self) -> str | None:
        return self.message.model

    @property
    def format(self) -> Format | None:
        return self.message.format

    @property
    def usage(self) -> Usage | None:
        return self.message.usage

    @property
    def finish_reason(self) -> FinishReason | None:
        return self.message.finish_reason

    @property
    def sources(self) -> Sequence[Source]:
        return self.message.sources

    @property
    def text(self) -> str:
        return self.message.text

    @property
    def reasoning(self) -> str:
        return self.message.reasoning

    @property
    def images(self) -> list[ImagePart]:
        return self.message.images

    @property
    def files(self) -> list[FilePart]:
        return self.message.files

    @property
    def streaming(self) -> bool:
        return self.status == "streaming"

    # ---------------------------------------------------------------- new values

    def revised(self, **changes: Any) -> MessageRecord:
        """This record with the message's fields changed (``parts=…``, ``usage=…``): a new record."""
        return replace(self, message=replace(self.message, **changes))

    def ended(
        self,
        status: MessageStatus,
        at: float | None,
        *,
        error: str | None = None,
        finish_reason: FinishReason | None = None,
    ) -> MessageRecord:
        """This reply ended with ``status`` at ``at`` (Unix seconds; None: not known yet): a new record.

        ``finish_reason`` replaces the message's when given (failed: ``error``; cancelled: ``cancelled``).
        """
        message = self.message
        if finish_reason is not None:
            message = replace(message, finish_reason=finish_reason)
        return replace(self, message=message, status=status, error=error, ended_at=at)

    def failed(self, reason: str, at: float | None = None) -> MessageRecord:
        """This reply failed for ``reason`` (one line); ``at`` None keeps the end time as it is."""
        return self.ended("failed", self.ended_at if at is None else at, error=reason, finish_reason="error")


@dataclass(frozen=True)
class StoredConversation:
    """A conversation as stored: id, title, system prompt and its chosen records, oldest first."""

    id: int
    title: str = ""
    system: str | None = None
    messages: Sequence[MessageRecord] = ()

    def __post_init__(self) -> None:
        if type(self.messages) is not tuple:
            object.__setattr__(self, "messages", tuple(self.messages))

    def request(self, before: int | None = None) -> Conversation:
        """What a request sends: the system prompt and the message values (those before record ``before``).

        ``before`` is a record id: the history a reply answers stops at its own placeholder.
        """
        return Conversation(history(self.messages, before), self.system)

    def find(self, message_id: int) -> MessageRecord | None:
        return next((r for r in self.messages if r.id == message_id), None)


def history(records: Iterable[MessageRecord], before: int | None = None) -> tuple[Message, ...]:
    """The message values of ``records``, stopping at the record whose id is ``before`` (if any)."""
    values: list[Message] = []
    for record in records:
        if before is not None and record.id == before:
            break
        values.append(record.message)
    return tuple(values)
