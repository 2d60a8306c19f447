"""`liaobots ask -m A -m B …` end to end: parallel requests to the fake gateway, never interleaved."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from liaobots_tui.demo.gateway import FakeGateway
from tests.cli_driving import gateway_in_env, run_cli

AUTH = "compare-cli-code"
MODELS = ["gpt-5.4", "claude-sonnet-4-6", "gemini-3-pro-preview"]
FORMATS = {"gpt-5.4": "openai", "claude-sonnet-4-6": "anthropic", "gemini-3-pro-preview": "gemini"}
HEADER = re.compile(r"^=== (\S+) \((\w+)\) ===$", re.M)


@pytest.fixture
def gw(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGateway]:
    with gateway_in_env(monkeypatch, AUTH) as gateway:
        yield gateway


def sections(out: str) -> tuple[dict[str, str], str]:
    """Each model's section text (header line removed), and what follows the last section."""
    found = list(HEADER.finditer(out))
    assert out.startswith("=== ")
    texts: dict[str, str] = {}
    for match, following in zip(found, [*found[1:], None], strict=True):
        end = following.start() if following else len(out)
        model, fmt = match.group(1), match.group(2)
        assert model not in texts, f"{model} has two sections: output interleaved"
        assert FORMATS.get(model, "openai") == fmt
        texts[model] = out[match.end() + 1 : end]
    return texts, out


def test_each_model_streams_in_its_own_section_then_a_summary_line_each(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    gw.faults.delta_delay = 0.002  # the three streams overlap in time
    r = run_cli(capsys, "ask", *[a for m in MODELS for a in ("-m", m)], "Tell me about tables")
    assert r.code == 0, r.err
    texts, _ = sections(r.out)
    assert set(texts) == set(MODELS)
    summaries = r.out.strip().splitlines()[-3:]
    for model in MODELS:
        reply = gw.reply_text_for(model, "Tell me about tables")
        assert texts[model].startswith(reply.rstrip("\n")), model  # whole and contiguous: never interleaved
        line = next(s for s in summaries if s.startswith(f"{model}: "))
        assert re.search(r"first token \d+\.\d\ds, total \d+\.\d\ds, \d+ tokens, credits [\d.]+$", line), line
    assert r.err == ""
    assert len([x for x in gw.requests if x.method == "POST"]) == 3


def test_json_prints_a_list_of_the_usual_objects_and_each_reply_is_a_chat(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    r = run_cli(
        capsys, "ask", "--json", "-m", "gpt-5.4", "-m", "claude-sonnet-4-6", "-s", "Be brief.", "compare"
    )
    assert r.code == 0, r.err
    objects = json.loads(r.out)
    assert [o["model"] for o in objects] == ["gpt-5.4", "claude-sonnet-4-6"]
    single_keys = set(json.loads(run_cli(capsys, "ask", "--json", "-m", "gpt-5.4", "x").out))
    for o in objects:
        assert single_keys <= set(o)
        assert o["text"] == gw.reply_text_for(o["model"], "compare") and o["status"] == "complete"
        assert o["credits_exact"] is True and o["credits"] > 0 and o["tokens_exact"] is True
        assert o["first_token_s"] is not None and o["total_s"] >= o["first_token_s"]
    assert objects[0]["conversation_id"] != objects[1]["conversation_id"]
    # `ask --cid N` continues with the chosen answer, its model and the compare's settings.
    cid = objects[1]["conversation_id"]
    r = run_cli(capsys, "ask", "--json", "--cid", str(cid), "and then?")
    follow = json.loads(r.out)
    assert follow["model"] == "claude-sonnet-4-6" and follow["conversation_id"] == cid
    body = [x.json for x in gw.requests if x.json is not None and x.method == "POST"][-1]
    assert body["system"] == "Be brief." and [m["role"] for m in body["messages"]] == [
        "user",
        "assistant",
        "user",
    ]


def test_one_model_failing_shows_its_error_in_its_section_and_the_others_finish(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    r = run_cli(capsys, "ask", "-m", "gpt-5.4", "-m", "gpt-no-such-model", "-m", "claude-sonnet-4-6", "hi")
    assert r.code == 1
    texts, _ = sections(r.out)
    assert (
        texts["gpt-no-such-model"].startswith("[error: ")
        and "gpt-no-such-model" in texts["gpt-no-such-model"]
    )
    for model in ("gpt-5.4", "claude-sonnet-4-6"):
        assert texts[model].startswith(gw.reply_text_for(model, "hi").rstrip("\n"))
    assert "gpt-no-such-model [failed]: " in r.out
    assert re.search(r"gpt-no-such-model \[failed\]: .*, not charged$", r.out, re.MULTILINE)
    assert r.err.startswith("liaobots: gpt-no-such-model: ") and r.err.count("\n") == 1


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--keep", "o3"], "not one of the compared models"),
        (["--cid", "1"], "no conversation 1"),
        (["-f", "openai"], "each model uses its own"),
        (["-m", "o3", "-m", "gpt-4.1"], "2 to 4 models"),
        (["-m", "gpt-5.4"], "named twice"),
    ],
)
def test_bad_combinations_are_one_line_and_exit_2(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    r = run_cli(
        capsys, "ask", "-m", "gpt-5.4", "-m", "claude-sonnet-4-6", "-m", "gemini-3-pro-preview", *extra, "hi"
    )
    assert r.code == 2 and message in r.err and r.err.count("\n") == 1
    assert r.out == "" and not [x for x in gw.requests if x.method == "POST"]


def test_a_single_model_flag_keeps_the_usual_ask(gw: FakeGateway, capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli(capsys, "ask", "-m", "claude-sonnet-4-6", "hi")
    assert r.code == 0 and r.out == gw.reply_text_for("claude-sonnet-4-6", "hi") + "\n"
