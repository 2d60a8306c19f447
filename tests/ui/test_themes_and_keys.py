"""The theme picker lists the liaobots themes first; Home/End in the usage table: first/last record."""

from __future__ import annotations

from textual.command import CommandPalette
from textual.widgets import OptionList

from liaobots_tui.store import Store
from liaobots_tui.ui.screens.usage import UsageTable
from liaobots_tui.ui.theme_picker import OURS, theme_order
from tests.ui.conftest import SIZE, AppFactory, offline_client, offline_settings
from tests.ui.driving import settle, until
from tests.ui.test_usage_screen import Host, Pages, make_records, screen_for


def test_theme_order_puts_ours_first_then_the_rest_by_name() -> None:
    names = ["nord", "liaobots-light", "dracula", "liaobots-high-contrast", "liaobots-dark", "mine"]
    assert theme_order(names) == [*OURS, "dracula", "mine", "nord"]
    assert theme_order(["nord", "liaobots-light"]) == ["liaobots-light", "nord"]


async def test_the_theme_picker_opens_with_the_liaobots_themes_on_top(
    make_app: AppFactory, store: Store
) -> None:
    app = make_app(offline_settings(), client_factory=offline_client)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.action_change_theme()
        await until(
            pilot, lambda: isinstance(app.screen, CommandPalette) and bool(app.screen.query(OptionList))
        )
        options = app.screen.query_one(OptionList)
        await until(pilot, lambda: options.option_count >= len(OURS) + 1, "the themes listed")
        shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert shown[: len(OURS)] == list(OURS)
        assert len(shown) > len(OURS) and shown[len(OURS) :] == sorted(shown[len(OURS) :])
        await pilot.press("down", "enter")  # the second entry: liaobots-light
        await until(pilot, lambda: app.theme == "liaobots-light", "the theme to change")


async def test_home_and_end_in_the_usage_table_go_to_the_first_and_last_record() -> None:
    screen = screen_for(Pages(make_records(25), size=25))
    app = Host(screen)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot.app, pilot)
        table = screen.query_one("#usage-table", UsageTable)
        await until(pilot, lambda: table.row_count == 25, "the records")
        table.focus()
        await pilot.press("end")
        await until(pilot, lambda: table.cursor_row == 24, "the last record")
        assert table.scroll_y == table.max_scroll_y and table.scroll_x == 0
        await pilot.press("home")
        await until(pilot, lambda: table.cursor_row == 0, "the first record")
        assert table.scroll_y == 0
