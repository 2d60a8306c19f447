"""Composing a prompt in $VISUAL/$EDITOR: the editor module and `ask -e` (ctrl+e: tests/ui/).

The editor is a small Python script set as $VISUAL/$EDITOR: it appends to the file
it is given (or exits 1 without touching it), as a real editor saving or quitting with an error.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.editor import EditorCancelled, edit_text, editor_command
from tests.cli_driving import gateway_in_env, run_cli

AUTH = "test-code-123456"


def fake_editor(tmp_path: Path, *, append: str = "", exit_code: int = 0, name: str = "ed.py") -> str:
    """A command line running a script that appends ``append`` to its file and exits ``exit_code``."""
    script = tmp_path / name
    script.write_text(
        "import sys\n"
        "path = sys.argv[-1]\n"
        f"if {exit_code}:\n"
        f"    sys.exit({exit_code})\n"
        "with open(path, 'a', encoding='utf-8') as fh:\n"
        f"    fh.write({append!r})\n"
        "open(path + '.seen', 'w').write('yes')\n"
    )
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"


def test_the_editor_is_visual_then_editor_then_vi() -> None:
    assert editor_command({"VISUAL": "code --wait", "EDITOR": "nano"}) == ["code", "--wait"]
    assert editor_command({"VISUAL": " ", "EDITOR": "nano -w"}) == ["nano", "-w"]
    assert editor_command({}) == ["vi"]
    with pytest.raises(EditorCancelled):
        editor_command({"EDITOR": "vim 'unclosed"})


def test_edit_text_returns_what_was_saved(tmp_path: Path) -> None:
    env = {"EDITOR": fake_editor(tmp_path, append="more words\n")}
    assert edit_text("draft ünï\n", env) == "draft ünï\nmore words"
    failing = {"EDITOR": fake_editor(tmp_path, exit_code=3, name="fail.py")}
    with pytest.raises(EditorCancelled) as excinfo:
        edit_text("draft", failing)
    assert excinfo.value.message == "editor exited with status 3; the draft is unchanged"
    with pytest.raises(EditorCancelled) as excinfo:
        edit_text("draft", {"EDITOR": str(tmp_path / "no-such-editor")})
    assert excinfo.value.message.startswith("cannot run editor ")


@pytest.fixture
def gw(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGateway]:
    with gateway_in_env(monkeypatch, AUTH) as gateway:
        yield gateway


def test_ask_e_sends_what_the_editor_saved(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", fake_editor(tmp_path, append=" and tables please"))
    r = run_cli(capsys, "ask", "-m", "gpt-5.4", "-e", "Tell me about")
    assert r.code == 0, r.err
    sent = [q.json for q in gw.requests if q.method == "POST" and q.json is not None][-1]
    assert sent["messages"][-1]["content"] == "Tell me about and tables please"

    monkeypatch.setenv("EDITOR", fake_editor(tmp_path, exit_code=1, name="quit.py"))
    posts = len(gw.requests)
    r = run_cli(capsys, "ask", "-e")
    assert r.code == 2
    assert r.err == "liaobots: Invalid input: editor exited with status 1; the draft is unchanged\n"
    assert len(gw.requests) == posts
