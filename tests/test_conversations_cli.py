"""The CLI as a front end of the conversation controller: the same chat, the same settings as the app."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from liaobots_tui import paths
from liaobots_tui.api.messages import ImageOptions, Thinking
from liaobots_tui.conversations import ConversationSettings, read_settings
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.store import Store
from tests.cli_driving import gateway_in_env, run_cli

AUTH = "cli-controller-code"


@pytest.fixture
def gw(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGateway]:
    with gateway_in_env(monkeypatch, AUTH) as gateway:
        yield gateway


def posted(gw: FakeGateway) -> list[dict[str, Any]]:
    return [r.json for r in gw.requests if r.json is not None and r.method == "POST"]


def saved_settings(cid: int) -> ConversationSettings:
    with Store(paths.db_file(), paths.images_dir()) as store:
        conversation = store.load_conversation(cid)
        raw = store.conversation_settings(cid)
    return read_settings(raw, conversation.system, ConversationSettings(model="unset"))


def save_like_the_app(cid: int, **changes: Any) -> None:
    """Change a chat's settings the way the app does: through the controller's one writer."""
    from dataclasses import replace

    from liaobots_tui.conversations import saved_form

    with Store(paths.db_file(), paths.images_dir()) as store:
        conversation = store.load_conversation(cid)
        current = read_settings(
            store.conversation_settings(cid), conversation.system, ConversationSettings("x")
        )
        wanted = replace(current, **changes)
        store.update_conversation(
            cid, system=wanted.system or None, settings=saved_form(wanted, store.conversation_settings(cid))
        )


def test_continue_uses_the_chats_saved_temperature_and_format(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    r = run_cli(capsys, "ask", "--json", "-m", "claude-sonnet-4-6", "first")
    assert r.code == 0, r.err
    cid = json.loads(r.out)["conversation_id"]
    # In the app: Responses format and temperature 0.4 for this chat.
    save_like_the_app(cid, format_choice="responses", temperature=0.4)

    for how in (["-c"], ["--cid", str(cid)]):
        r = run_cli(capsys, "ask", "--json", *how, "go on")
        assert r.code == 0, r.err
        out = json.loads(r.out)
        assert (out["conversation_id"], out["format"], out["model"]) == (
            cid,
            "responses",
            "claude-sonnet-4-6",
        )
        body = posted(gw)[-1]
        assert body["model"] == "claude-sonnet-4-6" and body["temperature"] == 0.4 and "input" in body


def test_flags_apply_to_the_call_and_are_saved_as_the_chats_settings(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    r = run_cli(capsys, "ask", "--json", "-m", "gpt-5.4", "-f", "responses", "first")
    cid = json.loads(r.out)["conversation_id"]

    r = run_cli(
        capsys, "ask", "--json", "--cid", str(cid), "-m", "claude-sonnet-4-6", "--temperature", "0.5",
        "-s", "Answer in French.", "--thinking=high", "second",
    )  # fmt: skip
    assert r.code == 0, r.err
    body = posted(gw)[-1]
    # A model given without --format follows the model: Claude through Anthropic, not the old Responses.
    assert json.loads(r.out)["format"] == "anthropic" and body["system"] == "Answer in French."
    assert body["thinking"] == {"type": "adaptive"}  # thinking on: temperature is not sent with it
    assert saved_settings(cid) == ConversationSettings(
        model="claude-sonnet-4-6", format_choice=None, system="Answer in French.", temperature=0.5,
        thinking=Thinking(effort="high"),
    )  # fmt: skip

    # The next call, without flags, continues with all of it; --thinking off is saved too.
    r = run_cli(capsys, "ask", "--json", "-c", "--thinking", "off", "third")
    assert r.code == 0, r.err
    body = posted(gw)[-1]
    assert body["model"] == "claude-sonnet-4-6" and body["temperature"] == 0.5 and "thinking" not in body
    assert saved_settings(cid).thinking is None


def test_bare_thinking_flag_before_the_prompt_still_takes_the_prompt(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    r = run_cli(capsys, "ask", "--json", "-m", "gemini-3-pro-preview", "--thinking", "why is the sky blue?")
    assert r.code == 0, r.err
    out = json.loads(r.out)
    assert out["thinking"] and out["text"] == gw.reply_text_for(
        "gemini-3-pro-preview", "why is the sky blue?"
    )
    assert saved_settings(out["conversation_id"]).thinking == Thinking()


def test_bad_thinking_value_is_one_line_and_exit_2(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    r = run_cli(capsys, "ask", "--thinking", "lots", "hello")
    assert r.code == 2 and r.err.count("\n") == 1 and "thinking must be" in r.err
    assert posted(gw) == []


def test_explicit_format_for_an_image_model_is_refused_before_sending(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    charged = len(gw.usage_records)
    r = run_cli(capsys, "ask", "-m", "gemini-3-pro-image-preview", "-f", "openai", "draw a cat")
    assert r.code == 2 and "gemini" in r.err and r.err.count("\n") == 1
    assert posted(gw) == [] and len(gw.usage_records) == charged
    with Store(paths.db_file(), paths.images_dir()) as store:
        assert store.count_conversations() == 0


def test_image_options_given_once_stay_with_the_chat(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    model = "gemini-3-pro-image-preview"
    r = run_cli(capsys, "ask", "--json", "-m", model, "--aspect-ratio", "16:9", "--image-size", "2k", "a fox")
    assert r.code == 0, r.err
    cid = json.loads(r.out)["conversation_id"]
    r = run_cli(capsys, "ask", "--json", "-c", "now at night")
    assert r.code == 0, r.err
    config = posted(gw)[-1]["generationConfig"]["imageConfig"]
    assert config == {"aspectRatio": "16:9", "imageSize": "2K"}
    assert saved_settings(cid).image == ImageOptions(aspect_ratio="16:9", image_size="2K")


def test_demo_keeps_its_own_history(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from liaobots_tui.ui.app import LiaobotsApp

    with Store(paths.db_file(), paths.images_dir()) as real:
        real.create_conversation(title="my real chat")
    seen: dict[str, Any] = {}

    def fake_run(app: LiaobotsApp, *args: object, **kwargs: object) -> int:
        seen["db"], seen["demo_dir"] = app.store.db_path, app.demo_data_dir
        seen["latest"] = app.store.latest_conversation_id()
        return 0

    monkeypatch.setattr(LiaobotsApp, "run", fake_run)
    monkeypatch.setattr("liaobots_tui.ui.images.load_image_support", lambda mode: None)
    r = run_cli(capsys, "demo")
    assert r.code == 0, r.err
    demo_dir = paths.data_dir() / "demo"
    assert seen["demo_dir"] == demo_dir and Path(seen["db"]).parent == demo_dir
    assert seen["latest"] is None  # the user's last chat is not reopened in the demo
    with Store(paths.db_file(), paths.images_dir()) as real:
        assert [c.title for c in real.list_conversations()] == ["my real chat"]


def test_an_image_chat_continued_on_a_text_model_sends_no_image_options(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    r = run_cli(capsys, "ask", "--json", "-m", "gemini-3-pro-image-preview", "--aspect-ratio", "4:3", "a fox")
    assert r.code == 0, r.err
    r = run_cli(capsys, "ask", "--json", "-c", "-m", "gemini-3-pro-preview", "describe it")
    assert r.code == 0, r.err
    assert "responseModalities" not in posted(gw)[-1].get("generationConfig", {})
    # The options stay saved for when the chat goes back to an image model.
    assert saved_settings(json.loads(r.out)["conversation_id"]).image.aspect_ratio == "4:3"


@pytest.mark.parametrize("value", ["hot", "2.5", "nan"])
def test_bad_temperature_is_one_line_and_exit_2(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    r = run_cli(capsys, "ask", "--temperature", value, "hello")
    assert r.code == 2 and r.err.count("\n") == 1 and "temperature must be" in r.err
