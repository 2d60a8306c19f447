"""Full garbage collections held back while a comparison streams, run between frames when due.

- While held, allocation never starts a full pass; one becomes due by the interpreter's own
  count, and collect_if_due runs it (and only then); release puts the threshold back.
- The compare screen holds them while its replies stream and releases them once all ended
  (not only when it closes: the last lane's end went unseen before).
"""

from __future__ import annotations

import gc

import pytest

from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.ui import full_collections
from tests.ui.conftest import AppFactory, demo_settings
from tests.ui.driving import settle, until
from tests.ui.test_compare_screen import all_ended, open_compare


def full_passes() -> int:
    return int(gc.get_stats()[2]["collections"])


def test_held_full_collections_run_only_when_asked_and_when_due() -> None:
    before = gc.get_threshold()
    full_collections.hold()
    try:
        assert not full_collections.collect_if_due() or full_passes() >= 0  # maybe due already
        passes = full_passes()
        kept = []
        while not full_collections.due():
            kept.append([[n] for n in range(1_000)])  # tracked objects: young passes run
        assert full_passes() == passes  # none started on its own
        assert full_collections.collect_if_due()
        assert full_passes() == passes + 1
        assert not full_collections.due() and not full_collections.collect_if_due()
        assert kept
    finally:
        full_collections.release()
    assert gc.get_threshold() == before
    full_collections.release()  # an extra release changes nothing
    assert gc.get_threshold() == before


@pytest.mark.ui
async def test_the_compare_screen_holds_full_collections_while_it_streams_and_releases_them_at_the_end(
    gateway: FakeGateway, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = gc.get_threshold()
    holds: list[int] = []
    hold, release = full_collections.hold, full_collections.release

    def counting_hold() -> None:
        holds.append(1)
        hold()

    def counting_release() -> None:
        holds.append(-1)
        release()

    monkeypatch.setattr(full_collections, "hold", counting_hold)
    monkeypatch.setattr(full_collections, "release", counting_release)
    gateway.faults.delta_delay = 0.002  # replies that are still arriving when the screen is up
    app = make_app(demo_settings(gateway))
    async with app.run_test() as pilot:
        await open_compare(app, pilot, ["gpt-5.4", "claude-sonnet-4-6"], "[[deltas=400]] hi")
        await until(pilot, lambda: bool(holds), "full collections held")
        assert gc.get_threshold()[2] > before[2]
        await until(pilot, lambda: all_ended(app), "all replies ended")
        await until(pilot, lambda: sum(holds) == 0, "released once all ended")
        await settle(app, pilot)
    assert holds == [1, -1]
    assert gc.get_threshold() == before
