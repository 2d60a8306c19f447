"""What the app puts off once comes however late the loop gets to it.

Textual's one-shot ``set_timer`` skips its only tick when more than its delay passes between
two looks at the clock (a process preempted there): what it was to do never happens. Two
users of it are on ``textual_compat.call_next_after`` now: a huge text's background cut (else
the view going up did all of it at once) and a slow export's "Exporting…" notice (else the
user saw no sign of the export until its file appeared). Here the clock moves 2 ms between
two looks and the delays are shorter than that, so a one-shot timer skips every time.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from liaobots_tui.ui import export_actions
from liaobots_tui.ui.text_sections import SECTION_CHARS
from liaobots_tui.ui.widgets import lazy_text
from liaobots_tui.ui.widgets.lazy_text import LazyText
from tests.test_draw_after_layout import late_loop

from .driving import HANG_GUARD, until

pytestmark = pytest.mark.ui

PART = "## Part {n}\n\n" + "Prose for this part, **bold** and `code`. " * 8 + "\n\n"


class LazyApp(App[None]):
    def __init__(self, text: str, monkeypatch: pytest.MonkeyPatch) -> None:
        super().__init__()
        self.text, self.monkeypatch = text, monkeypatch

    def compose(self) -> ComposeResult:
        # The clock goes late before the text mounts: its timer is set on that clock.
        late_loop(self.monkeypatch)
        lazy = LazyText(self.text)
        assert not lazy.complete  # only the end is cut before the first paint
        with VerticalScroll():
            yield lazy


async def test_a_huge_texts_rest_is_cut_in_the_background_on_a_late_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(lazy_text, "TAIL_FIRST_CHARS", 8 * SECTION_CHARS)
    monkeypatch.setattr(lazy_text, "TAIL_CHARS", 2 * SECTION_CHARS)
    monkeypatch.setattr(LazyText, "HEAD_DELAY", 0.001)
    text, n = "", 0
    while len(text) < 16 * SECTION_CHARS:
        text += PART.format(n=n)
        n += 1
    async with LazyApp(text, monkeypatch).run_test(size=(80, 20)) as pilot:
        lazy = pilot.app.query_one(LazyText)
        # Nothing scrolls up: only the background cut, put off by HEAD_DELAY, completes it.
        await until(pilot, lambda: lazy.complete, "the rest cut in the background")
        assert "".join(s.source(lazy.text) for s in lazy.sections).count("## Part") == n


class Exporter(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("exporting")


async def test_a_slow_export_says_so_on_a_late_loop(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(export_actions, "NOTICE_AFTER", 0.001)
    app = Exporter()
    told = threading.Event()
    target = tmp_path / "chat.md"

    def build() -> str:
        # A slow build: it ends once the notice is shown (or, failing, after the hang guard).
        told.wait(HANG_GUARD)
        return "text"

    def write(text: str, replace: bool) -> str:
        target.write_text(text, encoding="utf-8")
        return f"Exported to {target}"

    def notices() -> list[str]:
        return [str(n.message) for n in app._notifications]

    async with app.run_test(size=(60, 10), notifications=True) as pilot:
        late_loop(monkeypatch)
        export_actions.build_then_write_asking(app.query_one(Static), target, build, write)
        await until(pilot, lambda: any("Exporting to chat.md" in m for m in notices()), "the notice")
        assert not target.exists()  # shown while the build ran
        told.set()
        await until(pilot, target.exists, "the export written")
