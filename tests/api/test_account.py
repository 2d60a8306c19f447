"""Credits, usage paging and the model list, through GatewayClient on a MockTransport."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from liaobots_tui.api.account import (
    Credits,
    UsagePage,
    UsageRecord,
    fetch_credits,
    fetch_usage_page,
    iter_usage,
)
from liaobots_tui.api.limits import Limits
from liaobots_tui.api.models import (
    BUILTIN_MODELS,
    list_models,
    load_cached_models,
    save_cached_models,
)
from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.errors import (
    AuthError,
    BadResponseError,
    InputError,
    LiaobotsError,
    ReplyTooLarge,
    UpstreamError,
)

CODE = "acct-code-42"
DOC_RECORD = {
    "id": 1234567891,
    "tokens": 1200,
    "input_tokens": 800,
    "output_tokens": 400,
    "model": "gpt-5.4",
    "price": 0.12,
    "cache_hit_tokens": 0,
    "cache_creation_tokens": 0,
    "create_time": 1760000000000,
}


class Recorder:
    """Answers with ``reply(request)`` and keeps every request."""

    def __init__(self, reply: Callable[[httpx.Request], httpx.Response]) -> None:
        self.reply = reply
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.reply(request)


async def _noop_sleep(delay: float) -> None:
    return None


def client_for(handler: Callable[[httpx.Request], httpx.Response]) -> GatewayClient:
    return GatewayClient(
        ["https://ai.liaobots.test"], CODE, transport=httpx.MockTransport(handler), sleep=_noop_sleep
    )


def replying(body: Any, status: int = 200) -> Recorder:
    return Recorder(lambda request: httpx.Response(status, json=body))


def pages(by_cursor: dict[str, dict[str, Any]]) -> Recorder:
    """A credits endpoint whose usage page depends on the nextId query parameter."""

    def reply(request: httpx.Request) -> httpx.Response:
        usage = by_cursor[request.url.params.get("nextId", "")]
        return httpx.Response(200, json={"data": {"balance": 85.5, "amount": 100.0, "usage": usage}})

    return Recorder(reply)


def record(n: int) -> dict[str, Any]:
    return {**DOC_RECORD, "id": n}


# ---------------------------------------------------------------- credits


async def test_fetch_credits_documented_reply() -> None:
    handler = replying({"data": {"balance": 85.5, "amount": 100.0}})
    async with client_for(handler) as client:
        balance = await fetch_credits(client)
    assert balance == Credits(balance=85.5, amount=100.0)
    request = handler.requests[0]
    assert str(request.url) == "https://ai.liaobots.test/api/v1/credits"
    assert request.headers["authorization"] == f"Bearer {CODE}"


async def test_fetch_credits_tolerates_strings_and_missing_amount() -> None:
    async with client_for(replying({"data": {"balance": "12.25"}})) as client:
        assert await fetch_credits(client) == Credits(balance=12.25, amount=0.0)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"balance": 1}, "The credits reply has no 'data' object."),
        ({"data": []}, "The credits reply has no 'data' object."),
        ([1, 2], "The credits reply has no 'data' object."),
        ({"data": {"amount": 5}}, "The credits reply has no numeric balance (got None)."),
        ({"data": {"balance": "lots"}}, "The credits reply has no numeric balance (got 'lots')."),
    ],
)
async def test_fetch_credits_bad_shapes(body: Any, message: str) -> None:
    async with client_for(replying(body)) as client:
        with pytest.raises(BadResponseError) as caught:
            await fetch_credits(client)
    assert str(caught.value) == message


async def test_fetch_credits_error_envelope_with_200_is_raised_as_that_error() -> None:
    async with client_for(replying({"error": {"message": "login code expired"}})) as client:
        with pytest.raises(UpstreamError) as caught:
            await fetch_credits(client)
    assert str(caught.value) == "login code expired"


async def test_fetch_credits_http_401_is_auth_error() -> None:
    body = {"error": {"message": "invalid auth code", "type": "authentication_error"}}
    async with client_for(replying(body, status=401)) as client:
        with pytest.raises(AuthError):
            await fetch_credits(client)


# ---------------------------------------------------------------- usage pages


async def test_fetch_usage_page_documented_reply() -> None:
    handler = pages({"": {"pageSize": 50, "nextId": "1234567890", "list": [DOC_RECORD]}})
    async with client_for(handler) as client:
        page = await fetch_usage_page(client)
    assert page == UsagePage(
        records=[
            UsageRecord(
                id=1234567891,
                model="gpt-5.4",
                tokens=1200,
                input_tokens=800,
                output_tokens=400,
                cache_hit_tokens=0,
                cache_creation_tokens=0,
                price=0.12,
                create_time=1760000000000,
                raw=DOC_RECORD,
            )
        ],
        next_id="1234567890",
    )
    assert (
        str(handler.requests[0].url)
        == "https://ai.liaobots.test/api/v1/credits?include_usage=true&pageSize=50"
    )


async def test_fetch_usage_page_sends_the_cursor() -> None:
    handler = pages({"77": {"nextId": "", "list": []}})
    async with client_for(handler) as client:
        page = await fetch_usage_page(client, page_size=10, next_id="77")
    assert page == UsagePage([], "")
    assert handler.requests[0].url.params == httpx.QueryParams(
        {"include_usage": "true", "pageSize": "10", "nextId": "77"}
    )


def test_usage_record_tolerates_nulls_strings_and_missing_fields() -> None:
    raw = {
        "id": "abc",
        "model": None,
        "input_tokens": "30",
        "output_tokens": 12.0,
        "cache_hit_tokens": None,
        "price": "0.5",
        "create_time": "1760000000123",
    }
    assert UsageRecord.from_json(raw) == UsageRecord(
        id="abc",
        model="",
        tokens=42,
        input_tokens=30,
        output_tokens=12,
        cache_hit_tokens=0,
        cache_creation_tokens=0,
        price=0.5,
        create_time=1760000000123,
        raw=raw,
    )
    assert UsageRecord.from_json({}).id == ""
    assert UsageRecord.from_json({"price": "n/a", "tokens": True, "id": 5.0}).price == 0.0
    assert UsageRecord.from_json({"id": 5.0}).id == "5"


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        (None, UsagePage([], "")),
        ({"nextId": None, "list": None}, UsagePage([], "")),
        ({"nextId": 99, "list": []}, UsagePage([], "99")),
    ],
)
async def test_fetch_usage_page_tolerates_empty_usage(usage: Any, expected: UsagePage) -> None:
    async with client_for(pages({"": usage})) as client:
        assert await fetch_usage_page(client) == expected


@pytest.mark.parametrize(
    ("usage", "message"),
    [
        ("nope", "The usage reply's 'usage' is not an object (got str)."),
        ({"list": {"a": 1}}, "The usage reply's 'usage.list' is not a list (got dict)."),
        ({"list": [DOC_RECORD, 7]}, "Usage record 1 is not an object (got int)."),
    ],
)
async def test_fetch_usage_page_bad_shapes(usage: Any, message: str) -> None:
    async with client_for(pages({"": usage})) as client:
        with pytest.raises(BadResponseError) as caught:
            await fetch_usage_page(client)
    assert str(caught.value) == message


async def test_fetch_usage_page_rejects_a_zero_page_size() -> None:
    async with client_for(pages({})) as client:
        with pytest.raises(InputError):
            await fetch_usage_page(client, page_size=0)


async def test_iter_usage_follows_next_id_until_empty() -> None:
    handler = pages(
        {
            "": {"nextId": "p2", "list": [record(1), record(2)]},
            "p2": {"nextId": "p3", "list": [record(3), record(4)]},
            "p3": {"nextId": "", "list": [record(5)]},
        }
    )
    async with client_for(handler) as client:
        ids = [r.id async for r in iter_usage(client, page_size=2)]
    assert ids == [1, 2, 3, 4, 5]
    assert [r.url.params.get("nextId", "") for r in handler.requests] == ["", "p2", "p3"]
    assert {r.url.params["pageSize"] for r in handler.requests} == {"2"}


async def test_iter_usage_limit_stops_early_without_fetching_more() -> None:
    handler = pages(
        {"": {"nextId": "p2", "list": [record(1), record(2)]}, "p2": {"nextId": "", "list": [record(3)]}}
    )
    async with client_for(handler) as client:
        assert [r.id async for r in iter_usage(client, limit=2)] == [1, 2]
        assert [r.id async for r in iter_usage(client, limit=0)] == []
    assert len(handler.requests) == 1


async def test_iter_usage_stops_on_an_empty_page_with_a_cursor() -> None:
    handler = pages({"": {"nextId": "p2", "list": [record(1)]}, "p2": {"nextId": "p3", "list": []}})
    async with client_for(handler) as client:
        assert [r.id async for r in iter_usage(client)] == [1]
    assert len(handler.requests) == 2


async def test_iter_usage_repeating_cursor_is_a_bad_response() -> None:
    handler = pages(
        {
            "": {"nextId": "p2", "list": [record(1)]},
            "p2": {"nextId": "p3", "list": [record(2)]},
            "p3": {"nextId": "p2", "list": [record(3)]},
        }
    )
    seen: list[int | str] = []
    async with client_for(handler) as client:
        with pytest.raises(BadResponseError) as caught:
            async for r in iter_usage(client):
                seen.append(r.id)
    assert seen == [1, 2, 3]
    assert str(caught.value) == "The usage list repeats the page cursor 'p2'; stopped after 3 records."
    assert len(handler.requests) == 3


async def test_iter_usage_same_cursor_twice_in_a_row() -> None:
    handler = pages({"": {"nextId": "x", "list": [record(1)]}, "x": {"nextId": "x", "list": [record(2)]}})
    async with client_for(handler) as client:
        with pytest.raises(BadResponseError):
            _ = [r async for r in iter_usage(client)]
    assert len(handler.requests) == 2


# ---------------------------------------------------------------- model list


async def test_list_models_sorted_and_deduplicated() -> None:
    body = {
        "object": "list",
        "data": [{"id": "gpt-5.4"}, {"id": "claude-sonnet-4-6"}, {"id": "gpt-5.4"}, {"x": 1}],
    }
    handler = replying(body)
    async with client_for(handler) as client:
        assert await list_models(client) == (["claude-sonnet-4-6", "gpt-5.4"], True)
    assert str(handler.requests[0].url) == "https://ai.liaobots.test/v1/models"
    assert handler.requests[0].headers["authorization"] == f"Bearer {CODE}"


@pytest.mark.parametrize(
    "reply",
    [
        lambda request: httpx.Response(500, text="boom"),
        lambda request: httpx.Response(401, json={"error": {"message": "bad code"}}),
        lambda request: httpx.Response(200, text="<html></html>"),
        lambda request: httpx.Response(200, json={"models": ["a"]}),
        lambda request: httpx.Response(200, json={"data": []}),
    ],
    ids=["500", "401", "not-json", "wrong-shape", "empty"],
)
async def test_list_models_falls_back_to_builtin(reply: Callable[[httpx.Request], httpx.Response]) -> None:
    async with client_for(Recorder(reply)) as client:
        models, live = await list_models(client)
    assert (models, live) == (BUILTIN_MODELS, False)
    assert models is not BUILTIN_MODELS  # callers may mutate their copy


async def test_list_models_falls_back_when_every_domain_is_down() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    async with client_for(refuse) as client:
        assert await list_models(client) == (BUILTIN_MODELS, False)


def test_builtin_models() -> None:
    assert BUILTIN_MODELS == [
        "gpt-5.4",
        "gpt-5.4-mini",
        "o4-mini",
        "claude-sonnet-4-6",
        "claude-opus-4-6",
        "gemini-3-pro-preview",
        "gemini-3-flash-preview",
        "gemini-3-pro-image-preview",
        "gemini-3.1-flash-image-preview",
        "deepseek-r1",
    ]


def test_model_cache_round_trip_and_expiry(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "models.json"
    assert load_cached_models(path) is None
    assert save_cached_models(path, ["a", "b"], now=1000.0) is True
    assert json.loads(path.read_text()) == {"saved_at": 1000.0, "models": ["a", "b"]}
    assert load_cached_models(path, now=1000.0 + 3600) == ["a", "b"]
    assert load_cached_models(path, now=1000.0 + 86400) == ["a", "b"]
    assert load_cached_models(path, now=1000.0 + 86401) is None
    assert load_cached_models(path, now=500.0) is None  # saved "in the future": clock moved back
    assert not (tmp_path / "sub" / "models.json.tmp").exists()


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "[]",
        '{"models": ["a"]}',
        '{"saved_at": 1000, "models": "a"}',
        '{"saved_at": 1000, "models": [1]}',
        '{"saved_at": 1000, "models": []}',
        '{"saved_at": true, "models": ["a"]}',
    ],
)
def test_model_cache_rejects_malformed_files(tmp_path: Path, content: str) -> None:
    path = tmp_path / "models.json"
    path.write_text(content)
    assert load_cached_models(path, now=1000.0) is None


def test_model_cache_save_failure_is_reported_not_raised(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert save_cached_models(blocker / "models.json", ["a"]) is False


# ---------------------------------------------------------------- through the fake gateway


@pytest.mark.faults
async def test_fake_gateway_credits_and_every_usage_record() -> None:
    from liaobots_tui.demo.gateway import FakeGateway

    with FakeGateway(CODE, balance=42.5, usage_records_seed=23) as gw:
        async with GatewayClient(gw.urls, CODE) as client:
            balance = await fetch_credits(client)
            records = [r async for r in iter_usage(client, page_size=5)]
            models, live = await list_models(client)
        expected_ids = [r["id"] for r in gw.usage_records]
    assert balance.balance == 42.5
    assert [r.id for r in records] == expected_ids
    assert len(records) == 23
    assert live is True
    assert models == sorted(models)


# ---------------------------------------------------------------- untrusted records and bounds


def test_usage_record_numbers_and_times_out_of_range_read_as_zero() -> None:
    item = {
        "id": 1,
        "model": "m",
        "input_tokens": 10**30,
        "output_tokens": "9" * 40,
        "tokens": -(10**20),
        "price": 1e308,
        "create_time": 10**15,  # year 33658: no calendar shows it
    }
    parsed = UsageRecord.from_json(item)
    assert (parsed.input_tokens, parsed.output_tokens, parsed.tokens, parsed.create_time) == (0, 0, 0, 0)


def test_usage_record_raw_keeps_clean_scalars_only() -> None:
    item = {"id": 3, "model": "gpt\x1b[2J", "note": "a\x9bb", "nested": {"a": [1]}, "ok": True, "n": None}
    parsed = UsageRecord.from_json(item)
    assert parsed.model == "gpt [2J"
    assert parsed.raw == {"id": 3, "model": "gpt [2J", "note": "a b", "ok": True, "n": None}


async def test_iter_usage_stops_when_the_walk_takes_too_long() -> None:
    reply = pages({"": {"list": [record(1)], "nextId": "a"}, "a": {"list": [record(2)], "nextId": "b"}})
    limits = Limits(max_usage_seconds=0.0)
    async with GatewayClient(
        ["https://ai.liaobots.test"], CODE, transport=httpx.MockTransport(reply), limits=limits
    ) as client:
        got: list[UsageRecord] = []
        with pytest.raises(ReplyTooLarge, match="--limit"):
            async for item in iter_usage(client):
                got.append(item)
    assert [r.id for r in got] == [1]


async def test_list_models_drops_ids_with_controls_spaces_or_absurd_length() -> None:
    ids = ["good-1", "bad\x1b[2J", "two words", "x" * 201, "  padded  ", "[b]markup[/b]"]
    async with client_for(replying({"data": [{"id": i} for i in ids]})) as client:
        assert await list_models(client) == (sorted(["good-1", "padded", "[b]markup[/b]"]), True)


async def test_list_models_keeps_at_most_the_cap() -> None:
    body = {"data": [{"id": f"m{i:05}"} for i in range(50)]}
    async with GatewayClient(
        ["https://ai.liaobots.test"],
        CODE,
        transport=httpx.MockTransport(lambda request: httpx.Response(200, json=body)),
        limits=Limits(max_models=10),
    ) as client:
        models, from_gateway = await list_models(client)
    assert from_gateway and len(models) == 10


@pytest.mark.parametrize(
    "reply",
    [
        lambda request: httpx.Response(200, content=b"[" * 5000 + b"]" * 5000),
        lambda request: httpx.Response(200, content=b" " * (5 * 1024 * 1024)),
        lambda request: httpx.Response(400, content=b"[" * 5000 + b"]" * 5000),
    ],
    ids=["nested", "too large", "nested error body"],
)
async def test_list_models_falls_back_on_nested_or_oversized_answers(
    reply: Callable[[httpx.Request], httpx.Response],
) -> None:
    async with client_for(reply) as client:
        assert await list_models(client) == (list(BUILTIN_MODELS), False)
        with pytest.raises(LiaobotsError) as caught:
            await fetch_credits(client)
    assert len(caught.value.one_line()) < 400


def test_cached_model_list_with_escapes_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "models.json"
    path.write_text(json.dumps({"saved_at": 1000.0, "models": ["ok", "evil\x1b]2;x\x07"]}))
    assert load_cached_models(path, now=1001.0) is None
