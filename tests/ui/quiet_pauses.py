"""``Pilot.pause()`` and ``Pilot.press()`` end when the app has handled what they set off.

Why: both wait for the messages queued on the screen *when the wait starts*, then (pause, and each
key of press) for the process to look idle: its CPU time not advancing for 20 ms. A key's event is
still in the app's queue when the screen's widgets are asked, so the focused widget answers before
the key reaches it; what a handled message posts in turn (a bubbled message, a callback after the
refresh, a layout the refresh asks for) lands after the wait. On an idle machine the idle guess
covers that; beside two busy loops the process is starved, looks idle early and the wait ends
while the app still has work queued: a different test failed each busy run, one run in five.
``tests/starved_pauses.py`` (``LIAOBOTS_STARVED_PAUSES=1``) makes that early end happen every run.

Here, after Textual's own wait, the pilot waits again for as long as something of the app is still
queued: a message or callback on the app or a widget of the screen, a layout or repaint the screen
has pending, or a callback it runs after its refresh. Each round is Textual's wait for the screen
(messages queued now handled) and the screen's refresh, as ``Pilot.pause`` ends with. A stream
that keeps posting would never look quiet, so the rounds are counted (QUIET_ROUNDS), not timed: a
test that needs a streamed state waits on it (``tests/ui/driving.py``). Read from Textual's
privates (checked against 8.2.8): the screen's ``_layout_required``, ``_scroll_required``,
``_repaint_required``, ``_dirty_widgets`` and ``_callbacks``; one missing counts as pending
nothing, which is Textual's own behaviour.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.app import App
from textual.pilot import Pilot

from tests.ui.screen_waits import draw_pending, parked

#: Rounds a pause or press waits at most for the app to be quiet: enough for a key's chain
#: (app → screen → focused widget → bubbled message → after-refresh callback) several times over.
QUIET_ROUNDS = 12


def screen_pending(app: App[Any]) -> bool:
    """The current screen has a layout, scroll, repaint, put-off draw or after-refresh callback to run."""
    try:
        screen = app.screen
    except Exception:  # noqa: BLE001 - no screen (yet, or any more): nothing pending on one
        return False
    flags = ("_layout_required", "_scroll_required", "_repaint_required")
    if any(getattr(screen, flag, False) for flag in flags) or draw_pending(screen):
        return True
    return bool(getattr(screen, "_dirty_widgets", None)) or bool(getattr(screen, "_callbacks", None))


def quiet(app: App[Any]) -> bool:
    """Nothing of the app waits: its pumps and its screen's all parked, nothing pending on the screen."""
    if not parked(app):
        return False
    try:
        screen = app.screen
    except Exception:  # noqa: BLE001 - no screen: the app's own queue is all there is
        return True
    if any(not parked(pump) for pump in screen.walk_children(with_self=True)):
        return False
    return not screen_pending(app)


async def until_quiet(pilot: Pilot[Any]) -> None:
    """Wait rounds of Textual's screen wait and refresh until the app is quiet (at most QUIET_ROUNDS)."""
    app = pilot.app
    for _ in range(QUIET_ROUNDS):
        if not app.is_running or quiet(app):
            return
        if not await pilot._wait_for_screen():
            return  # the app raised: Textual's pause returns then too
        try:
            app.screen._on_timer_update()
        except Exception:  # noqa: BLE001 - the screen went away meanwhile (the app exits)
            return


def install() -> Callable[[], None]:
    """Make ``Pilot.pause`` and ``Pilot.press`` wait until the app is quiet; returns the undo."""
    original_pause: Callable[..., Awaitable[None]] = Pilot.pause
    original_press: Callable[..., Awaitable[None]] = Pilot.press

    async def pause(self: Pilot[Any], delay: float | None = None) -> None:
        await original_pause(self, delay)
        await until_quiet(self)

    async def press(self: Pilot[Any], *keys: str) -> None:
        # Key by key: the next key reaches a widget only once the last one's work is done, as when typed.
        for key in keys:
            await original_press(self, key)
            await until_quiet(self)

    Pilot.pause = pause  # type: ignore[method-assign]
    Pilot.press = press  # type: ignore[method-assign]

    def undo() -> None:
        Pilot.pause = original_pause  # type: ignore[method-assign]
        Pilot.press = original_press  # type: ignore[method-assign]

    return undo
