"""`ask` whose reply fails before any byte keeps no chat; a prompt from stdin or $EDITOR is printed back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from liaobots_tui import paths
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.store import Store
from tests.cli_driving import gateway_in_env, run_cli

AUTH = "never-answered-code-1"
PROMPT = "Line one of a long prompt\nline two, typed with care\n"


@pytest.fixture
def gw(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGateway]:
    with gateway_in_env(monkeypatch, AUTH) as gateway:
        yield gateway


def chats() -> int:
    with Store(paths.db_file(), paths.images_dir()) as store:
        return store.count_conversations()


def test_a_prompt_from_stdin_is_printed_back_and_no_chat_is_kept(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    gw.faults.out_of_credit = True
    r = run_cli(capsys, "ask", "-m", "gpt-5.4", stdin=PROMPT.encode(), monkeypatch=monkeypatch)
    assert (r.code, r.out) == (1, "")
    error, note, rest = r.err.split("\n", 2)
    assert error.startswith("liaobots: Out of credits: ")
    assert note == "liaobots: no reply arrived, so the chat was not kept; your prompt was:"
    assert rest == PROMPT
    assert chats() == 0


def test_a_prompt_on_the_command_line_is_not_repeated(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    gw.faults.out_of_credit = True
    r = run_cli(capsys, "ask", "-m", "gpt-5.4", "short one")
    assert r.code == 1 and r.err.count("\n") == 1 and r.err.startswith("liaobots: Out of credits: ")
    assert chats() == 0


def test_json_names_no_chat_that_was_not_kept(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    gw.faults.out_of_credit = True
    r = run_cli(capsys, "ask", "--json", "-m", "gpt-5.4", "-", stdin=b"hi", monkeypatch=monkeypatch)
    assert r.code == 1
    assert json.loads(r.out)["conversation_id"] is None
    assert r.err.endswith("your prompt was:\nhi\n")


def test_a_reply_with_text_before_the_failure_is_kept(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    gw.faults.mid_stream_error_after = 2
    r = run_cli(capsys, "ask", "-m", "gpt-5.4", "Tell me about tables")
    assert r.code == 1 and r.out
    assert chats() == 1


def test_continuing_a_chat_never_drops_its_earlier_turns(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "ask", "-m", "gpt-5.4", "first").code == 0
    gw.faults.out_of_credit = True
    r = run_cli(capsys, "ask", "-c", "second")
    assert r.code == 1
    with Store(paths.db_file(), paths.images_dir()) as store:
        (only,) = store.list_conversations()
        assert [m.role for m in store.load_conversation(only.id).messages] == ["user", "assistant"] * 2
