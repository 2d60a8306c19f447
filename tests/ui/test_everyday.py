"""Pilot tests of issue 10's everyday bugs in the app: paste, the attach dialog, chips, the model
picker, help, thumbnails' captions, screenshots, and the rough edges around them."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from textual import events
from textual.widgets import Input, Label, Static

from liaobots_tui.api.messages import Message, TextDelta, TextPart
from liaobots_tui.store import Store
from liaobots_tui.ui.app import LiaobotsApp
from liaobots_tui.ui.path_input import complete_path
from liaobots_tui.ui.screens.chat import ChatScreen
from liaobots_tui.ui.screens.dialogs import ConfirmModal, TextInputModal
from liaobots_tui.ui.screens.help import HelpScreen
from liaobots_tui.ui.screens.model_picker import ModelPickerModal, filter_models
from liaobots_tui.ui.widgets.image_options import ImageOptionsBar
from liaobots_tui.ui.widgets.prompt_input import AttachmentChip
from tests.ui.conftest import SIZE, AppFactory, ScriptedSession, offline_client, offline_settings
from tests.ui.driving import chat, settle, type_text, until

pytestmark = pytest.mark.ui

IMAGE_MODEL = "gemini-3.1-flash-image-preview"


def scripted_app(make_app: AppFactory, store: Store, script: list[Any], **kwargs: Any) -> LiaobotsApp:
    session = ScriptedSession(store, script)
    settings = kwargs.pop("settings", None) or offline_settings()
    return make_app(settings, client_factory=offline_client, session_factory=lambda c, s: session, **kwargs)


# ---------------------------------------------------------------- paste


async def test_a_paste_is_inserted_once(make_app: AppFactory, store: Store) -> None:
    """As a terminal delivers it: to the app, which forwards it to the focused prompt."""
    app = scripted_app(make_app, store, [])
    async with app.run_test(size=SIZE) as pilot:
        prompt = chat(app).prompt
        app.post_message(events.Paste("hello world"))
        await settle(app, pilot)
        assert prompt.text == "hello world"
        app.post_message(events.Paste("\nline two\nline three"))
        await settle(app, pilot)
        assert prompt.text == "hello world\nline two\nline three"
        assert prompt.cursor_location == (2, len("line three"))


# ---------------------------------------------------------------- attach dialog


def test_complete_path_goes_as_far_as_the_matches_agree(tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    (tmp_path / "photo-one.png").write_bytes(b"x")
    (tmp_path / "photo-two.png").write_bytes(b"x")
    (tmp_path / ".hidden.png").write_bytes(b"x")
    base = str(tmp_path) + "/"
    assert complete_path(base + "pho") == (base + "photo", ["photo-one.png", "photo-two.png", "photos/"])
    assert complete_path(base + "photos") == (base + "photos/", ["photos/"])
    assert complete_path(base + "photo-o") == (base + "photo-one.png", ["photo-one.png"])
    assert complete_path(base + "photos/") == (base + "photos/", [])
    assert complete_path(base + "nothing") == (base + "nothing", [])
    assert complete_path(base + ".h")[0] == base + ".hidden.png"


async def test_tab_in_the_attach_dialog_completes_the_path(
    make_app: AppFactory, store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "pictures"
    folder.mkdir()
    Image.new("RGB", (2, 2), "blue").save(folder / "sunset.png")
    Image.new("RGB", (2, 2), "red").save(folder / "sunrise.png")
    app = scripted_app(make_app, store, [])
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("ctrl+f")
        assert isinstance(app.screen, TextInputModal)
        field = app.screen.query_one(Input)
        field.value = str(tmp_path / "pic")
        await pilot.press("tab")
        assert app.screen.focused is field
        assert field.value == str(folder) + "/"
        await pilot.press("s", "u", "n", "tab")
        assert field.value == str(folder / "sun")
        hint = app.screen.query_one("#path-candidates", Static)
        await until(pilot, lambda: hint.display)
        assert "sunrise.png" in str(hint.render()) and "sunset.png" in str(hint.render())
        await pilot.press("s", "tab")
        assert field.value == str(folder / "sunset.png")
        await pilot.press("enter")
        await settle(app, pilot)
        assert [c.label for c in chat(app).query(AttachmentChip)] == ["sunset.png"]

        # The same file is not attached twice (was test_the_same_file_is_not_attached_twice).
        await chat(app).attach_path(folder / "sunset.png")
        await settle(app, pilot)
        assert [c.label for c in chat(app).query(AttachmentChip)] == ["sunset.png"]
        assert [n.title for n in app._notifications] == ["Not attached twice"]

        # Chips that do not fit in a row stay visible (was test_chips_that_do_not_fit_in_a_row_stay_visible).
        chat(app).query_one(AttachmentChip).focus()
        await pilot.press("delete")
        await until(pilot, lambda: not chat(app).query(AttachmentChip), "the chip removed")
        await pilot.resize_terminal(100, 30)
        for n in range(5):
            picture = tmp_path / f"a-rather-long-holiday-picture-name-{n}.png"
            Image.new("RGB", (2, 2 + n), "blue").save(picture)
            await chat(app).attach_path(picture)
        await settle(app, pilot)
        bar = chat(app).attachments
        chips = list(bar.query_children(AttachmentChip))
        assert len(chips) == 5
        await until(pilot, lambda: bar.has_class("-stacked"))
        await until(pilot, lambda: all(c.region.width > 0 for c in chips[:3]))
        # Each chip lies fully inside the bar, or the bar scrolls to it: nothing is cut off sideways.
        for chip in chips:
            assert chip.region.right <= bar.region.right or chip.region.width == 0
        assert bar.virtual_size.height >= 5


# ---------------------------------------------------------------- model picker


async def test_enter_on_the_format_row_picks_that_format(make_app: AppFactory, store: Store) -> None:
    """One app opens the picker three times (each was its own boot): the model count follows the
    filter (was test_the_model_count_follows_the_filter), ctrl+o again closes it and leaves the
    prompt alone (was test_ctrl_o_again_closes_the_picker_and_leaves_the_prompt_alone), then Enter on
    the format row picks that format."""
    app = scripted_app(make_app, store, [])
    async with app.run_test(size=SIZE) as pilot:
        chat(app).prompt.load_text("my draft")
        before = chat(app).model
        await pilot.press("ctrl+o")
        picker = app.screen
        assert isinstance(picker, ModelPickerModal)
        count = picker.query_one("#model-source", Static)
        total = len(picker.models)
        assert str(count.render()).startswith(f"{total} models")
        await type_text(pilot, "claude")  # one filter pass; key by key redrew the list per key
        shown = len(filter_models(picker.models, "claude"))
        assert 0 < shown < total
        await until(pilot, lambda: str(count.render()).startswith(f"{shown} of {total} models match"))

        # ctrl+o again closes the picker and leaves the prompt alone.
        await pilot.press("ctrl+o")
        await until(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert chat(app).prompt.text == "my draft"
        assert chat(app).model == before
        assert app.focused is chat(app).prompt

        # Enter on the format row picks that format.
        await pilot.press("ctrl+o")
        picker = app.screen
        assert isinstance(picker, ModelPickerModal)
        await type_text(pilot, "sonnet")
        picker.query_one("#format-set").focus()
        await pilot.press("right", "right")  # auto → openai → anthropic
        await pilot.press("right")  # → responses
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert chat(app).model == "claude-sonnet-4-6"
        assert chat(app).format == "responses"


# ---------------------------------------------------------------- attachment chips


# ---------------------------------------------------------------- help


async def test_help_keys_never_wrap_and_cover_every_screen(make_app: AppFactory, store: Store) -> None:
    app = scripted_app(make_app, store, [])
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        # One boot for both widths: 100 columns, then the same screen widened to 140.
        for width in (100, 140):
            await pilot.resize_terminal(width, 40)
            await until(pilot, lambda w=width: app.screen.size.width == w, f"the help resized to {width}")
            await settle(app, pilot)
            keys = list(app.screen.query(".help-key"))
            await until(pilot, lambda ks=keys: all(k.region.height > 0 or k.size.height > 0 for k in ks))
            assert all(k.size.height == 1 for k in keys), width
            labels = [str(k.render()) for k in keys]
            assert "d (chats list)" in labels
            sections = " ".join(str(s.render()) for s in app.screen.query(".help-section"))
            for name in ("Usage history", "Image viewer", "Model picker", "Thinking"):
                assert name in sections
            texts = " ".join(str(t.render()) for t in app.screen.query(".help-text"))
            assert "Thinking" in texts and "Open or close" in texts


# ---------------------------------------------------------------- screenshot


async def test_screenshot_without_downloads_is_saved_in_the_data_dir_and_says_where(
    make_app: AppFactory, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LIAOBOTS_HOME", str(tmp_path / "data"))
    app = scripted_app(make_app, store, [])
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        saved = app.deliver_screenshot()
        await pilot.pause()
        assert saved is not None and Path(saved).parent == tmp_path / "data" / "screenshots"
        assert Path(saved).read_text().startswith("<svg")
        assert any(saved in n.message for n in app._notifications)


# ---------------------------------------------------------------- widths


async def test_sidebars_fold_on_narrow_terminals_and_keep_the_users_choice(
    make_app: AppFactory, store: Store
) -> None:
    """First, the image options fit at 100 columns (was test_image_options_fit_at_100_columns,
    its own boot)."""
    app = scripted_app(make_app, store, [])
    async with app.run_test(size=(100, 30)) as pilot:
        chat(app).select_model(IMAGE_MODEL)
        bar = chat(app).query_one(ImageOptionsBar)
        await until(pilot, lambda: bar.display and bar.size.width > 0)
        await until(pilot, lambda: all(label.size.width > 0 for label in bar.query(Label)))
        for label in bar.query(Label):
            text = str(label.render())
            assert label.size.width >= len(text), text
            assert label.region.right <= bar.region.right

        screen = chat(app)
        assert not screen.chats.display and screen.sidebar.has_class("-visible")
        await pilot.resize_terminal(140, 40)
        await until(pilot, lambda: screen.chats.display)
        await pilot.resize_terminal(80, 30)
        await until(pilot, lambda: not screen.chats.display and not screen.sidebar.has_class("-visible"))
        await pilot.press("f9")  # the user wants the chats, even this narrow
        await pilot.resize_terminal(100, 30)
        await pilot.resize_terminal(90, 30)
        await until(pilot, lambda: app.size.width == 90)
        await pilot.pause()
        assert screen.chats.display


# ---------------------------------------------------------------- delete


async def test_delete_names_the_chat_and_enter_cancels(make_app: AppFactory, store: Store) -> None:
    conversation_id = store.create_conversation(title="Holiday plans")
    store.add_message(conversation_id, Message("user", [TextPart("where to?")]))
    app = scripted_app(make_app, store, [])
    async with app.run_test(size=(140, 40)) as pilot:
        # The title bar shows the chat's id for `ask --cid` (was
        # test_the_title_bar_shows_the_chat_id_for_ask_cid, its own boot; ctrl+n below).
        bar = chat(app).query_one("#title-bar", Static)
        await until(pilot, lambda: "Holiday plans" in str(bar.render()))
        assert f"chat {conversation_id}" in str(bar.render())
        await settle(app, pilot)
        await pilot.press("ctrl+l")
        await until(pilot, lambda: chat(app).chats.option_list.has_focus)
        await pilot.press("d")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        dialog = app.screen
        assert isinstance(dialog, ConfirmModal) and "Holiday plans" in dialog.title_text
        assert dialog.focused is dialog.query_one("#cancel")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert store.latest_conversation_id() == conversation_id

        await pilot.press("ctrl+n")
        await until(pilot, lambda: "New chat" in str(bar.render()))
        assert "· chat" not in str(bar.render())


# ---------------------------------------------------------------- footer


async def test_esc_stop_is_in_the_footer_only_while_a_reply_streams(
    make_app: AppFactory, store: Store
) -> None:
    gate = asyncio.Event()
    session = ScriptedSession(store, [TextDelta("one "), TextDelta("two")], gate=gate, hold_after=1)
    app = make_app(offline_settings(), client_factory=offline_client, session_factory=lambda c, s: session)
    async with app.run_test(size=SIZE) as pilot:
        assert "stop" not in [b.binding.action for b in app.screen.active_bindings.values() if b.enabled]
        chat(app).prompt.load_text("hello")
        await pilot.press("enter")
        await session.reached_gate.wait()
        shown = app.screen.active_bindings.values
        await until(
            pilot, lambda: any(b.binding.action == "stop" and b.enabled and b.binding.show for b in shown())
        )
        gate.set()
        await settle(app, pilot)
        await until(pilot, lambda: not chat(app).streaming)
        assert not any(b.binding.action == "stop" and b.enabled for b in app.screen.active_bindings.values())
        # Esc still does its other jobs: from the chats list back to the prompt.
        await pilot.press("ctrl+l")
        await until(pilot, lambda: chat(app).chats.option_list.has_focus)
        await pilot.press("escape")
        await until(pilot, lambda: app.focused is chat(app).prompt)
