"""A hostile gateway meets the api layer and the CLI: everything it sends comes out clean, bounded, scrubbed.

Each test starts :class:`~tests.hardening.hostile_gateway.HostileGateway` with one
attack and checks what leaves the api layer (events, parts, records, model ids,
errors) and what the CLI prints. The memory-hungry attacks (a 300 MB line, an
endless line, a gzip bomb) run the real ``liaobots ask`` in a subprocess under
``RLIMIT_AS``: a client that buffered what it was sent would die there.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from liaobots_tui.api.account import fetch_credits, fetch_usage_page, iter_usage
from liaobots_tui.api.limits import Limits
from liaobots_tui.api.messages import (
    Conversation,
    ErrorEvent,
    FinishEvent,
    Message,
    ReasoningDelta,
    RequestOptions,
    SourcesEvent,
    StreamEvent,
    TextDelta,
    TextPart,
    UsageEvent,
)
from liaobots_tui.api.models import BUILTIN_MODELS, list_models
from liaobots_tui.api.registry import get_adapter
from liaobots_tui.api.transport import GatewayClient, Timeouts
from liaobots_tui.errors import BadResponseError, DeadlineExceeded, LiaobotsError, ReplyTooLarge
from tests.cli_driving import run_cli
from tests.hardening.hostile_gateway import MARKUP, Attack, HostileGateway, has_controls, leaked_pieces

CODE = "lbx-H0stile-5c7e9a1b3d5f7a9c"
ROOT = Path(__file__).resolve().parents[2]
#: The address-space cap for the CLI subprocess: far below what buffering a 300 MB line costs.
MEMORY_CAP = 1024 * 1024 * 1024


@pytest.fixture
def hostile(request: pytest.FixtureRequest) -> Iterator[HostileGateway]:
    with HostileGateway(request.param, CODE) as gateway:
        yield gateway


def attack(which: Attack) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("hostile", [which], indirect=True, ids=[which.value])


def hello() -> Conversation:
    return Conversation([Message("user", [TextPart("hello")])])


async def reply(gateway: HostileGateway, fmt: str, **client_args: object) -> tuple[list[StreamEvent], str]:
    """The events of one chat turn and the reply text the parser assembled."""
    adapter = get_adapter(fmt)
    parser = adapter.new_parser()
    model = "gemini-3-pro-preview" if fmt == "gemini" else "gpt-5.4"
    async with GatewayClient([gateway.url], CODE, max_retries=0, **client_args) as client:  # type: ignore[arg-type]
        events = [e async for e in client.stream_reply(adapter, hello(), RequestOptions(model), parser)]
    text = "".join(p.text for p in parser.parts() if isinstance(p, TextPart))
    return events, text


def strings_of(event: StreamEvent) -> list[str]:
    """Every string an event carries to the store or the screen."""
    if isinstance(event, TextDelta | ReasoningDelta):
        return [event.text]
    if isinstance(event, ErrorEvent):
        return [event.title, event.message]
    if isinstance(event, FinishEvent):
        return [event.raw or ""]
    if isinstance(event, SourcesEvent):
        return [s for source in event.sources for s in (source.uri, source.title)]
    return []


# ---------------------------------------------------------------- escapes


@attack(Attack.ESCAPES)
@pytest.mark.parametrize("fmt", ["openai", "gemini"])
async def test_escapes_in_text_thinking_finish_and_sources_never_leave_the_api(
    hostile: HostileGateway, fmt: str
) -> None:
    events, text = await reply(hostile, fmt)
    carried = [s for e in events for s in strings_of(e)]
    assert carried and not any(has_controls(s) for s in carried), carried
    assert not has_controls(text)
    # Printable text stays literal: markup is the front ends' to show as plain text, not ours to drop.
    assert MARKUP in text
    assert isinstance(events[-1], FinishEvent)


@attack(Attack.ESCAPES)
async def test_gemini_sources_keep_only_clean_http_links(hostile: HostileGateway) -> None:
    events, _ = await reply(hostile, "gemini")
    sources = [s for e in events if isinstance(e, SourcesEvent) for s in e.sources]
    assert [s.uri for s in sources] == ["https://example.org/a"]
    assert not has_controls(sources[0].title) and MARKUP in sources[0].title


@attack(Attack.ESCAPES)
async def test_usage_records_and_model_ids_come_out_clean(hostile: HostileGateway) -> None:
    async with GatewayClient([hostile.url], CODE, max_retries=0) as client:
        page = await fetch_usage_page(client)
        models, from_gateway = await list_models(client)
    record = page.records[0]
    assert not has_controls(record.model) and MARKUP in record.model
    assert not has_controls(str(record.id))
    assert all(not has_controls(v) for v in record.raw.values() if isinstance(v, str))
    assert "deep" not in record.raw  # nested values are dropped, so --json never meets them
    json.dumps(record.raw)
    # Ids with controls, spaces or 5,000 characters are dropped, not mangled into something sendable.
    assert from_gateway and models == sorted(["ok-model", "gpt-5.4", MARKUP])


@attack(Attack.ESCAPES)
@pytest.mark.parametrize(
    "argv",
    [
        ["ask", "hello"],
        ["ask", "--show-thinking", "hello"],
        ["ask", "--json", "hello"],
        ["ask", "-m", "gemini-3-pro-preview", "hello"],
        ["usage"],
        ["usage", "--json"],
        ["usage", "--csv"],
        ["models"],
        ["models", "--json"],
    ],
    ids=" ".join,
)
def test_the_cli_prints_no_terminal_controls(
    hostile: HostileGateway,
    argv: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIAOBOTS_AUTH_CODE", CODE)
    monkeypatch.setenv("LIAOBOTS_BASE_URL", hostile.url)
    result = run_cli(capsys, *argv)
    assert result.code == 0, result
    assert not has_controls(result.out.replace("\r", "")) and not has_controls(result.err), result
    if "--json" in argv:
        json.loads(result.out)  # still valid JSON


def test_json_output_escapes_c1_instead_of_printing_it() -> None:
    from liaobots_tui.api.sanitize import terminal_json

    dumped = terminal_json({"text": "a\x9b2Jb\x85c\x1b", "ok": "é你"})
    assert not has_controls(dumped)
    assert json.loads(dumped) == {"text": "a\x9b2Jb\x85c\x1b", "ok": "é你"}


# ---------------------------------------------------------------- secrets


@attack(Attack.ERROR_ECHO)
async def test_an_error_echoing_the_code_across_every_cut_leaks_no_piece_of_it(
    hostile: HostileGateway,
) -> None:
    events, _ = await reply(hostile, "openai")
    assert len(events) == 1 and isinstance(events[0], ErrorEvent)
    message = events[0].one_line()
    assert leaked_pieces(message, CODE) == [] and not has_controls(message), message
    assert "[auth code]" in message

    async with GatewayClient([hostile.url], CODE, max_retries=0) as client:
        for call in (fetch_credits(client), list_models(client)):
            try:
                await call
            except LiaobotsError as exc:
                assert leaked_pieces(exc.one_line(), CODE) == [], exc.one_line()


@attack(Attack.ERROR_ECHO)
async def test_a_non_json_account_reply_quotes_no_piece_of_the_code(hostile: HostileGateway) -> None:
    async with GatewayClient([hostile.url], CODE, max_retries=0) as client:
        with pytest.raises(BadResponseError) as caught:
            await client.get_json("/v1/models")
    assert "did not return JSON" in caught.value.message
    assert leaked_pieces(caught.value.message, CODE) == []


@attack(Attack.GEMINI_FINISH)
async def test_gemini_finish_reason_is_cleaned_and_scrubbed_and_the_last_usage_wins(
    hostile: HostileGateway,
) -> None:
    events, text = await reply(hostile, "gemini")
    finish = events[-1]
    assert isinstance(finish, FinishEvent) and finish.reason == "error"
    assert finish.raw is not None and not has_controls(finish.raw)
    assert leaked_pieces(finish.raw, CODE) == [] and len(finish.raw) <= 80
    usage = [e.usage for e in events if isinstance(e, UsageEvent)]
    # The closing chunk after the finish holds the full counts: 7 answer + 3 thought tokens.
    assert usage[-1].output_tokens == 10 and usage[-1].reasoning_tokens == 3
    assert text.endswith("!")


# ---------------------------------------------------------------- bounds, in-process


@attack(Attack.NESTED)
@pytest.mark.parametrize("fmt", ["openai", "anthropic", "responses", "gemini"])
async def test_a_deeply_nested_stream_event_is_one_bad_response(hostile: HostileGateway, fmt: str) -> None:
    events, _ = await reply(hostile, fmt)
    assert len(events) == 1 and isinstance(events[0], ErrorEvent)
    assert events[0].kind == "bad_response" and "nested too deeply" in events[0].message


@attack(Attack.NESTED)
async def test_deeply_nested_account_replies_are_one_line_errors_and_models_fall_back(
    hostile: HostileGateway,
) -> None:
    async with GatewayClient([hostile.url], CODE, max_retries=0) as client:
        with pytest.raises(BadResponseError, match="nested too deeply"):
            await fetch_credits(client)
        with pytest.raises(BadResponseError, match="nested too deeply"):
            await fetch_usage_page(client)
        assert await list_models(client) == (BUILTIN_MODELS, False)


@attack(Attack.NESTED_ERROR)
async def test_a_deeply_nested_error_body_is_classified_without_a_traceback(hostile: HostileGateway) -> None:
    events, _ = await reply(hostile, "openai")
    assert len(events) == 1 and isinstance(events[0], ErrorEvent)
    assert events[0].status == 400 and len(events[0].message) < 400
    async with GatewayClient([hostile.url], CODE, max_retries=0) as client:
        with pytest.raises(LiaobotsError):
            await fetch_credits(client)
        assert await list_models(client) == (BUILTIN_MODELS, False)


@attack(Attack.ENDLESS_USAGE)
async def test_an_endless_usage_cursor_stops_at_the_page_cap_and_says_how_to_narrow(
    hostile: HostileGateway,
) -> None:
    limits = Limits(max_usage_pages=25)
    async with GatewayClient([hostile.url], CODE, max_retries=0, limits=limits) as client:
        records = []
        with pytest.raises(ReplyTooLarge) as caught:
            async for record in iter_usage(client, page_size=1):
                records.append(record)
    assert len(records) == 25 and hostile.hits["/api/v1/credits"] == 25
    assert "--limit" in caught.value.message and "25 pages" in caught.value.message


@attack(Attack.ENDLESS_USAGE)
async def test_usage_walk_caps_records_too(hostile: HostileGateway) -> None:
    limits = Limits(max_usage_records=10)
    async with GatewayClient([hostile.url], CODE, max_retries=0, limits=limits) as client:
        with pytest.raises(ReplyTooLarge, match="10 records"):
            async for _ in iter_usage(client, page_size=1):
                pass
    assert hostile.hits["/api/v1/credits"] == 11


@attack(Attack.ENDLESS_USAGE)
def test_usage_all_against_an_endless_cursor_is_one_line_and_exit_1(
    hostile: HostileGateway, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIAOBOTS_AUTH_CODE", CODE)
    monkeypatch.setenv("LIAOBOTS_BASE_URL", hostile.url)
    result = run_cli(capsys, "usage", "--all", "--page-size", "1")
    assert result.code == 1
    assert result.err.count("\n") == 1 and "Reply too large" in result.err and "--limit" in result.err
    assert hostile.hits["/api/v1/credits"] == Limits().max_usage_pages


@attack(Attack.GZIP_BOMB)
async def test_a_gzip_bomb_on_an_account_call_stops_at_the_body_cap(hostile: HostileGateway) -> None:
    async with GatewayClient([hostile.url], CODE, max_retries=0) as client:
        with pytest.raises(ReplyTooLarge, match="larger than 4 MB"):
            await fetch_credits(client)
        assert await list_models(client) == (BUILTIN_MODELS, False)


@attack(Attack.HUGE_LINE)
async def test_a_line_past_the_cap_ends_the_reply_with_one_error(hostile: HostileGateway) -> None:
    hostile.huge_size = 8 * 1024 * 1024
    events, _ = await reply(hostile, "openai", limits=Limits(max_sse_line=1024 * 1024))
    assert len(events) == 1 and isinstance(events[0], ErrorEvent)
    assert events[0].title == "Reply too large" and "longer than 1 MB" in events[0].message


@attack(Attack.TRICKLE)
async def test_the_overall_deadline_ends_a_reply_that_never_stalls_long_enough_to_time_out(
    hostile: HostileGateway,
) -> None:
    events, _ = await reply(hostile, "openai", timeouts=Timeouts(read=60, deadline=0.5))
    assert len(events) == 1 and isinstance(events[0], ErrorEvent)
    assert events[0].title == DeadlineExceeded.title and "0.5 s" in events[0].message


# ---------------------------------------------------------------- bounds, the real CLI under a memory cap


def _cli_under_memory_cap(
    gateway: HostileGateway, tmp_path: Path, *argv: str
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "LIAOBOTS_AUTH_CODE": CODE,
        "LIAOBOTS_BASE_URL": gateway.url,
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    return subprocess.run(
        [sys.executable, "-m", "liaobots_tui", *argv],
        env=env,
        capture_output=True,
        text=True,
        preexec_fn=cap_memory,
        timeout=300,  # a safety net for a broken build, not a timing assertion
        check=False,
    )


@pytest.mark.parametrize(
    ("which", "expected"),
    [
        (Attack.HUGE_LINE, "longer than 64 MB"),
        (Attack.ENDLESS_LINE, "longer than 64 MB"),
        (Attack.GZIP_BOMB, "longer than 64 MB"),
    ],
    ids=["300 MB line", "endless line", "gzip bomb"],
)
def test_ask_survives_memory_attacks_under_a_1_gib_address_space(
    which: Attack, expected: str, tmp_path: Path
) -> None:
    with HostileGateway(which, CODE) as gateway:
        done = _cli_under_memory_cap(gateway, tmp_path, "ask", "hello")
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Reply too large" in lines[0] and expected in lines[0], done.stderr
    assert "Traceback" not in done.stderr
    # The client hung up near the cap: the gateway did not get to send its whole attack.
    assert gateway.sent and max(gateway.sent) < 1024 * 1024 * 1024


@attack(Attack.ERROR_ECHO)
@pytest.mark.parametrize("argv", [["ask", "hello"], ["credits"], ["ask", "--json", "hello"]], ids=" ".join)
def test_cli_error_lines_are_one_clean_line_without_the_code(
    hostile: HostileGateway,
    argv: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIAOBOTS_AUTH_CODE", CODE)
    monkeypatch.setenv("LIAOBOTS_BASE_URL", hostile.url)
    result = run_cli(capsys, *argv)
    assert result.code == 1
    assert result.err.count("\n") == 1 and not has_controls(result.err.rstrip("\n")), result
    assert leaked_pieces(result.err + result.out, CODE) == [], result


def _deep(depth: int = 900) -> object:
    value: object = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("fmt", ["openai", "anthropic", "responses", "gemini"])
@pytest.mark.parametrize("field", ["type", "error", "choices", "candidates", "promptFeedback", "delta"])
def test_a_value_nested_hundreds_deep_in_any_field_is_never_repr_d(fmt: str, field: str) -> None:
    """Parsed fine by json (under 1,000 deep), but str()/repr() of it would recurse: no parser may try."""
    parser = get_adapter(fmt).new_parser()
    blocked = {"blockReason": _deep(), "blockReasonMessage": _deep()}
    obj = {field: blocked if field == "promptFeedback" else _deep()}
    events = parser.feed_json("", obj)
    assert all(len(" ".join(strings_of(e))) < 400 for e in events)


async def test_credits_with_a_deeply_nested_balance_is_one_short_error() -> None:
    from liaobots_tui.api.account import _credits

    with pytest.raises(BadResponseError, match=r"no numeric balance \(got list\)"):
        _credits({"data": {"balance": _deep()}})
