"""The `liaobots` CLI end to end: real transport, real store, the fake gateway on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from liaobots_tui.demo.gateway import FakeGateway
from tests.cli_driving import gateway_in_env, run_cli

AUTH = "test-code-123456"


@pytest.fixture
def gw(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGateway]:
    with gateway_in_env(monkeypatch, AUTH) as gateway:
        yield gateway


def chat_requests(gw: FakeGateway) -> list[dict]:  # type: ignore[type-arg]
    return [r.json for r in gw.requests if r.json is not None and r.method == "POST"]


@pytest.mark.parametrize(
    ("model", "fmt"),
    [("gpt-5.4", "openai"), ("claude-sonnet-4-6", "anthropic"), ("gpt-5.4", "responses"),
     ("gemini-3-pro-preview", "gemini")],
)  # fmt: skip
@pytest.mark.parametrize("stream", [True, False])
def test_ask_every_format(gw: FakeGateway, capsys: pytest.CaptureFixture[str], model: str, fmt: str,
                          stream: bool) -> None:  # fmt: skip
    args = ["ask", "-m", model, "-f", fmt, "Tell me about tables"]
    if not stream:
        args.insert(1, "--no-stream")
    r = run_cli(capsys, *args)
    assert r.code == 0, r.err
    assert r.out == gw.reply_text_for(model, "Tell me about tables") + "\n"
    assert r.err == ""


def test_ask_json_and_continue_with_another_format(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    r = run_cli(capsys, "ask", "--json", "-m", "gemini-3-pro-preview", "-s", "Be brief.", "first question")
    assert r.code == 0, r.err
    first = json.loads(r.out)
    assert first["text"] == gw.reply_text_for("gemini-3-pro-preview", "first question")
    assert first["format"] == "gemini" and first["model"] == "gemini-3-pro-preview"
    assert first["finish_reason"] == "stop"
    assert first["usage"]["input_tokens"] > 0 and first["usage"]["output_tokens"] > 0
    cid = first["conversation_id"]

    r = run_cli(capsys, "ask", "--json", "-c", "-m", "claude-sonnet-4-6", "second question")
    second = json.loads(r.out)
    assert second["conversation_id"] == cid and second["format"] == "anthropic"
    body = chat_requests(gw)[-1]
    assert body["system"] == "Be brief."
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user"]

    r = run_cli(capsys, "ask", "--json", "--cid", str(cid), "-f", "responses", "-m", "gpt-5.4", "third")
    assert json.loads(r.out)["conversation_id"] == cid
    body = chat_requests(gw)[-1]
    assert body["instructions"] == "Be brief."
    assert len(body["input"]) == 5


def test_prompt_from_stdin(gw: FakeGateway, capsys: pytest.CaptureFixture[str],
                           monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    r = run_cli(capsys, "ask", "-m", "gpt-5.4", stdin=b"piped prompt\n", monkeypatch=monkeypatch)
    assert r.code == 0, r.err
    assert r.out == gw.reply_text_for("gpt-5.4", "piped prompt\n") + "\n"


def test_non_utf8_stdin_is_a_usage_error(gw: FakeGateway, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    r = run_cli(capsys, "ask", "-", stdin=b"caf\xe9", monkeypatch=monkeypatch)
    assert r.code == 2
    assert r.err.count("\n") == 1 and "not valid UTF-8" in r.err


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["ask", "-f", "cohere", "hi"], "unknown format"),
        (["ask", "-a", "/nonexistent/pic.png", "hi"], "attachment not found"),
        (["ask", "-m", "gemini-3-pro-image-preview", "--aspect-ratio", "7:5", "hi"], "invalid aspect ratio"),
        (["image", "x", "--image-size", "8K"], "invalid image size"),
        (["ask", "--base-url", "ftp://nope", "hi"], "ftp://nope"),
        (["ask", "--cid", "999", "hi"], "999"),
        (["usage", "--limit", "0"], "at least 1"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(gw: FakeGateway, capsys: pytest.CaptureFixture[str],
                                          argv: list[str], needle: str) -> None:  # fmt: skip
    r = run_cli(capsys, *argv)
    assert r.code == 2
    assert needle in r.err and r.err.count("\n") == 1 and "Traceback" not in r.err


def test_non_image_attachment(gw: FakeGateway, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    note = tmp_path / "notes file.bin"
    note.write_bytes(b"\x00\x9f not a picture")
    r = run_cli(capsys, "ask", "-a", str(note), "hi")
    assert r.code == 2 and "not a text file, image or PDF" in r.err


def test_image_attachment_reaches_request(gw: FakeGateway, capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:  # fmt: skip
    pic = tmp_path / "图 with space.png"
    Image.new("RGB", (8, 8), "red").save(pic)
    r = run_cli(capsys, "ask", "-m", "claude-sonnet-4-6", "-a", str(pic), "what colour?")
    assert r.code == 0, r.err
    content = chat_requests(gw)[-1]["messages"][0]["content"]
    assert content[0] == {"type": "text", "text": "what colour?"}
    assert content[1]["type"] == "image" and content[1]["source"]["media_type"] == "image/png"


def test_wrong_auth_code(gw: FakeGateway, capsys: pytest.CaptureFixture[str],
                         monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.setenv("LIAOBOTS_AUTH_CODE", "wrong-code")
    for model in ("gpt-5.4", "claude-sonnet-4-6", "gemini-3-pro-preview"):
        r = run_cli(capsys, "ask", "-m", model, "hi")
        assert r.code == 1
        assert r.err.startswith("liaobots: Authentication failed") and r.err.count("\n") == 1
        assert "wrong-code" not in r.err


def test_mid_stream_error_keeps_partial_output(gw: FakeGateway, capsys: pytest.CaptureFixture[str]) -> None:
    gw.faults.mid_stream_error_after = 5
    r = run_cli(capsys, "ask", "-m", "claude-sonnet-4-6", "a long answer please")
    assert r.code == 1
    full = gw.reply_text_for("claude-sonnet-4-6", "a long answer please")
    partial = r.out.rstrip("\n")
    assert partial and full.startswith(partial) and partial != full
    assert r.err.count("\n") == 1 and r.err.startswith("liaobots: ")


def test_primary_domain_dead_fails_over(gw: FakeGateway, capsys: pytest.CaptureFixture[str]) -> None:
    gw.faults.dead_domains = {0}
    gw.faults.html_502_domains = {1}
    r = run_cli(capsys, "ask", "-m", "gpt-5.4", "hello")
    assert r.code == 0, r.err
    assert r.out == gw.reply_text_for("gpt-5.4", "hello") + "\n"
    assert {q.domain for q in gw.requests if q.path.startswith("/v1/")} >= {2}


def test_all_domains_dead(gw: FakeGateway, capsys: pytest.CaptureFixture[str]) -> None:
    gw.faults.dead_domains = {0, 1, 2, 3}
    r = run_cli(capsys, "credits")
    assert r.code == 1
    assert r.err.startswith("liaobots: All domains unreachable") and r.err.count("\n") == 1


def test_image_command_saves_pngs(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_dir = tmp_path / "out dir"
    r = run_cli(capsys, "image", "a red fox", "--aspect-ratio", "16:9", "--image-size", "1K", "--search",
            "-o", str(out_dir))  # fmt: skip
    assert r.code == 0, r.err
    # stdout holds the saved paths and nothing else (`$(liaobots image …)`); the reply text is on stderr.
    paths = [Path(line) for line in r.out.splitlines()]
    assert len(paths) == 1 and paths[0].parent == out_dir and paths[0].suffix == ".png"
    assert "demo" in r.err
    with Image.open(paths[0]) as img:
        assert img.size == (1024, 576)
    body = chat_requests(gw)[-1]
    assert body["generationConfig"]["imageConfig"] == {"aspectRatio": "16:9", "imageSize": "1K"}
    assert body["tools"] == [{"googleSearch": {}}]


def test_credits_usage_models(gw: FakeGateway, capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli(capsys, "credits", "--json")
    assert json.loads(r.out) == {"balance": gw.balance, "amount": gw.amount}
    r = run_cli(capsys, "usage", "--all", "--page-size", "7", "--json")
    assert json.loads(r.out) == gw.usage_records
    r = run_cli(capsys, "usage", "--limit", "3", "--csv")
    lines = r.out.splitlines()
    assert lines[0].startswith("id,time,model") and len(lines) == 4
    r = run_cli(capsys, "models", "--json")
    ids = [m["id"] for m in json.loads(r.out)]
    assert "claude-sonnet-4-6" in ids and "gemini-3-pro-image-preview" in ids
