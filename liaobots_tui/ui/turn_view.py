"""TurnView: renders one turn's events from the conversation controller into the chat screen.

The controller runs the turn and calls :meth:`TurnView.on_event` for every
event, in order; this class only draws: the user's message and the streaming
reply box, text and thinking as they arrive, images, sources, the status bar's
tokens and elapsed time, retry notices counting down, a stalled stream
(:mod:`~liaobots_tui.ui.stream_feedback`), a "new output below" hint when the
user scrolled away, and domain switches. When the reply
ends (complete, failed or cancelled) it settles the box, hands the reply to the
credits panel, and for a failure puts the prompt back and says why (elia's
habit: nothing the user typed is lost).
"""

from __future__ import annotations

import asyncio
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from textual.css.query import NoMatches

from liaobots_tui.api.messages import (
    Attachment,
    DomainEvent,
    ErrorEvent,
    FinishEvent,
    ImageEvent,
    ReasoningDelta,
    RetryEvent,
    SourcesEvent,
    TextDelta,
    UsageEvent,
)
from liaobots_tui.api.transport import host_of
from liaobots_tui.chat import ChatEvent, TurnEnded, TurnStarted
from liaobots_tui.conversations import Turn
from liaobots_tui.errors import LiaobotsError
from liaobots_tui.store import MessageRecord
from liaobots_tui.ui import gc_pause, memory_release
from liaobots_tui.ui.screens.error import ErrorModal
from liaobots_tui.ui.stream_feedback import StreamFeedback
from liaobots_tui.ui.widgets.message_box import MessageBox

if TYPE_CHECKING:
    from textual.timer import Timer

    from liaobots_tui.ui.screens.chat import ChatScreen

#: What to put back in the prompt when a turn fails: its text and named attachments.
Restore = tuple[str, list[tuple[Attachment, str]]]


class TurnView:
    """Draws the turn that streams on ``screen``; one instance per screen, reused turn after turn."""

    def __init__(self, screen: ChatScreen) -> None:
        self.screen = screen
        self.box: MessageBox | None = None
        self._restore: Restore | None = None
        self._error: ErrorEvent | None = None
        self._started = 0.0
        self._usage_tokens: int | None = None
        self._ticker: Timer | None = None
        #: A notice is showing: the next text clears it (a flag, not a look-up of the status bar per delta).
        self._noticed = False
        #: Retry countdown and stall notice; its clock is the one tests replace.
        self.feedback = StreamFeedback()
        #: The screen is gone: events are no longer drawn.
        self.detached = False

    @property
    def active(self) -> bool:
        return self._ticker is not None

    def follow(self, turn: Turn, restore: Restore | None) -> None:
        """Watch ``turn`` in a worker of the screen (so tests and the app can wait for it)."""
        self._begin(restore)
        self.screen.run_worker(self._follow(turn), group="stream", exit_on_error=False)

    async def _follow(self, turn: Turn) -> None:
        try:
            await asyncio.wait([turn])
        except asyncio.CancelledError:
            # The screen is going away (the app quits): stop the turn, which saves its partial reply.
            self.detached = True
            turn.cancel()
            raise
        if not turn.cancelled() and (exc := turn.exception()) is not None:
            # A bug, not a gateway failure (those arrive as ErrorEvent): say so, keep the prompt.
            self.show_crash(exc)
            self._put_back()
        await self._end()

    @contextmanager
    def crash_dialog(self) -> Iterator[None]:
        """Starting a turn hit a bug: show it (as a failing turn would) instead of ending the app."""
        try:
            yield
        except LiaobotsError:
            raise
        except Exception as exc:
            self.show_crash(exc)

    def show_crash(self, exc: BaseException) -> None:
        """An unexpected failure: a dialog with the traceback to copy; the app keeps running."""
        detail = "".join(traceback.format_exception(exc))
        self.screen.app.push_screen(ErrorModal("Unexpected error", f"{type(exc).__name__}: {exc}", detail))

    def _begin(self, restore: Restore | None) -> None:
        self._restore, self._error, self._usage_tokens = restore, None, None
        self._noticed = False
        status = self.screen.status
        status.streaming, status.notice = True, ""
        status.tokens, status.elapsed, status.estimated = 0, 0.0, True
        gc_pause.stream_started()
        self._started = time.monotonic()
        self.feedback.read_timeout = self.screen.lapp.settings.read_timeout
        self.feedback.start()
        self._ticker = self.screen.set_interval(0.25, self.tick)
        self.screen.refresh_bindings()  # the footer's "esc Stop" shows while the reply streams

    async def _end(self) -> None:
        if self.box is not None:  # the turn ended without TurnEnded (a bug upstream): settle the box
            await self.box.finish(None)
            self.box = None
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None
            gc_pause.stream_ended()
            # Once the final render is on screen: the reply's garbage collected, the heap trimmed.
            memory_release.release_when_quiet(self.screen.app)
        self.screen.status.streaming = False
        self.screen.status.notice = ""
        self.screen.turn_finished()

    def tick(self) -> None:
        status = self.screen.status
        status.elapsed = time.monotonic() - self._started
        gc_pause.between_frames()  # the young heap frozen, with no pass, past its bound (see gc_pause)
        if self._ticker is not None:  # the last tick, at the reply's end, has nothing to warn about
            self._show_notice(self.feedback.notice())
            self.screen.view.check_output_below()
        if self._usage_tokens is not None:
            status.tokens, status.estimated = self._usage_tokens, False
        elif self.box is not None:
            # About four characters per token: a live estimate until the usage report arrives.
            status.tokens = (self.box.streamed_chars + 3) // 4

    def _show_notice(self, notice: str) -> None:
        """The notice in the status bar and under the streaming reply ("" clears both)."""
        status = self.screen.status
        self._noticed = bool(notice)
        if status.notice == notice:
            return
        status.notice = notice
        if self.box is not None:
            self.box.set_notice(notice or None)

    async def on_event(self, event: ChatEvent) -> None:
        """The controller's listener: one event of the turn, in order."""
        if self.detached:
            return  # nothing left to draw on; the controller still saves the reply
        if not isinstance(event, RetryEvent):
            self.feedback.received(data=isinstance(event, TextDelta | ReasoningDelta | ImageEvent))
        try:
            await self._draw(event)
        except NoMatches:
            if self.screen.is_attached:
                raise
            self.detached = True  # the screen was dismantled under a running turn (the app quits)

    async def _draw(self, event: ChatEvent) -> None:
        box = self.box
        if type(event) is TextDelta:  # the hot path first
            if box is not None:
                box.append_text(event.text)
                if self._noticed:
                    self._show_notice("")
        elif isinstance(event, ReasoningDelta):
            if box is not None:
                box.append_reasoning(event.text)
                if self.screen.status.notice:
                    self._show_notice("")
        elif isinstance(event, TurnStarted):
            await self._started_turn(event)
        elif isinstance(event, ImageEvent):
            if box is not None:
                await box.add_image(event.image)
        elif isinstance(event, UsageEvent):
            self._usage_tokens = event.usage.output_tokens or None
        elif isinstance(event, RetryEvent):
            self.feedback.retrying(event.delay, event.attempt, event.reason)
            self._show_notice(self.feedback.notice())  # then counted down by tick
        elif isinstance(event, DomainEvent):
            self.screen.status.domain = host_of(event.base_url)
            self.screen.notify(f"Now using {host_of(event.base_url)}", title="Switched domain", timeout=4)
        elif isinstance(event, ErrorEvent):
            self._error = event
        elif isinstance(event, FinishEvent):
            if event.reason in ("length", "safety"):
                self.screen.notify(
                    "The reply hit the length limit"
                    if event.reason == "length"
                    else "Stopped by safety filter",
                    severity="warning",
                    timeout=5,
                )
        elif isinstance(event, SourcesEvent):
            if box is not None:
                box.set_sources(event.sources)
        elif isinstance(event, TurnEnded):
            await self._ended_turn(event.reply)

    async def _started_turn(self, event: TurnStarted) -> None:
        view = self.screen.view
        if event.user_message is not None:
            await view.add_message(event.user_message)
        self.box = await view.add_message(event.reply, streaming=True)
        view.scroll_to_latest()  # a new turn is what the user wants to watch
        self.screen.turn_started()

    async def _ended_turn(self, reply: MessageRecord) -> None:
        if self.box is not None:
            self.tick()
            await self.box.finish(reply)
            self.box = None
        controller = self.screen.controller
        self.screen.credits.reply_finished(reply, controller.messages, controller.replies_set_aside())
        if reply.status == "cancelled":
            self.screen.notify("Stopped: the partial reply is kept", timeout=3)
        elif reply.status == "failed":
            self._put_back()
            error = self._error
            if error is not None:
                self.screen.notify(
                    error.message or error.title, title=error.title, severity="error", timeout=8
                )

    def _put_back(self) -> None:
        """Put the failed prompt back, unless the user already typed something new."""
        restore, self._restore = self._restore, None
        if restore is not None:
            self.screen.restore_prompt(*restore)
