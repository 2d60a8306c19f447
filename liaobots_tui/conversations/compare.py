"""Compare models: one prompt sent to two to four models at once, each reply streaming on its own.

:func:`start_compare` checks everything first (two to four distinct models, a
prompt, no turn streaming, a format each model can use), then starts one task
per model (a *lane*). Each lane sends the open conversation's history plus the
new prompt in its model's own wire format, and keeps its own figures: tokens,
time to first token, total time and credits (an estimate from the reply's token
counts until :meth:`Comparison.settle_costs` finds the gateway's usage record).

- One lane failing (an error event, a refused model, a bug) ends that lane as
  *failed* with its one-line reason; the others stream on.
- :meth:`Comparison.cancel` stops one lane, :meth:`Comparison.cancel_all` all of
  them; a cancelled lane keeps the text that arrived.
- :meth:`Comparison.keep` continues the chat with the chosen reply: the prompt and
  that reply are stored as a turn of the open conversation (created when it is
  new), and the chat goes on with the kept reply's model. The other replies were
  charged too: they are stored as the kept reply's other versions (``‹ 1/3 ›``).
- :meth:`Comparison.keep_none` (closed with no reply kept) sets the prompt and its
  replies aside in the open chat: they count in its cost and show as a version of
  the next prompt (see :mod:`.kept_turns`).
- :meth:`Comparison.close` (the screen goes, the app quits) may come while replies
  still stream: each is ended there and then as *cancelled* with the text that
  arrived, and set aside the same way, so nothing received is lost.

So the chat's total counts every reply the comparison was charged for.
Headless: no textual or rich.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field, replace

from liaobots_tui.api.account import UsageRecord
from liaobots_tui.api.base import ReplyParser
from liaobots_tui.api.messages import (
    Attachment,
    Conversation,
    ErrorEvent,
    FinishEvent,
    Format,
    ImageEvent,
    Message,
    ReasoningDelta,
    RequestOptions,
    SourcesEvent,
    StreamEvent,
    TextDelta,
    UsageEvent,
    is_image_model,
)
from liaobots_tui.api.registry import check_format, get_adapter
from liaobots_tui.api.sanitize import clean_line
from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.conversations.controller import YIELD_EVERY, ConversationController, TurnBusy
from liaobots_tui.conversations.kept_turns import SetAsideTurn, charged, store_turn
from liaobots_tui.conversations.settings import saved_form, with_model
from liaobots_tui.errors import InputError, LiaobotsError
from liaobots_tui.store import MessageRecord
from liaobots_tui.usage_stats import CLOCK_SLACK_S, ReplyCost, estimate_cost, match_reply_cost

MIN_MODELS, MAX_MODELS = 2, 4
#: A live token count before the usage report: about four characters per token.
CHARS_PER_TOKEN = 4

#: Sends one request and yields its events (GatewayClient.stream_reply's shape); injectable for tests.
StreamFn = Callable[[Format, Conversation, RequestOptions, ReplyParser], AsyncIterator[StreamEvent]]


@dataclass(frozen=True)
class LaneEnded:
    """The lane's reply is final (complete, failed or cancelled); ``lane.reply`` holds it."""

    lane: Lane


CompareEvent = StreamEvent | LaneEnded
#: Receives every event of every lane, in each lane's order; awaited.
CompareListener = Callable[["Lane", CompareEvent], Awaitable[None]]


async def _ignore(lane: Lane, event: CompareEvent) -> None:
    return None


@dataclass
class Lane:
    """One model's reply in a comparison, with its own figures."""

    index: int
    options: RequestOptions
    format: Format
    #: The reply: status "streaming" until the lane ends; parts are filled in when it ends. A frozen
    #: record, replaced as the reply changes; its id is None until it is kept (stored).
    reply: MessageRecord
    #: Monotonic clock readings: request sent, first content (text, thinking or image), end.
    sent_at: float = 0.0
    first_at: float | None = None
    done_at: float | None = None
    #: Characters of text and thinking received: the token estimate before the usage report.
    chars: int = 0
    #: The gateway's usage record, once :meth:`Comparison.settle_costs` matched one.
    record: UsageRecord | None = None
    task: asyncio.Task[None] | None = field(default=None, repr=False)
    #: The reply's parser once the request is built: what arrived, for :meth:`Comparison.close`.
    parser: ReplyParser | None = field(default=None, repr=False)

    @property
    def model(self) -> str:
        return self.options.model

    @property
    def streaming(self) -> bool:
        return self.reply.status == "streaming"

    @property
    def ttft(self) -> float | None:
        """Seconds from the request to the first content; None before any arrived."""
        return None if self.first_at is None else self.first_at - self.sent_at

    def elapsed(self, now: float | None = None) -> float:
        """Seconds from the request to the end (to ``now`` while streaming)."""
        end = self.done_at if self.done_at is not None else (time.monotonic() if now is None else now)
        return max(0.0, end - self.sent_at)

    @property
    def tokens(self) -> tuple[int, bool]:
        """Output tokens and whether that is exact (from the usage report) or estimated."""
        usage = self.reply.usage
        if usage is not None and usage.output_tokens:
            return usage.output_tokens, True
        return -(-self.chars // CHARS_PER_TOKEN), False

    @property
    def cost(self) -> ReplyCost | None:
        """Exact once a usage record matched; an estimate from the token counts; None before any."""
        if self.record is not None:
            return ReplyCost(self.record.price, True, self.record)
        if self.reply.usage is None:
            return None
        return ReplyCost(estimate_cost(self.model, self.reply.usage), False)

    @property
    def refused(self) -> bool:
        """Failed before any reply byte (a 404 model, a 502, out of credit): nothing was charged,
        as :func:`~liaobots_tui.usage_stats.reply_cost` counts it; "credits ?" said unknown."""
        reply = self.reply
        return reply.status == "failed" and not reply.parts and reply.usage is None

    def credits_label(self) -> str:
        """``0.0512``, ``≈ 0.05 estimate``, ``not charged`` (refused), or ``?`` (none known yet)."""
        cost = self.cost
        if cost is not None:
            return cost.label()
        return "not charged" if self.refused else "?"

    def summary(self) -> str:
        """One line: model, status, time to first token, total time, tokens, credits."""
        ttft = "-" if self.ttft is None else f"{self.ttft:.2f}s"
        tokens, exact = self.tokens
        label = self.credits_label()
        charged = label if label == "not charged" else f"credits {label}"
        status = "" if self.reply.status == "complete" else f" [{self.reply.status}]"
        return (
            f"{clean_line(self.model)}{status}: first token {ttft}, total {self.elapsed():.2f}s, "
            f"{'' if exact else '~'}{tokens} tokens, {charged}"
        )

    # ------------------------------------------------------------------ events

    def observe(self, event: StreamEvent) -> None:
        kind = type(event)
        if kind is TextDelta or kind is ReasoningDelta:
            self.chars += len(event.text)  # type: ignore[union-attr]
            if self.first_at is None:
                self.first_at = time.monotonic()
        elif isinstance(event, ImageEvent):
            if self.first_at is None:
                self.first_at = time.monotonic()
        elif isinstance(event, UsageEvent):
            self.reply = self.reply.revised(usage=event.usage)
        elif isinstance(event, SourcesEvent):
            self.reply = self.reply.revised(sources=event.sources)
        elif isinstance(event, FinishEvent):
            self.reply = self.reply.revised(finish_reason=event.reason)
        elif isinstance(event, ErrorEvent):
            self._fail(event.one_line())

    def _fail(self, reason: str) -> None:
        self.reply = self.reply.failed(reason)

    def end(self, parser: ReplyParser | None, status: str | None = None) -> None:
        """Make the reply final: its parts so far, its status and end time (once: later calls do nothing)."""
        if self.done_at is not None:
            return  # ended by Comparison.close: the task's own ending, which comes later, keeps that
        reply = self.reply
        if parser is not None:
            reply = reply.revised(parts=parser.parts())
        now = time.time()
        if status == "cancelled" and reply.status == "streaming":
            reply = reply.ended("cancelled", now, error="Cancelled", finish_reason="cancelled")
        elif reply.status == "streaming":
            reply = reply.ended("complete", now)
        else:
            reply = replace(reply, ended_at=now)
        self.reply = reply
        self.done_at = time.monotonic()


class Comparison:
    """A running (or finished) comparison; see the module docstring. Made by :func:`start_compare`."""

    def __init__(
        self,
        controller: ConversationController,
        user: Message,
        history: Conversation,
        lanes: list[Lane],
        listener: CompareListener,
        stream_fn: StreamFn,
    ) -> None:
        self.controller = controller
        self.user = user
        self.history = history
        self.lanes = lanes
        self._listener = listener
        self._stream_fn = stream_fn
        self.kept: Lane | None = None
        #: Closed with none kept: its replies were set aside in the chat (:meth:`keep_none`).
        self.set_aside = False
        #: Lanes saved as chats of their own (:meth:`save_as_chat`): lane index → chat id.
        self.saved_chats: dict[int, int] = {}

    @property
    def streaming(self) -> bool:
        return any(lane.task is not None and not lane.task.done() for lane in self.lanes)

    def _start(self) -> None:
        for lane in self.lanes:
            lane.sent_at = time.monotonic()
            lane.task = asyncio.create_task(self._run(lane), name=f"compare-{lane.index}")

    async def _run(self, lane: Lane) -> None:
        parser: ReplyParser | None = None
        last_yield = time.monotonic()
        try:
            # Each lane's request is built and sent in a loop turn of its own (15-20 ms of CPU
            # each): the three at once were the longest stall of a loaded Compare run's opening.
            # Two turns a lane: in the one between, what fell due during the previous lane's
            # step (a frame, a key) runs before this lane's step, not after it.
            for _ in range(2 * lane.index):
                await asyncio.sleep(0)
            parser = lane.parser = get_adapter(lane.format).new_parser()
            events = self._stream_fn(lane.format, self.history, lane.options, parser)
            async with aclosing(events):  # type: ignore[type-var]  # the streams are generators
                async for event in events:
                    lane.observe(event)
                    await self._listener(lane, event)
                    now = time.monotonic()
                    if now - last_yield > YIELD_EVERY:
                        # Several fast local streams must not starve key handling and screen updates.
                        await asyncio.sleep(0)
                        last_yield = now
        except asyncio.CancelledError:
            lane.end(parser, "cancelled")
            await self._listener(lane, LaneEnded(lane))
            return  # the lane's own cancel: its task ends normally, the others go on
        except LiaobotsError as exc:
            lane._fail(exc.one_line())
        except Exception as exc:
            # A bug in one lane ends that lane only; the reason is shown, the others stream on.
            lane._fail(f"Internal error: {type(exc).__name__}")
        lane.end(parser)
        await self._listener(lane, LaneEnded(lane))

    # ------------------------------------------------------------------ control

    def cancel(self, index: int) -> bool:
        """Stop lane ``index`` without waiting; True when it was streaming."""
        task = self.lanes[index].task
        if task is None or task.done():
            return False
        task.cancel()
        return True

    def cancel_all(self) -> bool:
        """Stop every lane still streaming without waiting; True when any was."""
        return any([self.cancel(lane.index) for lane in self.lanes])

    async def wait(self) -> list[MessageRecord]:
        """Wait until every lane has ended; their final replies, in the order the models were given."""
        tasks = [lane.task for lane in self.lanes if lane.task is not None]
        if tasks:
            await asyncio.wait(tasks)
        return [lane.reply for lane in self.lanes]

    def settle_costs(self, records: Sequence[UsageRecord]) -> int:
        """Match each ended lane without a record to the gateway's usage records; how many matched now."""
        taken: set[int | str] = {lane.record.id for lane in self.lanes if lane.record is not None}
        matched = 0
        for lane in sorted(self.lanes, key=lambda x: x.reply.ended_at or 0.0):
            if lane.record is not None or lane.streaming or lane.reply.ended_at is None:
                continue
            if lane.reply.usage is None and lane.reply.status != "complete":
                continue  # never charged: a refused request has no record to steal
            record = match_reply_cost(
                records,
                lane.model,
                lane.reply.ended_at,
                taken=taken,
                not_before=lane.reply.created_at - CLOCK_SLACK_S,
            )
            if record is not None:
                lane.record = record
                matched += 1
        return matched

    # ------------------------------------------------------------------ keep

    def keep(self, index: int) -> MessageRecord:
        """Continue the chat with lane ``index``'s reply: store the prompt and that reply as a turn.

        The open conversation gets both (a new chat is created first) and the chat
        goes on with that lane's model. Every other lane that was charged is stored
        beside the kept reply as one of its versions, in lane order. Returns the
        stored reply. Raises InputError while a lane streams, for a reply with
        nothing in it, or when one was kept (or none, :meth:`keep_none`).
        """
        lane = self.lanes[index]
        if self.kept is not None:
            raise InputError(f"a reply ({self.kept.model}) was kept already")
        if self.set_aside:
            raise InputError("the comparison was closed with no reply kept")
        if lane.streaming:
            raise InputError(f"{lane.model} is still replying: wait, or cancel it first")
        if not lane.reply.parts:
            raise InputError(f"{lane.model} sent nothing to keep")
        if self.streaming:
            # The others are stored beside it: each must have ended (Esc stops them).
            raise InputError("the other models are still replying: wait, or stop them (Esc)")
        controller = self.controller
        if controller.streaming:
            raise TurnBusy("A reply is still streaming: Esc stops it.")
        # The chat goes on with the model whose answer was kept (its settings, saved below).
        settings, _ = with_model(controller.settings, lane.model, None)
        controller.settings = settings
        store = controller.store
        created = controller.conversation_id is None
        pending = controller.set_aside_pending
        if controller.conversation_id is None:
            controller.conversation_id = store.create_conversation(
                system=settings.system or None, settings=saved_form(settings, {})
            )
        else:
            controller.update(settings)
        conversation_id = controller.conversation_id
        stored_lanes = [x for x in self.lanes if x is lane or charged(x.reply)]
        try:
            if created:
                controller.store_set_aside_pending()
            user, *replies = store_turn(
                store, conversation_id, self.user, [x.reply for x in stored_lanes], stored_lanes.index(lane)
            )
        except BaseException:
            if created:  # nothing was kept: leave no empty chat behind
                store.delete_conversation(conversation_id)
                controller.conversation_id = None
                controller.set_aside_pending = pending
            raise
        for stored_lane, stored in zip(stored_lanes, replies, strict=True):
            stored_lane.reply = stored
        reply = lane.reply
        controller.messages = [*controller.messages, user, reply]
        controller.versions = store.versions(conversation_id)
        if not controller.title:
            controller.title = store.load_conversation(conversation_id).title
        self.kept = lane
        return reply

    def keep_none(self) -> int:
        """Closed with no reply kept: set the prompt and every charged reply aside in the open chat.

        They count in the chat's cost and show as a version of the next prompt sent
        there (a chat not saved yet holds them until it is). Returns how many replies
        were set aside. Raises InputError while a lane streams or when one was kept.
        """
        if self.kept is not None:
            raise InputError(f"a reply ({self.kept.model}) was kept already")
        if self.streaming:
            raise InputError("the models are still replying: wait, or stop them (Esc)")
        if self.set_aside:
            return 0
        return self._set_aside()

    def close(self) -> int:
        """The comparison goes (its screen closes, the app quits), perhaps mid-stream: keep what arrived.

        Every lane still streaming is stopped, and its reply ended now as *cancelled*
        holding the text that arrived: the lane's task ends later, or never when the
        app is exiting. Unless a reply was kept, the prompt and every charged reply are
        then set aside in the open chat as :meth:`keep_none` sets them, so they show as
        versions after a restart. Returns how many replies were set aside now (0 when a
        reply was kept or they were set aside already).
        """
        self.cancel_all()
        for lane in self.lanes:
            lane.end(lane.parser, "cancelled")  # a lane that ended already keeps its ending
        if self.kept is not None or self.set_aside:
            return 0
        return self._set_aside()

    def _set_aside(self) -> int:
        replies = tuple(lane.reply for lane in self.lanes if charged(lane.reply))
        self.controller.set_aside(SetAsideTurn(self.user, replies))
        self.set_aside = True
        return len(replies)

    def save_as_chat(self, index: int) -> int:
        """Save the prompt and lane ``index``'s reply as a new chat of their own (the CLI keeps each).

        The new chat has the open chat's settings with that lane's model; the
        open chat is left as it is. Returns the new chat's id.
        """
        lane = self.lanes[index]
        if lane.streaming:
            raise InputError(f"{lane.model} is still replying: wait, or cancel it first")
        if index in self.saved_chats:
            return self.saved_chats[index]
        store = self.controller.store
        settings, _ = with_model(self.controller.settings, lane.model, None)
        conversation_id = store.create_conversation(
            system=settings.system or None, settings=saved_form(settings, {})
        )
        try:
            self._store_turn(conversation_id, lane)
        except BaseException:
            store.delete_conversation(conversation_id)
            raise
        self.saved_chats[index] = conversation_id
        return conversation_id

    def _store_turn(self, conversation_id: int, lane: Lane) -> tuple[MessageRecord, MessageRecord]:
        """Append the prompt and ``lane``'s reply to a stored chat; the lane then holds the stored reply."""
        user, stored = store_turn(self.controller.store, conversation_id, self.user, [lane.reply], 0)
        lane.reply = stored
        return user, stored


def _client_stream(client: GatewayClient) -> StreamFn:
    def stream(
        fmt: Format, conversation: Conversation, options: RequestOptions, parser: ReplyParser
    ) -> AsyncIterator[StreamEvent]:
        return client.stream_reply(get_adapter(fmt), conversation, options, parser)

    return stream


def start_compare(
    controller: ConversationController,
    models: Sequence[str],
    text: str,
    images: Sequence[Attachment] = (),
    listener: CompareListener = _ignore,
    *,
    client: GatewayClient | None = None,
    stream: bool = True,
    stream_fn: StreamFn | None = None,
) -> Comparison:
    """Send ``text`` (and ``images``) to each of ``models`` at once, after the open chat's history.

    Each model gets the chat's settings (system prompt, temperature, thinking)
    in its own automatic format. Raises InputError (the number of models, a
    duplicate, an empty prompt), TurnBusy or FormatRefused before anything is sent.
    """
    names = [m.strip() for m in models]
    if any(not m for m in names):
        raise InputError("a model name is empty")
    if len(set(names)) != len(names):
        raise InputError("each model can be compared once: a model is named twice")
    if not MIN_MODELS <= len(names) <= MAX_MODELS:
        raise InputError(f"compare needs {MIN_MODELS} to {MAX_MODELS} models, not {len(names)}")
    controller.check_turn()
    user = ConversationController._user_message(text, images)
    lanes: list[Lane] = []
    for index, model in enumerate(names):
        settings, _ = with_model(controller.settings, model, None)
        fmt = settings.format
        check_format(fmt)
        options = RequestOptions(
            model=model,
            stream=stream,
            temperature=settings.temperature,
            image=settings.image if is_image_model(model) else None,
            thinking=settings.thinking,
        )
        reply = MessageRecord(
            Message("assistant", model=model, format=fmt), status="streaming", created_at=time.time()
        )
        lanes.append(Lane(index, options, fmt, reply))
    if stream_fn is None:
        stream_fn = _client_stream(client if client is not None else controller.gateway())
    history = Conversation(
        messages=[*(record.message for record in controller.messages), user],
        system=controller.settings.system or None,
    )
    comparison = Comparison(controller, user, history, lanes, listener, stream_fn)
    comparison._start()
    return comparison
