"""UsageScreen: browse, filter, chart and export the gateway's usage records.

A DataTable of records (local time, model, input/output/cache tokens, price)
that loads pages lazily through ``nextId``: the first page on open, the next one
whenever the cursor or the scroll position nears the end (a DataTable has no
virtual data source, so rows are added as the view nears its end; in a
worker), and every page with "load all" (``a``; a ProgressBar with the count,
since the total is unknown; ``Esc`` stops it). Filters: a model Select and a
date range (two ``YYYY-MM-DD`` inputs in local dates, applied on a complete date
or Enter, with a clear message for a bad one). Beside the table: totals of the
filtered loaded rows, a per-model breakdown and a Sparkline of credits per day.
``e`` exports the loaded, filtered records with :func:`~liaobots_tui.usage_csv.write_usage_csv`
(the CSV of ``liaobots usage --csv``) to a path the user confirms (offered in the app's export
folder); an existing file is replaced only after a confirm dialog says so.

Integration (app): open it with a key and a palette command::

    self.push_screen(UsageScreen(lambda next_id: fetch_usage_page(client, next_id=next_id)))

Nothing to handle; ``Esc`` pops it. Tests pass any ``async (next_id) -> UsagePage``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input, ProgressBar, Select, Sparkline, Static

from liaobots_tui.api.account import UsagePage, UsageRecord
from liaobots_tui.errors import InputError
from liaobots_tui.numbers import align_decimals, credits_text, fraction_width, local_time_text
from liaobots_tui.ui.export_actions import write_asking
from liaobots_tui.ui.plain import plain, plain_cell
from liaobots_tui.ui.widgets.credits_panel import describe_error
from liaobots_tui.ui.widgets.keys_footer import KeysFooter
from liaobots_tui.usage_csv import write_usage_csv
from liaobots_tui.usage_stats import (
    by_model,
    check_range,
    credits_per_day,
    filter_records,
    format_credits,
    parse_day,
    totals,
)

FetchPage = Callable[[str], Awaitable[UsagePage]]

#: From this terminal width the summary sits beside the records table; below it, under it.
WIDE = 170
#: Width of the by-model table's model column (longer ids are cut there, the numbers always show).
MODEL_CELLS = 22


def _local(ms: int) -> str:
    # Minutes are enough to find a reply; the three cells of seconds let the table fit 100 columns.
    text = local_time_text(ms)
    return text if text == "?" else text[:-3]


def _credits_cell(value: float, fraction: int) -> Text:
    """A price, padded so the decimal points of the column line up."""
    return _aligned(align_decimals([format_credits(value)], min_fraction=fraction)[0])


def _aligned(text: str) -> Text:
    """A number padded by :func:`align_decimals`, right-justified with its padding kept.

    Right-justifying a cell strips trailing spaces, which undid the alignment: pad with figure spaces.
    """
    stripped = text.rstrip(" ")
    return Text(stripped + "\u2007" * (len(text) - len(stripped)), justify="right")


def _num(value: int) -> Text:
    return Text(f"{value:,}", justify="right")


def default_export_path(today: dt.date, directory: Path | None = None) -> Path:
    """``~/liaobots-usage-YYYYMMDD.csv`` (or in ``directory``)."""
    return (directory or Path.home()) / f"liaobots-usage-{today:%Y%m%d}.csv"


class UsageTable(DataTable[Text | str]):
    """The records table; posts :class:`NearEnd` when the view gets within a few rows of the end."""

    #: Rows from the end at which the next page is requested.
    MARGIN = 5

    # DataTable's own home/end scroll sideways; in a list of records they mean the first/last one.
    BINDINGS = [
        Binding("home,ctrl+home", "first_record", "First record", show=False),
        Binding("end,ctrl+end", "last_record", "Last record", show=False),
    ]

    def action_first_record(self) -> None:
        if self.row_count:
            self.move_cursor(row=0, scroll=True)

    def action_last_record(self) -> None:
        """The last loaded record (reaching the end asks for the next page, as scrolling does)."""
        if self.row_count:
            self.move_cursor(row=self.row_count - 1, scroll=True)

    class NearEnd(Message):
        pass

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self.row_count and new_value >= self.max_scroll_y - self.MARGIN:
            self.post_message(self.NearEnd())


class UsageScreen(Screen[None]):
    """Usage records with lazy paging, filters, totals, a per-day chart and CSV export."""

    DEFAULT_CSS = """
    UsageScreen { background: $background; }
    UsageScreen #usage-title { height: 1; padding: 0 1; text-style: bold; color: $primary; }
    UsageScreen #usage-filters { height: 3; padding: 0 1; }
    UsageScreen #usage-filters > Select { width: 34; }
    UsageScreen #usage-filters > Input { width: 21; }
    UsageScreen #usage-filter-error { width: 1fr; padding: 1 1 0 1; color: $error; }
    UsageScreen #usage-main { height: 1fr; }
    UsageScreen #usage-table { width: 1fr; height: 1fr; }
    UsageScreen #usage-side { width: 60; height: 1fr; padding: 0 1; background: $surface; overflow-y: auto; }
    UsageScreen #usage-summary { height: auto; }
    UsageScreen #usage-by-model { height: 1fr; }
    UsageScreen #usage-totals { height: auto; }
    UsageScreen .usage-heading { margin-top: 1; color: $text-muted; }
    UsageScreen #usage-spark { height: 3; }
    UsageScreen #usage-models { height: 1fr; min-height: 5; }
    /* Under WIDE columns the records table takes the whole width (the side panel beside it hid the
       price and cut cells) and the summary goes below it, its two halves side by side. */
    UsageScreen.-narrow #usage-main { layout: vertical; }
    UsageScreen.-narrow #usage-side { width: 1fr; height: 12; layout: horizontal; }
    UsageScreen.-narrow #usage-summary { width: 42; height: 1fr; padding-right: 2; }
    UsageScreen.-narrow #usage-by-model { width: 1fr; }
    UsageScreen.-narrow .usage-heading { margin-top: 0; }
    UsageScreen #usage-loadbar { height: 1; padding: 0 1; }
    UsageScreen #usage-progress { width: 30; display: none; }
    UsageScreen.-loading-all #usage-progress { display: block; }
    UsageScreen #usage-status { width: 1fr; color: $text-muted; }
    UsageScreen.-error #usage-status { color: $error; }
    UsageScreen #usage-export-path { dock: bottom; display: none; }
    UsageScreen #usage-export-path.-open { display: block; }
    """

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("a", "load_all", "Load all"),
        Binding("l", "load_more", "Load more", show=False),
        Binding("e", "export", "Export CSV"),
        Binding("f", "focus_filter", "Filter"),
    ]

    def __init__(
        self,
        fetch_page: FetchPage,
        *,
        export_dir: Path | None = None,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        super().__init__()
        self._fetch_page = fetch_page
        self._export_dir = export_dir
        self._today = today
        self.records: list[UsageRecord] = []
        self.filtered: list[UsageRecord] = []
        self._ids: set[int | str] = set()
        #: Cursor of the next page: None before the first page, "" once all are loaded.
        self.next_id: str | None = None
        self._cursors_seen: set[str] = set()
        self.fetching = False
        self.loading_all = False
        self.error: str | None = None
        self._models: list[str] = []
        self._model: str | None = None
        #: Characters from the decimal point on in the credits column (".00" at least).
        self._credits_fraction = 3
        self._start: dt.date | None = None
        self._end: dt.date | None = None

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static(Content("Usage history"), id="usage-title")
        with Horizontal(id="usage-filters"):
            yield Select[str]([], prompt="all models", id="usage-model")
            yield Input(placeholder="from YYYY-MM-DD", id="usage-from", max_length=10)
            yield Input(placeholder="to YYYY-MM-DD", id="usage-to", max_length=10)
            yield Static(Content(""), id="usage-filter-error")
        with Horizontal(id="usage-main"):
            # Two-line headers: "cache write" over its 5-digit numbers cost the table its 100-column fit.
            table = UsageTable(id="usage-table", cursor_type="row", zebra_stripes=True, header_height=2)
            table.add_column("time\n(local)", key="time")
            table.add_column("model", key="model")
            # The cost right after the model: on a narrow terminal the token columns go off
            # screen before it does.
            table.add_column("credits", key="price")
            for key in ("input", "output", "cache hit", "cache write"):
                table.add_column(key.replace(" ", "\n"), key=key)
            yield table
            with Vertical(id="usage-side"):
                with Vertical(id="usage-summary"):
                    yield Static(Content(""), id="usage-totals")
                    yield Static(Content("Credits per day"), classes="usage-heading")
                    yield Sparkline([], summary_function=max, id="usage-spark")
                    yield Static(Content(""), id="usage-spark-label")
                with Vertical(id="usage-by-model"):
                    yield Static(Content("By model"), classes="usage-heading")
                    models = DataTable[Text | str](id="usage-models", cursor_type="none")
                    models.add_column("model", key="model", width=MODEL_CELLS)
                    models.add_columns("credits", "records", "tokens")
                    yield models
        with Horizontal(id="usage-loadbar"):
            yield ProgressBar(total=None, show_eta=False, show_percentage=False, id="usage-progress")
            yield Static(Content("loading…"), id="usage-status")
        yield Input(placeholder="export CSV to path", id="usage-export-path")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.set_class(self.app.size.width < WIDE, "-narrow")
        self.query_one("#usage-table", UsageTable).focus()
        self._refresh_summary()
        self.load_more()

    # ------------------------------------------------------------------ paging

    @property
    def has_more(self) -> bool:
        return self.next_id != ""

    def load_more(self) -> None:
        """Fetch the next page unless one is loading or none is left."""
        if self.fetching or self.loading_all or not self.has_more:
            return
        self.fetching = True
        self._load_pages()

    def action_load_more(self) -> None:
        self.error = None
        self.load_more()

    @work(group="usage-pages", exit_on_error=False)
    async def _load_pages(self) -> None:
        try:
            await self._fetch_next()
            # Keep filling while the table cannot scroll yet, so scrolling can ask for more.
            while self.has_more and self.error is None and self._table_short():
                await self._fetch_next()
        finally:
            if not self.loading_all:  # a cancelled lazy load must not clear load-all's flag
                self.fetching = False
            self._show_status()
        # The first page may arrive before the table's first layout (height 0): check again after it.
        self.call_after_refresh(self._fill_if_short)

    def _fill_if_short(self) -> None:
        if not self.is_attached:
            return  # the screen was closed before its after-refresh callback ran
        if self.has_more and self.error is None and self._table_short():
            self.load_more()

    def on_resize(self) -> None:
        self.set_class(self.app.size.width < WIDE, "-narrow")
        self._fill_if_short()

    def _table_short(self) -> bool:
        # While the screen closes its children go first: an after-refresh check can find no table.
        table = next(iter(self.query("#usage-table").results(UsageTable)), None)
        if table is None or not table.size.height:
            return False  # closing, or not laid out yet (_fill_if_short runs again after the first refresh)
        visible = table.size.height - 1
        return table.row_count < visible + UsageTable.MARGIN

    def action_load_all(self) -> None:
        if self.loading_all or not self.has_more:
            return
        self.workers.cancel_group(self, "usage-pages")
        self.fetching = True
        self.loading_all = True
        self.add_class("-loading-all")
        self.error = None
        self._load_all()

    @work(group="usage-pages", exit_on_error=False)
    async def _load_all(self) -> None:
        bar = self.query_one("#usage-progress", ProgressBar)
        try:
            while self.has_more and self.error is None:
                await self._fetch_next()
                bar.advance(1)
        finally:
            self.fetching = False
            self.loading_all = False
            self.remove_class("-loading-all")
            self._show_status()

    async def _fetch_next(self) -> None:
        cursor = self.next_id or ""
        self._show_status()
        try:
            page = await self._fetch_page(cursor)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # shown on the status line; scrolling or `l` retries
            self.error = describe_error(exc)
            self._show_status()
            self.notify(self.error, title="Usage", severity="error", markup=False)
            return
        self._add_page(cursor, page)

    def _add_page(self, cursor: str, page: UsagePage) -> None:
        fresh = [r for r in page.records if r.id not in self._ids]
        self._ids.update(r.id for r in fresh)
        self.records.extend(fresh)
        next_id = page.next_id if page.records else ""
        if next_id and (next_id == cursor or next_id in self._cursors_seen):
            # A repeated cursor would loop forever; stop with what we have.
            self.error = f"the gateway repeated the page cursor {next_id!r}; stopped"
            next_id = ""
        if next_id:
            self._cursors_seen.add(next_id)
        self.next_id = next_id
        self._update_model_options()
        added = self._apply(fresh)
        self.filtered.extend(added)
        self._add_rows(added)
        self._refresh_summary()

    def on_usage_table_near_end(self, event: UsageTable.NearEnd) -> None:
        event.stop()
        if self.error is None:
            self.load_more()

    # ------------------------------------------------------------------ filters

    def _apply(self, records: list[UsageRecord]) -> list[UsageRecord]:
        return filter_records(
            records, models=[self._model] if self._model else None, start=self._start, end=self._end
        )

    def _refilter(self) -> None:
        self.filtered = self._apply(self.records)
        table = self.query_one("#usage-table", UsageTable)
        table.clear()
        self._add_rows(self.filtered)
        self._refresh_summary()
        self._fill_if_short()

    def _add_rows(self, records: list[UsageRecord]) -> None:
        table = self.query_one("#usage-table", UsageTable)
        wider = max((fraction_width(format_credits(r.price)) for r in records), default=0)
        if wider > self._credits_fraction:
            # Decimal points stay in one column: rows already shown are redrawn at the new width.
            self._credits_fraction = wider
            if table.row_count:
                table.clear()
                records = self.filtered
        table.add_rows(
            [
                _local(r.create_time),
                plain_cell(r.model),
                _credits_cell(r.price, self._credits_fraction),
                _num(r.input_tokens),
                _num(r.output_tokens),
                _num(r.cache_hit_tokens),
                _num(r.cache_creation_tokens),
            ]
            for r in records
        )

    def _update_model_options(self) -> None:
        models = sorted({r.model for r in self.records})
        if models == self._models:
            return
        self._models = models
        select = self.query_one("#usage-model", Select)
        with self.prevent(Select.Changed):
            # Model names come from the gateway: a str prompt would be parsed as markup.
            select.set_options([(plain_cell(m), m) for m in models])
            if self._model in models:
                select.value = self._model

    @on(Select.Changed, "#usage-model")
    def _model_changed(self, event: Select.Changed) -> None:
        value = event.value
        model = value if isinstance(value, str) else None
        if model != self._model:
            self._model = model
            self._refilter()

    def set_model_filter(self, model: str | None) -> None:
        """Filter to one model (None: all); the Select follows."""
        select = self.query_one("#usage-model", Select)
        if model is None:
            select.clear()
        else:
            select.value = model

    @on(Input.Changed, "#usage-from, #usage-to")
    def _date_typed(self, event: Input.Changed) -> None:
        # Apply as soon as a date is complete or cleared; half-typed dates wait for Enter.
        if len(event.value.strip()) in (0, 10):
            self._apply_dates(quiet=len(event.value.strip()) != 10)

    @on(Input.Submitted, "#usage-from, #usage-to")
    def _date_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._apply_dates(quiet=False)

    def _apply_dates(self, *, quiet: bool) -> bool:
        """Validate both date inputs; apply them if valid, else show why. Returns validity."""
        start_in = self.query_one("#usage-from", Input)
        end_in = self.query_one("#usage-to", Input)
        message = self.query_one("#usage-filter-error", Static)
        try:
            start = parse_day(start_in.value, label="from date")
            end = parse_day(end_in.value, label="to date")
            check_range(start, end)
        except InputError as exc:
            if not quiet:
                message.update(Content(exc.message))
            return False
        message.update(Content(""))
        if (start, end) != (self._start, self._end):
            self._start, self._end = start, end
            self._refilter()
        return True

    def set_date_filter(self, start: str, end: str) -> bool:
        """Type into both date inputs and apply them (what the user does; used by tests)."""
        with self.prevent(Input.Changed):
            self.query_one("#usage-from", Input).value = start
            self.query_one("#usage-to", Input).value = end
        return self._apply_dates(quiet=False)

    @property
    def filter_error(self) -> str:
        return str(self.query_one("#usage-filter-error", Static).content)

    def action_focus_filter(self) -> None:
        self.query_one("#usage-model", Select).focus()

    # ------------------------------------------------------------------ summary

    def _refresh_summary(self) -> None:
        t = totals(self.filtered)
        partial = " (loaded so far)" if self.has_more else ""
        self.query_one("#usage-totals", Static).update(
            Content(
                f"{t.count:,} records{partial}\n"
                f"input {t.input_tokens:,} · output {t.output_tokens:,}\n"
                f"cache hit {t.cache_hit_tokens:,} · cache write {t.cache_creation_tokens:,}\n"
                f"credits {format_credits(t.credits)}"
            )
        )
        days = credits_per_day(self.filtered, start=self._start, end=self._end)
        self.query_one("#usage-spark", Sparkline).data = [v for _, v in days]
        label = ""
        if days:
            peak = max(v for _, v in days)
            label = f"{days[0][0]} → {days[-1][0]} · max {credits_text(peak)}/day"
        self.query_one("#usage-spark-label", Static).update(Content(label))
        models = self.query_one("#usage-models", DataTable)
        models.clear()
        groups = by_model(self.filtered)
        column = align_decimals([format_credits(mt.credits) for _, mt in groups])
        for (name, mt), credits_cell in zip(groups, column, strict=True):
            models.add_row(
                plain_cell(name),
                _aligned(credits_cell),
                _num(mt.count),
                _num(mt.tokens),
            )
        self._show_status()

    def _show_status(self) -> None:
        if not self.children:  # not composed yet
            return
        self.set_class(self.error is not None, "-error")
        n = len(self.records)
        if self.error is not None:
            text = f"couldn't load more: {self.error} · {n:,} loaded · l to retry"
        elif self.loading_all:
            text = f"loading all… {n:,} records loaded"
        elif self.fetching:
            text = f"loading… {n:,} records loaded"
        elif self.has_more:
            text = f"{n:,} records loaded · more as you scroll · a to load all"
        else:
            text = f"all {n:,} records loaded"
        shown = len(self.filtered)
        if shown != n:
            text += f" · {shown:,} match the filter"
        self.query_one("#usage-status", Static).update(plain(text))  # the error is the gateway's

    @property
    def status_text(self) -> str:
        return str(self.query_one("#usage-status", Static).content)

    @property
    def totals_text(self) -> str:
        return str(self.query_one("#usage-totals", Static).content)

    # ------------------------------------------------------------------ export

    def action_export(self) -> None:
        prompt = self.query_one("#usage-export-path", Input)
        prompt.value = str(default_export_path(self._today(), self._export_dir))
        prompt.add_class("-open")
        prompt.focus()

    @on(Input.Submitted, "#usage-export-path")
    def _export_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value
        try:
            path = self.export_path(text)
        except InputError as exc:
            self.notify(exc.message, title="Export", severity="warning", markup=False)
            return
        event.input.remove_class("-open")
        self.query_one("#usage-table", UsageTable).focus()

        def write(replace: bool) -> str:
            _, count = self.export_to(text, replace=replace)
            return f"Wrote {count:,} records to {path}"

        write_asking(self, path, write, what="CSV export")

    def export_path(self, text: str) -> Path:
        """Where ``text`` says to write the CSV (a folder gets the default file name).

        Raises:
            InputError: no path typed.
        """
        if not text.strip():
            raise InputError("type a path for the CSV file")
        path = Path(text.strip()).expanduser()
        return default_export_path(self._today(), path) if path.is_dir() else path

    def export_to(self, text: str, *, replace: bool = False) -> tuple[Path, int]:
        """Write the loaded, filtered records as CSV; an existing file only when ``replace``.

        Raises:
            InputError: empty path, or a write failure.
            FileExistsError: the file exists and ``replace`` is False (nothing written).
        """
        path = self.export_path(text)
        try:
            # Apart from the write: a file where a folder should be also raises FileExistsError.
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"could not write {path}: {exc.strerror or exc}") from None
        try:
            with path.open("w" if replace else "x", encoding="utf-8", newline="") as out:
                count = write_usage_csv(self.filtered, out)
        except FileExistsError:
            raise
        except OSError as exc:
            raise InputError(f"could not write {path}: {exc.strerror or exc}") from None
        return path, count

    # ------------------------------------------------------------------ close

    def action_close(self) -> None:
        prompt = self.query_one("#usage-export-path", Input)
        if prompt.has_class("-open"):
            prompt.remove_class("-open")
            self.query_one("#usage-table", UsageTable).focus()
            return
        if self.loading_all:
            self.workers.cancel_group(self, "usage-pages")
            return
        self.dismiss(None)
