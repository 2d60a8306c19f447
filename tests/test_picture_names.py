"""Pictures are saved under names a person can find (date, time, prompt words); attached ones keep theirs."""

from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from liaobots_tui.api.messages import ImagePart, Message, TextPart
from liaobots_tui.attached import attachments_of
from liaobots_tui.attachments import load_attachment
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.image_names import MAX_SLUG, picture_stem, prompt_slug
from liaobots_tui.store import Store
from tests.cli_driving import gateway_in_env, run_cli

AUTH = "test-code-123456"
STEM = re.compile(r"\d{4}-\d\d-\d\d-\d{4}-([a-z0-9-]+)-(\d+)")


def png(size: tuple[int, int] = (8, 6)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def gw(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGateway]:
    with gateway_in_env(monkeypatch, AUTH) as gateway:
        yield gateway


@pytest.mark.parametrize(
    ("prompt", "slug"),
    [
        ("A red fox, in snow!", "a-red-fox-in-snow"),
        ("Crème brûlée à la façon de Zoë", "creme-brulee-a-la-facon-de-zoe"),
        ("../../etc/passwd", "etc-passwd"),
        (".hidden\\..\\name.exe", "hidden-name-exe"),
        ("🦊🌨️", "image"),
        ("", "image"),
        ("   \n\t ", "image"),
    ],
)
def test_the_slug_is_ascii_words_joined_by_dashes(prompt: str, slug: str) -> None:
    assert prompt_slug(prompt) == slug


def test_a_long_prompt_is_cut_at_a_word_boundary() -> None:
    slug = prompt_slug("draw a very detailed watercolor of an arctic fox standing in deep fresh snow at dusk")
    assert len(slug) <= MAX_SLUG and slug == "draw-a-very-detailed-watercolor-of-an"
    assert prompt_slug("x" * 300) == "x" * MAX_SLUG


def test_the_stem_carries_local_date_time_slug_and_number() -> None:
    when = datetime(2026, 11, 30, 14, 32)
    assert picture_stem("red fox in snow", 1, when) == "2026-11-30-1432-red-fox-in-snow-1"
    assert picture_stem("red fox in snow", 2, when).endswith("-2")


def test_the_store_names_generated_pictures_by_stem_and_never_reuses_a_name(tmp_path: Path) -> None:
    with Store(tmp_path / "h.db", tmp_path / "images") as store:
        cid = store.create_conversation()
        stem = "2026-11-30-1432-red-fox-1"
        first = store.save_generated_image(cid, ImagePart(png(), generated=True), stem)
        second = store.save_generated_image(cid, ImagePart(png(), generated=True), stem)
        assert Path(first.path or "").name == f"{stem}.png"
        assert Path(second.path or "").name == f"{stem}-2.png"


@pytest.mark.parametrize("stem", ["../escape", ".hidden", "a/b", "", "x" * 101])
def test_a_stem_that_could_name_another_place_is_not_used(tmp_path: Path, stem: str) -> None:
    with Store(tmp_path / "h.db", tmp_path / "images") as store:
        cid = store.create_conversation()
        saved = Path(store.save_generated_image(cid, ImagePart(png(), generated=True), stem).path or "")
        assert saved.parent == tmp_path / "images" / str(cid)
        assert saved.name.startswith("img-")


def test_image_command_saves_under_the_prompt_and_never_overwrites(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_dir = tmp_path / "out"
    names = []
    for _ in range(2):
        r = run_cli(capsys, "image", "A red fox in snow", "-o", str(out_dir))
        assert r.code == 0, r.err
        names += [Path(line).name for line in r.out.splitlines()]
    assert len(names) == 2 and len(set(names)) == 2
    for name in names:
        match = STEM.fullmatch(Path(name).stem.removesuffix("-2"))
        assert match is not None and match.group(1) == "a-red-fox-in-snow", name
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(names)


def test_an_attached_picture_keeps_its_own_name_through_the_store(tmp_path: Path) -> None:
    photo = tmp_path / "Fox photo (1).png"
    photo.write_bytes(png())
    part = load_attachment(photo)
    assert isinstance(part, ImagePart) and part.name == "Fox photo (1).png"
    with Store(tmp_path / "h.db", tmp_path / "images") as store:
        cid = store.create_conversation()
        store.add_message(cid, Message("user", [TextPart("like this"), part]))
        loaded = store.load_conversation(cid).messages[0]
    image = loaded.images[0]
    assert image.name == "Fox photo (1).png"
    assert Path(image.path or "").name != image.name  # stored under its own safe name
    # Editing the prompt puts the chip back under the user's name too.
    assert [name for _, name in attachments_of(loaded)] == ["Fox photo (1).png"]
    assert attachments_of(loaded)[0][0].name == "Fox photo (1).png"


def test_a_generated_picture_has_no_user_name(tmp_path: Path) -> None:
    with Store(tmp_path / "h.db", tmp_path / "images") as store:
        cid = store.create_conversation()
        saved = store.save_generated_image(cid, ImagePart(png(), generated=True), "2026-11-30-1432-fox-1")
        store.add_message(cid, Message("assistant", [saved]))
        assert store.load_conversation(cid).messages[0].images[0].name == ""


@pytest.mark.skipif(sys.platform == "darwin", reason="macOS refuses file names that are not UTF-8")
@pytest.mark.parametrize("body", [png(), b"plain text\n"])
def test_a_file_name_that_is_not_utf8_is_kept_readable(tmp_path: Path, body: bytes) -> None:
    path = Path(os.fsdecode(os.fsencode(str(tmp_path)) + b"/caf\xe9.dat"))
    path.write_bytes(body)
    part = load_attachment(path)
    assert part.name == "caf\ufffd.dat"
    with Store(tmp_path / "h.db", tmp_path / "images") as store:
        cid = store.create_conversation()
        store.add_message(cid, Message("user", [TextPart("this"), part]))
        (loaded,) = [p for p in store.load_conversation(cid).messages[0].parts if not isinstance(p, TextPart)]
    assert getattr(loaded, "name", None) == "caf\ufffd.dat"


def test_the_viewer_offers_an_attached_picture_under_its_own_name(tmp_path: Path) -> None:
    from liaobots_tui.ui.screens.image_viewer import default_save_path

    stored = tmp_path / "7-1.png"
    stored.write_bytes(png())
    assert default_save_path(ImagePart(b"", path=str(stored), name="Fox photo.png")).name == "Fox photo.png"
    assert default_save_path(ImagePart(b"", path=str(stored), name="..")).name == "7-1.png"
    assert default_save_path(ImagePart(b"", path=str(stored))).name == "7-1.png"
