"""Compare lanes do less per frame: what they show stays whole and current.

- The figures line updates (four times a second) without asking for a layout of the screen
  while its text takes the same rows; it asks for one, and grows, when the text wraps onto more.
- A lane's view parks pieces closer to its edges than the chat: at the end every shown
  sealed piece is within the view or its small margin, and the reply text is whole.
- A lane's writes bring at most its share of the screen's characters per write.
"""

from __future__ import annotations

from liaobots_tui.ui.screens.compare import LaneView
from liaobots_tui.ui.widgets.conversation import ConversationView

# The Pilot test of the first three points,
# test_lanes_show_current_figures_that_fit_and_park_close_to_the_view, streamed the same three long
# replies as test_long_replies_side_by_side_park_what_is_off_screen_and_keep_stores_the_whole_reply
# (test_compare_stays_responsive.py) in an app of its own: its checks run in that test's app now
# (check_lane_figures_and_margins there), one boot and one scene instead of two.


def test_lanes_park_closer_than_the_chat() -> None:
    assert 0 < LaneView.PARK_MARGIN < ConversationView.PARK_MARGIN
