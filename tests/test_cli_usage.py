"""``liaobots usage`` filters (the usage screen's), its human table and ``credits``: one number format."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from liaobots_tui.api.account import UsageRecord
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.numbers import credits_text, format_count, format_credits, local_time_text
from liaobots_tui.usage_stats import filter_records, local_day, totals
from tests.cli_driving import gateway_in_env, run_cli

AUTH = "usage-code-123456"


@pytest.fixture
def gw(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGateway]:
    with gateway_in_env(monkeypatch, AUTH) as gateway:
        yield gateway


def records_of(gw: FakeGateway) -> list[UsageRecord]:
    return [UsageRecord.from_json(raw) for raw in gw.usage_records]


def test_model_and_date_filters_match_the_app(gw: FakeGateway, capsys: pytest.CaptureFixture[str]) -> None:
    records = records_of(gw)
    model = records[0].model
    days = sorted({local_day(r) for r in records})
    since, until = days[len(days) // 4], days[3 * len(days) // 4]
    r = run_cli(capsys, "usage", "--all", "--json", "--model", model.upper(),
                "--since", since.isoformat(), "--until", until.isoformat())  # fmt: skip
    assert r.code == 0, r.err
    expected = filter_records(records, models=[model], start=since, end=until)
    assert expected and [raw["id"] for raw in json.loads(r.out)] == [e.id for e in expected]
    # --limit counts matching records.
    r = run_cli(capsys, "usage", "--limit", "2", "--csv", "--model", model)
    assert r.code == 0 and len(r.out.splitlines()) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2026-02-30"], "--since '2026-02-30' is not a date"),
        (["--until", "yesterday"], "--until 'yesterday' is not a date"),
        (["--since", "2026-03-01", "--until", "2026-02-01"], "the start date 2026-03-01 is after"),
    ],
)
def test_bad_dates_are_one_line_exit_2(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    r = run_cli(capsys, "usage", *args)
    assert r.code == 2 and message in r.err and r.err.count("\n") == 1 and r.out == ""
    assert not [q for q in gw.requests if "usage" in q.path]  # checked before any request


def test_human_table_local_time_separators_aligned_credits_and_totals(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    records = records_of(gw)[:8]
    r = run_cli(capsys, "usage", "--limit", "8")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert lines[0].split() == ["time", "(local)", "model", "input", "output", "credits"]
    rows = lines[1:-1]
    assert len(rows) == 8
    for line, rec in zip(rows, records, strict=True):
        assert line.startswith(local_time_text(rec.create_time))
        assert format_count(rec.input_tokens) in line and format_credits(rec.price) in line
    # One column for the decimal points, whatever the number of decimals.
    assert len({len(line) - line.index(".", len(line) - 12) for line in rows}) == 1
    t = totals(records)
    assert lines[-1] == (
        f"8 records · input {format_count(t.input_tokens)} · output {format_count(t.output_tokens)} · "
        f"{credits_text(t.credits)}"
    )


def test_credits_uses_the_one_format(gw: FakeGateway, capsys: pytest.CaptureFixture[str]) -> None:
    gw.balance, gw.amount = 1234.5, 2000.0
    r = run_cli(capsys, "credits")
    assert r.out == "Balance: 1,234.50 of 2,000.00 credits (62% left)\n"


def test_serve_demo_help_lists_every_fault_switch(capsys: pytest.CaptureFixture[str]) -> None:
    import dataclasses

    from liaobots_tui.demo.gateway import Faults

    r = run_cli(capsys, "serve-demo", "--help")
    assert r.code == 0
    for switch in dataclasses.fields(Faults):
        assert switch.name in r.out, switch.name
    assert "/_fake/faults" in r.out and "/_fake/reset" in r.out
