"""A reply's garbage is collected once it has ended, over what is not frozen; the frozen base is
left alone; streams freeze nothing at their start; lines and pieces make no needless cycles."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
from rich.segment import Segment
from textual.app import App, ComposeResult
from textual.strip import Strip
from textual.widgets import Markdown

from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.ui import gc_pause, memory_release
from liaobots_tui.ui.textual_compat import light_strips, strips_without_self_cycles
from liaobots_tui.ui.widgets.markdown_column import MarkdownColumn, PieceMarkdown
from tests.ui.conftest import AppFactory, demo_settings
from tests.ui.driving import chat, send, until


class _Cycle:
    """Garbage only the cyclic collector can free."""

    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def collector_as_found(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Leave the collector as the test found it: on, nothing frozen, no stream open.

    The release's collection is a pass, however big this worker's heap (past YOUNG_SCAN_MOST
    it freezes instead: a test below sets it for that).
    """
    monkeypatch.setattr(gc_pause, "YOUNG_SCAN_MOST", 10**9)
    enabled = gc.isenabled()
    yield
    while gc_pause.streaming():
        gc_pause.stream_ended()
    gc.unfreeze()
    if enabled:
        gc.enable()


@pytest.mark.usefixtures("collector_as_found")
def test_a_reply_s_garbage_is_collected_and_the_frozen_base_left_alone() -> None:
    gc.unfreeze()
    frozen_cycle = weakref.ref(_Cycle())
    gc.disable()  # no automatic pass may free either cycle first
    gc.freeze()  # the base (settle freezes it)
    young_cycle = weakref.ref(_Cycle())
    assert gc_pause.collect_young() >= 1
    assert young_cycle() is None  # what the reply left behind is freed ...
    assert frozen_cycle() is not None  # ... without a pass over the frozen base


@pytest.mark.usefixtures("collector_as_found")
def test_nothing_is_collected_while_a_reply_streams() -> None:
    gc.disable()
    gc_pause.stream_started()
    cycle = weakref.ref(_Cycle())
    assert gc_pause.collect_young() == 0
    assert cycle() is not None
    gc_pause.stream_ended()
    gc_pause.collect_young()
    assert cycle() is None


@pytest.mark.usefixtures("collector_as_found")
def test_a_stream_freezes_nothing_at_its_start() -> None:
    gc.unfreeze()
    gc_pause.stream_started()
    try:
        # What existed before the stream stays collectable: the previous reply's widgets,
        # parked while this one streams, are garbage the next collection must reach.
        assert gc.get_freeze_count() == 0
    finally:
        gc_pause.stream_ended()


@pytest.mark.usefixtures("collector_as_found")
def test_many_survivors_join_the_frozen_base(monkeypatch: pytest.MonkeyPatch) -> None:
    gc.unfreeze()
    kept = [[n] for n in range(2_000)]  # tracked objects a reply keeps alive
    monkeypatch.setattr(gc_pause, "YOUNG_MOST", len(kept) // 2)
    gc_pause.collect_young()
    assert gc_pause.young_count() == 0  # frozen: the next passes do not scan them again
    assert gc.get_freeze_count() >= len(kept)
    gc.unfreeze()
    monkeypatch.setattr(gc_pause, "YOUNG_MOST", 10 * len(kept) + gc_pause.young_count())
    gc.collect()
    gc_pause.collect_young()
    assert gc.get_freeze_count() == 0  # few: left where the next collection reaches them


def test_strips_do_not_cache_themselves() -> None:
    light_strips()
    assert strips_without_self_cycles()
    assert strips_without_self_cycles()  # idempotent
    gc.collect()
    gc.disable()
    try:
        strip = Strip([Segment("hello "), Segment("world")])
        assert strip.divide([strip.cell_length]) == [strip]
        assert strip.crop_extend(0, strip.cell_length, None) is strip
        assert [s.text for s in strip.divide([5, 11])] == ["hello", " world"]
        assert strip.crop_extend(2, 14, None).text == "llo world   "
        del strip
        assert gc.collect() == 0  # freed by its refcount: no cycle through its own caches
    finally:
        gc.enable()


class _Column(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.contents_updates = 0

    def compose(self) -> ComposeResult:
        yield MarkdownColumn("# A heading\n\nSome text.\n\n## Another\n\nMore.")

    def on_markdown_table_of_contents_updated(self, message: Markdown.TableOfContentsUpdated) -> None:
        self.contents_updates += 1


async def test_pieces_post_no_table_of_contents() -> None:
    # Bubbling up, each one waited in busy queues holding its piece (and every block in it)
    # alive after the piece was parked; nothing in the app shows a table of contents.
    app = _Column()
    async with app.run_test() as pilot:
        column = app.query_one(MarkdownColumn)
        await until(pilot, lambda: bool(column.pieces) and bool(column.pieces[0].children), "drawn")
        await column.pieces[0].update("# Changed\n\ntext")
        await pilot.pause()
        assert app.contents_updates == 0


@pytest.mark.usefixtures("collector_as_found")
async def test_parked_pieces_are_freed_once_the_reply_has_ended(
    gateway: FakeGateway, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[weakref.ref[PieceMarkdown]] = []
    real_init = PieceMarkdown.__init__

    def init(self: PieceMarkdown, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        made.append(weakref.ref(self))

    releases: list[bool] = []
    real_release = memory_release.release

    def release(app: App[object]) -> bool:
        releases.append(real_release(app))
        return releases[-1]

    monkeypatch.setattr(PieceMarkdown, "__init__", init)
    monkeypatch.setattr(memory_release, "release", release)
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=(80, 24)) as pilot:
        await send(app, pilot, "[[deltas=1500]] a long answer")  # six pieces: most parked on 24 rows
        await until(pilot, lambda: releases == [True], "the release after the reply")
        view = chat(app).view
        assert sum(column.parked_count for box in view.boxes() for column in box.columns) >= 2
        shown = {id(piece) for box in view.boxes() for column in box.columns for piece in column.pieces}
        # No collection forced here: the release's own freed every piece parked during the reply.
        left = [ref() for ref in made if ref() is not None and id(ref()) not in shown]
        assert left == []


@pytest.mark.usefixtures("collector_as_found")
def test_a_big_young_heap_is_frozen_without_a_pass_and_its_cycles_wait_for_the_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gc.collect()
    gc.disable()
    gc.freeze()  # the base
    base = gc.get_freeze_count()
    monkeypatch.setattr(gc_pause, "_frozen_at_settle", base)
    kept = [[n] for n in range(3_000)]  # what a first reply keeps (and the modules it imported)
    dead = weakref.ref(_Cycle())  # a cycle among it: only a pass could free it
    monkeypatch.setattr(gc_pause, "YOUNG_SCAN_MOST", len(kept) // 2)
    passes = gc.get_stats()[2]["collections"]
    assert gc_pause.collect_young() == 0
    assert gc.get_stats()[2]["collections"] == passes  # no pass: frozen as it is
    assert gc_pause.unfrozen_count() < len(kept) // 2
    assert gc.get_freeze_count() >= base + len(kept)
    assert dead() is not None  # waits, under the bound on the frozen heap's growth ...
    monkeypatch.setattr(gc_pause, "FROZEN_GROWTH_MOST", len(kept) // 2)
    gc_pause.collect_young()  # ... past it: a full settle
    assert dead() is None
