"""Failed turns: a resent prompt replaces its failed pair; a chat never answered is not left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from liaobots_tui.api.messages import Message, TextPart
from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.chat import ChatSession
from liaobots_tui.conversations import ConversationController, ConversationSettings
from liaobots_tui.conversations.failed_turns import failed_before_any_reply, resent_failed_prompt
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.store import MessageRecord, Store
from tests.cli_driving import gateway_in_env, run_cli

AUTH = "failed-turns-123456"


@pytest.fixture
def auth_code() -> str:
    return AUTH


@pytest.fixture
def controller(client: GatewayClient, store: Store) -> ConversationController:
    session = ChatSession(client, store)
    return ConversationController(store, lambda: session, ConversationSettings(model="gpt-5.4"))


def shape(messages: list[Message]) -> list[tuple[str, str, str]]:
    return [(m.role, m.status, m.text[:12]) for m in messages]


async def test_resending_the_failed_prompt_replaces_the_failed_pair(
    controller: ConversationController, gw: FakeGateway, store: Store
) -> None:
    await controller.send("hello there")
    gw.faults.mid_stream_error_after = 2
    failed = await controller.send("Tell me about tables")
    assert failed is not None and failed.status == "failed"
    gw.faults.reset()
    retried = await controller.send("Tell me about tables ")  # the restored prompt, a space typed after it
    assert retried is not None and retried.status == "complete"
    assert controller.conversation_id is not None
    stored = store.load_conversation(controller.conversation_id).messages
    assert [m.status for m in stored] == ["complete"] * 4
    assert [m.text.strip() for m in stored if m.role == "user"] == ["hello there", "Tell me about tables"]
    assert shape(controller.messages) == shape(stored)


async def test_a_new_prompt_after_a_failure_keeps_the_failed_pair(
    controller: ConversationController, gw: FakeGateway, store: Store
) -> None:
    gw.faults.mid_stream_error_after = 2
    await controller.send("Tell me about tables")
    gw.faults.reset()
    await controller.send("something else")
    assert controller.conversation_id is not None
    stored = store.load_conversation(controller.conversation_id).messages
    assert [(m.role, m.status) for m in stored] == [
        ("user", "complete"), ("assistant", "failed"), ("user", "complete"), ("assistant", "complete"),
    ]  # fmt: skip


async def test_a_chat_never_answered_goes_when_left(
    controller: ConversationController, gw: FakeGateway, store: Store
) -> None:
    gw.faults.out_of_credit = True
    failed = await controller.send("hello")
    assert failed is not None and failed.status == "failed" and not failed.parts
    assert store.count_conversations() == 1  # still open: the user may resend it
    left = controller.conversation_id
    await controller.new_chat()
    assert store.count_conversations() == 0 and controller.discarded == left


async def test_a_failed_reply_with_text_is_kept_when_left(
    controller: ConversationController, gw: FakeGateway, store: Store
) -> None:
    gw.faults.mid_stream_error_after = 3
    failed = await controller.send("Tell me about tables")
    assert failed is not None and failed.status == "failed" and failed.text
    other = store.create_conversation()
    await controller.open(other)
    assert store.count_conversations() == 2 and controller.discarded is None


def test_rules() -> None:
    prompt = MessageRecord(Message("user", [TextPart("hi")]), id=7)
    failed = MessageRecord(Message("assistant"), id=8, status="failed", error="boom")
    assert resent_failed_prompt([prompt, failed], " hi\n", []) == 7
    assert resent_failed_prompt([prompt, failed], "hello", []) is None
    ok = MessageRecord(Message("assistant", [TextPart("ok")]), id=8)
    assert resent_failed_prompt([prompt, ok], "hi", []) is None
    assert failed_before_any_reply([prompt, failed])
    assert not failed_before_any_reply([prompt, failed.revised(parts=[TextPart("x")])])
    assert not failed_before_any_reply([prompt, failed, prompt, failed])


def test_cli_resend_with_continue_replaces_the_failed_pair(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("LIAOBOTS_HOME", str(tmp_path))
    with gateway_in_env(monkeypatch, AUTH) as gateway:
        assert run_cli(capsys, "ask", "-m", "gpt-5.4", "first").code == 0
        gateway.faults.mid_stream_error_after = 2
        assert run_cli(capsys, "ask", "-c", "Tell me about tables").code == 1
        gateway.faults.reset()
        assert run_cli(capsys, "ask", "-c", "Tell me about tables").code == 0
        with Store(tmp_path / "history.sqlite3", tmp_path / "images") as s:
            (only,) = s.list_conversations()
            stored = s.load_conversation(only.id).messages
        assert [(m.role, m.status) for m in stored] == [("user", "complete"), ("assistant", "complete")] * 2
