"""After a reply ends, removed widgets are let go (they become garbage), the garbage of what is
not frozen is collected and the heap is trimmed; never while a reply streams. No pass over the
frozen base is forced (a long stall)."""

from __future__ import annotations

import gc
import sys
import weakref
from collections.abc import Iterator

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Static

from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.ui import gc_pause, memory_release
from tests.ui.conftest import SIZE, AppFactory, demo_settings
from tests.ui.driving import chat, send, until


class _Cycle:
    """Garbage only the cyclic collector can free."""

    def __init__(self) -> None:
        self.me = self


def _garbage_cycle() -> weakref.ref[_Cycle]:
    return weakref.ref(_Cycle())


@pytest.fixture
def no_frozen_objects() -> Iterator[None]:
    """Leave the collector as the test found it: nothing frozen, no stream open."""
    yield
    while gc_pause.streaming():
        gc_pause.stream_ended()
    gc.unfreeze()


@pytest.mark.usefixtures("no_frozen_objects")
def test_release_collects_the_young_garbage_not_the_frozen_base() -> None:
    gc.unfreeze()
    in_base = _garbage_cycle()
    gc.disable()  # no automatic collection may free the cycles first
    gc.freeze()
    young = _garbage_cycle()
    try:
        assert memory_release.release(App()) is True
        assert young() is None  # the reply's garbage: freed at once, memory stays flat
        assert in_base() is not None  # a pass over the frozen base stalled the UI: not forced
    finally:
        gc.enable()


@pytest.mark.usefixtures("no_frozen_objects")
def test_nothing_is_released_while_a_reply_streams() -> None:
    app = Holder()
    gc_pause.stream_started()
    try:
        assert memory_release.release(app) is False
    finally:
        gc_pause.stream_ended()
    assert memory_release.release(app) is True


@pytest.mark.usefixtures("no_frozen_objects")
def test_release_empties_the_cache_that_keeps_removed_widgets_styles() -> None:
    from textual._styles_cache import StylesCache
    from textual.color import Color

    StylesCache().get_inner_outer(Color(1, 2, 3), Color(4, 5, 6))
    assert StylesCache.get_inner_outer.cache_info().currsize > 0
    assert memory_release.release(App()) is True
    assert StylesCache.get_inner_outer.cache_info().currsize == 0


class ThemeWatcher(Static):
    """Watches the app's theme, as Textual's Markdown fences and tables do."""

    def on_mount(self) -> None:
        self.watch(self.app, "theme", self._theme_changed, init=False)

    def _theme_changed(self, theme: str) -> None:
        pass


class Holder(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.watcher: ThemeWatcher | None = ThemeWatcher("watching")

    def compose(self) -> ComposeResult:
        assert self.watcher is not None
        yield self.watcher
        yield Static("stays")


@pytest.mark.usefixtures("no_frozen_objects")
async def test_a_removed_widget_that_watched_the_app_is_let_go() -> None:
    app = Holder()
    async with app.run_test() as pilot:
        # Not found by query_one: its cache would hold the widget too (for a while).
        assert app.watcher is not None
        gone = weakref.ref(app.watcher)
        await app.watcher.remove()
        app.watcher = None
        await until(pilot, lambda: gone() is None or gone()._closed, "the removed widget closed")
        # The screen's cached list of displayed children holds it until the children change.
        await app.mount(Static("next"))
        await pilot.pause()
        gc.collect()
        # Textual keeps it in the app's watcher list until the theme next changes ...
        assert gone() is not None
        assert memory_release.release(app) is True
        # ... the release drops it from there: the next collection frees it.
        gc.collect()
        assert gone() is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="malloc_trim is glibc's")
def test_the_heap_is_trimmed_with_glibc() -> None:
    import ctypes.util

    has_glibc = bool(ctypes.util.find_library("c"))
    assert memory_release.trim_heap() is has_glibc


@pytest.mark.usefixtures("no_frozen_objects")
async def test_memory_is_released_once_a_reply_has_ended(
    gateway: FakeGateway, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    releases: list[bool] = []
    streaming_at_release: list[bool] = []
    styles_forgotten: list[bool] = []
    real_release = memory_release.release
    real_forget = memory_release.forget_removed_widgets_styles

    def watched(app: App[object]) -> bool:
        streaming_at_release.append(gc_pause.streaming())
        releases.append(real_release(app))
        return releases[-1]

    def forget() -> None:
        styles_forgotten.append(True)
        real_forget()

    monkeypatch.setattr(memory_release, "release", watched)
    monkeypatch.setattr(memory_release, "forget_removed_widgets_styles", forget)
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=SIZE) as pilot:
        await send(app, pilot, "[[deltas=400]] a longer answer")
        await until(pilot, lambda: bool(releases), "the release after the reply")
        assert releases == [True] and streaming_at_release == [False]
        assert styles_forgotten == [True]  # removed widgets' render caches let go too
        reply = chat(app).view.boxes()[-1]
        assert reply.message.status == "complete"
        assert reply.copy_text == gateway.reply_text_for("gpt-5.4", "[[deltas=400]] a longer answer")


def test_the_release_empties_the_geometry_caches_and_geometry_stays_right() -> None:
    from textual.geometry import Region

    first, second = Region(0, 0, 10, 10), Region(5, 5, 10, 10)
    assert first.intersection(second) == Region(5, 5, 5, 5)
    assert Region.intersection.cache_info().currsize > 0  # type: ignore[attr-defined]
    assert memory_release.forget_geometry_caches() > 0
    assert Region.intersection.cache_info().currsize == 0  # type: ignore[attr-defined]
    assert first.intersection(second) == Region(5, 5, 5, 5)  # computed afresh, the same


def test_the_release_empties_the_cell_width_memo_and_widths_stay_right() -> None:
    from rich.cells import cached_cell_len, cell_len

    line = "a line of a reply, 中文 included"
    assert cell_len(line) == len(line) + 2  # two wide characters
    assert cached_cell_len.cache_info().currsize > 0
    assert memory_release.forget_cell_widths() > 0
    assert cached_cell_len.cache_info().currsize == 0
    assert cell_len(line) == len(line) + 2  # measured afresh, the same
