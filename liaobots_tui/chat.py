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
and :class:`TurnEnded`, which carry frozen
:class:`~liaobots_tui.store.records.MessageRecord` values as the store holds them:
the reply's record is replaced, never changed, as it grows and ends.

A storage fault (disk full, database locked, read-only) while the reply streams
ends the turn as failed with a one-line error event; the reply is closed out as
failed in the history wherever the database still allows a write.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
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
from liaobots_tui.store import MessageRecord, ReplyWriter, Store


@dataclass(frozen=True)
class TurnStarted:
    """The user message (None for regenerate) is saved; ``reply`` is streaming."""

    conversation_id: int
    user_message: MessageRecord | None
    reply: MessageRecord


@dataclass(frozen=True)
class TurnEnded:
    """The reply is final and saved: status complete, failed or cancelled."""

    reply: MessageRecord


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
        saved_user, reply = self.store.add_messages(conversation_id, [user, self._placeholder(options, fmt)])
        return self._reply(conversation_id, saved_user, reply, options, fmt)

    def regenerate(
        self, conversation_id: int, options: RequestOptions, *, format: Format | None = None
    ) -> AsyncIterator[ChatEvent]:
        """Keep the replies after the last user message as an earlier version and ask again."""
        fmt = self._format(options, format)
        records = self.store.load_conversation(conversation_id).messages
        index = next((i for i in range(len(records) - 1, -1, -1) if records[i].role == "user"), None)
        if index is None:
            raise LiaobotsError("there is no prompt to regenerate a reply for")
        if index + 1 < len(records):
            first_reply = records[index + 1]
            assert first_reply.id is not None  # the store's records always have one
            self.store.keep_versions_from(conversation_id, first_reply.id)
        reply = self.store.add_message(conversation_id, self._placeholder(options, fmt))
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
        saved_user, reply = self.store.add_messages(conversation_id, [user, self._placeholder(options, fmt)])
        return self._reply(conversation_id, saved_user, reply, options, fmt)

    @staticmethod
    def _format(options: RequestOptions, format: Format | None) -> Format:
        """The wire format for this turn; checked before anything is saved."""
        fmt = format or format_for_model(options.model)
        check_format(fmt)
        return fmt

    @staticmethod
    def _placeholder(options: RequestOptions, fmt: Format) -> MessageRecord:
        """The reply as saved before the request: streaming, no parts yet."""
        return MessageRecord(
            Message("assistant", model=options.model, format=fmt), status="streaming", created_at=time.time()
        )

    async def _reply(
        self,
        conversation_id: int,
        user: MessageRecord | None,
        reply: MessageRecord,
        options: RequestOptions,
        fmt: Format,
    ) -> AsyncIterator[ChatEvent]:
        adapter = get_adapter(fmt)
        # The history this reply answers: everything before its placeholder, not turns another
        # process may have added since.
        conversation = self.store.load_conversation(conversation_id).request(before=reply.id)
        # Generated pictures are named after the prompt they answer (image_names.py).
        prompt = next((m.text for m in reversed(conversation.messages) if m.role == "user"), "")

        parser = adapter.new_parser()
        writer = self.store.reply_writer(reply)
        images: list[Part] = []  # what each generated image became: its saved file, or a note
        last_flush = self._clock()
        try:
            # Inside the try: a consumer that stops right after the start still ends the reply as
            # cancelled. Records are values: front ends may keep what they are given.
            yield TurnStarted(conversation_id, user, reply)
            async for event in self.client.stream_reply(adapter, conversation, options, parser):
                if type(event) is TextDelta:  # the hot path: nothing to record
                    pass
                elif isinstance(event, ImageEvent):
                    # Saved before anyone sees it: a generated image is never only in memory.
                    event = self._keep_image(conversation_id, event.image, images, prompt)
                elif isinstance(event, UsageEvent):
                    reply = reply.revised(usage=event.usage)
                elif isinstance(event, SourcesEvent):
                    reply = reply.revised(sources=event.sources)
                elif isinstance(event, FinishEvent):
                    reply = reply.revised(finish_reason=event.reason)
                elif isinstance(event, ErrorEvent):
                    reply = reply.failed(event.one_line())
                yield event
                if self._clock() - last_flush >= self.flush_interval:
                    self._flush(writer, reply, parser, images)
                    # Timed from the end of the save: a save slower than the interval must not
                    # make every following delta save again.
                    last_flush = self._clock()
        except LiaobotsError as exc:  # the transport reports failures as events; a failed flush lands here
            reply = reply.failed(exc.one_line())
            yield to_event(exc)
        except (asyncio.CancelledError, GeneratorExit):
            cancelled = reply.ended("cancelled", None, error="Cancelled", finish_reason="cancelled")
            self._finish(writer, cancelled, parser, images)  # a storage fault must not replace the cancel
            raise
        except Exception as exc:
            # A bug must not leave the reply "streaming" forever; keep what arrived, then let it surface.
            self._finish(writer, reply.failed(f"Internal error: {type(exc).__name__}"), parser, images)
            raise
        if reply.status == "streaming":
            reply = replace(reply, status="complete")
        reported = reply.status == "failed"  # the error event is out already
        reply, fault = self._finish(writer, reply, parser, images)
        if fault is not None and not reported:
            yield to_event(fault)
        yield TurnEnded(reply)

    def _keep_image(
        self, conversation_id: int, image: ImagePart, kept: list[Part], prompt: str
    ) -> StreamEvent:
        """Save a generated image if it verifies; the event to pass on (the saved image, or a note)."""
        saved = saved_image_or_note(self.store, conversation_id, image, prompt, kept)
        kept.append(saved)
        return ImageEvent(saved) if isinstance(saved, ImagePart) else TextDelta(saved.text)

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

    def _flush(
        self, writer: ReplyWriter, reply: MessageRecord, parser: ReplyParser, images: list[Part]
    ) -> None:
        """Save what arrived since the last flush (appended, not rewritten).

        The flushed record is not kept: until the reply ends, its parts live in the parser
        alone, so a long reply's text is held once, not once more per flush.
        """
        writer.flush(reply.revised(parts=self._parts(parser, images)))

    def _finish(
        self, writer: ReplyWriter, reply: MessageRecord, parser: ReplyParser, images: list[Part]
    ) -> tuple[MessageRecord, StorageError | None]:
        """Save the reply's final state and end time: the final record, and the storage fault if any.

        On a fault the reply is failed, as the writer closed it out on disk.
        """
        final = replace(reply.revised(parts=self._parts(parser, images)), ended_at=time.time())
        try:
            return writer.finish(final), None
        except StorageError as exc:
            return final.failed(exc.one_line()), exc  # as the writer closed it out on disk
        except LiaobotsError:
            return final, None  # the reply was deleted meanwhile (another process): nothing left to close out


def saved_image_or_note(
    store: Store, conversation_id: int, image: ImagePart, prompt: str, earlier: Sequence[Part]
) -> ImagePart | TextPart:
    """A generated image written to its file (verified), named after ``prompt`` and the images
    ``earlier`` in the reply; or, when it is not a safe image, a note saying what was refused."""
    number = sum(isinstance(part, ImagePart) for part in earlier) + 1
    try:
        return store.save_generated_image(conversation_id, image, picture_stem(prompt, number))
    except UnsafeImage as exc:
        # Never a file with the gateway's idea of a type: a line in the reply says what was refused.
        return TextPart(f"\n\n[image not saved: {exc.reason}]\n\n")
