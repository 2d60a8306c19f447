"""Compare lanes do less per frame: what they show stays whole and current.

- The figures line updates (four times a second) without asking for a layout of the screen
  while its text takes the same rows; it asks for one, and grows, when the text wraps onto more.
- A lane's view parks pieces closer to its edges than the chat: at the end every shown
  sealed piece is within the view or its small margin, and the reply text is whole.
- A lane's writes bring at most its share of the screen's characters per write.
- A lane never shows the chat's welcome lines.
"""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult

from liaobots_tui.ui.screens.compare import LaneView
from liaobots_tui.ui.widgets.conversation import ConversationView
from tests.ui.driving import settle

# The Pilot test of the first three points,
# test_lanes_show_current_figures_that_fit_and_park_close_to_the_view, streamed the same three long
# replies as test_long_replies_side_by_side_park_what_is_off_screen_and_keep_stores_the_whole_reply
# (test_compare_stays_responsive.py) in an app of its own: its checks run in that test's app now
# (check_lane_figures_and_margins there), one boot and one scene instead of two.


def test_lanes_park_closer_than_the_chat() -> None:
    assert 0 < LaneView.PARK_MARGIN < ConversationView.PARK_MARGIN


class LaneApp(App[None]):
    def compose(self) -> ComposeResult:
        yield LaneView()


@pytest.mark.ui
async def test_a_lane_never_shows_the_chats_welcome_lines() -> None:
    """Shown until the reply's box mounted, they were laid out and drawn three times in the
    compare screen's first frame, then hidden."""
    app = LaneApp()
    async with app.run_test(size=(40, 12)) as pilot:
        await settle(app, pilot)
        view = app.query_one(LaneView)
        assert not view.boxes()
        assert not view.query_one("#welcome").display
        assert view.query_one("#welcome").region.height == 0
