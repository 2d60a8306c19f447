"""Pilot tests: the real app against the fake gateway (real transport, real store on tmp_path)."""

from __future__ import annotations

import asyncio
import stat
import tomllib
from pathlib import Path

import pytest
from textual.widgets import Input, Markdown

from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.store import Store
from liaobots_tui.ui.app import LiaobotsApp
from liaobots_tui.ui.screens.chat import ChatScreen
from liaobots_tui.ui.screens.dialogs import ConfirmModal
from liaobots_tui.ui.screens.model_picker import ModelPickerModal
from liaobots_tui.ui.screens.setup import SetupScreen
from liaobots_tui.ui.widgets.message_box import MessageBox
from tests.ui.conftest import SIZE, AppFactory, demo_settings
from tests.ui.driving import HANG_GUARD, chat, send, settle, type_text, until

# Replies here are incidental to the flows: cut short (tests/ui/conftest.py, short_replies).
pytestmark = [pytest.mark.ui, pytest.mark.usefixtures("short_replies")]


def boxes(app: LiaobotsApp) -> list[MessageBox]:
    return chat(app).view.boxes()


async def test_send_message_streams_the_reply(
    gateway: FakeGateway, make_app: AppFactory, store: Store
) -> None:
    """Then ctrl+r regenerates it in the same app (was test_regenerate_replaces_the_last_reply,
    its own boot)."""
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"hello")
        assert chat(app).prompt.text == "hello"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()

        user, reply = boxes(app)
        assert user.message.role == "user" and user.message.text == "hello"
        assert reply.message.status == "complete"
        assert reply.message.model == "gpt-5.4" and reply.message.format == "openai"
        assert reply.copy_text == gateway.reply_text_for("gpt-5.4", "hello")
        # Rendered as Markdown: one widget with the whole text after the final render.
        markdown = reply.query(Markdown).last()
        assert markdown.source == gateway.reply_text_for("gpt-5.4", "hello")
        assert chat(app).prompt.text == ""
        assert chat(app).status.streaming is False
        conversation_id = store.latest_conversation_id()
        assert conversation_id is not None
        saved = store.load_conversation(conversation_id)
        assert [m.role for m in saved.messages] == ["user", "assistant"]
        assert saved.title == "hello"

        # Regenerate replaces the last reply.
        first_box = reply
        await pilot.press("ctrl+r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        user, reply = boxes(app)
        assert user.message.text == "hello"
        assert reply.message.status == "complete"
        assert reply is not first_box and not first_box.is_attached

    assert store.latest_conversation_id() == conversation_id
    saved = store.load_conversation(conversation_id)
    assert [m.role for m in saved.messages] == ["user", "assistant"]
    assert saved.title == "hello"
    assert len([r for r in gateway.requests if r.method == "POST"]) == 2


async def test_switch_model_mid_conversation(
    gateway: FakeGateway, make_app: AppFactory, store: Store
) -> None:
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=SIZE) as pilot:
        await send(app, pilot, "first question")
        await pilot.press("ctrl+o")
        assert isinstance(app.screen, ModelPickerModal)
        await type_text(pilot, "sonnet")
        await pilot.press("enter")
        await pilot.pause()
        screen = chat(app)
        assert screen.model == "claude-sonnet-4-6"
        assert screen.status.format == "anthropic (auto)"
        await send(app, pilot, "second question")

        messages = [b.message for b in boxes(app)]
        assert [(m.role, m.model, m.format) for m in messages] == [
            ("user", None, None),
            ("assistant", "gpt-5.4", "openai"),
            ("user", None, None),
            ("assistant", "claude-sonnet-4-6", "anthropic"),
        ]
        assert messages[3].text == gateway.reply_text_for("claude-sonnet-4-6", "second question")

    chat_paths = [r.path for r in gateway.requests if r.method == "POST"]
    assert chat_paths == ["/v1/chat/completions", "/v1/messages"]
    conversation_id = store.latest_conversation_id()
    assert conversation_id is not None
    assert len(store.load_conversation(conversation_id).messages) == 4
    assert store.conversation_settings(conversation_id)["model"] == "claude-sonnet-4-6"


async def test_pick_format_explicitly(gateway: FakeGateway, make_app: AppFactory) -> None:
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+o")
        picker = app.screen
        assert isinstance(picker, ModelPickerModal)
        await until(pilot, lambda: bool(picker.query("#fmt-responses")), "the picker's format switches")
        picker.query_one("#fmt-responses").value = True  # type: ignore[attr-defined]
        await pilot.press("enter")
        await until(pilot, lambda: chat(app).format == "responses", "the format chosen")
        assert chat(app).format == "responses"
        await send(app, pilot, "hi")
        assert boxes(app)[1].message.format == "responses"
    assert [r.path for r in gateway.requests if r.method == "POST"] == ["/v1/responses"]


async def test_escape_cancels_and_keeps_the_partial_reply(
    gateway: FakeGateway, make_app: AppFactory, store: Store, observed: object
) -> None:
    factory, sessions = observed()  # type: ignore[operator]
    gateway.faults.stall_after = 3
    app = make_app(demo_settings(gateway), session_factory=factory)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        chat(app).prompt.load_text("tell me a story")
        await pilot.press("enter")
        await asyncio.wait_for(sessions[0].first_text.wait(), HANG_GUARD)
        assert chat(app).streaming
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()

        reply = boxes(app)[1]
        assert reply.message.status == "cancelled"
        assert reply.header.has_class("-cancelled")
        partial = reply.copy_text
        assert partial and gateway.reply_text_for("gpt-5.4", "tell me a story").startswith(partial)
        assert "Cancelled" in str(reply.query_one(".notice").render())
        assert chat(app).status.streaming is False

    conversation_id = store.latest_conversation_id()
    assert conversation_id is not None
    saved = store.load_conversation(conversation_id).messages[1]
    assert saved.status == "cancelled"
    assert saved.text == partial


async def test_edit_and_resend_continues_from_there(
    gateway: FakeGateway, make_app: AppFactory, store: Store
) -> None:
    """Escape first leaves an edit and gives the draft back (was
    test_escape_leaves_edit_mode_and_restores_the_draft, its own boot)."""
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=SIZE) as pilot:
        await send(app, pilot, "first")
        await send(app, pilot, "second")
        chat(app).prompt.load_text("my draft")
        await pilot.press("f4")  # edit the last prompt
        assert chat(app).prompt.text == "second"
        await pilot.press("escape")
        assert chat(app).prompt.text == "my draft"
        assert chat(app)._editing is None
        chat(app).prompt.load_text("")
        await pilot.press("ctrl+g")  # the last message
        for _ in range(3):
            await pilot.press("up")
        focused = chat(app).focused_box()
        assert focused is not None and focused.message.text == "first"
        await pilot.press("e")
        screen = chat(app)
        assert screen.prompt.text == "first"
        assert screen.query_one("#edit-banner").display
        screen.prompt.load_text("edited")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()

        texts = [(b.message.role, b.message.text) for b in boxes(app)]
        assert texts == [("user", "edited"), ("assistant", gateway.reply_text_for("gpt-5.4", "edited"))]
        assert not screen.query_one("#edit-banner").display

    conversation_id = store.latest_conversation_id()
    assert conversation_id is not None
    assert [m.text for m in store.load_conversation(conversation_id).messages][0] == "edited"
    assert len(store.load_conversation(conversation_id).messages) == 2


async def test_conversation_survives_a_restart(gateway: FakeGateway, tmp_path: Path) -> None:
    db, images = tmp_path / "shared.sqlite3", tmp_path / "img"
    settings = demo_settings(gateway)
    with Store(db, images) as store:
        app = LiaobotsApp(settings, store=store, config_path=tmp_path / "c.toml")
        async with app.run_test(size=SIZE) as pilot:
            await send(app, pilot, "remember me")
            expected = boxes(app)[1].copy_text

    with Store(db, images) as store:
        app = LiaobotsApp(settings, store=store, config_path=tmp_path / "c.toml")
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            restored = boxes(app)
            assert [b.message.text for b in restored] == ["remember me", expected]
            assert chat(app).chats.ids == [store.latest_conversation_id()]
            # And it goes on: the next message lands in the same conversation.
            await send(app, pilot, "still there?")
            assert len(store.load_conversation(chat(app).conversation_id or 0).messages) == 4


async def test_mid_stream_error_keeps_partial_text_and_restores_prompt(
    gateway: FakeGateway, make_app: AppFactory
) -> None:
    gateway.faults.mid_stream_error_after = 4
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await send(app, pilot, "this will break")
        reply = boxes(app)[1]
        assert reply.message.status == "failed"
        assert reply.header.has_class("-failed")
        assert reply.copy_text  # the partial text is kept
        notice = str(reply.query_one(".notice").render())
        assert notice.startswith("✗ ") and reply.message.error and reply.message.error in notice
        assert chat(app).prompt.text == "this will break"
        assert any(n.severity == "error" for n in app._notifications)

        # Out of credits is said in place (was test_out_of_credits_is_shown_in_place, its own boot).
        gateway.faults.mid_stream_error_after = None
        gateway.faults.out_of_credit = True
        await send(app, pilot, "hi")
        reply = boxes(app)[-1]
        assert reply.message.status == "failed"
        assert reply.message.error is not None and reply.message.error.startswith("Out of credits")


async def test_wrong_auth_code_shows_error_and_restores_prompt(
    gateway: FakeGateway, make_app: AppFactory
) -> None:
    app = make_app(demo_settings(gateway, auth_code="not-the-code"))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await send(app, pilot, "hello?")
        reply = boxes(app)[1]
        assert reply.message.status == "failed"
        assert reply.message.error is not None and reply.message.error.startswith("Authentication failed")
        assert "not-the-code" not in reply.message.error
        assert chat(app).prompt.text == "hello?"
        titles = [n.title for n in app._notifications if n.severity == "error"]
        assert titles == ["Authentication failed"]


async def test_unexpected_exception_opens_error_dialog(gateway: FakeGateway, make_app: AppFactory) -> None:
    from liaobots_tui.ui.screens.error import ErrorModal

    class Broken:
        def send(self, *args: object, **kwargs: object) -> object:
            raise RuntimeError("boom")

    app = make_app(demo_settings(gateway), session_factory=lambda client, store: Broken())
    async with app.run_test(size=SIZE) as pilot:
        await send(app, pilot, "anything")
        assert isinstance(app.screen, ErrorModal)
        assert "RuntimeError: boom" in app.screen.message
        assert "Traceback" in app.screen.detail
        await pilot.press("c")
        assert app.clipboard.startswith("Unexpected error: RuntimeError: boom")
        await pilot.press("escape")
        assert chat(app).prompt.text == "anything"


async def test_first_run_setup_checks_and_saves_the_code(
    gateway: FakeGateway, make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app(demo_settings(gateway, auth_code=""))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SetupScreen)
        field = app.screen.query_one("#auth-code", Input)
        assert field.password is True
        await type_text(pilot, "wrong-code")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        status = str(app.screen.query_one("#setup-status").render())
        assert status.startswith("✗ Authentication failed")
        assert isinstance(app.screen, SetupScreen)
        assert not (tmp_path / "config.toml").exists()

        field.value = "demo"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)
        await send(app, pilot, "it works")
        assert boxes(app)[1].message.status == "complete"

    config = tmp_path / "config.toml"
    assert tomllib.loads(config.read_text())["auth_code"] == "demo"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert [r.path for r in gateway.requests if r.path.startswith("/api/v1/credits")] != []


async def test_first_run_setup_offers_the_demo(
    gateway: FakeGateway, make_app: AppFactory, tmp_path: Path, store: Store
) -> None:
    started: list[bool] = []

    def start_demo() -> list[str]:
        started.append(True)
        return gateway.urls

    app = make_app(
        demo_settings(gateway, auth_code="", base_urls=["https://ai.liaobots.work"]), demo_starter=start_demo
    )
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SetupScreen)
        await pilot.click("#demo")
        await pilot.pause()
        assert started == [True]
        assert isinstance(app.screen, ChatScreen)
        assert app.demo is True
        await send(app, pilot, "demo time")
        assert boxes(app)[1].message.status == "complete"
        # Its chats go into the demo's own history, not the user's.
        assert app.store is not store and app.store.db_path.parent == app.demo_data_dir
        assert app.store.count_conversations() == 1 and store.count_conversations() == 0
    assert not (tmp_path / "config.toml").exists()  # the demo saves nothing


@pytest.mark.parametrize("switch", ["new chat", "open another", "delete this one"])
async def test_switching_chats_while_a_reply_streams_keeps_it_as_cancelled(
    gateway: FakeGateway, make_app: AppFactory, store: Store, observed: object, switch: str
) -> None:
    from liaobots_tui.api.messages import Message, TextPart
    from liaobots_tui.ui.widgets.conversation_list import ConversationList

    other = store.create_conversation(title="Other chat")
    store.add_message(other, Message("user", [TextPart("an older question")]))
    factory, sessions = observed()  # type: ignore[operator]
    gateway.faults.stall_after = 3
    app = make_app(demo_settings(gateway), session_factory=factory, open_latest=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        chat(app).prompt.load_text("tell me a story")
        await pilot.press("enter")
        await asyncio.wait_for(sessions[0].first_text.wait(), HANG_GUARD)
        streaming_id = chat(app).conversation_id
        assert streaming_id is not None and chat(app).streaming
        gateway.faults.stall_after = None  # (the next prompt's reply arrives whole)
        if switch == "new chat":
            await pilot.press("ctrl+n")
        elif switch == "open another":
            chat(app).chats.post_message(ConversationList.Opened(other))
        else:
            chat(app).action_delete_conversation()
            await until(pilot, lambda: isinstance(app.screen, ConfirmModal), "the delete confirmation")
            await pilot.press("y")
        await settle(app, pilot)

        assert app.is_running and isinstance(app.screen, ChatScreen)  # no WorkerCancelled exit
        assert not chat(app).streaming and chat(app).status.streaming is False
        # Deleting the open chat lands on the next one in the list (issue 10), here the other.
        expected = other if switch in ("open another", "delete this one") else None
        assert chat(app).conversation_id == expected
        assert [b.message.text for b in boxes(app)] == (["an older question"] if expected else [])
        # The app still works: the next prompt streams a reply.
        await send(app, pilot, "and now?")
        assert boxes(app)[-1].message.status == "complete"

    if switch == "delete this one":  # (its id may be given again to the chat started after it)
        assert "tell me a story" not in [c.title for c in store.list_conversations()]
    else:
        saved = store.load_conversation(streaming_id).messages[1]
        assert saved.status == "cancelled" and saved.text
        assert gateway.reply_text_for("gpt-5.4", "tell me a story").startswith(saved.text)


async def test_thinking_toggle_turns_thinking_on_and_off(
    gateway: FakeGateway, make_app: AppFactory, store: Store
) -> None:
    """The key's wiring, in one format: what "on" asks for in each format is in
    tests/test_conversations.py (test_thinking_maps_onto_each_format), without an app per format."""
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("alt+t")
        await until(pilot, lambda: chat(app).status.thinking == "on")
        chat(app).select_model("gemini-3-pro-preview", "gemini")
        await send(app, pilot, "think in gemini")
        body = [r.json for r in gateway.requests if r.json is not None and r.method == "POST"][-1]
        assert body["generationConfig"] == {"thinkingConfig": {"includeThoughts": True}}, body
        reply = boxes(app)[-1]
        assert reply.message.status == "complete" and reply.message.reasoning
        await pilot.press("alt+t")
        await until(pilot, lambda: chat(app).status.thinking == "")
        await send(app, pilot, "no thinking now")
        body = [r.json for r in gateway.requests if r.json is not None and r.method == "POST"][-1]
        assert "thinkingConfig" not in body.get("generationConfig", {})
    cid = store.latest_conversation_id()
    assert cid is not None and store.conversation_settings(cid)["thinking"] is None
