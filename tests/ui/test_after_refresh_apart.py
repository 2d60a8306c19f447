"""A screen's "after refresh" work in loop turns of its own (``textual_compat.after_refresh_work_apart``).

- The callbacks queued for after a refresh still run once each, in the order queued, and
  with the slice set to nothing the loop turns over before each of them (a key or a timer
  gets its turn between them, not only after the whole batch).
- The batch starts after a short pause (the frame's loop turn is over), and its slices are
  a frame's period apart (another lane's after-work lands in the next frame, not the same).
- A batch cancelled between two slices (its screen closing) keeps the callbacks it had not
  run, first in the screen's queue, as Textual keeps what it has not run.
- The compare screen applies it (its frames' after-work, the lanes' folds and parking, was
  run back to back with the frame: the longest stalls), and so does the chat screen (its
  column's folds and parking, the longest stalls of a paced reply under load).
"""

from __future__ import annotations

import asyncio

import pytest
from textual.app import App, ComposeResult
from textual.message_pump import MessagePump
from textual.widgets import Static

from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.ui import textual_compat
from liaobots_tui.ui.textual_compat import after_refresh_work_apart
from tests.ui.conftest import AppFactory, demo_settings
from tests.ui.driving import chat, send, settle, until
from tests.ui.test_compare_screen import all_ended, open_compare


class OneLine(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("a line")

    def on_mount(self) -> None:
        assert after_refresh_work_apart(self.screen)


@pytest.mark.ui
async def test_after_refresh_callbacks_run_once_in_order_with_the_loop_turning_between(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(textual_compat, "AFTER_FRAME_SLICE", 0.0)
    app = OneLine()
    async with app.run_test(size=(30, 5)) as pilot:
        await settle(app, pilot)
        turns = 0

        async def count_turns() -> None:
            nonlocal turns
            while True:
                turns += 1
                await asyncio.sleep(0)

        counter = asyncio.create_task(count_turns())
        ran: list[tuple[str, int]] = []
        line = app.query_one(Static)
        for name in ("first", "second", "third"):
            line.call_after_refresh(lambda name=name: ran.append((name, turns)))
        line.update("a changed line")
        await until(pilot, lambda: len(ran) >= 3, "the three callbacks")
        counter.cancel()  # before settling: a task spinning on the loop keeps it from ever looking idle
        await settle(app, pilot)
        assert [name for name, _ in ran] == ["first", "second", "third"]
        seen = [turn for _, turn in ran]
        assert seen[0] < seen[1] < seen[2]  # the loop turned over before each of the later two


@pytest.mark.ui
async def test_the_batch_starts_after_a_pause_and_its_slices_are_a_frames_period_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(textual_compat, "AFTER_FRAME_SLICE", 0.0)
    # Values no other sleep of the app uses: the pauses are told apart by them.
    monkeypatch.setattr(textual_compat, "AFTER_FRAME_PAUSE", 0.00123)
    monkeypatch.setattr(textual_compat, "AFTER_FRAME_WAIT", 0.0234)
    events: list[str] = []
    sleep = asyncio.sleep

    async def noted_sleep(delay: float, *args: object) -> object:
        if delay in (0.00123, 0.0234):
            events.append("wait" if delay == 0.0234 else "pause")
        return await sleep(delay, *args)

    app = OneLine()
    async with app.run_test(size=(30, 5)) as pilot:
        await settle(app, pilot)
        line = app.query_one(Static)

        for name in ("first", "second", "third"):
            line.call_after_refresh(lambda name=name: events.append(name))
        monkeypatch.setattr(asyncio, "sleep", noted_sleep)
        line.update("a changed line")
        await until(pilot, lambda: "third" in events, "the three callbacks")
        monkeypatch.setattr(asyncio, "sleep", sleep)
        await settle(app, pilot)
    assert events == ["pause", "first", "wait", "second", "wait", "third"]


class QueueOnly:
    """What after_refresh_work_apart reads of a screen: its queue of callbacks and the method it wraps."""

    def __init__(self) -> None:
        self._callbacks: list[tuple[object, MessagePump]] = []

    async def _invoke_and_clear_callbacks(self) -> None:
        raise AssertionError("replaced")


async def test_a_batch_cancelled_between_slices_keeps_what_it_had_not_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(textual_compat, "AFTER_FRAME_SLICE", 0.0)
    screen = QueueOnly()
    assert after_refresh_work_apart(screen)
    pump = MessagePump()
    ran: list[str] = []
    first_ran = asyncio.Event()

    def first() -> None:
        ran.append("first")
        first_ran.set()

    def later(name: str) -> None:
        ran.append(name)

    second, third = (lambda: later("second")), (lambda: later("third"))
    screen._callbacks[:] = [(first, pump), (second, pump), (third, pump)]
    batch = asyncio.create_task(screen._invoke_and_clear_callbacks())
    await first_ran.wait()  # it now waits for its next slice
    batch.cancel()
    with pytest.raises(asyncio.CancelledError):
        await batch
    assert ran == ["first"]
    screen._callbacks.append((third, pump))  # queued after the cancel: stays behind the kept ones
    assert screen._callbacks == [(second, pump), (third, pump), (third, pump)]


@pytest.mark.ui
async def test_the_compare_screen_runs_its_after_refresh_work_apart(
    gateway: FakeGateway, make_app: AppFactory
) -> None:
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=(140, 30)) as pilot:
        screen = await open_compare(app, pilot, ["gpt-5.4", "claude-sonnet-4-6"], "a short answer")
        assert "_invoke_and_clear_callbacks" in vars(screen)  # wrapped on this screen only
        await until(pilot, lambda: all_ended(app), "both replies ended")
        await settle(app, pilot)
        assert all(c.box is not None and c.box.copy_text for c in screen.columns)


@pytest.mark.ui
async def test_the_chat_screen_runs_its_after_refresh_work_apart(
    gateway: FakeGateway, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A value no other sleep of the app uses: each batch's pause is told apart by it.
    monkeypatch.setattr(textual_compat, "AFTER_FRAME_PAUSE", 0.00123)
    pauses = 0
    sleep = asyncio.sleep

    async def noted_sleep(delay: float, *args: object) -> object:
        nonlocal pauses
        pauses += delay == 0.00123
        return await sleep(delay, *args)

    app = make_app(demo_settings(gateway))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        assert "_invoke_and_clear_callbacks" in vars(chat(app))  # wrapped on this screen
        monkeypatch.setattr(asyncio, "sleep", noted_sleep)
        await send(app, pilot, "[[deltas=300]] a long answer with a list")
        monkeypatch.setattr(asyncio, "sleep", sleep)
        await settle(app, pilot)
        assert pauses  # the frames' after-work (the column's folds, parking) ran in batches apart
        box = chat(app).view.boxes()[-1]
        assert not box.streaming and box.message.status == "complete" and box.copy_text
