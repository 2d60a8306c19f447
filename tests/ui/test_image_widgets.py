"""Image widgets: ImagePreview (drawn/placeholder), the viewer, thumbnails, options bar, sources, images.py.

The renderer is pinned to ``unicode`` through ``LIAOBOTS_IMAGE_MODE`` (textual.md §3:
the only deterministic class headless; TGP would write escapes to the real stdout).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, Select, Static, Switch

from liaobots_tui.api.messages import ASPECT_RATIOS, IMAGE_SIZES, ImageOptions, ImagePart, Source
from liaobots_tui.errors import InputError
from liaobots_tui.ui import images
from liaobots_tui.ui.screens.image_viewer import ImageViewerScreen
from liaobots_tui.ui.widgets.attachment_thumbs import AttachmentThumbs
from liaobots_tui.ui.widgets.image_options import ImageOptionsBar
from liaobots_tui.ui.widgets.image_preview import ImagePreview
from liaobots_tui.ui.widgets.sources import SourcesList, safe_url, source_label
from tests.ui import driving

pytestmark = pytest.mark.ui


@pytest.fixture(autouse=True)
def unicode_images(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(images.ENV_IMAGE_MODE, "unicode")
    yield
    images._reset_for_tests()


def write_png(path: Path, size: tuple[int, int] = (200, 100)) -> ImagePart:
    img = Image.new("RGB", size, (200, 40, 40))
    for x in range(0, size[0], 20):
        for y in range(size[1]):
            img.putpixel((x, y), (20, 20, 220))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    path.write_bytes(buf.getvalue())
    return ImagePart(b"", "image/png", generated=True, path=str(path))


class Host(App[None]):
    def __init__(self, *widgets: Widget) -> None:
        super().__init__()
        self.widgets = widgets
        self.shown: list[ImagePreview.Shown] = []
        self.changes: list[ImageOptions] = []
        self.opened_urls: list[str] = []

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="log"):
            yield from self.widgets

    def on_image_preview_shown(self, event: ImagePreview.Shown) -> None:
        self.shown.append(event)

    def on_image_options_bar_changed(self, event: ImageOptionsBar.Changed) -> None:
        self.changes.append(event.options)

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        self.opened_urls.append(url)


async def settle(pilot: Pilot[None]) -> None:
    await driving.settle(pilot.app, pilot)


# ---------------------------------------------------------------- images.py


def test_mode_env_overrides_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert images.resolve_mode("off") == "unicode"
    monkeypatch.setenv(images.ENV_IMAGE_MODE, "bogus")
    assert images.resolve_mode("halfcell") == "halfcell"
    assert images.resolve_mode("nonsense") == "auto"
    monkeypatch.delenv(images.ENV_IMAGE_MODE)
    assert images.resolve_mode(None) == "auto"
    assert images.resolve_mode(" OFF ") == "off"


def test_widget_classes_per_mode() -> None:
    from textual_image.widget import HalfcellImage, UnicodeImage

    assert images.load_image_support("unicode") is True
    assert images.image_widget_class("unicode") is UnicodeImage
    assert images.image_widget_class("halfcell") is HalfcellImage
    assert images.image_widget_class("auto") is not None
    assert images.image_widget_class("off") is None
    assert images.image_widget_class("sixel-please") is None
    assert images.textual_image_version().startswith("0.")
    # 0.12 has no on_error; 0.14 does. Either way the check must not raise.
    assert images.supports_on_error(UnicodeImage) is (
        "on_error" in UnicodeImage.__init__.__code__.co_varnames
    )


def test_a_failing_import_means_no_images_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    images._reset_for_tests()

    def broken() -> dict[str, type]:
        raise ZeroDivisionError("division by zero")  # what a 0-column pty does in textual-image

    monkeypatch.setattr(images, "_import_classes", broken)
    assert images.load_image_support("auto") is False
    assert images.image_widget_class("unicode") is None
    assert images.image_support_error() == "ZeroDivisionError: division by zero"


def test_mode_off_skips_the_import(monkeypatch: pytest.MonkeyPatch) -> None:
    images._reset_for_tests()
    monkeypatch.delenv(images.ENV_IMAGE_MODE)
    called: list[bool] = []

    def importer() -> dict[str, type]:
        called.append(True)
        return {}

    monkeypatch.setattr(images, "_import_classes", importer)
    assert images.load_image_support("off") is False
    assert called == []


def test_prepare_image_keeps_only_a_thumbnail(tmp_path: Path) -> None:
    part = write_png(tmp_path / "big.png", (2048, 1152))
    info = images.prepare_image(part, 1024)
    assert (info.width, info.height, info.error) == (2048, 1152, None)
    assert info.thumb is not None and info.thumb.size == (1024, 576)
    assert info.nbytes == (tmp_path / "big.png").stat().st_size
    assert part.data == b""  # the part still holds no bytes: the file is the one copy
    header_only = images.prepare_image(part, None)
    assert header_only.thumb is None and (header_only.width, header_only.height) == (2048, 1152)


def test_prepare_image_reports_unreadable_files(tmp_path: Path) -> None:
    missing = images.prepare_image(ImagePart(b"", path=str(tmp_path / "gone.png")), 100)
    assert missing.thumb is None and missing.error is not None and missing.error.startswith("cannot read ")
    garbage = images.prepare_image(ImagePart(b"not a png"), 100)
    assert (garbage.nbytes, garbage.error, garbage.thumb) == (9, "not an image", None)
    imt = images.prepare_image(ImagePart(b"width = 3\n"), 100)  # Pillow's IMT plugin raises ValueError
    assert imt.error == "not an image"
    cut = tmp_path / "cut.png"
    cut.write_bytes(Path(write_png(tmp_path / "whole.png", (300, 300)).path or "").read_bytes()[:300])
    damaged = images.prepare_image(ImagePart(b"", path=str(cut)), 100)
    assert (damaged.width, damaged.height, damaged.error) == (300, 300, "damaged or truncated")


def huge_png(path: Path, width: int = 12000, height: int = 12000) -> ImagePart:
    """A tiny file whose header declares ``width``×``height`` (decoding it would take ~430 MB)."""
    import struct
    import zlib

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
    path.write_bytes(data + chunk(b"IEND", b""))
    return ImagePart(b"", "image/png", generated=True, path=str(path))


def test_prepare_image_checks_the_pixel_cap_before_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded: list[int] = []
    real_slot = images.image_files.decode_slot

    def counting_slot(pixels: int) -> object:
        decoded.append(pixels)
        return real_slot(pixels)

    monkeypatch.setattr(images.image_files, "decode_slot", counting_slot)
    part = huge_png(tmp_path / "huge.png")
    info = images.prepare_image(part, 1024)
    assert (info.thumb, info.width, info.height) == (None, 12000, 12000)
    assert info.error == "too many pixels to preview (limit 40 Mpx)"
    assert info.nbytes == (tmp_path / "huge.png").stat().st_size
    assert decoded == []  # refused from the header: no decode slot taken, no pixel decoded
    ok = images.prepare_image(write_png(tmp_path / "ok.png"), 1024)
    assert ok.thumb is not None and decoded == [200 * 100]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
def test_prepare_image_never_blocks_on_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "image.png"
    os.mkfifo(fifo)
    info = images.prepare_image(ImagePart(b"", path=str(fifo)), 1024)
    assert info.thumb is None and info.error == f"cannot read {fifo}: not a regular file"


def test_fit_width_keeps_the_shape_and_never_upscales() -> None:
    # 10×20 px cells: a 2048×1152 image at 24 rows → 24*20*2048/(10*1152) = 85 columns.
    assert images.fit_width(2048, 1152, 200, 24) == 85
    assert images.fit_width(2048, 1152, 60, 24) == 60
    assert images.fit_width(100, 50, 200, 24) == 10  # its own size in cells
    assert images.fit_width(1152, 2048, 200, 24) == 27  # portrait: limited by rows


def test_caption() -> None:
    part = ImagePart(b"", path="/data/images/a.png")
    info = images.PreparedImage(None, 2048, 1152, 1_234_567)
    assert images.caption(part, info) == "2048×1152 · 1.2 MB · /data/images/a.png"
    assert images.caption(ImagePart(b"x"), images.PreparedImage(None, 1, 1, 1)) == (
        "1×1 · 1 B · image/png (not saved yet)"
    )


# ---------------------------------------------------------------- ImagePreview


async def test_preview_draws_a_real_png_with_its_caption(tmp_path: Path) -> None:
    from textual_image.widget import UnicodeImage

    part = write_png(tmp_path / "cat.png")
    size = (tmp_path / "cat.png").stat().st_size
    app = Host(ImagePreview(part))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        preview = app.query_one(ImagePreview)
        assert isinstance(preview.image_widget, UnicodeImage)
        assert preview.caption_text == f"200×100 · {size} B · {part.path}"
        assert preview.image_widget.region.width == 20  # 200 px at 10 px per cell
        assert preview.image_widget.region.height == 5
        assert [e.drawn for e in app.shown] == [True]
        assert not preview.has_class("-placeholder")


async def test_several_previews_all_get_a_height(tmp_path: Path) -> None:
    parts = [write_png(tmp_path / f"{i}.png", (300, 200)) for i in range(3)]
    app = Host(*(ImagePreview(p) for p in parts))
    async with app.run_test(size=(100, 60)) as pilot:
        await settle(pilot)
        heights = [p.image_widget.region.height for p in app.query(ImagePreview) if p.image_widget]
        assert heights == [10, 10, 10]


async def test_mode_off_shows_a_placeholder_with_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(images.ENV_IMAGE_MODE, "off")
    part = write_png(tmp_path / "cat.png")
    size = (tmp_path / "cat.png").stat().st_size
    app = Host(ImagePreview(part, "unicode"))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        preview = app.query_one(ImagePreview)
        assert preview.image_widget is None
        assert preview.has_class("-placeholder")
        assert preview.caption_text == f"[image · 200×100 · {size} B · {part.path} · images off]"
        assert [e.drawn for e in app.shown] == [False]


async def test_failed_import_and_missing_file_show_placeholders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    images._reset_for_tests()
    monkeypatch.setattr(images, "_import_classes", lambda: 1 / 0)
    ok = write_png(tmp_path / "ok.png")
    gone = ImagePart(b"", path=str(tmp_path / "gone.png"))
    app = Host(ImagePreview(ok), ImagePreview(gone))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        first, second = app.query(ImagePreview)
        assert first.caption_text.endswith(
            f"{ok.path} · cannot draw images here (ZeroDivisionError: division by zero)]"
        )
        assert second.caption_text.startswith(f"[image · {gone.path} · cannot read {gone.path}")


async def test_an_image_over_the_pixel_cap_shows_why_instead_of_decoding(tmp_path: Path) -> None:
    part = huge_png(tmp_path / "huge.png")
    size = (tmp_path / "huge.png").stat().st_size
    app = Host(ImagePreview(part))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        preview = app.query_one(ImagePreview)
        assert preview.image_widget is None and preview.has_class("-placeholder")
        assert preview.caption_text == (
            f"[image · 12000×12000 · {size} B · {part.path} · too many pixels to preview (limit 40 Mpx)]"
        )
        assert [e.drawn for e in app.shown] == [False]


async def test_many_previews_decode_at_most_two_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    running: list[int] = []
    real_decode = images._decode_thumbnail

    def watched(*args: object) -> object:
        running.append(images.image_files.decodes_running())
        return real_decode(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(images, "_decode_thumbnail", watched)
    parts = [write_png(tmp_path / f"{i}.png", (400, 300)) for i in range(6)]
    app = Host(*(ImagePreview(p) for p in parts), ImagePreview(huge_png(tmp_path / "huge.png")))
    async with app.run_test(size=(100, 60)) as pilot:
        await settle(pilot)
        assert sorted(e.drawn for e in app.shown) == [False] + [True] * 6
    assert len(running) == 6 and max(running) <= 2  # the huge one never reached the decoder


async def test_enter_opens_the_viewer_and_escape_closes_it(tmp_path: Path) -> None:
    part = write_png(tmp_path / "cat.png")
    app = Host(ImagePreview(part))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        app.query_one(ImagePreview).focus()
        await pilot.press("enter")
        await settle(pilot)
        viewer = app.screen
        assert isinstance(viewer, ImageViewerScreen)
        assert viewer.image_widget is not None
        # Zoomed to fit 100×38 cells: 200×100 px → width limited by the terminal's width.
        assert viewer.image_widget.region.width == 100
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ImageViewerScreen)


async def test_clicking_a_preview_opens_the_viewer(tmp_path: Path) -> None:
    app = Host(ImagePreview(write_png(tmp_path / "cat.png")))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.click(ImagePreview)
        await settle(pilot)
        assert isinstance(app.screen, ImageViewerScreen)


async def test_viewer_save_open_and_copy(tmp_path: Path) -> None:
    part = write_png(tmp_path / "cat.png")
    launched: list[str] = []
    viewer = ImageViewerScreen(part, opener=launched.append)
    app = Host()
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        await app.push_screen(viewer)
        await settle(pilot)
        await pilot.press("c")
        assert app.clipboard == part.path
        await pilot.press("o")
        assert launched == [part.path]
        await pilot.press("s")
        prompt = viewer.query_one("#save-path", Input)
        assert prompt.has_focus and prompt.value.endswith("cat.png")
        target = tmp_path / "out" / "copy.png"
        prompt.value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert target.read_bytes() == Path(part.path or "").read_bytes()
        messages = [n.message for n in app._notifications]
        assert messages == [f"Copied {part.path}", f"Saved to {target}"]
        # An existing file is never overwritten.
        with pytest.raises(InputError, match="already exists"):
            viewer.save_to(str(target))
        # A directory gets the image under its own name.
        assert viewer.save_to(str(tmp_path / "out")) == tmp_path / "out" / "cat.png"


async def test_viewer_opens_only_accepted_images_named_as_what_they_are(tmp_path: Path) -> None:
    launched: list[str] = []
    hta = tmp_path / "image-1.hta"
    hta.write_bytes(b"<html><script>alert(1)</script></html>")
    png_named_hta = tmp_path / "image-2.hta"
    png_named_hta.write_bytes(Path(write_png(tmp_path / "real.png").path or "").read_bytes())
    app = Host()
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        for path in (hta, png_named_hta):
            viewer = ImageViewerScreen(ImagePart(b"", "image/png", path=str(path)), opener=launched.append)
            await app.push_screen(viewer)
            await settle(pilot)
            assert viewer.can_open is False
            assert "open_external" not in {b.binding.action for b in app.active_bindings.values()}
            await pilot.press("o")  # the key does nothing: the action is not offered
            await pilot.pause()
            with pytest.raises(InputError, match="not opening"):
                viewer.openable_path()
            await pilot.press("escape")
            await settle(pilot)
        assert launched == []
        good = ImageViewerScreen(write_png(tmp_path / "good.png"), opener=launched.append)
        await app.push_screen(good)
        await settle(pilot)
        assert good.can_open is True
        assert "open_external" in {b.binding.action for b in app.active_bindings.values()}
        await pilot.press("o")
        assert launched == [str(tmp_path / "good.png")]


async def test_viewer_saves_with_the_detected_extension(tmp_path: Path) -> None:
    jpeg = tmp_path / "image-3.hta"  # the gateway said application/hta; the bytes are a JPEG
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buf, "JPEG")
    jpeg.write_bytes(buf.getvalue())
    part = ImagePart(b"", "application/hta", generated=True, path=str(jpeg))
    viewer = ImageViewerScreen(part, opener=lambda path: None)
    app = Host()
    async with app.run_test(size=(100, 40)) as pilot:
        await app.push_screen(viewer)
        await settle(pilot)
        out = tmp_path / "out"
        out.mkdir()
        assert viewer.save_to(str(out)) == out / "image-3.hta.jpg"
        assert viewer.save_to(str(out / "mine.jpeg")) == out / "mine.jpeg"  # its own extension is kept
        assert viewer.save_to(str(out / "page.html")) == out / "page.html.jpg"
        assert (out / "page.html.jpg").read_bytes() == jpeg.read_bytes()
        unsaved = ImageViewerScreen(ImagePart(buf.getvalue(), "text/html"))
        await app.push_screen(unsaved)
        await settle(pilot)
        assert unsaved.save_to(str(out / "from-memory")) == out / "from-memory.jpg"
    html = tmp_path / "page.png"
    html.write_bytes(b"<html></html>")
    not_image = ImageViewerScreen(ImagePart(b"", "image/png", path=str(html)))
    with pytest.raises(InputError, match="not a PNG, JPEG, WebP or GIF image"):
        not_image.save_to(str(tmp_path / "copy.png"))
    assert not (tmp_path / "copy.png").exists()


async def test_viewer_reports_a_missing_system_viewer(tmp_path: Path) -> None:
    def no_opener(path: str) -> None:
        raise InputError(f"xdg-open is not installed; open {path} yourself")

    part = write_png(tmp_path / "cat.png")
    app = Host()
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        await app.push_screen(ImageViewerScreen(part, opener=no_opener))
        await settle(pilot)
        await pilot.press("o")
        assert [n.message for n in app._notifications] == [
            f"xdg-open is not installed; open {part.path} yourself"
        ]
        await pilot.press("escape")
        assert not isinstance(app.screen, ImageViewerScreen)


# ---------------------------------------------------------------- attachments


async def test_attachment_thumbnails(tmp_path: Path) -> None:
    parts = [write_png(tmp_path / "a.png", (640, 480)), write_png(tmp_path / "b.png", (100, 300))]
    app = Host(AttachmentThumbs(parts))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        thumbs = app.query_one(AttachmentThumbs).previews
        assert [t.caption_text for t in thumbs] == ["640×480 · a.png", "100×300 · b.png"]
        assert all(t.image_widget is not None and t.image_widget.region.height <= 6 for t in thumbs)
        # Side by side, not stacked.
        assert thumbs[0].region.y == thumbs[1].region.y
        assert thumbs[0].region.right <= thumbs[1].region.x


# ---------------------------------------------------------------- image options


async def test_options_bar_produces_image_options() -> None:
    bar = ImageOptionsBar(ImageOptions(aspect_ratio="16:9", image_size="2K"))
    app = Host(bar)
    async with app.run_test(size=(120, 10)) as pilot:
        await pilot.pause()
        assert bar.options == ImageOptions("16:9", "2K", google_search=False, want_text=True)
        aspect = bar.query_one("#image-aspect", Select)
        assert [v for _, v in aspect._options if isinstance(v, str)] == list(ASPECT_RATIOS)
        size = bar.query_one("#image-size", Select)
        assert [v for _, v in size._options if isinstance(v, str)] == list(IMAGE_SIZES)
        assert app.changes == []
        # User changes post the full option set.
        aspect.value = "21:9"
        await pilot.pause()
        await pilot.click("#image-search")
        await pilot.pause()
        assert app.changes == [
            ImageOptions("21:9", "2K", google_search=False, want_text=True),
            ImageOptions("21:9", "2K", google_search=True, want_text=True),
        ]
        # Restoring a conversation's options does not post Changed.
        bar.set_options(ImageOptions(None, "4K", google_search=False, want_text=False))
        await pilot.pause()
        assert len(app.changes) == 2
        assert bar.options == ImageOptions(None, "4K", google_search=False, want_text=False)
        assert bar.query_one("#image-text", Switch).value is False


# ---------------------------------------------------------------- sources


def test_safe_url_and_labels() -> None:
    assert safe_url("https://example.com/a?b=1") == "https://example.com/a?b=1"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("file:///etc/passwd") is None
    assert safe_url("https://exa mple.com") is None
    assert source_label(0, Source("https://www.bbc.co.uk/news", "BBC [b]News[/b]")) == (
        "[1] BBC [b]News[/b] — www.bbc.co.uk"
    )
    assert source_label(2, Source("https://x.org/")) == "[3] x.org"


async def test_sources_open_only_http_links() -> None:
    sources = [Source("https://example.com/story", "A [red]story[/]"), Source("javascript:alert(1)", "evil")]
    app = Host(SourcesList(sources))
    async with app.run_test(size=(100, 20), notifications=True) as pilot:
        await pilot.pause()
        lines = [str(w.content) for w in app.query(".source").results(Static)]
        assert lines == ["[1] A [red]story[/] — example.com", "[2] evil — javascript:alert(1)"]
        first, second = app.query(".source")
        await pilot.click(first)
        assert app.opened_urls == ["https://example.com/story"]
        await pilot.click(second)
        assert app.opened_urls == ["https://example.com/story"]
        assert [n.message for n in app._notifications] == [
            "Not opening 'javascript:alert(1)': only http(s) links are opened."
        ]


async def test_sources_can_arrive_later() -> None:
    sources_list = SourcesList()
    app = Host(sources_list)
    async with app.run_test(size=(100, 20)) as pilot:
        await pilot.pause()
        assert sources_list.display is False
        sources_list.sources = [Source("https://a.example/", "A")]
        await pilot.pause()
        assert sources_list.display is True
        assert [str(w.content) for w in app.query(".source").results(Static)] == ["[1] A — a.example"]


async def test_a_tall_thumbnail_keeps_its_caption_on_one_line(tmp_path: Path) -> None:
    parts = [write_png(tmp_path / "a-long-name-of-a-tall-picture.png", (40, 600))]
    app = Host(AttachmentThumbs(parts))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        thumb = app.query_one(AttachmentThumbs).previews[0]
        caption = thumb.query_one(".caption")
        assert thumb.caption_text.startswith("40×600")
        assert caption.size.height == 1 and thumb.size.width >= 14
