"""Pilot tests for the issue-4 wiring: credits sidebar, usage screen, image options and images.

The real app runs against the fake gateway (real transport, real store on
tmp_path). Waiting is event-driven: :func:`settle` awaits the app's workers until
none is left running (a finished reply starts the credits refresh in a new worker).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.widgets import Select, Switch

from liaobots_tui.api.account import CREDITS_PATH
from liaobots_tui.api.messages import ImageOptions, ImagePart
from liaobots_tui.demo.gateway import FakeGateway, RecordedRequest
from liaobots_tui.store import Store
from liaobots_tui.ui.app import LiaobotsApp
from liaobots_tui.ui.screens.chat import ChatScreen
from liaobots_tui.ui.screens.usage import UsageScreen
from liaobots_tui.ui.widgets.credits_panel import CreditsPanel
from liaobots_tui.ui.widgets.image_preview import ImagePreview
from liaobots_tui.ui.widgets.message_box import MessageBox
from liaobots_tui.usage_stats import format_credits
from tests.ui.conftest import SIZE, AppFactory, demo_settings
from tests.ui.driving import chat, send, settle, until

# Replies here are incidental to what is checked: cut short (tests/ui/conftest.py, short_replies).
pytestmark = [pytest.mark.ui, pytest.mark.usefixtures("short_replies")]

IMAGE_MODEL = "gemini-3-pro-image-preview"


@pytest.fixture(autouse=True)
def small_generated_images(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake gateway draws each picture at an eighth of its real side (2K: 256 px, not 2,048).

    The same paths run (a PNG sent inline, saved, decoded to a thumbnail and shown), but a 2K
    picture cost ~0.2 s to draw and as much again to encode, send and decode: most of these tests'
    CPU. No test here asserts a pixel size (tests/test_cli.py checks the real ones).
    """
    from liaobots_tui.demo import images

    for size, side in list(images._LONG_SIDE.items()):
        monkeypatch.setitem(images._LONG_SIDE, size, max(64, side // 8))


def panel(app: LiaobotsApp) -> CreditsPanel:
    return chat(app).credits


def generate_requests(gw: FakeGateway) -> list[RecordedRequest]:
    return [
        r for r in gw.requests if r.method == "POST" and isinstance(r.json, dict) and "contents" in r.json
    ]


# ---------------------------------------------------------------- credits


async def test_balance_shown_and_updated_after_a_reply(gateway: FakeGateway, make_app: AppFactory) -> None:
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        start = gateway.balance
        assert chat(app).sidebar.has_class("-visible")
        assert panel(app).credits is not None and panel(app).credits.balance == start
        assert panel(app).balance_text == f"{format_credits(start)} left"

        await send(app, pilot, "hello")

        assert gateway.balance < start
        assert panel(app).credits is not None and panel(app).credits.balance == gateway.balance
        assert panel(app).balance_text == f"{format_credits(gateway.balance)} left"
        assert panel(app).last_cost is not None  # the reply's cost (exact or estimated)
        assert panel(app).status_text == "updated just now"


async def test_refresh_failure_is_shown_then_recovers(gateway: FakeGateway, make_app: AppFactory) -> None:
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        balance_before = panel(app).balance_text

        gateway.faults.dead_domains = {0, 1, 2, 3}
        await pilot.press("alt+r")
        await settle(app, pilot)
        assert panel(app).error is not None
        assert panel(app).status_text.startswith("couldn't refresh: ")
        assert "retry (r)" in panel(app).status_text
        assert panel(app).balance_text == balance_before  # the last known value stays

        gateway.faults.dead_domains = set()
        await pilot.press("alt+r")
        await settle(app, pilot)
        assert panel(app).error is None
        assert panel(app).status_text == "updated just now"
        assert panel(app).balance_text == f"{format_credits(gateway.balance)} left"


async def test_credits_sidebar_toggles_with_f10(gateway: FakeGateway, make_app: AppFactory) -> None:
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert chat(app).sidebar.display is True and chat(app).sidebar.has_class("-visible")
        await pilot.press("f10")
        assert not chat(app).sidebar.has_class("-visible")
        await pilot.press("f10")
        assert chat(app).sidebar.has_class("-visible")
        credit_calls = [r for r in gateway.requests if r.path == CREDITS_PATH]
        assert len(credit_calls) == 1  # fetched once at start, not on every toggle


async def test_alt_keys_from_a_terminal_reach_their_action_not_the_prompt(
    gateway: FakeGateway, make_app: AppFactory
) -> None:
    """A terminal (and tmux) sends alt+u as ESC u, which Textual reports with the character "u"."""
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        prompt = chat(app).prompt
        prompt.load_text("draft")
        assert prompt.has_focus
        app.post_message(events.Key("alt+u", "u"))  # as the driver posts it
        # The key reaches the binding only after bubbling up from the prompt: wait for its effect.
        await until(pilot, lambda: isinstance(app.screen, UsageScreen), "the usage screen")
        assert isinstance(app.screen, UsageScreen)
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, ChatScreen), "the chat screen")
        assert prompt.text == "draft"  # nothing typed into the prompt


async def test_usage_screen_opens_from_its_key(gateway: FakeGateway, make_app: AppFactory) -> None:
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await send(app, pilot, "hello")
        await pilot.press("alt+u")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, UsageScreen)
        # Pages load lazily: the first page (50) is there, newest first, with this reply's record.
        assert len(screen.records) == 50 < len(gateway.usage_records)
        assert screen.records[0].id == gateway.usage_records[0]["id"]
        assert screen.records[0].model == "gpt-5.4"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)


# ---------------------------------------------------------------- images


async def _pick_16_9_2k_search(app: LiaobotsApp, pilot: Any) -> None:
    bar = chat(app).image_options_bar
    bar.query_one("#image-aspect", Select).value = "16:9"
    bar.query_one("#image-size", Select).value = "2K"
    bar.query_one("#image-search", Switch).value = True
    await pilot.pause()


async def test_image_options_follow_the_model(gateway: FakeGateway, make_app: AppFactory) -> None:
    app = make_app(demo_settings(gateway))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        options = app.screen.query_one("#image-options")
        assert options.display is False
        assert chat(app).request_options().image is None
        chat(app).select_model(IMAGE_MODEL)
        await pilot.pause()
        assert options.display is True
        assert chat(app).request_options().image == ImageOptions()
        chat(app).select_model("gpt-5.4")
        await pilot.pause()
        assert options.display is False


async def test_image_generation_with_options_then_edit_then_restart(
    gateway: FakeGateway, tmp_path: Path
) -> None:
    db, images_dir = tmp_path / "shared.sqlite3", tmp_path / "img"
    settings = demo_settings(gateway, model=IMAGE_MODEL, image_mode="unicode")
    with Store(db, images_dir) as store:
        app = LiaobotsApp(settings, store=store, config_path=tmp_path / "c.toml")
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await _pick_16_9_2k_search(app, pilot)
            await send(app, pilot, "a red fox in the snow")

            request = generate_requests(gateway)[-1].json
            config = request["generationConfig"]
            assert config["imageConfig"] == {"aspectRatio": "16:9", "imageSize": "2K"}
            assert config["responseModalities"] == ["TEXT", "IMAGE"]
            assert request["tools"] == [{"googleSearch": {}}]

            reply = chat(app).view.boxes()[-1]
            assert reply.message.status == "complete"
            images = reply.message.images
            assert len(images) == 1 and images[0].path
            saved = Path(images[0].path)
            assert saved.is_file() and saved.stat().st_size > 0
            assert images_dir in saved.parents
            previews = list(reply.query(ImagePreview))
            assert [p.path for p in previews] == [saved]
            assert previews[0].mode == "unicode"

            # Second turn: an edit. The model's image part goes back with its signature.
            await send(app, pilot, "make it night time")
            edit = generate_requests(gateway)[-1].json
            model_turns = [c for c in edit["contents"] if c.get("role") == "model"]
            assert model_turns, edit["contents"]
            image_parts = [p for p in model_turns[0]["parts"] if "inlineData" in p]
            assert len(image_parts) == 1
            assert image_parts[0]["thoughtSignature"]
            assert chat(app).view.boxes()[-1].message.status == "complete"
            conversation_id = chat(app).conversation_id
            expected_paths = [Path(p.path or "") for b in chat(app).view.boxes() for p in b.message.images]

    # Restart on the same store: the images are shown again and the options are restored.
    with Store(db, images_dir) as store:
        app = LiaobotsApp(settings, store=store, config_path=tmp_path / "c.toml")
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            assert chat(app).conversation_id == conversation_id
            shown = [p.path for p in app.screen.query(ImagePreview)]
            assert shown == expected_paths and len(shown) == 2
            assert all(path is not None and path.is_file() for path in shown)
            assert chat(app).image_options_bar.options == ImageOptions(
                aspect_ratio="16:9", image_size="2K", google_search=True, want_text=True
            )


async def test_image_appears_while_the_reply_streams(gateway: FakeGateway, make_app: AppFactory) -> None:
    app = make_app(demo_settings(gateway, model=IMAGE_MODEL, image_mode="unicode"))
    seen: list[int] = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = chat(app)
        original = MessageBox.add_image

        async def spy(box: MessageBox, part: ImagePart) -> None:
            await original(box, part)
            seen.append(len(list(box.query(ImagePreview))))
            assert box.streaming  # shown before the turn ended

        MessageBox.add_image = spy  # type: ignore[method-assign]
        try:
            await send(app, pilot, "a lighthouse")
        finally:
            MessageBox.add_image = original  # type: ignore[method-assign]
        assert seen == [1]
        assert len(list(screen.view.boxes()[-1].query(ImagePreview))) == 1


async def test_user_images_show_as_thumbnails(
    gateway: FakeGateway, make_app: AppFactory, tmp_path: Path
) -> None:
    from PIL import Image

    from liaobots_tui.ui.widgets.attachment_thumbs import AttachmentThumbs

    picture = tmp_path / "my photo.png"
    Image.new("RGB", (40, 20), (200, 10, 10)).save(picture)
    app = make_app(demo_settings(gateway, model=IMAGE_MODEL, image_mode="unicode"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await chat(app).attach_path(picture)
        await send(app, pilot, "what colour is it?")
        user = chat(app).view.boxes()[-2]
        assert user.message.role == "user"
        thumbs = list(user.query(AttachmentThumbs))
        assert len(thumbs) == 1 and len(thumbs[0].previews) == 1
        assert thumbs[0].previews[0].thumb is True
        assert thumbs[0].previews[0].mode == "unicode"


async def test_image_options_are_remembered_per_conversation(
    gateway: FakeGateway, make_app: AppFactory, store: Store
) -> None:
    app = make_app(demo_settings(gateway, model=IMAGE_MODEL))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await _pick_16_9_2k_search(app, pilot)
        await send(app, pilot, "first")
        first = chat(app).conversation_id
        assert first is not None
        assert store.conversation_settings(first)["image_options"] == {
            "aspect_ratio": "16:9", "image_size": "2K", "google_search": True, "want_text": True
        }  # fmt: skip

        await chat(app).action_new_chat()
        await pilot.pause()
        assert chat(app).image_options_bar.options == ImageOptions()
        await chat(app).open_conversation(first)
        await pilot.pause()
        assert chat(app).image_options_bar.options.aspect_ratio == "16:9"
        # A change in an open chat is saved at once.
        chat(app).image_options_bar.query_one("#image-size", Select).value = "4K"
        await pilot.pause()
        assert store.conversation_settings(first)["image_options"]["image_size"] == "4K"
