"""The memory release after a reply (one collection: a stall) waits until the user has not typed
or clicked for a moment; the app notices its input."""

from __future__ import annotations

import time

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Input

from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.ui import gc_pause, memory_release
from tests.test_draw_after_layout import late_loop
from tests.ui.conftest import SIZE, AppFactory, demo_settings
from tests.ui.driving import chat, until


class _Typing(App[None]):
    def compose(self) -> ComposeResult:
        yield Input()


async def test_the_release_runs_only_after_a_quiet_moment(monkeypatch: pytest.MonkeyPatch) -> None:
    quiet_at_release: list[float] = []

    def release(app: App[object]) -> bool:
        quiet_at_release.append(time.monotonic() - memory_release._last_input)
        return True

    monkeypatch.setattr(memory_release, "release", release)
    monkeypatch.setattr(memory_release, "QUIET", 0.2)
    app = _Typing()
    async with app.run_test() as pilot:
        memory_release.release_when_quiet(app, delay=0.0)
        for _ in range(5):
            memory_release.noticed_input()  # the user keeps typing
            await pilot.pause()
        await until(pilot, lambda: bool(quiet_at_release), "the release")
        assert quiet_at_release[0] >= 0.2  # never right after a key
        assert len(quiet_at_release) == 1


async def test_the_release_comes_when_the_loop_gets_to_its_timer_late(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A delay shorter than the late clock's step (2 ms), as a loop preempted for longer finds it:
    # on Textual's one-shot timer the attempt never ran, and nothing of the reply was released.
    released: list[bool] = []
    monkeypatch.setattr(memory_release, "release", lambda app: released.append(True) or True)
    monkeypatch.setattr(memory_release, "_SOON", 0.001)
    monkeypatch.setattr(memory_release, "_last_input", 0.0)  # no input: quiet
    app = _Typing()
    async with app.run_test() as pilot:
        late_loop(monkeypatch)
        memory_release.release_when_quiet(app, delay=0.0)
        await until(pilot, lambda: bool(released), "the release")
        assert released == [True]


async def test_a_release_while_a_reply_streams_does_nothing_then(monkeypatch: pytest.MonkeyPatch) -> None:
    results: list[bool] = []
    real_release = memory_release.release

    def release(app: App[object]) -> bool:
        results.append(real_release(app))
        return results[-1]

    monkeypatch.setattr(memory_release, "release", release)
    app = _Typing()
    async with app.run_test() as pilot:
        gc_pause.stream_started()
        try:
            memory_release.release_when_quiet(app, delay=0.0)
            await until(pilot, lambda: bool(results), "the attempt")
            assert results == [False]  # that reply's own end schedules the next
        finally:
            gc_pause.stream_ended()


async def test_the_app_notices_keys(gateway: FakeGateway, make_app: AppFactory) -> None:
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: chat(app).prompt.has_focus, "the prompt focused")
        before = time.monotonic()
        await pilot.press("h")
        assert memory_release._last_input >= before
