"""A Markdown write's after-work is laid out before the next write that waited for the turn.

- While another write waits, the turn is handed on only once what the write's screen update set
  off ("after refresh" work: a column folding the blocks the write finished) was laid out in a
  layout pass of its own: the next write never shares that pass.
- A write nobody waits for releases the turn after one screen update, as before (the chat's
  single reply is not slowed).
"""

from __future__ import annotations

import asyncio

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Static

from liaobots_tui.ui import markdown_turns
from liaobots_tui.ui.markdown_turns import markdown_turn
from tests.ui.driving import settle, until

pytestmark = pytest.mark.ui


class Columns(App[None]):
    CSS = "Static { height: auto; }"

    def compose(self) -> ComposeResult:
        yield Static("a", id="a")
        yield Static("", id="a-after")
        yield Static("b", id="b")


async def test_the_next_write_waits_for_the_layout_of_the_previous_ones_after_work() -> None:
    app = Columns()
    async with app.run_test(size=(40, 30)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        a, a_after, b = (screen.query_one(f"#{name}", Static) for name in ("a", "a-after", "b"))
        events: list[str] = []
        screen.screen_layout_refresh_signal.subscribe(screen, lambda _: events.append("layout"))
        b_queued = asyncio.Event()

        def after_work() -> None:  # as a column folds its finished blocks after the update
            a_after.update("\n".join(["folded"] * 4))
            events.append("a after-work")

        async def write_a() -> None:
            async with markdown_turn(a):
                b_queued.set()
                await until(pilot, lambda: bool(markdown_turns._waiting.get(app)), "b waits")
                a.update("\n".join(["a"] * 5))
                events.append("a writes")
                a.call_after_refresh(after_work)

        async def write_b() -> None:
            await b_queued.wait()
            async with markdown_turn(b):
                events.append("b writes")
                b.update("\n".join(["b"] * 5))

        await asyncio.gather(write_a(), write_b())
        await until(pilot, lambda: b.size.height == 5 and a_after.size.height == 4, "all laid out")
    after_work_at, b_at = events.index("a after-work"), events.index("b writes")
    assert events.index("a writes") < after_work_at < b_at
    assert "layout" in events[after_work_at:b_at]  # the after-work had a layout pass without b


async def test_a_write_nobody_waits_for_releases_after_one_update(monkeypatch: pytest.MonkeyPatch) -> None:
    updates: list[str] = []
    screen_updated = markdown_turns._screen_updated

    async def counting(widget: object) -> None:
        updates.append("update")
        await screen_updated(widget)  # type: ignore[arg-type]

    monkeypatch.setattr(markdown_turns, "_screen_updated", counting)
    app = Columns()
    async with app.run_test(size=(40, 30)) as pilot:
        await settle(app, pilot)
        a = app.screen.query_one("#a", Static)
        async with markdown_turn(a):
            a.update("one\ntwo")
        assert updates == ["update"]
        await until(pilot, lambda: a.size.height == 2, "laid out")
