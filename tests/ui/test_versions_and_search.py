"""Pilot tests of the wiring of versions (‹ 2/3 ›, keys, palette), forks and the chats search opening
a chat at the matching message. The rules themselves are tested at the controller and store levels."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from liaobots_tui.api.messages import Message, TextDelta, TextPart
from liaobots_tui.store import FORKED_FROM, Store, Version
from liaobots_tui.ui.screens.version_actions import FOUND
from liaobots_tui.ui.widgets.conversation import ConversationView
from tests.ui.conftest import SIZE, AppFactory
from tests.ui.driving import chat, run_from_palette, send, settle, until
from tests.ui.test_features import scripted_app

pytestmark = pytest.mark.ui


def user(text: str) -> Message:
    return Message("user", [TextPart(text)])


def reply(text: str) -> Message:
    return Message("assistant", [TextPart(text)], model="gpt-5.4", format="openai")


def chat_with_two_replies(store: Store) -> tuple[int, int, int]:
    """A chat whose reply was regenerated once: (chat, first reply, second reply), the second chosen."""
    cid = store.create_conversation(title="Versions")
    store.add_messages(cid, [user("question"), reply("first answer")])
    first = store.load_conversation(cid).messages[1].id or 0
    store.keep_versions_from(cid, first)
    store.add_message(cid, reply("second answer"))
    return cid, first, store.load_conversation(cid).messages[1].id or 0


async def test_versions_show_and_move_with_keys_and_the_palette(make_app: AppFactory, store: Store) -> None:
    """Then, in the same app (each was its own boot): a regenerate shows the new version (was
    test_regenerate_in_the_app_shows_the_new_version) and a fork from a selected message (was
    test_fork_from_a_selected_message)."""
    origin = store.create_conversation(title="Origin")
    store.add_messages(origin, [user("q1"), reply("a1"), user("q2"), reply("a2")])
    cid, first, second = chat_with_two_replies(store)  # the newest: opened at start
    app, _ = scripted_app(make_app, store, [TextDelta("an answer")])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = chat(app)
        last = screen.view.boxes()[-1]
        assert last.version == Version(2, 2) and "‹ 2/2 ›" in str(last.header.render())
        # Next to the role, before the model: a narrow column cuts the header's end, not the marker.
        assert str(last.header.render()).startswith("Assistant  ‹ 2/2 ›  gpt-5.4")
        await pilot.press("alt+comma")  # nothing selected: the last message with versions
        await until(pilot, lambda: screen.view.boxes()[-1].message.id == first)
        shown = screen.view.boxes()[-1]
        assert shown.message.text == "first answer" and "‹ 1/2 ›" in str(shown.header.render())
        assert screen.focused_box() is shown  # selected, so the arrows go on from here
        await pilot.press("left")
        await pilot.pause()
        assert screen.view.boxes()[-1].message.id == first  # the first already: a notice, no change
        await pilot.press("right")
        await until(pilot, lambda: screen.view.boxes()[-1].message.id == second)
        await run_from_palette(pilot, "Previous version")
        await until(pilot, lambda: screen.view.boxes()[-1].message.id == first)
        assert [m.text for m in store.load_conversation(cid).messages] == ["question", "first answer"]

        # A regenerate in the app shows the new version.
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        screen.prompt.focus()
        await send(app, pilot, "hello")
        assert screen.view.boxes()[-1].version is None
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        await until(pilot, lambda: screen.view.boxes()[-1].version == Version(2, 2))
        assert len(screen.view.boxes()) == 2

        # A fork from a selected message.
        await screen.open_conversation(origin)
        await settle(app, pilot)
        await pilot.press("ctrl+g", "up", "up")  # the reply a1
        assert screen.focused_box() is not None and screen.focused_box().message.text == "a1"  # type: ignore[union-attr]
        await pilot.press("f")
        await until(pilot, lambda: screen.conversation_id not in (None, origin))
        await settle(app, pilot)
        assert [b.message.text for b in screen.view.boxes()] == ["q1", "a1"]
        assert screen.conversation_title == "Fork of Origin"
        assert store.conversation_settings(screen.conversation_id or 0)[FORKED_FROM]["conversation"] == origin
        assert screen.chats.ids[0] == screen.conversation_id
        # The title bar names the origin by id too: "Fork of Origin" outlives a rename of Origin.
        title_bar = str(screen.query_one("#title-bar").render())
        assert f"chat {screen.conversation_id} · fork of chat {origin}" in title_bar


async def test_chats_search_opens_the_chat_at_the_matching_message(
    make_app: AppFactory, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pages of 16 instead of 40 and 24 messages instead of 60: the same paths (the match lies above
    # the page mounted first) on less to mount.
    monkeypatch.setattr(ConversationView, "PAGE", 16)
    long_chat = store.create_conversation(title="Long")
    for i in range(24):  # the match is above the page of messages mounted at first
        text = "the capybara question" if i == 2 else f"message {i}"
        store.add_message(long_chat, user(text) if i % 2 == 0 else reply(text))
    target = store.load_conversation(long_chat).messages[2].id
    renamed = store.create_conversation(title="x")
    store.add_message(renamed, user("nothing here"))
    store.rename_conversation(renamed, "Capybara facts")  # found by its name, above the message hits
    app, _ = scripted_app(make_app, store, [])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = chat(app)
        screen.query_one("#chat-search", Input).focus()
        await pilot.press(*"capyb")
        await until(pilot, lambda: screen.chats.message_ids == [None, target])
        assert screen.chats.ids == [renamed, long_chat]
        await pilot.press("enter")  # to the list
        screen.chats.option_list.highlighted = 1
        await pilot.press("enter")  # open the hit
        await until(pilot, lambda: screen.focused_box() is not None)
        await settle(app, pilot)
        box = screen.focused_box()
        assert screen.conversation_id == long_chat
        assert box is not None and box.message.id == target and box.header.has_class(FOUND)
