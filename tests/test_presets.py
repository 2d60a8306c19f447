"""Presets: reading the TOML files, `liaobots presets`, `ask -p NAME`, and their one-line errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from liaobots_tui import paths
from liaobots_tui.api.messages import Thinking
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.errors import ConfigError
from liaobots_tui.presets import list_presets, load_preset, read_preset, user_presets_dir
from tests.cli_driving import gateway_in_env, run_cli

AUTH = "test-code-123456"


def write_preset(name: str, text: str) -> Path:
    directory = paths.ensure_dir(user_presets_dir())
    path = directory / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_presets_are_valid_and_listed() -> None:
    presets, problems = list_presets()
    assert problems == []
    assert [p.name for p in presets] == ["code-review", "translate"]
    review = load_preset("code-review")
    assert review.shipped and review.model == "claude-sonnet-4-6" and review.temperature == 0.2
    assert review.thinking == Thinking(effort="medium") and review.thinking_set
    assert review.system is not None and review.system.startswith("You are a senior engineer")
    translate = load_preset("translate")
    assert translate.thinking is None and translate.thinking_set  # "off" is a setting, not a gap


def test_a_user_file_wins_and_every_key_is_optional() -> None:
    write_preset("code-review", 'description = "mine"\n')
    mine = load_preset("code-review")
    assert not mine.shipped and mine.description == "mine"
    assert (mine.model, mine.system, mine.temperature, mine.format_set, mine.thinking_set) == (
        None, None, None, False, False,
    )  # fmt: skip
    auto = read_preset(write_preset("auto", 'format = "auto"\nthinking = 8000\n'))
    assert auto.format is None and auto.format_set and auto.thinking == Thinking(budget=8000)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("system = [", "invalid TOML: "),
        ('sytem = "x"', "unknown key 'sytem'; a preset may set description, system, model, format,"),
        ("temperature = 3", "temperature must be a number from 0 to 2"),
        ('format = "grpc"', "format must be auto or one of openai, anthropic, responses, gemini, not 'grpc'"),
        ('thinking = "lots"', "thinking must be off, on, low, medium, high or a token budget"),
        ("model = 4", "model must be a string"),
    ],
)
def test_a_malformed_preset_is_one_line_naming_the_file(text: str, problem: str) -> None:
    path = write_preset("broken", text)
    with pytest.raises(ConfigError) as excinfo:
        load_preset("broken")
    message = excinfo.value.message
    assert message.startswith(f"{path}: {problem}") and "\n" not in message


def test_an_unknown_preset_names_the_known_ones() -> None:
    with pytest.raises(ConfigError) as excinfo:
        load_preset("nope")
    assert excinfo.value.message == (
        f"{user_presets_dir() / 'nope.toml'}: no such preset 'nope' (known: code-review, translate)"
    )


# ---------------------------------------------------------------- CLI


@pytest.fixture
def gw(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGateway]:
    with gateway_in_env(monkeypatch, AUTH) as gateway:
        yield gateway


def posted(gw: FakeGateway) -> list[dict]:  # type: ignore[type-arg]
    return [r.json for r in gw.requests if r.json is not None and r.method == "POST"]


def test_ask_p_uses_the_preset_and_flags_override_it(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    r = run_cli(capsys, "ask", "-p", "code-review", "Review: print(1)")
    assert r.code == 0, r.err
    body = posted(gw)[-1]
    assert body["model"] == "claude-sonnet-4-6" and body["system"].startswith("You are a senior engineer")
    assert "thinking" in body  # medium effort asked for
    r = run_cli(capsys, "ask", "-p", "code-review", "-m", "claude-opus-4-6", "-s", "Be terse.", "Review: x")
    assert r.code == 0, r.err
    body = posted(gw)[-1]
    assert body["model"] == "claude-opus-4-6" and body["system"] == "Be terse."


def test_ask_p_with_a_bad_preset_is_exit_2_before_any_request(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    r = run_cli(capsys, "ask", "-p", "nope", "hi")
    assert r.code == 2 and r.err.count("\n") == 1
    assert r.err.startswith("liaobots: Configuration error: ") and "no such preset 'nope'" in r.err
    path = write_preset("broken", "temperature = 9\n")
    r = run_cli(capsys, "ask", "-p", "broken", "hi")
    assert r.code == 2
    assert r.err == f"liaobots: Configuration error: {path}: temperature must be a number from 0 to 2\n"
    assert posted(gw) == []


def test_presets_lists_copies_and_reports_bad_files(capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli(capsys, "presets")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert [line.split()[0] for line in lines] == ["code-review", "translate"]
    assert "shipped" in lines[0] and "claude-sonnet-4-6" in lines[0]
    r = run_cli(capsys, "presets", "--copy", "translate")
    copied = user_presets_dir() / "translate.toml"
    assert r.code == 0 and r.out == f"{copied}\n" and copied.is_file()
    r = run_cli(capsys, "presets", "--copy", "translate")
    assert r.code == 2 and "already exists" in r.err
    bad = write_preset("zz-bad", "= broken")
    r = run_cli(capsys, "presets")
    assert r.code == 2
    assert str(copied) in r.out  # the user's copy is listed, the bad file reported
    assert r.err.startswith(f"liaobots: Configuration error: {bad}: invalid TOML") and r.err.count("\n") == 1
