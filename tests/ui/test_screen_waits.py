"""A Pilot's wait for the screen (``tests/ui/screen_waits.py``) still waits for every queued message.

It skips only widgets parked with nothing queued; a message queued on a widget deep in the
screen, a handler still running (awaiting), a call_next pending, are all waited for, as in
Textual's own wait.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from textual.message_pump import MessagePump

from liaobots_tui.ui.app import LiaobotsApp
from tests.ui.conftest import SIZE, AppFactory, offline_client, offline_settings
from tests.ui.driving import HANG_GUARD, busy, chat, settle
from tests.ui.screen_waits import parked, wait_for_screen


def every_pump(app: LiaobotsApp) -> list[object]:
    return [app, *app.screen.walk_children(with_self=True)]


async def test_the_suites_pilot_waits_through_it(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(offline_settings(), client_factory=offline_client)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        posted: list[MessagePump] = []
        call_later = MessagePump.call_later

        def counted(pump: MessagePump, *args: Any, **kwargs: Any) -> bool:
            posted.append(pump)
            return call_later(pump, *args, **kwargs)

        monkeypatch.setattr(MessagePump, "call_later", counted)
        await pilot._wait_for_screen()
        assert posted == []  # a quiet screen: no widget got a callback
        handled: list[str] = []
        search = chat(app).query_one("#chat-search")
        call_later(search, handled.append, "deep")
        await pilot._wait_for_screen()
        assert posted == [search]
        assert handled == ["deep"]


async def test_a_quiet_screen_is_all_parked_and_a_queued_or_running_widget_is_waited_for(
    make_app: AppFactory,
) -> None:
    app = make_app(offline_settings(), client_factory=offline_client)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert not busy(app)
        assert all(parked(pump) for pump in every_pump(app))  # type: ignore[arg-type]
        assert await wait_for_screen(pilot, 60.0)

        # A message queued: that widget is not parked, and the wait returns once it was handled.
        prompt = chat(app).prompt
        handled: list[str] = []
        prompt.call_later(handled.append, "queued")
        assert not parked(prompt)
        assert await wait_for_screen(pilot, 60.0)
        assert handled == ["queued"]

        # A handler still running (it awaits a gate): the wait lasts until it has ended.
        gate = asyncio.Event()
        entered = asyncio.Event()

        async def held() -> None:
            entered.set()
            await gate.wait()
            handled.append("held")

        prompt.call_later(held)
        await asyncio.wait_for(entered.wait(), HANG_GUARD)
        assert not parked(prompt)
        waiting = asyncio.create_task(wait_for_screen(pilot, 60.0))
        for _ in range(20):  # the wait cannot end while the handler is held, however often it runs
            await asyncio.sleep(0)
        assert not waiting.done()
        gate.set()
        assert await asyncio.wait_for(waiting, HANG_GUARD)
        assert handled == ["queued", "held"]

        # A callback queued to run after the current message: waited for too.
        prompt.call_next(handled.append, "next")
        assert not parked(prompt)
        assert await wait_for_screen(pilot, 60.0)
        assert handled[-1] == "next"
