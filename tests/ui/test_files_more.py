"""Cited sources (site titles, open/copy by key, click, palette); attached pictures under their own names."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from liaobots_tui.api.messages import Message, Source, TextDelta, TextPart
from liaobots_tui.store import Store
from liaobots_tui.ui import images
from liaobots_tui.ui.screens.dialogs import ConfirmModal, TextInputModal
from liaobots_tui.ui.widgets.attachment_thumbs import AttachmentThumbs
from liaobots_tui.ui.widgets.message_box import MessageBox
from liaobots_tui.ui.widgets.sources import SourcesList, source_label
from tests.ui.conftest import SIZE, AppFactory, offline_settings
from tests.ui.driving import chat, run_from_palette, send, settle, until
from tests.ui.test_features import scripted_app
from tests.ui.test_image_widgets import Host, write_png
from tests.ui.test_image_widgets import settle as settle_host

pytestmark = pytest.mark.ui

REDIRECT = "https://vertexaisearch.cloud.google.com/grounding-api-redirect/"
SOURCES = [
    Source(REDIRECT + "AUZIYQ1", "wikipedia.org"),
    Source(REDIRECT + "AUZIYQ2", "nationalgeographic.com"),
    Source("https://www.bbc.co.uk/news", "BBC News"),
]


@pytest.fixture(autouse=True)
def unicode_images(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(images.ENV_IMAGE_MODE, "unicode")
    yield
    images._reset_for_tests()


def test_a_redirect_link_shows_the_site_title_alone() -> None:
    assert source_label(0, SOURCES[0]) == "[1] wikipedia.org"
    assert source_label(2, SOURCES[2]) == "[3] BBC News — www.bbc.co.uk"
    # With no title there is nothing better than the host, even a redirect's.
    assert source_label(0, Source(REDIRECT + "x")) == "[1] vertexaisearch.cloud.google.com"


async def test_arrows_pick_a_source_enter_opens_it_and_c_copies_its_link() -> None:
    sources = SourcesList(SOURCES)
    app = Host(sources)
    async with app.run_test(size=(100, 20), notifications=True) as pilot:
        await pilot.pause()
        sources.focus()
        await pilot.press("down", "down", "down")  # stops at the last line
        assert sources.cursor == 2
        await pilot.press("up", "c")
        assert app.clipboard == SOURCES[1].uri
        assert any("Copied link 2" in str(n.message) for n in app._notifications)
        await pilot.press("enter")
        assert app.opened_urls == [SOURCES[1].uri]
        cursor_lines = [str(w.content) for w in app.query(".source.-cursor").results(Static)]
        assert cursor_lines == ["[2] nationalgeographic.com"]


async def test_fewer_sources_arriving_keep_the_cursor_on_a_line() -> None:
    sources = SourcesList(SOURCES)
    app = Host(sources)
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.pause()
        sources.cursor = 2
        sources.sources = SOURCES[:1]
        await pilot.pause()
        assert sources.cursor == 0
        sources.focus()
        await pilot.press("enter")
        assert app.opened_urls == [SOURCES[0].uri]


async def test_s_on_a_reply_goes_to_its_sources_and_the_palette_opens_and_copies_them(
    make_app: AppFactory, store: Store, tmp_path: Path
) -> None:
    """First, in the same app, a reopened prompt shows its picture under the attached name (was
    test_a_reopened_prompt_shows_its_picture_under_the_attached_name, its own boot)."""
    from liaobots_tui.attachments import load_attachment

    photo = tmp_path / "my holiday.png"
    photo.write_bytes(Path(write_png(tmp_path / "src.png").path or "").read_bytes())
    holiday = store.create_conversation(title="Holiday")
    store.add_message(holiday, Message("user", [TextPart("what is this?"), load_attachment(photo)]))
    store.add_message(holiday, Message("assistant", [TextPart("A picture.")], model="gpt-5.4"))
    cid = store.create_conversation(title="Foxes")
    store.add_message(cid, Message("user", [TextPart("where do foxes live?")]))
    answer = Message("assistant", [TextPart("Up north.")], model="gemini-3-pro-preview", sources=SOURCES)
    store.add_message(cid, answer)
    app, _ = scripted_app(make_app, store, [])
    opened: list[str] = []
    app.open_url = lambda url, *, new_tab=True: opened.append(url)  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await app.screen.open_conversation(holiday)  # type: ignore[attr-defined]
        await until(pilot, lambda: bool(app.screen.query(AttachmentThumbs)), "the thumbnail")
        thumb = app.screen.query_one(AttachmentThumbs).previews[0]
        await until(pilot, lambda: "·" in thumb.caption_text, "the caption")
        assert thumb.caption_text.endswith("· my holiday.png")

        await app.screen.open_conversation(cid)  # type: ignore[attr-defined]
        await until(
            pilot,
            lambda: (
                [b.message.text for b in app.screen.query(MessageBox)]
                == ["where do foxes live?", "Up north."]
            ),
            "the chat",
        )
        reply = app.screen.query(MessageBox).last()
        await until(pilot, lambda: bool(reply.query(SourcesList)), "sources")
        await pilot.press("ctrl+g")  # selects the last message: the reply
        await pilot.press("s")
        assert isinstance(app.focused, SourcesList)
        await pilot.press("down", "enter")
        assert opened == [SOURCES[1].uri]

        # Typed as one edit (type_text): key by key, each of the ~30 keys ran a palette search.
        await run_from_palette(pilot, "Copy source link: [3] BBC News")
        assert app.clipboard == SOURCES[2].uri
        await run_from_palette(pilot, "Open source: [1] wikipedia.org")
        assert opened[-1] == SOURCES[0].uri


async def test_a_thumbnail_shows_the_name_the_user_attached_it_by(tmp_path: Path) -> None:
    stored = write_png(tmp_path / "31-1.png", (640, 480))
    part = type(stored)(b"", "image/png", path=stored.path, name="Fox photo.png")
    app = Host(AttachmentThumbs([part]))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle_host(pilot)
        thumb = app.query_one(AttachmentThumbs).previews[0]
        assert thumb.caption_text == "640×480 · Fox photo.png"
        assert thumb.query_one(".caption").size.width >= len(thumb.caption_text)  # shown whole, one line


# ---------------------------------------------------------------- export


async def test_markdown_export_is_offered_in_the_export_folder_and_asks_before_replacing(
    make_app: AppFactory, store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "exports"
    app, _ = scripted_app(make_app, store, [TextDelta("## User\nnot a heading of the export")],
                          settings=offline_settings(export_dir=str(folder)))  # fmt: skip
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await send(app, pilot, "headings please")
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, TextInputModal)
        target = folder / "headings-please.md"
        assert app.screen.query_one(Input).value == str(target)
        await pilot.press("enter")
        await until(pilot, target.exists, "the export")
        assert "#### User" in target.read_text(encoding="utf-8")

        target.write_text("my notes", encoding="utf-8")
        await pilot.press("ctrl+s")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal), "the replace question")
        await pilot.press("enter")  # Cancel has the focus
        await settle(app, pilot)
        assert target.read_text(encoding="utf-8") == "my notes"
        assert any("Not exported" in str(n.message) for n in app._notifications)

        await pilot.press("ctrl+s")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal), "the replace question")
        await pilot.press("y")
        await until(pilot, lambda: "#### User" in target.read_text(encoding="utf-8"), "the replaced file")


# ---------------------------------------------------------------- context windows


async def test_a_file_past_the_models_window_gets_no_chip_and_a_send_past_it_keeps_the_prompt(
    make_app: AppFactory, store: Store, tmp_path: Path
) -> None:
    from liaobots_tui.ui.widgets.prompt_input import AttachmentChip

    log = tmp_path / "server.log"
    log.write_text("2026-11-30 INFO ok\n" * 20_000, encoding="utf-8")  # ~95k tokens
    app, _ = scripted_app(make_app, store, [TextDelta("read")])
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = chat(app)
        screen.select_model("gemini-3-pro-image-preview")
        await screen.attach_path(log)
        await settle(app, pilot)
        assert list(screen.query(AttachmentChip)) == []
        assert any("server.log is ~95k tokens" in str(n.message) for n in app._notifications)

        # Attached under a model that holds it, then the model changes: the send is refused, nothing is lost.
        screen.select_model("gemini-3-pro-preview")
        await screen.attach_path(log)
        await settle(app, pilot)
        assert len(screen.query(AttachmentChip)) == 1
        screen.select_model("gemini-3-pro-image-preview")
        screen.prompt.load_text("what went wrong?")
        await pilot.press("enter")
        await settle(app, pilot)
        assert screen.prompt.text == "what went wrong?" and len(screen.query(AttachmentChip)) == 1
        assert store.count_conversations() == 0
        assert any("the prompt and its attachments" in str(n.message) or "server.log is" in str(n.message)
                   for n in list(app._notifications)[-2:])  # fmt: skip
