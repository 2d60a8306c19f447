"""UsageScreen: lazy paging, load all, filters, totals, breakdown, sparkline and CSV export."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import math
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, ProgressBar, Select, Sparkline, Static

from liaobots_tui.api.account import UsagePage, UsageRecord, fetch_usage_page
from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.errors import NetworkError
from liaobots_tui.ui.screens.dialogs import ConfirmModal
from liaobots_tui.ui.screens.usage import UsageScreen, UsageTable
from liaobots_tui.usage_csv import write_usage_csv
from liaobots_tui.usage_stats import filter_records, format_credits, totals
from tests.ui import driving

pytestmark = pytest.mark.ui

TODAY = dt.date(2026, 2, 3)


class Host(App[None]):
    def __init__(self, screen: UsageScreen) -> None:
        super().__init__()
        self.usage = screen

    def on_mount(self) -> None:
        self.push_screen(self.usage)


async def settle(pilot: Pilot[None]) -> None:
    await driving.settle(pilot.app, pilot)


def ms(*args: int) -> int:
    return int(dt.datetime(*args).timestamp() * 1000)  # type: ignore[arg-type]


def make_records(n: int) -> list[UsageRecord]:
    """``n`` records newest first, one every 6 hours back from 2026-02-03 18:00 local, 3 models in turn."""
    models = ("gpt-5.4", "claude-sonnet-4-6", "gemini-3-pro-image-preview")
    start = ms(2026, 2, 3, 18, 0)
    out = []
    for i in range(n):
        out.append(
            UsageRecord(
                id=10_000 - i,
                model=models[i % 3],
                tokens=100 + i + 10 * i,
                input_tokens=100 + i,
                output_tokens=10 * i,
                cache_hit_tokens=i % 2,
                cache_creation_tokens=0,
                price=0.25 * (i % 4 + 1),
                create_time=start - i * 6 * 3_600_000,
            )
        )
    return out


class Pages:
    """A paged endpoint over a list, like the gateway's: cursor = id of the first record of the page."""

    def __init__(self, records: list[UsageRecord], size: int = 10) -> None:
        self.records = records
        self.size = size
        self.calls: list[str] = []
        self.gate: asyncio.Event | None = None
        self.fail_on: set[int] = set()

    async def __call__(self, next_id: str) -> UsagePage:
        self.calls.append(next_id)
        if self.gate is not None:
            await self.gate.wait()
        if len(self.calls) in self.fail_on:
            self.fail_on.discard(len(self.calls))
            raise NetworkError("the connection dropped")
        start = 0 if not next_id else next(i for i, r in enumerate(self.records) if str(r.id) == next_id)
        page = self.records[start : start + self.size]
        following = start + self.size
        return UsagePage(page, str(self.records[following].id) if following < len(self.records) else "")


def screen_for(fetch: Pages | object, tmp_path: Path | None = None) -> UsageScreen:
    return UsageScreen(fetch, export_dir=tmp_path, today=lambda: TODAY)  # type: ignore[arg-type]


async def scroll_to_end_until_done(pilot: Pilot[None], screen: UsageScreen, limit: int = 50) -> int:
    """Scroll the table to its end, as a user would, until no pages are left; returns the scroll count."""
    table = screen.query_one("#usage-table", UsageTable)
    table.focus()
    for n in range(limit):
        if not screen.has_more:
            return n
        await pilot.press("ctrl+end")
        await settle(pilot)
    raise AssertionError("paging did not finish")


async def test_pages_load_lazily_as_the_table_scrolls() -> None:
    fetch = Pages(make_records(95), size=10)
    screen = screen_for(fetch)
    async with Host(screen).run_test(size=(110, 30)) as pilot:
        await settle(pilot)
        table = screen.query_one("#usage-table", UsageTable)
        first = len(screen.records)
        # Enough pages to fill the view and let it scroll, not everything.
        assert 10 <= first < 95
        assert table.row_count == first
        assert screen.has_more
        assert screen.status_text == f"{first} records loaded · more as you scroll · a to load all"
        scrolls = await scroll_to_end_until_done(pilot, screen)
        assert scrolls >= 1
        assert len(screen.records) == table.row_count == 95
        assert [r.id for r in screen.records] == [r.id for r in fetch.records]
        assert fetch.calls[0] == "" and len(fetch.calls) == 10
        assert screen.status_text == "all 95 records loaded"
        assert str(table.get_row_at(0)[0]) == "2026-02-03 18:00"


async def test_load_all_shows_progress_with_the_count() -> None:
    fetch = Pages(make_records(35), size=10)
    screen = screen_for(fetch)
    async with Host(screen).run_test(size=(110, 12)) as pilot:
        await settle(pilot)
        loaded = len(screen.records)
        assert loaded < 35
        fetch.gate = gate = asyncio.Event()  # hold the next page while we look at the screen
        await pilot.press("a")
        assert screen.has_class("-loading-all")
        assert screen.query_one("#usage-progress", ProgressBar).display
        assert screen.status_text == f"loading all… {loaded} records loaded"
        fetch.gate = None
        gate.set()
        await settle(pilot)
        assert not screen.has_class("-loading-all")
        assert len(screen.records) == 35
        assert screen.status_text == "all 35 records loaded"
        assert screen.query_one("#usage-progress", ProgressBar).progress == math.ceil((35 - loaded) / 10)


async def test_a_failed_page_is_shown_and_l_retries() -> None:
    fetch = Pages(make_records(30), size=10)
    fetch.fail_on = {2}
    screen = screen_for(fetch)
    # Tall enough that the table (the summary sits under it below 170 columns) wants all 30 rows.
    async with Host(screen).run_test(size=(110, 44), notifications=True) as pilot:
        await settle(pilot)
        assert len(screen.records) == 10
        assert screen.status_text == (
            "couldn't load more: Network error: the connection dropped · 10 loaded · l to retry"
        )
        assert [n.message for n in pilot.app._notifications] == ["Network error: the connection dropped"]
        await pilot.press("l")
        await settle(pilot)
        assert len(screen.records) == 30
        assert screen.status_text == "all 30 records loaded"


async def test_a_repeated_cursor_stops_paging() -> None:
    records = make_records(4)

    async def looping(next_id: str) -> UsagePage:
        return UsagePage(records[:2] if not next_id else records[2:], "same")

    screen = screen_for(looping)
    async with Host(screen).run_test(size=(110, 30)) as pilot:
        await settle(pilot)
        assert len(screen.records) == 4
        assert not screen.has_more
        assert screen.status_text.startswith(
            "couldn't load more: the gateway repeated the page cursor 'same'"
        )


async def test_filters_totals_breakdown_and_sparkline() -> None:
    records = make_records(24)  # 6 days, 2026-01-29 00:00 … 2026-02-03 18:00
    screen = screen_for(Pages(records, size=50))
    async with Host(screen).run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = screen.query_one("#usage-table", UsageTable)
        assert table.row_count == 24
        assert screen.totals_text == (
            "24 records\ninput 2,676 · output 2,760\ncache hit 12 · cache write 0\ncredits 15.00"
        )
        # Model filter through the Select.
        screen.query_one("#usage-model", Select).value = "gpt-5.4"
        await pilot.pause()
        gpt = [r for r in records if r.model == "gpt-5.4"]
        assert table.row_count == len(gpt) == 8
        t = totals(gpt)
        assert screen.totals_text == (
            f"8 records\ninput {t.input_tokens:,} · output {t.output_tokens:,}\n"
            f"cache hit {t.cache_hit_tokens} · cache write 0\ncredits {t.credits:.2f}"
        )
        models = screen.query_one("#usage-models", DataTable)
        assert [str(c) for c in models.get_row_at(0)] == ["gpt-5.4", f"{t.credits:.2f}", "8", f"{t.tokens:,}"]
        # Date range typed by the user: applied once both dates are complete.
        await pilot.click("#usage-from")
        await driving.type_text(pilot, "2026-02-01")
        await pilot.click("#usage-to")
        await driving.type_text(pilot, "2026-02-02")
        await pilot.pause()
        expected = filter_records(
            records, models={"gpt-5.4"}, start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 2)
        )
        assert table.row_count == len(expected) == 2
        assert screen.totals_text.startswith("2 records\n")
        assert screen.totals_text.endswith("\ncredits 1.25")
        spark = screen.query_one("#usage-spark", Sparkline)
        assert list(spark.data or []) == [0.5, 0.75]
        assert str(screen.query_one("#usage-spark-label", Static).content) == (
            "2026-02-01 → 2026-02-02 · max 0.75 credits/day"
        )
        assert screen.status_text == "all 24 records loaded · 2 match the filter"
        # Back to all models.
        screen.set_model_filter(None)
        await pilot.pause()
        assert table.row_count == len(
            filter_records(records, start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 2))
        )


async def test_export_writes_the_filtered_records_as_the_cli_csv(tmp_path: Path) -> None:
    """One screen (each part was its own boot): bad dates get a clear message and keep the filter
    (was test_bad_dates_get_a_clear_message_and_keep_the_filter), then the export, then escape
    closes the export prompt and then the screen (was
    test_escape_closes_the_export_prompt_then_the_screen)."""
    records = make_records(24)
    screen = screen_for(Pages(records, size=50), tmp_path)
    async with Host(screen).run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        # Bad dates: a clear message, and the filter stays as it was.
        await pilot.click("#usage-from")
        await driving.type_text(pilot, "2026-13-01")
        await pilot.pause()
        assert screen.filter_error == "from date '2026-13-01' is not a date; use YYYY-MM-DD, e.g. 2026-01-31"
        assert screen.query_one("#usage-table", UsageTable).row_count == 24
        # A second try in the same field: cleared and typed as one edit each (key by key was 19
        # screen updates for the same final text).
        screen.query_one("#usage-from", Input).clear()
        await driving.type_text(pilot, "2026-2-1")
        await pilot.press("enter")
        await pilot.pause()
        assert screen.filter_error == "from date '2026-2-1' is not a date; use YYYY-MM-DD, e.g. 2026-01-31"
        assert not screen.set_date_filter("2026-02-03", "2026-02-01")
        assert screen.filter_error == "the start date 2026-02-03 is after the end date 2026-02-01"
        assert screen.set_date_filter("2026-02-03", "")
        assert screen.filter_error == ""
        assert screen.query_one("#usage-table", UsageTable).row_count == 4
        assert screen.set_date_filter("", "")  # every date again, for the export below
        await pilot.pause()
        assert screen.query_one("#usage-table", UsageTable).row_count == 24

        # The export writes the filtered records as the CLI's CSV.
        screen.query_one("#usage-table", UsageTable).focus()
        screen.query_one("#usage-model", Select).value = "claude-sonnet-4-6"
        await pilot.pause()
        await pilot.press("e")
        prompt = screen.query_one("#usage-export-path", Input)
        target = tmp_path / "liaobots-usage-20260203.csv"
        assert prompt.value == str(target)
        assert prompt.has_focus
        await pilot.press("enter")
        await pilot.pause()
        expected = io.StringIO()
        count = write_usage_csv([r for r in records if r.model == "claude-sonnet-4-6"], expected)
        assert count == 8
        assert target.read_text(encoding="utf-8") == expected.getvalue()
        assert [n.message for n in pilot.app._notifications] == [f"Wrote 8 records to {target}"]
        assert not prompt.has_class("-open")
        # A second export to the same file asks before overwriting; Cancel (focused) keeps the file.
        target.write_text("mine", encoding="utf-8")
        await pilot.press("e", "enter")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmModal)
        await pilot.press("enter")
        await pilot.pause()
        assert target.read_text(encoding="utf-8") == "mine"
        assert list(pilot.app._notifications)[-1].message == f"Not exported: {target} was left as it was"
        await pilot.press("e", "enter")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert list(pilot.app._notifications)[-1].message == f"Wrote 8 records to {target}"
        assert target.read_text(encoding="utf-8") == expected.getvalue()

        # Escape closes the export prompt, then the screen.
        await pilot.press("e")
        assert screen.query_one("#usage-export-path", Input).has_class("-open")
        await pilot.press("escape")
        assert not screen.query_one("#usage-export-path", Input).has_class("-open")
        assert pilot.app.screen is screen
        # Closing removes the children before the screen: a late "is the table short?" finds none.
        await screen.query_one("#usage-table", UsageTable).remove()
        assert not screen._table_short()
        screen._fill_if_short()  # no NoMatches (it crashed the app on a busy machine)
        await pilot.press("escape")
        await pilot.pause()
        assert pilot.app.screen is not screen


# ---------------------------------------------------------------- through the fake gateway


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    with FakeGateway(auth_code="sk-test-usage-0000", usage_records_seed=137) as gw:
        yield gw


@pytest.fixture
async def client(gateway: FakeGateway) -> AsyncIterator[GatewayClient]:
    async with GatewayClient(gateway.urls, "sk-test-usage-0000") as c:
        yield c


async def test_gateway_pages_through_every_record_and_exports_them(
    gateway: FakeGateway, client: GatewayClient, tmp_path: Path
) -> None:
    screen = UsageScreen(
        lambda next_id: fetch_usage_page(client, page_size=20, next_id=next_id), export_dir=tmp_path
    )
    async with Host(screen).run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert len(screen.records) < 137
        await scroll_to_end_until_done(pilot, screen)
        expected = [UsageRecord.from_json(r) for r in gateway.usage_records]
        assert [r.id for r in screen.records] == [r.id for r in expected]
        pages = [r for r in gateway.requests if r.query.get("include_usage") == "true"]
        assert len(pages) == math.ceil(137 / 20)
        assert screen.status_text == "all 137 records loaded"
        # Filters and totals against the gateway's own list.
        model = expected[0].model
        screen.query_one("#usage-model", Select).value = model
        await pilot.pause()
        mine = [r for r in expected if r.model == model]
        t = totals(mine)
        assert screen.query_one("#usage-table", UsageTable).row_count == len(mine)
        assert screen.totals_text.splitlines()[0] == f"{len(mine)} records"
        assert screen.totals_text.splitlines()[-1] == f"credits {format_credits(t.credits)}"
        path, count = screen.export_to(str(tmp_path / "out.csv"))
        csv = io.StringIO()
        write_usage_csv(mine, csv)
        assert count == len(mine)
        assert path.read_text(encoding="utf-8") == csv.getvalue()


async def test_credits_column_is_one_format_with_aligned_points() -> None:
    """Prices read like every other credits figure (no ``0.017655``), points aligned, even across pages."""
    records = make_records(6)
    prices = [1234.5, 0.017655, 0.5, 8.195, 0.0505, 0.000123]
    records = [replace(r, price=p) for r, p in zip(records, prices, strict=True)]
    screen = screen_for(Pages(records, size=3))  # the 4-decimal and 6-decimal prices come on pages 1 and 2
    async with Host(screen).run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await scroll_to_end_until_done(pilot, screen)
        table = screen.query_one("#usage-table", UsageTable)
        cells = [str(table.get_row_at(i)[2]) for i in range(table.row_count)]
        assert [c.strip() for c in cells] == ["1,234.50", "0.0177", "0.50", "8.20", "0.0505", "0.000123"]
        # Cells are right-justified: equal room from the point to the end puts the points in one column.
        assert len({len(c) - c.index(".") for c in cells}) == 1
        models = screen.query_one("#usage-models", DataTable)
        shown = [str(models.get_row_at(i)[1]) for i in range(models.row_count)]
        assert len({c.index(".") for c in shown}) == 1 and len({len(c) for c in shown}) == 1
