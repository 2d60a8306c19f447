"""Pilot tests of the app's features: thinking, following, history paging, prompt keys, attachments,
copy/export, the chats list, settings, themes, palette and help."""

from __future__ import annotations

import asyncio
import tomllib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from textual import events
from textual.widgets import Input

from liaobots_tui.api.messages import Message, ReasoningDelta, RetryEvent, TextDelta, TextPart
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.markdown_export import conversation_markdown
from liaobots_tui.store import Store
from liaobots_tui.ui.actions import CHAT_ACTIONS
from liaobots_tui.ui.app import LiaobotsApp
from liaobots_tui.ui.screens.chat import ChatScreen
from liaobots_tui.ui.screens.chat_settings import ChatSettingsModal
from liaobots_tui.ui.screens.dialogs import ConfirmModal, ListPickerModal, TextInputModal
from liaobots_tui.ui.screens.help import HelpScreen
from liaobots_tui.ui.themes import builtin_themes_dir
from liaobots_tui.ui.widgets import markdown_pieces
from liaobots_tui.ui.widgets.conversation import ConversationView
from liaobots_tui.ui.widgets.markdown_column import ParkedRun
from liaobots_tui.ui.widgets.message_box import ThinkingBlock
from liaobots_tui.ui.widgets.prompt_input import AttachmentChip
from tests.ui.conftest import (
    SIZE,
    AppFactory,
    ScriptedSession,
    demo_settings,
    offline_client,
    offline_settings,
)
from tests.ui.driving import chat, run_from_palette, send, settle, type_text, until

# Replies here are incidental to what is checked: cut short (tests/ui/conftest.py, short_replies).
pytestmark = [pytest.mark.ui, pytest.mark.usefixtures("short_replies")]

REPLY = "Here you go:\n\n```python\nprint('one')\n```\n\nand\n\n```sh\necho two\n```\n"


def scripted_app(
    make_app: AppFactory, store: Store, script: list[Any], **kwargs: Any
) -> tuple[LiaobotsApp, ScriptedSession]:
    session = ScriptedSession(
        store, script, gate=kwargs.pop("gate", None), hold_after=kwargs.pop("hold_after", 0)
    )
    settings = kwargs.pop("settings", None) or offline_settings()
    app = make_app(settings, client_factory=offline_client, session_factory=lambda c, s: session, **kwargs)
    return app, session


def seed_conversation(store: Store, count: int, *, words: int = 30) -> int:
    conversation_id = store.create_conversation(title="Long one")
    for i in range(count):
        role = "user" if i % 2 == 0 else "assistant"
        text = f"Message {i}: " + " ".join(["lorem ipsum"] * words)
        store.add_message(
            conversation_id, Message(role, [TextPart(text)], model="gpt-5.4" if role == "assistant" else None)
        )
    return conversation_id


# ---------------------------------------------------------------- streaming display


def hold_next_reply(session: ScriptedSession, script: list[Any], hold_after: int) -> asyncio.Event:
    """Script the session's next reply to wait after ``hold_after`` events; returns the gate to release it."""
    gate = asyncio.Event()
    session.script, session.gate, session.hold_after = script, gate, hold_after
    session.reached_gate = asyncio.Event()
    return gate


async def test_status_thinking_and_retry_notices_show_while_a_reply_streams(
    make_app: AppFactory, store: Store
) -> None:
    """One app, three held replies (each was its own boot): the status line's tokens while
    streaming (was test_status_shows_tokens_and_elapsed_while_streaming), thinking in a collapsed
    block above the answer (test_thinking_streams_into_a_collapsed_block_above_the_answer), and a
    retry notice in place (test_retry_notice_is_shown_in_place)."""
    app, session = scripted_app(make_app, store, [])
    async with app.run_test(size=SIZE) as pilot:
        # The status line: tokens estimated while streaming, gone once the reply ended.
        status = chat(app).status
        assert (status.model, status.format, status.domain) == (
            "gpt-5.4",
            "openai (auto)",
            "ai.liaobots.work",
        )
        gate = hold_next_reply(session, [TextDelta("x" * 400), TextDelta("done")], 1)
        chat(app).prompt.load_text("go")
        await pilot.press("enter")
        await session.reached_gate.wait()
        await pilot.pause()
        chat(app).turn.tick()
        assert status.streaming and status.tokens == 100 and status.estimated
        assert "~100 tok" in str(status.render())
        gate.set()
        await settle(app, pilot)
        assert not status.streaming
        assert "tok" not in str(status.render())

        # Thinking streams into a collapsed block above the answer.
        script = [ReasoningDelta("Let me think"), ReasoningDelta(" harder."), TextDelta("The **answer**.")]
        gate = hold_next_reply(session, script, 2)
        chat(app).prompt.load_text("why?")
        await pilot.press("enter")
        await session.reached_gate.wait()
        await pilot.pause()
        reply = chat(app).view.boxes()[-1]
        thinking = reply.query_one(ThinkingBlock)
        assert thinking.display and thinking.collapsed
        assert thinking.title == "Thinking… (20 chars)"
        assert chat(app).status.streaming
        gate.set()
        await settle(app, pilot)
        assert thinking.title == "Thinking (20 chars)" and thinking.collapsed
        assert thinking.text == "Let me think harder."
        children = list(reply.children)
        assert children.index(thinking) < children.index(reply.columns[-1])
        assert reply.copy_text == "The **answer**."

        # A retry wait is said in place while it lasts.
        chat(app).turn.feedback.clock = lambda: 0.0  # the wait counts down: held still to read it
        gate = hold_next_reply(session, [RetryEvent(2.0, 1, "Rate limited"), TextDelta("ok")], 1)
        chat(app).prompt.load_text("go")
        await pilot.press("enter")
        await session.reached_gate.wait()
        await pilot.pause()
        reply = chat(app).view.boxes()[-1]
        assert str(reply.query_one(".notice").render()) == "Rate limited, retrying in 2 s (attempt 1)"
        gate.set()
        await settle(app, pilot)
        # Gone once it has nothing to say (a notice line is mounted only while it shows something).
        assert not reply.query_children(".notice")


async def test_output_is_followed_only_while_at_the_bottom(make_app: AppFactory, store: Store) -> None:
    """Also, in the same app (each was its own boot): the "new output below" hint while scrolled
    up during a stream (was test_everyday_more.py's test_scrolling_up_during_a_stream_shows_new_
    output_below, the same seeded chat and held reply), sending jumps back to the latest (was
    test_sending_jumps_back_to_the_latest), and a new chat starts following once it overflows
    (test_a_new_chat_starts_following_once_it_overflows)."""
    from tests.ui.test_everyday_more import FakeClock

    seed_conversation(store, 20)
    more = [TextDelta("line\n\n") for _ in range(20)]  # 40 rows: enough to grow below a held view
    app, session = scripted_app(make_app, store, [])
    gate = hold_next_reply(session, [TextDelta("start\n\n"), *more], 1)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen, view = chat(app), chat(app).view
        assert view.max_scroll_y > 0 and view.scroll_y == view.max_scroll_y
        screen.turn.feedback.clock = FakeClock()  # the stall notice stays out of the way
        screen.prompt.load_text("go")
        await pilot.press("enter")
        await session.reached_gate.wait()
        await pilot.pause()
        assert view.scroll_y == view.max_scroll_y  # following
        screen.turn.tick()
        assert not view.output_below_shown  # following: nothing to point at

        # Scrolled up while it streams: a hint says new output is below; F3 goes there.
        await pilot.press("pageup")  # from the prompt: scrolls the conversation
        await pilot.pause()
        screen.turn.tick()
        hint = view.query_one("#output-below")
        assert view.output_below_shown and "new output below · F3" in str(hint.render())
        await pilot.press("f3")
        await until(pilot, lambda: not view.output_below_shown, "the hint to go at the bottom")
        assert view.scroll_y == view.max_scroll_y
        await pilot.press("pageup")
        await pilot.pause()
        screen.turn.tick()
        assert view.output_below_shown
        view.scroll_end(animate=False, immediate=True)  # scrolling back down by hand does it too
        await until(pilot, lambda: not view.output_below_shown, "the hint to go at the bottom")

        # Held up there, the view is not dragged down by new output.
        await pilot.press("pageup")
        await pilot.pause()
        held = view.scroll_y
        assert held < view.max_scroll_y
        gate.set()
        await settle(app, pilot)
        assert view.scroll_y == held  # not dragged down by new output
        assert view.max_scroll_y > held
        view.check_output_below()
        assert view.output_below_shown
        await pilot.press("f3")
        await pilot.pause()
        assert view.scroll_y == view.max_scroll_y

        # Sending jumps back to the latest.
        session.script, session.gate = [TextDelta("new reply")], None
        await pilot.press("pageup", "pageup")
        assert view.scroll_y < view.max_scroll_y
        await send(app, pilot, "and now?")
        assert view.scroll_y == view.max_scroll_y

        # Another chat: nothing new below there.
        await pilot.press("pageup")
        await pilot.pause()
        view.check_output_below()
        assert view.output_below_shown
        # A new chat: short, top-aligned, nothing to follow; followed once it overflows.
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        assert not view.output_below_shown
        script = [TextDelta("short\n\n"), *[TextDelta(f"paragraph {i}\n\n") for i in range(25)]]  # 50 rows
        gate = hold_next_reply(session, script, 1)
        chat(app).prompt.load_text("go")
        await pilot.press("enter")
        await session.reached_gate.wait()
        await pilot.pause()
        view = chat(app).view
        assert view.max_scroll_y == 0 and view.scroll_y == 0  # short: top-aligned, nothing to follow
        gate.set()
        await settle(app, pilot)
        assert view.max_scroll_y > 0 and view.scroll_y == view.max_scroll_y


#: Enough pieces for three to be parked above the view and one far below it after Home.
PIECES = 6
#: A piece seals after one part (4 blocks) here instead of SEAL_BLOCKS: the same cuts, parking and
#: redraws on a quarter of the text (the test's cost was laying out 72 blocks, not what it proves).
SEAL_BLOCKS_HERE = 4


async def test_a_long_reply_streams_into_pieces_and_parks_those_off_screen(
    make_app: AppFactory, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from textual.widgets import Markdown

    monkeypatch.setattr(markdown_pieces, "SEAL_BLOCKS", SEAL_BLOCKS_HERE)
    blocks = [
        f"## Part {i}\n\nSome text for part {i}.\n\n```python\nprint({i})\n```\n\n- a\n- b\n\n"
        for i in range(PIECES * SEAL_BLOCKS_HERE // 4)  # 4 blocks per part
    ]
    text = "".join(blocks)
    script = [TextDelta(text[i : i + 9]) for i in range(0, len(text), 9)]
    app, _ = scripted_app(make_app, store, script)
    async with app.run_test(size=(80, 24)) as pilot:  # a small screen: fewer rows to lay out
        await send(app, pilot, "long please")
        await settle(app, pilot)
        box = chat(app).view.boxes()[1]
        column = box.columns[0]
        sources = column.piece_sources
        assert len(sources) == PIECES
        assert "".join(sources) == text  # nothing lost or doubled at the cuts
        assert box.copy_text == text
        assert box.parked_count >= 3
        # A parked piece keeps its text, not its widgets.
        mounted = list(box.query("Markdown.body").results(Markdown))
        assert len(mounted) == len(sources) - box.parked_count
        # The parked pieces above the view stand behind one blank of their total height.
        runs = list(box.query(ParkedRun))
        assert len(runs) == 1 and len(runs[0].members) == box.parked_count
        assert runs[0].region.height == sum(s.parked_height for s in runs[0].members)
        view = chat(app).view
        height = view.virtual_size.height
        view.scroll_home(animate=False)
        # Back on screen: drawn again from its text, as it was.
        await until(pilot, lambda: bool(column.pieces) and column.pieces[0].source == sources[0])
        await until(pilot, lambda: sources[-2] not in [p.source for p in column.pieces])  # far away now
        # The other end parked and this one drawn again, the reply is as tall as it was.
        await until(pilot, lambda: view.virtual_size.height == height, "the same height")
        assert column.piece_sources == sources
        # Reloaded from the store, the same pieces come back.
        await chat(app).open_conversation(chat(app).conversation_id or 0)
        await settle(app, pilot)
        assert chat(app).view.boxes()[1].columns[0].piece_sources == sources


async def test_long_history_mounts_the_last_page_first(
    make_app: AppFactory, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pages of 16 instead of 40 (the same paths: a first screenful, the rest of the last page
    # after the first paint, a page on reaching the top, the rest on moving above): the cost
    # of this test was mounting 100 messages, not what it proves.
    monkeypatch.setattr(ConversationView, "PAGE", 16)
    seed_conversation(store, 40, words=3)
    app, _ = scripted_app(make_app, store, [])
    async with app.run_test(size=SIZE) as pilot:
        view = chat(app).view
        # The rest of the last page is mounted after the first paint: wait for it, not for time.
        earlier = view.query_one("#earlier")
        # The label is updated once the mount has returned, a step after the boxes appear.
        await until(pilot, lambda: len(view.boxes()) == 16 and "24 earlier" in str(earlier.render()))
        assert len(view.boxes()) == 16 and view.hidden_count == 24
        assert view.boxes()[-1].message.text.startswith("Message 39:")
        assert earlier.display and "24 earlier messages" in str(earlier.render())
        view.scroll_home(animate=False)  # reaching the top loads the previous page
        await until(pilot, lambda: len(view.boxes()) == 32)
        assert len(view.boxes()) == 32 and view.hidden_count == 8
        assert view.boxes()[0].message.text.startswith("Message 8:")
        await pilot.press("ctrl+g")
        view.boxes()[0].select()
        await pilot.press("up")  # moving above the first mounted message loads the rest
        await until(pilot, lambda: not earlier.display, "the last page")
        assert len(view.boxes()) == 40 and not earlier.display


# ---------------------------------------------------------------- prompt


async def test_prompt_keys_newline_send_and_history(make_app: AppFactory, store: Store) -> None:
    app, _ = scripted_app(make_app, store, [TextDelta("ok")])
    async with app.run_test(size=SIZE) as pilot:
        prompt = chat(app).prompt
        await pilot.press("a", "ctrl+j", "b")
        assert prompt.text == "a\nb"
        await pilot.press("enter")
        await settle(app, pilot)
        assert chat(app).view.boxes()[0].message.text == "a\nb"
        assert prompt.text == ""
        await pilot.press(*"draft")
        await pilot.press("up")
        assert prompt.text == "a\nb"
        await pilot.press("down")  # first within the recalled two lines
        assert prompt.text == "a\nb"
        await pilot.press("down")
        assert prompt.text == "draft"


async def test_pasted_image_path_becomes_a_removable_chip(
    make_app: AppFactory, store: Store, tmp_path: Path
) -> None:
    picture = tmp_path / "red dot.png"
    Image.new("RGB", (4, 3), "red").save(picture)
    app, _ = scripted_app(make_app, store, [TextDelta("nice")])
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(app)
        screen.prompt.post_message(events.Paste(f"'{picture}'"))
        await settle(app, pilot)
        chips = list(screen.query(AttachmentChip))
        assert [c.label for c in chips] == ["red dot.png"]
        assert screen.prompt.text == ""
        assert "red dot.png" in str(chips[0].render())
        chips[0].focus()
        await pilot.press("delete")
        await pilot.pause()
        assert list(screen.query(AttachmentChip)) == []

        screen.prompt.post_message(events.Paste(str(picture).replace(" ", "\\ ")))
        await settle(app, pilot)
        await send(app, pilot, "what is this?")
        user = screen.view.boxes()[0].message
        assert user.text == "what is this?"
        assert [i.mime_type for i in user.images] == ["image/png"]
        assert list(screen.query(AttachmentChip)) == []


async def test_attach_dialog_and_bad_file(make_app: AppFactory, store: Store, tmp_path: Path) -> None:
    picture = tmp_path / "pic.png"
    Image.new("RGB", (2, 2), "blue").save(picture)
    (tmp_path / "notes.bin").write_bytes(b"\x00\x01binary")
    app, _ = scripted_app(make_app, store, [])
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("ctrl+f")
        assert isinstance(app.screen, TextInputModal)
        app.screen.query_one(Input).value = str(picture)
        await pilot.press("enter")
        await settle(app, pilot)
        assert [c.label for c in chat(app).query(AttachmentChip)] == ["pic.png"]
        await pilot.press("ctrl+f")
        app.screen.query_one(Input).value = str(tmp_path / "notes.bin")
        await pilot.press("enter")
        await settle(app, pilot)
        assert [n.title for n in app._notifications] == ["Cannot attach"]
        assert len(chat(app).query(AttachmentChip)) == 1


# ---------------------------------------------------------------- copy and export


async def test_copy_message_code_block_and_last_reply(make_app: AppFactory, store: Store) -> None:
    app, _ = scripted_app(make_app, store, [TextDelta(REPLY)])
    async with app.run_test(size=SIZE) as pilot:
        await send(app, pilot, "code please")
        await pilot.press("ctrl+g")
        assert chat(app).focused_box() is chat(app).view.boxes()[-1]
        await pilot.press("c")
        assert app.clipboard == REPLY
        await pilot.press("b")
        assert isinstance(app.screen, ListPickerModal)
        await pilot.press("down", "enter")
        assert app.clipboard == "echo two\n"
        await pilot.press("up")  # the user message
        await pilot.press("c")
        assert app.clipboard == "code please"
        await pilot.press("i")
        await pilot.press("f5")
        assert app.clipboard == REPLY


async def test_i_and_escape_on_a_selected_message_go_back_to_the_prompt(
    make_app: AppFactory, store: Store
) -> None:
    """The message's footer offers "i Back to prompt"; it (and Esc) must move the focus there,
    or the next letter typed runs a message key ("f" forks the chat)."""
    app, _ = scripted_app(make_app, store, [TextDelta(REPLY)])
    async with app.run_test(size=SIZE) as pilot:
        await send(app, pilot, "code please")
        for key in ("i", "escape"):
            await pilot.press("ctrl+g")
            assert chat(app).focused_box() is chat(app).view.boxes()[-1]
            await pilot.press(key)
            assert app.focused is chat(app).prompt, key


async def test_export_to_markdown(make_app: AppFactory, store: Store, tmp_path: Path) -> None:
    app, _ = scripted_app(make_app, store, [TextDelta(REPLY)])
    target = tmp_path / "out" / "chat.md"
    async with app.run_test(size=SIZE) as pilot:
        await send(app, pilot, "code please")
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, TextInputModal)
        field = app.screen.query_one(Input)
        assert field.value.endswith("code-please.md")
        field.value = str(target)
        await pilot.press("enter")
        await until(pilot, target.exists, "the export (built in a thread)")
        conversation_id = chat(app).conversation_id
    assert conversation_id is not None
    assert target.read_text() == conversation_markdown(store.load_conversation(conversation_id))
    assert "```python\nprint('one')\n```" in target.read_text()


# ---------------------------------------------------------------- conversations


async def test_rename_and_delete_a_conversation(make_app: AppFactory, store: Store) -> None:
    """Also, in the same app (each was its own boot): a delete can be cancelled (was
    test_delete_can_be_cancelled), and a store failure is a toast, not a crash (was
    test_a_store_failure_is_a_toast_not_a_crash)."""
    app, _ = scripted_app(make_app, store, [TextDelta("hi")])
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await send(app, pilot, "first chat")
        conversation_id = chat(app).conversation_id
        assert conversation_id is not None
        # A delete can be cancelled.
        await pilot.press("ctrl+l", "d")
        await pilot.press("escape")
        await pilot.pause()
        assert store.count_conversations() == 1

        await pilot.press("f2")
        assert isinstance(app.screen, TextInputModal)
        app.screen.query_one(Input).value = "Renamed"
        await pilot.press("enter")
        await pilot.pause()
        assert store.load_conversation(conversation_id).title == "Renamed"
        assert "Renamed" in str(chat(app).query_one("#title-bar").render())

        await pilot.press("ctrl+l")
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await settle(app, pilot)
        assert store.count_conversations() == 0
        assert chat(app).conversation_id is None
        assert chat(app).view.boxes() == []
        assert chat(app).chats.ids == []

        # A store failure is a toast, not a crash.
        chat(app).prompt.focus()
        await send(app, pilot, "second chat")
        assert chat(app).conversation_id is not None
        store.close()  # every store call now raises sqlite3.ProgrammingError
        await pilot.press("f2")
        app.screen.query_one(Input).value = "Renamed"
        await pilot.press("enter")
        await pilot.pause()
        assert "Could not rename the chat" in [n.title for n in app._notifications]
        assert isinstance(app.screen, ChatScreen)
        await pilot.press("ctrl+g", "question_mark")  # the app still answers keys
        assert isinstance(app.screen, HelpScreen)


async def test_search_open_and_new_chat(make_app: AppFactory, store: Store) -> None:
    for title, text in [
        ("Rust ownership", "borrow checker"),
        ("Python files", "read lazily"),
        ("Tea", "oolong"),
    ]:
        cid = store.create_conversation(title=title)
        store.add_message(cid, Message("user", [TextPart(text)]))
    app, _ = scripted_app(make_app, store, [])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = chat(app)
        assert screen.conversation_title == "Tea"  # the latest opens at start
        assert len(screen.chats.ids) == 3
        search = screen.query_one("#chat-search", Input)
        search.focus()
        await type_text(pilot, "borrow")
        assert len(screen.chats.ids) == 1
        await pilot.press("enter")  # to the list
        await pilot.press("enter")  # open it
        await settle(app, pilot)
        assert screen.conversation_title == "Rust ownership"
        assert screen.view.boxes()[0].message.text == "borrow checker"
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen.conversation_id is None and screen.view.boxes() == []
        assert screen.query_one("#welcome").display


# ---------------------------------------------------------------- settings


async def test_system_prompt_and_temperature_reach_the_gateway(
    gateway: FakeGateway, make_app: AppFactory, store: Store
) -> None:
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+t")
        assert isinstance(app.screen, ChatSettingsModal)
        app.screen.query_one("#system-prompt").load_text("Answer like a pirate.")  # type: ignore[attr-defined]
        app.screen.query_one("#temperature", Input).value = "0.5"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert (chat(app).system, chat(app).temperature) == ("Answer like a pirate.", 0.5)
        chat(app).prompt.load_text("ahoy")
        await pilot.press("enter")
        await settle(app, pilot)
        # Checked before quitting: a chat whose only reply failed before any byte is not kept after it.
        conversation_id = store.latest_conversation_id()
        assert conversation_id is not None
        assert store.load_conversation(conversation_id).system == "Answer like a pirate."
        assert store.conversation_settings(conversation_id)["temperature"] == 0.5
    body = next(r.json for r in gateway.requests if r.method == "POST")
    assert body["temperature"] == 0.5
    assert body["messages"][0] == {"role": "system", "content": "Answer like a pirate."}


async def test_reopened_chat_keeps_its_model_and_format_choice(make_app: AppFactory, store: Store) -> None:
    """Also a hand-picked format going back to auto for an image model (was
    test_a_hand_picked_format_goes_back_to_auto_for_an_image_model, its own boot)."""
    app, _ = scripted_app(make_app, store, [TextDelta("ok")])
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await send(app, pilot, "auto format")
        auto_id = chat(app).conversation_id
        await pilot.press("ctrl+n")
        chat(app).select_model("claude-sonnet-4-6", "openai")  # an explicit format
        await send(app, pilot, "explicit format")
        explicit_id = chat(app).conversation_id
        assert auto_id is not None and explicit_id is not None

        await chat(app).open_conversation(auto_id)
        assert (chat(app).model, chat(app).format) == ("gpt-5.4", None)
        assert chat(app).status.format == "openai (auto)"
        await chat(app).open_conversation(explicit_id)
        assert (chat(app).model, chat(app).format) == ("claude-sonnet-4-6", "openai")
        assert chat(app).status.format == "openai"

        # An image model needs the Gemini format: the hand-picked one goes back to auto.
        chat(app).select_model("gemini-3-pro-image-preview", "openai")  # the picker keeps the old choice
        assert chat(app).format is None and chat(app).status.format == "gemini (auto)"
        await until(pilot, lambda: any("back to auto" in n.message for n in app._notifications))


async def test_domain_failover_shows_in_the_status(gateway: FakeGateway, make_app: AppFactory) -> None:
    gateway.faults.dead_domains.add(0)
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(app, pilot)  # the model list request already fails over
        await send(app, pilot, "hello")
        backup = gateway.urls[1].removeprefix("http://")
        assert chat(app).status.domain == backup
        assert chat(app).view.boxes()[1].message.status == "complete"


# ---------------------------------------------------------------- themes, palette, help


async def test_themes_are_registered_switchable_and_remembered(
    make_app: AppFactory, store: Store, tmp_path: Path
) -> None:
    app, _ = scripted_app(make_app, store, [])
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == "liaobots-dark"
        assert {"liaobots-dark", "liaobots-light", "liaobots-high-contrast"} <= set(app.available_themes)
        app.theme = "liaobots-light"
        await pilot.pause()
        assert app.get_css_variables()["primary"] == "#1F5FBF"
    assert tomllib.loads((tmp_path / "config.toml").read_text())["theme"] == "liaobots-light"

    app, _ = scripted_app(make_app, store, [], settings=offline_settings(theme="liaobots-high-contrast"))
    async with app.run_test(size=SIZE):
        assert app.theme == "liaobots-high-contrast"


async def test_user_themes_load_and_bad_ones_warn(make_app: AppFactory, store: Store, tmp_path: Path) -> None:
    user = tmp_path / "themes"
    user.mkdir()
    (user / "sunset.toml").write_text('name = "sunset"\nprimary = "#FF7E5F"\nbackground = "#2B1B17"\n')
    (user / "broken.toml").write_text('primary = "not-a-colour"\n')
    app, _ = scripted_app(
        make_app,
        store,
        [],
        theme_dirs=[builtin_themes_dir(), user],
        settings=offline_settings(theme="sunset"),
    )
    async with app.run_test(size=SIZE, notifications=True):
        assert app.theme == "sunset"
        assert app.theme_problems == ["broken.toml: primary = 'not-a-colour' is not a colour"]
        assert [n.title for n in app._notifications] == ["Theme skipped"]


async def test_every_action_is_in_the_palette_and_runs_from_it(make_app: AppFactory, store: Store) -> None:
    """Also, in the same app (each was its own boot): help lists every action (was
    test_help_lists_every_action), the chats provider opens a chat (was
    test_chats_palette_provider_opens_a_conversation) and the model provider picks a model (was
    test_model_palette_provider)."""
    cid = store.create_conversation(title="Gardening tips")
    store.add_message(cid, Message("user", [TextPart("tomatoes")]))
    store.add_message(store.create_conversation(title="Other"), Message("user", [TextPart("x")]))
    app, _ = scripted_app(make_app, store, [])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        # Help lists every action.
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        await until(pilot, lambda: bool(app.screen.query(".help-text")), "the help text")
        source = " ".join(str(s.render()) for s in app.screen.query(".help-text"))
        for action in CHAT_ACTIONS:
            assert action.title in source
        await pilot.press("escape")
        assert isinstance(app.screen, ChatScreen)

        # The chats provider opens a conversation.
        await run_from_palette(pilot, "Open chat: Garden", "Open chat: Gardening tips")
        assert chat(app).conversation_id == cid

        # The model provider picks a model and its format follows.
        await run_from_palette(pilot, "Model: claude-opus")
        assert chat(app).model == "claude-opus-4-6"
        assert chat(app).status.format == "anthropic (auto)"

        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {a.title for a in CHAT_ACTIONS} <= titles
        assert "Quit" in titles
        await run_from_palette(pilot, "New chat")
        assert chat(app).conversation_id is None


async def test_thinking_from_the_palette_and_the_settings_dialog(make_app: AppFactory, store: Store) -> None:
    """Also a bad temperature refused in the dialog (was test_bad_temperature_is_refused, its own boot)."""
    from liaobots_tui.api.messages import Thinking

    app, _ = scripted_app(make_app, store, [TextDelta("ok")])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await run_from_palette(pilot, "Thinking: high")
        await until(pilot, lambda: chat(app).status.thinking == "high")
        assert chat(app).request_options().thinking == Thinking(effort="high")
        assert chat(app).status.thinking == "high"

        await pilot.press("ctrl+t")
        assert isinstance(app.screen, ChatSettingsModal)
        field = app.screen.query_one("#thinking", Input)
        assert field.value == "high"
        field.value = "lots"
        await pilot.press("ctrl+s")
        error = app.screen.query_one("#settings-error")
        await until(pilot, lambda: "thinking must be" in str(error.render()).lower())
        modal = app.screen
        assert app.screen is modal  # refused in place, with the reason
        field.value = "6000"
        # A bad temperature is refused the same way (was test_bad_temperature_is_refused).
        temperature = app.screen.query_one("#temperature", Input)
        chosen, temperature.value = temperature.value, "9"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "Temperature must be" in str(error.render()))
        assert isinstance(app.screen, ChatSettingsModal)
        assert str(error.render()) == "Temperature must be from 0 to 2"
        temperature.value = chosen
        await pilot.press("ctrl+s")
        await until(pilot, lambda: chat(app).request_options().thinking == Thinking(budget=6000))
        await send(app, pilot, "think")
    cid = store.latest_conversation_id()
    assert cid is not None and store.conversation_settings(cid)["thinking"] == {"budget": 6000}
