"""The chat service: one turn of a conversation, streamed, persisted as it arrives.

:class:`ChatSession` is what both the CLI and the app drive. It saves the user's
message before anything is sent, saves the reply as "streaming" and flushes its
partial text at least every ``flush_interval`` seconds, writes generated images
to files the moment they arrive, and ends the reply as complete, failed (with
the reason, partial text kept) or cancelled (the consumer's task was cancelled
or it stopped iterating). It yields the adapters' stream events unchanged,
framed by :class:`TurnStarted` and :class:`TurnEnded`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Protocol

from liaobots_tui.api.base import ReplyParser
from liaobots_tui.api.http_errors import to_event
from liaobots_tui.api.messages import (
    ErrorEvent,
    FinishEvent,
    Format,
    ImageEvent,
    Message,
    RequestOptions,
    SourcesEvent,
    StreamEvent,
    TextDelta,
    UsageEvent,
    format_for_model,
)
from liaobots_tui.api.registry import check_format, get_adapter
from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.errors import LiaobotsError
from liaobots_tui.store import Store


@dataclass(frozen=True)
class TurnStarted:
    """The user message (None for regenerate) is saved; ``reply`` is streaming."""

    conversation_id: int
    user_message: Message | None
    reply: Message


@dataclass(frozen=True)
class TurnEnded:
    """The reply is final and saved: status complete, failed or cancelled."""

    reply: Message


ChatEvent = StreamEvent | TurnStarted | TurnEnded


class ChatBackend(Protocol):
    """What the conversation controller needs from the chat service (:class:`ChatSession`).

    Each method saves what it must *before* returning the stream (so a turn
    whose stream is never iterated still has its prompt saved) and raises
    LiaobotsError for a turn that cannot start.
    """

    def send(
        self,
        conversation_id: int | None,
        user: Message,
        options: RequestOptions,
        *,
        format: Format | None = None,
        system: str | None = None,
    ) -> AsyncIterator[ChatEvent]: ...

    def regenerate(
        self, conversation_id: int, options: RequestOptions, *, format: Format | None = None
    ) -> AsyncIterator[ChatEvent]: ...

    def edit(
        self,
        conversation_id: int,
        message_id: int,
        user: Message,
        options: RequestOptions,
        *,
        format: Format | None = None,
    ) -> AsyncIterator[ChatEvent]: ...


class ChatSession:
    """Runs turns of saved conversations against the gateway."""

    def __init__(
        self,
        client: GatewayClient,
        store: Store,
        *,
        flush_interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.store = store
        self.flush_interval = flush_interval
        self._clock = clock

    # send/regenerate/edit save first, then hand back the reply stream itself rather than
    # re-yielding it: each async-generator layer costs a hop per delta on the hot path.

    def send(
        self,
        conversation_id: int | None,
        user: Message,
        options: RequestOptions,
        *,
        format: Format | None = None,
        system: str | None = None,
    ) -> AsyncIterator[ChatEvent]:
        """Add ``user`` to the conversation (a new one when None) and stream the reply.

        The user message is saved when this is called, before any request is sent.
        """
        fmt = self._format(options, format)
        if conversation_id is None:
            conversation_id = self.store.create_conversation(system=system or None)
        elif system is not None:
            self.store.update_conversation(conversation_id, system=system or None)
        reply = self._placeholder(options, fmt)
        self.store.add_messages(conversation_id, [user, reply])
        return self._reply(conversation_id, user, reply, options, fmt)

    def regenerate(
        self, conversation_id: int, options: RequestOptions, *, format: Format | None = None
    ) -> AsyncIterator[ChatEvent]:
        """Drop the replies after the last user message and ask again."""
        fmt = self._format(options, format)
        conversation = self.store.load_conversation(conversation_id)
        last_user = next((m for m in reversed(conversation.messages) if m.role == "user"), None)
        if last_user is None or last_user.id is None:
            raise LiaobotsError("there is no prompt to regenerate a reply for")
        index = conversation.messages.index(last_user)
        if index + 1 < len(conversation.messages):
            first_reply = conversation.messages[index + 1]
            assert first_reply.id is not None
            self.store.delete_messages_from(conversation_id, first_reply.id)
        reply = self._placeholder(options, fmt)
        self.store.add_message(conversation_id, reply)
        return self._reply(conversation_id, None, reply, options, fmt)

    def edit(
        self,
        conversation_id: int,
        message_id: int,
        user: Message,
        options: RequestOptions,
        *,
        format: Format | None = None,
    ) -> AsyncIterator[ChatEvent]:
        """Replace user message ``message_id`` (and everything after it) with ``user`` and resend."""
        fmt = self._format(options, format)
        self.store.delete_messages_from(conversation_id, message_id)
        reply = self._placeholder(options, fmt)
        self.store.add_messages(conversation_id, [user, reply])
        return self._reply(conversation_id, user, reply, options, fmt)

    @staticmethod
    def _format(options: RequestOptions, format: Format | None) -> Format:
        """The wire format for this turn; checked before anything is saved."""
        fmt = format or format_for_model(options.model)
        check_format(fmt)
        return fmt

    @staticmethod
    def _placeholder(options: RequestOptions, fmt: Format) -> Message:
        """The reply as saved before the request: streaming, no parts yet."""
        return Message(
            "assistant", model=options.model, format=fmt, status="streaming", created_at=time.time()
        )

    async def _reply(
        self, conversation_id: int, user: Message | None, reply: Message, options: RequestOptions, fmt: Format
    ) -> AsyncIterator[ChatEvent]:
        adapter = get_adapter(fmt)
        conversation = self.store.load_conversation(conversation_id)
        # The history this reply answers: everything before its placeholder, not turns another
        # process may have added since.
        position = next(i for i, m in enumerate(conversation.messages) if m.id == reply.id)
        del conversation.messages[position:]
        yield TurnStarted(conversation_id, user, reply)

        parser = adapter.new_parser()
        last_flush = self._clock()
        try:
            async for event in self.client.stream_reply(adapter, conversation, options, parser):
                if type(event) is TextDelta:  # the hot path: nothing to record
                    pass
                elif isinstance(event, ImageEvent):
                    # Saved before anyone sees it: a generated image is never only in memory.
                    image = event.image
                    image.path = str(self.store.save_image(conversation_id, image.data, image.mime_type))
                    image.data = b""  # the file is the one copy; readers use image.load()
                elif isinstance(event, UsageEvent):
                    reply.usage = event.usage
                elif isinstance(event, SourcesEvent):
                    reply.sources = list(event.sources)
                elif isinstance(event, FinishEvent):
                    reply.finish_reason = event.reason
                elif isinstance(event, ErrorEvent):
                    self._fail(reply, event.one_line())
                yield event
                now = self._clock()
                if now - last_flush >= self.flush_interval:
                    self._save(reply, parser)
                    last_flush = now
        except LiaobotsError as exc:  # the transport reports failures as events; this is a safety net
            self._fail(reply, exc.one_line())
            yield to_event(exc)
        except (asyncio.CancelledError, GeneratorExit):
            reply.status, reply.error, reply.finish_reason = "cancelled", "Cancelled", "cancelled"
            reply.ended_at = time.time()
            self._save(reply, parser)
            raise
        except Exception as exc:
            # A bug must not leave the reply "streaming" forever; keep what arrived, then let it surface.
            self._fail(reply, f"Internal error: {type(exc).__name__}")
            reply.ended_at = time.time()
            self._save(reply, parser)
            raise
        if reply.status == "streaming":
            reply.status = "complete"
        reply.ended_at = time.time()
        self._save(reply, parser)
        yield TurnEnded(reply)

    @staticmethod
    def _fail(reply: Message, reason: str) -> None:
        reply.status, reply.error, reply.finish_reason = "failed", reason, "error"

    def _save(self, reply: Message, parser: ReplyParser) -> None:
        reply.parts = parser.parts()
        self.store.update_message(reply)
