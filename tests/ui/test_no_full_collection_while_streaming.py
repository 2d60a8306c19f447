"""No automatic full (generation 2) collection while replies stream, chat or Compare.

- While a stream runs, allocation never starts a full pass; young passes go on.
- When the streams end, the held-back pass stays deferred (not started by the next young
  pass, inside the final render) until the reply's own collection, which puts the
  interpreter's threshold back.
- Between frames the young heap is frozen, with no pass, only once the streams allocated
  past their bound; the release after the streams then frees the garbage frozen with it
  (a full settle).
- The chat screen and the compare screen hold full passes while their replies stream, and
  the memory release after them collects and ends the hold.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from textual.app import App

from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.ui import gc_pause, memory_release
from tests.ui.conftest import SIZE, AppFactory, demo_settings
from tests.ui.driving import send, until
from tests.ui.test_compare_screen import all_ended, open_compare


def full_passes() -> int:
    return int(gc.get_stats()[2]["collections"])


def middle_passes() -> int:
    return int(gc.get_stats()[1]["collections"])


@pytest.fixture
def collector_as_found(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Leave the collector as the test found it: its threshold, nothing frozen, no stream open.

    The release's collection is a pass here, however big the worker's heap (frozen without
    a pass past YOUNG_SCAN_MOST: see test_gc_young); these tests are about when passes run.
    """
    monkeypatch.setattr(gc_pause, "YOUNG_SCAN_MOST", 10**9)
    threshold = gc.get_threshold()
    yield
    while gc_pause.streaming():
        gc_pause.stream_ended()
    gc.collect()
    gc_pause.collect_young()
    gc.unfreeze()
    gc.set_threshold(*threshold)


def young_passes_until(passes: int) -> list[list[list[int]]]:
    """Tracked objects, kept alive, until generation 1 has run ``passes`` more times."""
    kept: list[list[list[int]]] = []
    target = middle_passes() + passes
    while middle_passes() < target:
        kept.append([[n] for n in range(1_000)])
    return kept


@pytest.mark.usefixtures("collector_as_found")
def test_while_a_stream_runs_no_full_pass_starts_by_itself() -> None:
    threshold = gc.get_threshold()
    gc_pause.stream_started()
    try:
        before = full_passes()
        kept = young_passes_until(3 * threshold[2])  # three times what starts a full pass
        assert full_passes() == before
        assert kept
    finally:
        gc_pause.stream_ended()


@pytest.mark.usefixtures("collector_as_found")
def test_after_the_stream_the_full_pass_waits_for_the_reply_s_collection() -> None:
    threshold = gc.get_threshold()
    gc_pause.stream_started()
    kept = young_passes_until(2 * threshold[2])
    gc_pause.stream_ended()
    assert not gc_pause.streaming()
    # Due by the count, it would have started at the next young pass (the final render).
    before = full_passes()
    assert gc.get_threshold()[2] >= gc.get_count()[2] + threshold[2]
    more = young_passes_until(threshold[2] // 2)
    assert full_passes() == before
    gc_pause.collect_young()  # the memory release
    assert full_passes() == before + 1
    assert gc.get_threshold() == threshold
    assert kept and more


@pytest.mark.usefixtures("collector_as_found")
def test_a_second_stream_keeps_the_interpreter_s_threshold_aside() -> None:
    threshold = gc.get_threshold()
    gc_pause.stream_started()
    gc_pause.stream_ended()  # deferred, not put back yet
    gc_pause.stream_started()
    gc_pause.stream_started()  # two at once (Compare's lanes and a chat)
    gc_pause.stream_ended()
    assert gc_pause.streaming()
    gc_pause.stream_ended()
    gc_pause.stream_ended()  # one too many: changes nothing
    gc.collect()
    gc_pause.collect_young()
    assert gc.get_threshold() == threshold


class Cycle:
    """Garbage only a collection frees (it refers to itself)."""

    def __init__(self) -> None:
        self.me = self


@pytest.mark.usefixtures("collector_as_found")
def test_between_frames_freezes_without_a_pass_past_the_bound_and_a_release_frees_its_garbage_past_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import weakref

    assert not gc_pause.between_frames()  # no stream: nothing to bound
    gc.collect()
    gc.freeze()  # the base
    gc_pause.stream_started()
    try:
        monkeypatch.setattr(gc_pause, "STREAM_GROWTH_MOST", 10**9)
        kept = young_passes_until(2)
        assert not gc_pause.between_frames()
        garbage = Cycle()
        dead = weakref.ref(garbage)
        kept += young_passes_until(2)  # the cycle lives through young passes: now in the oldest generation
        del garbage  # garbage there: only a full pass can free it
        monkeypatch.setattr(gc_pause, "STREAM_GROWTH_MOST", 1_000)
        before, frozen = full_passes(), gc.get_freeze_count()
        assert gc_pause.between_frames()
        assert full_passes() == before  # no pass: the young heap frozen as it is
        assert gc.get_freeze_count() >= frozen + len(kept)
        assert gc_pause.young_count() < 1_000
        assert not gc_pause.between_frames()  # counted afresh from the freeze
    finally:
        gc_pause.stream_ended()
    assert dead() is not None  # frozen with the young heap
    gc_pause.collect_young()  # the release after the streams: a pass over what is not frozen
    assert dead() is not None  # it waits for a settle, as long as the frozen heap grew little
    monkeypatch.setattr(gc_pause, "FROZEN_GROWTH_MOST", 0)
    gc_pause.collect_young()  # past the bound: a full settle
    assert dead() is None


@pytest.mark.usefixtures("collector_as_found")
async def test_a_chat_reply_streams_without_a_full_pass_and_its_release_ends_the_hold(
    gateway: FakeGateway, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    threshold = gc.get_threshold()
    seen: list[tuple[str, int, int]] = []  # (what, full passes, gen-2 threshold)
    young: list[int] = []  # generation-1 passes at the start and at the end of the stream
    kept: list[list[list[int]]] = []
    started, ended, collect = gc_pause.stream_started, gc_pause.stream_ended, gc_pause.collect_young

    def on_start() -> None:
        started()
        seen.append(("start", full_passes(), gc.get_threshold()[2]))
        young.append(middle_passes())
        # How many full passes fall due while the reply streams depends on the machine's pace (8
        # generation-1 passes in a whole run at load 20: none due, and the check below proved
        # nothing). Survivors enough for two, made while the stream is open, make them due on any
        # machine (held nowhere, these start two full passes: see test_a_burst_starts_full_passes).
        kept.extend(young_passes_until(2 * threshold[2]))

    def on_end() -> None:
        seen.append(("end", full_passes(), gc.get_threshold()[2]))
        young.append(middle_passes())
        ended()

    def on_collect() -> int:
        found = collect()
        seen.append(("collected", full_passes(), gc.get_threshold()[2]))
        return found

    releases: list[bool] = []
    real_release = memory_release.release

    def release(app: App[object]) -> bool:
        releases.append(real_release(app))
        return releases[-1]

    monkeypatch.setattr(gc_pause, "stream_started", on_start)
    monkeypatch.setattr(gc_pause, "stream_ended", on_end)
    monkeypatch.setattr(gc_pause, "collect_young", on_collect)
    monkeypatch.setattr(memory_release, "release", release)
    # The burst's blocks do not freeze the young heap mid-stream (that path has tests of its own).
    monkeypatch.setattr(gc_pause, "STREAM_GROWTH_MOST", 10**9)
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=SIZE) as pilot:
        await send(app, pilot, "[[deltas=3000]] a long answer")
        await until(pilot, lambda: releases == [True], "the release after the reply")
    (_, at_start, held), (_, at_end, _), (_, collected, after) = seen
    assert held > 1_000_000  # never reached
    assert young[1] - young[0] >= 2 * threshold[2]  # full passes fell due while it streamed
    assert at_end == at_start  # and none ran
    assert collected > at_end  # the reply's own, on a quiet screen
    assert after == threshold[2]


@pytest.mark.usefixtures("collector_as_found")
def test_a_burst_starts_full_passes_when_nothing_holds_them() -> None:
    # The control for the chat test's burst: with no stream open, it starts full passes.
    threshold = gc.get_threshold()
    gc.collect()  # the oldest generation's size as after any full pass (a pass also needs 25% more)
    before = full_passes()
    kept = young_passes_until(2 * threshold[2])
    assert full_passes() > before
    assert kept


@pytest.mark.ui
@pytest.mark.usefixtures("collector_as_found")
async def test_compare_holds_full_passes_while_its_replies_stream_and_releases_after_them(
    gateway: FakeGateway, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    threshold = gc.get_threshold()
    releases: list[bool] = []
    real_release = memory_release.release

    def release(app: App[object]) -> bool:
        releases.append(real_release(app))
        return releases[-1]

    monkeypatch.setattr(memory_release, "release", release)
    # What the hold set, seen when it was set: polled afterwards, a pause on a loaded machine
    # (it waits for the process to look idle) could outlast the replies and see it released.
    held: list[int] = []
    real_started = gc_pause.stream_started

    def started() -> None:
        real_started()
        held.append(gc.get_threshold()[2] if gc_pause.streaming() else 0)

    monkeypatch.setattr(gc_pause, "stream_started", started)
    gateway.faults.delta_delay = 0.002  # replies that are still arriving when the screen is up
    app = make_app(demo_settings(gateway))
    async with app.run_test() as pilot:
        await open_compare(app, pilot, ["gpt-5.4", "claude-sonnet-4-6"], "[[deltas=400]] hi")
        await until(pilot, lambda: bool(held), "full passes held")
        assert held[0] > 1_000_000
        await until(pilot, lambda: all_ended(app), "all replies ended")
        # Not only when the screen closes: once all ended, as a chat reply's.
        await until(pilot, lambda: releases == [True], "the release after the replies")
        assert not gc_pause.streaming()
        assert gc.get_threshold() == threshold


@pytest.mark.usefixtures("collector_as_found")
def test_forgetting_the_streams_of_a_gone_app_holds_nothing() -> None:
    threshold = gc.get_threshold()
    gc_pause.stream_started()
    gc_pause.stream_started()
    gc_pause.stream_ended()  # one still open when the app quit
    assert gc_pause.streaming() and gc.get_threshold() != threshold
    gc_pause.forget_streams()
    assert not gc_pause.streaming() and gc.get_threshold() == threshold
