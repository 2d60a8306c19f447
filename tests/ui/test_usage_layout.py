"""The usage screen at the widths people use (100, 140, 200 columns): every column of the records
and of the by-model table shows whole, the summary never covers the table, Home/End jump."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.widgets import DataTable

from liaobots_tui.ui.screens.usage import UsageTable
from tests.ui.driving import until
from tests.ui.test_usage_screen import Host, Pages, make_records, screen_for, settle

pytestmark = pytest.mark.ui


def wide_records() -> Pages:
    records = make_records(30)
    records[0] = replace(
        records[0],
        model="gemini-3.1-flash-image-preview",
        input_tokens=163_462,
        output_tokens=57_365,
        cache_hit_tokens=11_796,
        cache_creation_tokens=1_024,
        price=0.059114,
    )
    return Pages(records, size=30)


@pytest.mark.parametrize(("width", "height"), [(100, 30), (140, 42), (200, 60)])
async def test_every_column_shows_and_the_summary_never_covers_the_table(width: int, height: int) -> None:
    screen = screen_for(wide_records())
    app = Host(screen)
    async with app.run_test(size=(width, height)) as pilot:
        await settle(pilot)
        table = screen.query_one("#usage-table", UsageTable)
        models = screen.query_one("#usage-models", DataTable)
        side = screen.query_one("#usage-side")
        await until(pilot, lambda: table.row_count == 30 and models.row_count == 4)
        await until(pilot, lambda: table.size.width > 0 and models.size.width > 0)
        # No sideways scrolling: the headers (price, "cache write") are whole on screen.
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert models.virtual_size.width <= models.scrollable_content_region.width
        assert not table.region.overlaps(side.region)
        assert [str(c.label) for c in models.columns.values()] == ["model", "credits", "records", "tokens"]


async def test_home_and_end_go_to_the_first_and_last_record() -> None:
    screen = screen_for(Pages(make_records(30), size=30))
    app = Host(screen)
    async with app.run_test(size=(140, 42)) as pilot:
        await settle(pilot)
        table = screen.query_one("#usage-table", UsageTable)
        await until(pilot, lambda: table.row_count == 30)
        await pilot.press("end")
        assert table.cursor_row == 29
        await pilot.press("home")
        assert table.cursor_row == 0
