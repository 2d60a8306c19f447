"""The compare screen opens in steps: its first frame paints the columns, each reply box comes after.

- No reply box is mounted when the screen's first frame is drawn; the boxes are mounted
  after it, lane by lane in order (each at least one refresh after the screen opened).
- Nothing is lost meanwhile: the replies' events wait for their box, and each reply
  ends whole in its column (a model that answers before its box is mounted included).
"""

from __future__ import annotations

import pytest
from textual.screen import Screen

from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.ui.screens.compare import CompareScreen, LaneColumn
from tests.ui.conftest import AppFactory, demo_settings
from tests.ui.driving import settle, until
from tests.ui.test_compare_screen import all_ended, open_compare


@pytest.mark.ui
async def test_the_first_frame_paints_the_columns_and_the_boxes_come_after_lane_by_lane(
    gateway: FakeGateway, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    frames: list[int] = []  # per compare frame: how many reply boxes were mounted
    mounted: list[tuple[int, int]] = []  # (lane, compare frames drawn before its box mounted)

    def counted_refresh(screen: CompareScreen) -> None:
        frames.append(sum(1 for column in screen.columns if column.box is not None))
        # Looked up at each call: the suite's frame hook (tests/headless_frames.py) replaces
        # Screen's around each test, and a reference kept here would outlive it.
        Screen._compositor_refresh(screen)

    mount_box = LaneColumn._mount_box

    async def recorded_mount(column: LaneColumn) -> None:
        mounted.append((column.lane.index, len(frames)))
        await mount_box(column)

    # On the compare screen's class only (undone by deleting it): Screen's own stays the suite's.
    monkeypatch.setattr(CompareScreen, "_compositor_refresh", counted_refresh, raising=False)
    monkeypatch.setattr(LaneColumn, "_mount_box", recorded_mount)
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=(140, 30)) as pilot:
        models = ["gpt-5.4", "claude-sonnet-4-6", "gemini-3-pro-preview"]
        screen = await open_compare(app, pilot, models, "[[deltas=60]] an answer")
        await until(pilot, lambda: all_ended(app), "all replies ended")
        await settle(app, pilot)
        assert frames and frames[0] == 0  # the first frame: the columns, no box yet
        assert [lane for lane, _ in mounted] == [0, 1, 2]
        drawn_before = [count for _, count in mounted]
        assert drawn_before[0] >= 1 and drawn_before == sorted(drawn_before)
        for column in screen.columns:
            assert column.box is not None and column.lane.reply.status == "complete"
            assert column.box.copy_text == column.lane.reply.text
