"""The chat service: one turn of a conversation, streamed, persisted as it arrives.

:class:`ChatSession` is what both the CLI and the app drive. It saves the user's
message before anything is sent, saves the reply as "streaming" and flushes its
partial text at least every ``flush_interval`` seconds (measured from the end of
the last save, and appending only the new text, so the bytes written grow linearly
with the reply), writes generated images to files the moment they arrive (only
images the store verifies; anything else becomes a one-line note in the reply),
and ends the reply as complete, failed (with the reason, partial text kept) or
cancelled (the consumer's task was cancelled or it stopped iterating), with its
end time. It yields the adapters' stream events, framed by :class:`TurnStarted`
and :class:`TurnEnded`.

A storage fault (disk full, database locked, read-only) while the reply streams
ends the turn as failed with a one-line error event; the reply is closed out as
failed in the history wherever the database still allows a write.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from typing import Protocol

from liaobots_tui.api.base import ReplyParser
from liaobots_tui.api.http_errors import to_event
from liaobots_tui.api.messages import (
    ErrorEvent,
    FinishEvent,
    Format,
    ImageEvent,
    ImagePart,
    Message,
    Part,
    RequestOptions,
    SourcesEvent,
    StreamEvent,
    TextDelta,
    TextPart,
    UsageEvent,
    format_for_model,
)
from liaobots_tui.api.registry import check_format, get_adapter
from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.errors import LiaobotsError, StorageError
from liaobots_tui.image_files import UnsafeImage
from liaobots_tui.image_names import picture_stem
from liaobots_tui.store import ReplyWriter, Store


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
        """Keep the replies after the last user message as an earlier version and ask again."""
        fmt = self._format(options, format)
        conversation = self.store.load_conversation(conversation_id)
        last_user = next((m for m in reversed(conversation.messages) if m.role == "user"), None)
        if last_user is None or last_user.id is None:
            raise LiaobotsError("there is no prompt to regenerate a reply for")
        index = conversation.messages.index(last_user)
        if index + 1 < len(conversation.messages):
            first_reply = conversation.messages[index + 1]
            assert first_reply.id is not None
            self.store.keep_versions_from(conversation_id, first_reply.id)
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
        """Put ``user`` in place of user message ``message_id`` and resend.

        The old prompt and everything after it stay as an earlier version.
        """
        fmt = self._format(options, format)
        self.store.keep_versions_from(conversation_id, message_id)
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
        # Generated pictures are named after the prompt they answer (image_names.py).
        prompt = next((m.text for m in reversed(conversation.messages) if m.role == "user"), "")

        parser = adapter.new_parser()
        writer = self.store.reply_writer(reply)
        images: list[Part] = []  # what each generated image became: its saved file, or a note
        last_flush = self._clock()
        try:
            # Inside the try: a consumer that stops right after the start still ends the reply as
            # cancelled. Front ends get copies: the reply object stays this service's own.
            yield TurnStarted(conversation_id, user, replace(reply))
            async for event in self.client.stream_reply(adapter, conversation, options, parser):
                if type(event) is TextDelta:  # the hot path: nothing to record
                    pass
                elif isinstance(event, ImageEvent):
                    # Saved before anyone sees it: a generated image is never only in memory.
                    event = self._keep_image(conversation_id, event.image, images, prompt)
                elif isinstance(event, UsageEvent):
                    reply.usage = event.usage
                elif isinstance(event, SourcesEvent):
                    reply.sources = list(event.sources)
                elif isinstance(event, FinishEvent):
                    reply.finish_reason = event.reason
                elif isinstance(event, ErrorEvent):
                    self._fail(reply, event.one_line())
                yield event
                if self._clock() - last_flush >= self.flush_interval:
                    self._flush(writer, reply, parser, images)
                    # Timed from the end of the save: a save slower than the interval must not
                    # make every following delta save again.
                    last_flush = self._clock()
        except LiaobotsError as exc:  # the transport reports failures as events; a failed flush lands here
            self._fail(reply, exc.one_line())
            yield to_event(exc)
        except (asyncio.CancelledError, GeneratorExit):
            reply.status, reply.error, reply.finish_reason = "cancelled", "Cancelled", "cancelled"
            self._finish(writer, reply, parser, images)  # a storage fault must not replace the cancel
            raise
        except Exception as exc:
            # A bug must not leave the reply "streaming" forever; keep what arrived, then let it surface.
            self._fail(reply, f"Internal error: {type(exc).__name__}")
            self._finish(writer, reply, parser, images)
            raise
        if reply.status == "streaming":
            reply.status = "complete"
        reported = reply.status == "failed"  # the error event is out already
        fault = self._finish(writer, reply, parser, images)
        if fault is not None and not reported:
            yield to_event(fault)
        yield TurnEnded(replace(reply))

    @staticmethod
    def _fail(reply: Message, reason: str) -> None:
        reply.status, reply.error, reply.finish_reason = "failed", reason, "error"

    def _keep_image(
        self, conversation_id: int, image: ImagePart, kept: list[Part], prompt: str
    ) -> StreamEvent:
        """Save a generated image if it verifies; the event to pass on (the saved image, or a note)."""
        number = sum(isinstance(part, ImagePart) for part in kept) + 1
        try:
            saved = self.store.save_generated_image(conversation_id, image, picture_stem(prompt, number))
        except UnsafeImage as exc:
            # Never a file with the gateway's idea of a type: a line in the reply says what was refused.
            note = TextPart(f"\n\n[image not saved: {exc.reason}]\n\n")
            kept.append(note)
            return TextDelta(note.text)
        kept.append(saved)
        return ImageEvent(saved)

    @staticmethod
    def _parts(parser: ReplyParser, images: list[Part]) -> list[Part]:
        """The reply's parts, each generated image replaced by what :meth:`_keep_image` made of it."""
        kept = iter(images)
        parts: list[Part] = []
        for part in parser.parts():
            if isinstance(part, ImagePart) and part.generated:
                replacement = next(kept, None)
                if replacement is not None:  # an image never announced is never written
                    parts.append(replacement)
            else:
                parts.append(part)
        return parts

    def _flush(self, writer: ReplyWriter, reply: Message, parser: ReplyParser, images: list[Part]) -> None:
        """Save what arrived since the last flush (appended, not rewritten)."""
        reply.parts = self._parts(parser, images)
        writer.flush(reply)

    def _finish(
        self, writer: ReplyWriter, reply: Message, parser: ReplyParser, images: list[Part]
    ) -> StorageError | None:
        """Save the reply's final state and end time; the storage fault, if it could not be saved whole.

        On a fault the reply is failed, in memory as the writer closed it out on disk.
        """
        reply.parts = self._parts(parser, images)
        reply.ended_at = time.time()
        try:
            writer.finish(reply)
        except StorageError as exc:
            self._fail(reply, exc.one_line())  # as the writer closed it out on disk
            return exc
        except LiaobotsError:
            pass  # the reply was deleted meanwhile (another process): nothing left to close out
        return None
