"""Driving the app in Pilot tests: the chat screen, waiting for work to finish, sending a prompt."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from liaobots_tui.ui.app import LiaobotsApp
from liaobots_tui.ui.screens.chat import ChatScreen


def chat(app: LiaobotsApp) -> ChatScreen:
    screen = app.screen
    assert isinstance(screen, ChatScreen)
    return screen


async def settle(app: LiaobotsApp, pilot: Any) -> None:
    """Wait until no worker runs (workers may start others: reply → credits refresh)."""
    for _ in range(20):
        running = [w for w in app.workers if w.is_running]
        if not running:
            break
        await app.workers.wait_for_complete(running)
        await pilot.pause()
    await pilot.pause()


async def until(pilot: Any, condition: Callable[[], bool], *, rounds: int = 50) -> None:
    """Pause until ``condition()`` holds: work queued "after the next refresh" runs only
    once the screen's update timer has fired, which a single pause does not promise."""
    for _ in range(rounds):
        if condition():
            return
        await pilot.pause()
    assert condition()


async def send(app: LiaobotsApp, pilot: Any, text: str) -> None:
    """Put ``text`` in the prompt, press Enter and wait until the reply is final."""
    chat(app).prompt.load_text(text)
    await pilot.press("enter")
    await settle(app, pilot)
