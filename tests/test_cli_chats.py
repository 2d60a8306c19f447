"""``liaobots chats`` (list, --search, show, export, delete) and ``ask --cid`` continuing chosen versions."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from liaobots_tui import paths
from liaobots_tui.api.messages import Message, TextPart
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.store import Store
from tests.cli_driving import gateway_in_env, run_cli


def store() -> Store:
    return Store(paths.db_file(), paths.images_dir())


def user(text: str) -> Message:
    return Message("user", [TextPart(text)])


def reply(text: str, model: str = "gpt-5.4") -> Message:
    return Message("assistant", [TextPart(text)], model=model, format="openai")


@pytest.fixture
def chats() -> Iterator[tuple[int, int]]:
    """Two saved chats: a Rust one with a regenerated reply (the first version chosen), a soup one."""
    with store() as s:
        rust = s.create_conversation(settings={"model": "claude-sonnet-4-6"})
        s.add_messages(rust, [user("How do lifetimes work?"), reply("Lifetimes bound borrows.", "claude-x")])
        first = s.load_conversation(rust).messages[1].id or 0
        s.keep_versions_from(rust, first)
        s.add_message(rust, reply("Second take on lifetimes.", "claude-y"))
        s.choose_version(rust, first)
        soup = s.create_conversation()
        s.add_messages(soup, [user("tomato soup\x1b[31m please"), reply("Roast the tomatoes.")])
    yield rust, soup


def test_list_prints_id_date_messages_model_and_title_newest_first(
    capsys: pytest.CaptureFixture[str], chats: tuple[int, int]
) -> None:
    rust, soup = chats
    result = run_cli(capsys, "chats")
    assert result.code == 0, result
    lines = result.out.splitlines()
    assert lines[0].split() == ["ID", "UPDATED", "MSGS", "MODEL", "TITLE"]
    assert lines[1].split()[0] == str(soup) and lines[2].split()[0] == str(rust)
    assert "claude-x" in lines[2] and "How do lifetimes work?" in lines[2] and " 2 " in lines[2]
    assert "\x1b" not in result.out
    listed = json.loads(run_cli(capsys, "chats", "--json").out)
    assert [(c["id"], c["messages"], c["model"]) for c in listed] == [
        (soup, 2, "gpt-5.4"),
        (rust, 2, "claude-x"),
    ]
    assert listed[0]["updated_at"].startswith("20")
    paged = run_cli(capsys, "chats", "--limit", "1")
    assert len(paged.out.splitlines()) == 3 and "--offset 1" in paged.out


def test_search_prints_chat_date_model_and_snippet_per_hit(
    capsys: pytest.CaptureFixture[str], chats: tuple[int, int]
) -> None:
    rust, soup = chats
    result = run_cli(capsys, "chats", "--search", "lifetime")
    assert result.code == 0, result
    lines = result.out.splitlines()
    # The chosen reply and the prompt; the other version is not the chat as it reads now.
    assert [line.split()[0] for line in lines[::2]] == [f"#{rust}", f"#{rust}"]
    assert "claude-x" in lines[0] and "Lifetimes bound borrows." in lines[1]
    assert lines[2].split()[3:5] == ["you", "(claude-sonnet-4-6)"]  # a prompt's hit: the chat's model
    hits = json.loads(run_cli(capsys, "chats", "--search", "tomato", "--json").out)
    assert [(h["conversation_id"], h["role"]) for h in hits] == [(soup, "assistant"), (soup, "user")]
    ((start, end),) = hits[0]["highlights"]
    assert hits[0]["snippet"][start:end] == "tomatoes"
    assert "no message matches" in run_cli(capsys, "chats", "--search", "quux").out
    assert run_cli(capsys, "chats", "--search", "   ").code == 2


def test_show_and_export_give_the_chosen_version_with_a_note_of_the_others(
    capsys: pytest.CaptureFixture[str],
    chats: tuple[int, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rust, _ = chats
    shown = run_cli(capsys, "chats", "show", str(rust))
    assert shown.code == 0, shown
    assert "Lifetimes bound borrows." in shown.out and "Second take" not in shown.out
    assert "*Version 1 of 2; 1 other not shown.*" in shown.out
    monkeypatch.chdir(tmp_path)
    exported = run_cli(capsys, "chats", "export", str(rust))
    assert exported.code == 0, exported
    path = tmp_path / exported.out.strip()
    assert path.name == f"chat-{rust}-how-do-lifetimes-work.md"
    assert path.read_text(encoding="utf-8") == shown.out
    again = run_cli(capsys, "chats", "export", str(rust))
    assert again.code == 2 and "exists" in again.err and "Traceback" not in again.err
    assert run_cli(capsys, "chats", "export", str(rust), "--force").code == 0
    assert run_cli(capsys, "chats", "show", "999").err == "liaobots: Invalid input: no conversation 999\n"


def test_delete_asks_at_a_terminal_and_needs_yes_otherwise(
    capsys: pytest.CaptureFixture[str], chats: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    rust, soup = chats
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    refused = run_cli(capsys, "chats", "delete", str(soup))
    assert refused.code == 2 and "--yes" in refused.err

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal("n\n"))
    kept = run_cli(capsys, "chats", "delete", str(soup))
    assert kept.code == 1 and "Delete chat" in kept.err
    monkeypatch.setattr(sys, "stdin", Terminal("y\n"))
    assert run_cli(capsys, "chats", "delete", str(soup)).code == 0
    assert run_cli(capsys, "chats", "delete", str(rust), "--yes").out.startswith(f"deleted chat {rust}")
    assert "no saved chats" in run_cli(capsys, "chats").out


@pytest.fixture
def gw(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGateway]:
    with gateway_in_env(monkeypatch, "chats-cli-code") as gateway:
        yield gateway


def test_ask_cid_continues_from_the_chosen_versions(
    capsys: pytest.CaptureFixture[str], chats: tuple[int, int], gw: FakeGateway
) -> None:
    rust, _ = chats
    result = run_cli(capsys, "ask", "--cid", str(rust), "and elision?")
    assert result.code == 0, result
    bodies: list[dict[str, Any]] = [r.json for r in gw.requests if r.json is not None and r.method == "POST"]
    sent = json.dumps(bodies[-1])
    assert "Lifetimes bound borrows." in sent and "Second take" not in sent
    with store() as s:
        assert [m.text for m in s.load_conversation(rust).messages][:2] == [
            "How do lifetimes work?",
            "Lifetimes bound borrows.",
        ]
