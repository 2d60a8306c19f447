"""`liaobots ask -c/--cid N -m A -m B …`: the comparison is one turn of the chat, as "Keep this one" makes it.

The chosen reply (``--keep MODEL``, else the first that completed) continues the
chat; every other reply that holds anything is stored beside it as one of its
versions, so the chat's cost counts every reply the comparison was charged for.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from liaobots_tui import paths
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.store import Store, Version
from tests.cli_driving import gateway_in_env, run_cli

AUTH = "compare-chat-cli-code"
MODELS = ["gpt-5.4", "claude-sonnet-4-6", "gemini-3-pro-preview"]


@pytest.fixture
def gw(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGateway]:
    with gateway_in_env(monkeypatch, AUTH) as gateway:
        yield gateway


def ask_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[dict[str, object]], str]:
    r = run_cli(capsys, "ask", "--json", *argv)
    return r.code, json.loads(r.out) if r.out else [], r.err


def posted(gw: FakeGateway) -> list[dict[str, object]]:
    return [x.json for x in gw.requests if x.json is not None and x.method == "POST"]


def test_cid_compare_continues_the_chat_with_the_first_complete_reply_and_keeps_the_others_as_versions(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    r = run_cli(capsys, "ask", "--json", "-m", "claude-opus-4-6", "first question")
    cid = json.loads(r.out)["conversation_id"]
    code, objects, err = ask_json(
        capsys, "--cid", str(cid), *[a for m in MODELS for a in ("-m", m)], "second"
    )
    assert code == 0, err
    assert [o["conversation_id"] for o in objects] == [cid] * 3
    assert [o["kept"] for o in objects] == [True, False, False]
    note = f"chat {cid} goes on with gpt-5.4's reply; the other 2 are its versions (‹ › in the app)"
    assert err == f"liaobots: {note}\n"
    assert all("first question" in str(body) for body in posted(gw)[-3:])  # each model got the history
    with Store(paths.db_file(), paths.images_dir()) as store:
        chosen = store.load_conversation(cid).messages
        assert [(m.role, m.model) for m in chosen] == [
            ("user", None), ("assistant", "claude-opus-4-6"), ("user", None), ("assistant", "gpt-5.4")
        ]  # fmt: skip
        assert store.versions(cid) == {chosen[-1].id: Version(1, 3)}
        assert [m.model for m in store.replies_set_aside(cid)] == MODELS[1:]
        assert store.conversation_settings(cid)["model"] == "gpt-5.4"
    # `ask -c` goes on from the kept reply, with its model.
    follow = json.loads(run_cli(capsys, "ask", "--json", "-c", "third").out)
    assert follow["conversation_id"] == cid and follow["model"] == "gpt-5.4"
    sent = posted(gw)[-1]["messages"]
    assert isinstance(sent, list) and [m["role"] for m in sent] == ["user", "assistant"] * 2 + ["user"]
    assert sent[3]["content"] == gw.reply_text_for("gpt-5.4", "second")


def test_keep_picks_the_reply_that_continues_and_alone_starts_one_new_chat(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    code, objects, err = ask_json(
        capsys, "--keep", "claude-sonnet-4-6", "-m", MODELS[0], "-m", MODELS[1], "hi"
    )
    assert code == 0, err
    cid = objects[0]["conversation_id"]
    assert isinstance(cid, int) and objects[1]["conversation_id"] == cid
    assert [o["kept"] for o in objects] == [False, True]
    with Store(paths.db_file(), paths.images_dir()) as store:
        assert store.count_conversations() == 1
        chosen = store.load_conversation(cid).messages
        assert chosen[-1].model == "claude-sonnet-4-6" and store.versions(cid) == {
            chosen[-1].id: Version(2, 2)
        }
        assert store.conversation_settings(cid)["model"] == "claude-sonnet-4-6"


def test_a_model_that_fails_is_not_stored_and_the_next_complete_one_is_kept(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    run_cli(capsys, "ask", "-m", "claude-opus-4-6", "first")
    code, objects, err = ask_json(capsys, "-c", "-m", "gpt-no-such-model", "-m", "gpt-5.4", "second")
    assert code == 1
    assert [o["kept"] for o in objects] == [False, True]
    assert objects[0]["conversation_id"] is None and objects[0]["status"] == "failed"
    assert "goes on with gpt-5.4's reply\n" in err and "gpt-no-such-model" in err
    with Store(paths.db_file(), paths.images_dir()) as store:
        cid = store.latest_conversation_id()
        assert cid is not None and store.versions(cid) == {} and store.replies_set_aside(cid) == []


def test_keep_with_one_model_is_refused_before_anything_is_sent(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    r = run_cli(capsys, "ask", "--keep", "gpt-5.4", "-m", "gpt-5.4", "hi")
    assert r.code == 2 and "--keep picks one of the compared models" in r.err and r.err.count("\n") == 1
    assert not [x for x in gw.requests if x.method == "POST"]
