"""A streamed reply's text shows while it streams, however late the loop gets to the next flush.

The column hands queued deltas to its live piece on a timer (``MarkdownColumn.flush``). On
Textual's one-shot timer a tick the loop reached later than its delay was skipped, the only
one: the flush never came, the timer stayed set, and nothing more showed until the reply
ended. The flush is on the event loop's own timer now (``textual_compat.call_next_after``).
"""

from __future__ import annotations

import pytest

from liaobots_tui.ui.widgets.markdown_column import MarkdownColumn
from tests.test_draw_after_layout import late_loop
from tests.ui.column_app import ColumnApp
from tests.ui.driving import until

pytestmark = pytest.mark.ui


async def test_queued_text_is_flushed_when_the_loop_gets_to_its_timer_late(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Delays shorter than the late clock's step (2 ms), as a loop preempted for longer than
    # THROTTLE or DRAIN_PAUSE would find them.
    monkeypatch.setattr(MarkdownColumn, "THROTTLE", 0.001)
    monkeypatch.setattr(MarkdownColumn, "DRAIN_PAUSE", 0.001)
    column = MarkdownColumn(streaming=True)
    async with ColumnApp(column).run_test(size=(60, 20)) as pilot:
        late_loop(monkeypatch)
        for text in ("Hello **world**\n\n", "- a\n- b\n"):
            column.append(text)  # no finish(): only the timer's flush shows it
            await until(pilot, lambda: column.written_out, "the timer's flush")
        assert [piece.source for piece in column.pieces] == ["Hello **world**\n\n- a\n- b\n"]
        await column.finish()
