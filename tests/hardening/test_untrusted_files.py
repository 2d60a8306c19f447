"""Files that come from outside: attached and generated images, the usage CSV, the config file.

Each test feeds what a careless user or a hostile gateway would hand us (a text file
Pillow mistakes for an IMT image, a PNG declaring 12000×12000, a FIFO, a model name
that is a spreadsheet formula) and checks the one clear answer we give instead of a
traceback, a hang or a file that does harm when opened.
"""

from __future__ import annotations

import csv
import io
import os
import struct
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from liaobots_tui import image_files
from liaobots_tui.api.account import UsageRecord
from liaobots_tui.api.messages import FilePart
from liaobots_tui.attachments import load_attachment
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.errors import InputError
from liaobots_tui.image_files import MAX_PIXELS, UnsafeImage, decode_slot, identify, identify_path, verify
from liaobots_tui.usage_csv import defuse_cell, write_usage_csv
from tests.cli_driving import gateway_in_env, run_cli

posix_only = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs and POSIX modes")

AUTH = "untrusted-files-code-5d2c"


def png_bytes(size: tuple[int, int] = (8, 6), fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buf, format=fmt)
    return buf.getvalue()


def huge_png_header(width: int, height: int) -> bytes:
    """A PNG signature and IHDR declaring ``width``×``height``, with one tiny IDAT: costs nothing."""

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


# ---------------------------------------------------------------- image_files


def test_a_text_file_pillow_reads_as_imt_is_not_an_image() -> None:
    # Pillow's IMT plugin raises ValueError (not UnidentifiedImageError) on "width = 3".
    for text in (b"width = 3\n", b"width = 3\nheight = 3\n"):
        with pytest.raises(UnsafeImage) as excinfo:
            identify(text)
        assert excinfo.value.problem == "not_image" and excinfo.value.reason == "not an image"


def test_accepted_kinds_come_from_the_bytes_not_the_label() -> None:
    kinds = [("PNG", "image/png", ".png"), ("JPEG", "image/jpeg", ".jpg"), ("GIF", "image/gif", ".gif"),
             ("WEBP", "image/webp", ".webp")]  # fmt: skip
    for fmt, mime, ext in kinds:
        kind = verify(png_bytes(fmt=fmt))
        assert (kind.format, kind.mime_type, kind.ext, kind.width, kind.height) == (fmt, mime, ext, 8, 6)
    with pytest.raises(UnsafeImage) as excinfo:
        identify(png_bytes(fmt="BMP"))
    assert excinfo.value.problem == "unsupported" and excinfo.value.detected == "BMP"
    for payload in (b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"PK\x03\x04 jar", b"<html><script>"):
        with pytest.raises(UnsafeImage):
            identify(payload)


def test_pixel_cap_is_checked_from_the_header_without_decoding() -> None:
    header = huge_png_header(12000, 12000)
    assert len(header) < 200
    with pytest.raises(UnsafeImage) as excinfo:
        verify(header)  # decoding 144 Mpx would take ~430 MB: refused before that
    assert excinfo.value.problem == "too_many_pixels"
    assert excinfo.value.kind is not None and (excinfo.value.kind.width, excinfo.value.kind.height) == (
        12000,
        12000,
    )
    assert "12000×12000 is too many pixels (limit 40 Mpx)" == excinfo.value.reason
    just_under = identify(huge_png_header(8000, 5000))
    assert just_under.pixels == MAX_PIXELS


@posix_only
def test_identify_path_refuses_a_fifo_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "picture.png"
    os.mkfifo(fifo)
    # With no writer, a blocking read would hang forever: the call must come back at once.
    with pytest.raises(UnsafeImage) as excinfo:
        identify_path(fifo)
    assert excinfo.value.problem == "not_file"
    with pytest.raises(UnsafeImage) as excinfo:
        identify_path(tmp_path / "missing.png")
    assert excinfo.value.problem == "unreadable"
    real = tmp_path / "real.png"
    real.write_bytes(png_bytes())
    assert identify_path(real).format == "PNG"


def test_decode_slots_let_at_most_two_decode_and_a_big_one_alone() -> None:
    started: list[str] = []
    release = {name: threading.Event() for name in ("a", "b", "c", "big")}
    peak = {"running": 0}
    lock = threading.Lock()

    def decode(name: str, pixels: int) -> None:
        with decode_slot(pixels):
            with lock:
                started.append(name)
                peak["running"] = max(peak["running"], image_files.decodes_running())
            release[name].wait(timeout=30)

    small = MAX_PIXELS // 4
    threads = [threading.Thread(target=decode, args=(n, small)) for n in ("a", "b", "c")]
    for t in threads:
        t.start()
    wait_until(lambda: len(started) == 2)
    assert image_files.decodes_running() == 2  # the third waits for a slot
    first = started[0]
    release[first].set()
    wait_until(lambda: len(started) == 3)
    big = threading.Thread(target=decode, args=("big", MAX_PIXELS))
    big.start()
    for name in ("a", "b", "c"):
        release[name].set()
    for t in threads:
        t.join(timeout=30)
    wait_until(lambda: "big" in started)
    assert image_files.decodes_running() == 1  # a 40 Mpx image decodes alone
    release["big"].set()
    big.join(timeout=30)
    assert peak["running"] == 2 and image_files.decodes_running() == 0


def wait_until(condition: object, limit: int = 3000) -> None:
    """Wait for ``condition()`` (set by other threads): polls it, with a generous cap instead of a timing."""
    assert callable(condition)
    event = threading.Event()
    for _ in range(limit):
        if condition():
            return
        event.wait(0.01)
    raise AssertionError("condition never became true")


# ---------------------------------------------------------------- attachments


def test_attachment_errors_are_one_line_for_every_hostile_file(tmp_path: Path) -> None:
    # What a file is comes from its bytes: text named .png goes as text (never decoded as an image).
    imt = tmp_path / "notes.png"
    imt.write_bytes(b"width = 3\n")
    part = load_attachment(imt)
    assert isinstance(part, FilePart) and part.file_kind == "text" and part.data == b"width = 3\n"
    junk = tmp_path / "notes2.png"
    junk.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(InputError) as excinfo:
        load_attachment(junk)
    assert excinfo.value.message == f"not a text file, image or PDF: {junk}"
    huge = tmp_path / "huge.png"
    huge.write_bytes(huge_png_header(12000, 12000))
    with pytest.raises(InputError) as excinfo:
        load_attachment(huge)
    assert excinfo.value.message == f"attachment has too many pixels: {huge} is 12000×12000 (limit 40 Mpx)"
    svg = tmp_path / "logo.png"
    svg.write_bytes(b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>")
    part = load_attachment(svg)  # SVG is text: sent as text, never rendered
    assert isinstance(part, FilePart) and part.mime_type == "text/plain"


@posix_only
def test_a_fifo_or_device_attachment_is_refused_without_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "photo.png"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero")):
        if not path.exists():
            continue
        with pytest.raises(InputError) as excinfo:
            load_attachment(path)
        assert excinfo.value.message == f"attachment is not a file: {path}"


def test_a_good_attachment_gets_its_detected_type(tmp_path: Path) -> None:
    mislabelled = tmp_path / "photo.gif"  # really a JPEG
    mislabelled.write_bytes(png_bytes(fmt="JPEG"))
    part = load_attachment(mislabelled)
    assert part.mime_type == "image/jpeg" and part.data == mislabelled.read_bytes()


@pytest.fixture
def gw(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGateway]:
    with gateway_in_env(monkeypatch, AUTH) as gateway:
        yield gateway


def test_cli_binary_attachment_is_one_line_and_exit_2(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    blob = tmp_path / "notes.txt"
    blob.write_bytes(b"\x00\x01\x02 width = 3\n")
    result = run_cli(capsys, "ask", "-a", str(blob), "what is this?")
    assert result.code == 2
    assert result.err == f"liaobots: Invalid input: not a text file, image or PDF: {blob}\n"
    assert not [r for r in gw.requests if r.method == "POST"]


# ---------------------------------------------------------------- CSV


FORMULAS = ['=HYPERLINK("http://evil","x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\r=1"]


def record(model: str, record_id: int | str = 7, price: float = 0.5) -> UsageRecord:
    return UsageRecord(record_id, model, 30, 10, 20, 0, 0, price, 1_770_000_000_000)


def test_csv_cells_that_start_a_formula_are_prefixed() -> None:
    out = io.StringIO()
    records = [record(m, record_id=m) for m in FORMULAS] + [record("claude-sonnet-4-6", -3, price=-0.25)]
    assert write_usage_csv(records, out) == len(records)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert len(rows) == len(records) + 1  # a CR inside a name does not split its row
    expected = ["'" + text for text in FORMULAS[:4]] + ["x", "'=1"]  # control characters go first
    assert [row[0] for row in rows[1:-1]] == expected and [row[2] for row in rows[1:-1]] == expected
    assert defuse_cell("\tx") == "'\tx" and defuse_cell("\r=1") == "'\r=1"
    # Plain text and our own numbers stay as they are (a negative number is not a formula).
    assert rows[-1][0] == "-3" and rows[-1][2] == "claude-sonnet-4-6" and rows[-1][-1] == "-0.25"
    assert defuse_cell("gpt-5.4") == "gpt-5.4" and defuse_cell("") == ""


def test_cli_usage_csv_defuses_formulas_from_the_gateway(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    # Only the printable ones: the api layer turns a leading tab or CR into nothing before we see it.
    for entry, text in zip(gw.usage_records, FORMULAS[:4] * 2, strict=False):
        entry["model"] = text
    result = run_cli(capsys, "usage", "--limit", "6", "--csv")
    assert result.code == 0, result
    rows = list(csv.reader(io.StringIO(result.out)))
    models = [row[2] for row in rows[1:]]
    assert len(models) == 6
    for model in models:
        assert model.startswith("'") and model[1:2] in ("=", "+", "-", "@"), models


async def test_app_usage_export_defuses_formulas(tmp_path: Path) -> None:
    from textual.app import App

    from liaobots_tui.api.account import UsagePage
    from liaobots_tui.ui.screens.usage import UsageScreen

    hostile = [record(text, record_id=100 - i) for i, text in enumerate(FORMULAS[:4])]

    async def fetch(next_id: str) -> UsagePage:
        return UsagePage(hostile, "")

    screen = UsageScreen(fetch, export_dir=tmp_path)

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(screen)

    async with Host().run_test(size=(120, 40)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        path, count = screen.export_to(str(tmp_path / "usage.csv"))
    assert count == 4
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [row[2] for row in rows[1:]] == ["'" + text for text in FORMULAS[:4]]
