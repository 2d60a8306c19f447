"""Compare lanes do less per frame: what they show stays whole and current.

- The figures line updates (four times a second) without asking for a layout of the screen
  while its text takes the same rows; it asks for one, and grows, when the text wraps onto more.
- A lane's view parks pieces closer to its edges than the chat: at the end every shown
  sealed piece is within the view or its small margin, and the reply text is whole.
- A lane's writes bring at most its share of the screen's characters per write.
- While streams run, survivors of full collections are frozen up to a bound counted
  without walking every frozen object.
"""

from __future__ import annotations

from functools import partial

import pytest
from textual.content import Content
from textual.widgets import Static

from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.ui.screens import compare
from liaobots_tui.ui.screens.compare import (
    COLUMN_WIDTH,
    LANES_FLUSH_CHARS,
    CompareScreen,
    LaneView,
    lane_figures,
)
from liaobots_tui.ui.widgets import markdown_pieces
from liaobots_tui.ui.widgets.conversation import ConversationView
from liaobots_tui.ui.widgets.markdown_column import MarkdownColumn
from tests.ui.conftest import AppFactory, demo_settings
from tests.ui.driving import settle, until
from tests.ui.test_compare_screen import all_ended, open_compare

MODELS = ["gpt-5.4", "claude-sonnet-4-6", "gemini-3-pro-preview"]
PROMPT = "[[deltas=600]] a long answer"


def figures_fit(figures: Static) -> bool:
    size = figures.content_size
    return bool(size.width) and figures.get_content_height(size, size, size.width) == size.height


@pytest.mark.ui
async def test_lanes_show_current_figures_that_fit_and_park_close_to_the_view(
    gateway: FakeGateway, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(markdown_pieces, "SEAL_BLOCKS", 5)  # several pieces from a short reply
    layouts: list[Static] = []
    refresh = Static.refresh

    def counting_refresh(self: Static, *args: object, layout: bool = False, **kwargs: object) -> Static:
        if layout and "lane-figures" in self.classes:
            layouts.append(self)
        return refresh(self, *args, layout=layout, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Static, "refresh", counting_refresh)
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=(3 * COLUMN_WIDTH + 6, 24)) as pilot:
        screen = await open_compare(app, pilot, MODELS, PROMPT)
        assert isinstance(screen, CompareScreen) and not screen.tabbed
        await until(pilot, lambda: all(c.box is not None for c in screen.columns), "columns mounted")
        for column in screen.columns:
            assert isinstance(column.view, LaneView)
            assert column.box is not None
            # A lane's write brings its share of what the screen gets per round of writes.
            assert all(c.FLUSH_CHARS * 3 <= LANES_FLUSH_CHARS for c in column.box.columns)
        await until(pilot, lambda: all_ended(app), "all replies ended")
        await settle(app, pilot)
        for column in screen.columns:
            figures = column.query_one(".lane-figures", Static)
            await until(pilot, partial(figures_fit, figures), "figures line fits its text")
            assert str(figures.render()) == str(lane_figures(column.lane))  # the latest figures
        # Figures that take the rows they took: no layout of the screen.
        column = screen.columns[0]
        figures = column.query_one(".lane-figures", Static)
        asked = len(layouts)
        column.refresh_figures()
        assert len(layouts) == asked
        # Figures that wrap onto more rows: a layout, and the line grows to fit them.
        rows = figures.size.height
        longer = Content(str(lane_figures(column.lane)) + " · a much longer figures line" * 3)

        def longer_figures(lane: object) -> Content:
            return longer

        monkeypatch.setattr(compare, "lane_figures", longer_figures)
        column.refresh_figures()
        assert len(layouts) == asked + 1
        await until(pilot, lambda: figures.size.height > rows and figures_fit(figures), "line grew")
        assert str(figures.render()) == str(longer)

        for column in screen.columns:
            box = column.box
            assert box is not None
            assert box.copy_text == gateway.reply_text_for(column.lane.model, PROMPT)
            (markdown,) = box.columns
            view = column.view.region
            margin = round(view.height * LaneView.PARK_MARGIN)
            top, bottom = view.y - margin, view.bottom + margin

            def shown_near(m: MarkdownColumn = markdown, top: int = top, bottom: int = bottom) -> bool:
                return all(p.region.bottom >= top and p.region.y <= bottom for p in m.pieces[:-1])

            await until(pilot, shown_near, f"{column.lane.model}: only pieces near the view drawn")
            assert markdown.parked_flags[0]


def test_lanes_park_closer_than_the_chat() -> None:
    assert 0 < LaneView.PARK_MARGIN < ConversationView.PARK_MARGIN
