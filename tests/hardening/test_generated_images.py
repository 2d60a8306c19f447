"""A gateway cannot choose what lands in the images dir: images are verified and named by what they are.

The gateway below (``httpx.MockTransport``, no network) answers a Gemini image turn with
an HTML page labelled ``image/png``, a real PNG labelled ``application/java-archive``, a PNG
header declaring 12000×12000 pixels and a JPEG labelled ``image/svg+xml``. Only the two real
images are saved, each under the extension of its detected format; the others become a
one-line note in the reply, and nothing is written for them.
"""

from __future__ import annotations

import base64
import io
import json
import os
import stat
import struct
import zlib
from pathlib import Path

import httpx
import pytest
from PIL import Image

from liaobots_tui.api.messages import ImageEvent, ImagePart, Message, RequestOptions, TextDelta, TextPart
from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.chat import ChatSession, TurnEnded, TurnStarted
from liaobots_tui.image_files import UnsafeImage
from liaobots_tui.store import Store

CODE = "generated-images-code"
MODEL = "gemini-3-pro-image-preview"


def real_image(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), (10, 120, 200)).save(buffer, format=fmt)
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares its size and holds no pixels: decoding it would allocate width×height."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IEND", b"")
    )


PNG = real_image("PNG")
JPEG = real_image("JPEG")
PAYLOADS = [
    ("image/png", b"<html><body><script>alert(1)</script></body></html>"),
    ("application/java-archive", PNG),
    ("image/png", png_header_only(12_000, 12_000)),
    ("image/svg+xml", JPEG),
]


def _gemini_stream(request: httpx.Request) -> httpx.Response:
    chunks = [{"text": "Here you go."}]
    chunks += [
        {"inlineData": {"mimeType": mime, "data": base64.b64encode(data).decode()}} for mime, data in PAYLOADS
    ]
    chunks.append({"text": "Done."})
    lines = []
    for index, part in enumerate(chunks):
        candidate: dict[str, object] = {"content": {"role": "model", "parts": [part]}, "index": 0}
        if index == len(chunks) - 1:
            candidate["finishReason"] = "STOP"
        lines.append("data: " + json.dumps({"candidates": [candidate]}) + "\n\n")
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content="".join(lines).encode())


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "history.sqlite3", tmp_path / "images")


async def test_only_verified_images_are_saved_and_named_by_their_format(store: Store, tmp_path: Path) -> None:
    transport = httpx.MockTransport(_gemini_stream)
    events = []
    async with GatewayClient(["http://gw.test"], CODE, transport=transport, max_retries=0) as client:
        session = ChatSession(client, store)
        async for event in session.send(None, Message("user", [TextPart("draw")]), RequestOptions(MODEL)):
            events.append(event)
    images = [e.image for e in events if isinstance(e, ImageEvent)]
    assert [(Path(i.path or "").suffix, i.mime_type, i.data) for i in images] == [
        (".png", "image/png", b""),
        (".jpg", "image/jpeg", b""),
    ]
    assert [Path(i.path or "").read_bytes() for i in images] == [PNG, JPEG]
    notes = [e.text.strip() for e in events if isinstance(e, TextDelta) and "image not saved" in e.text]
    assert notes[0] == "[image not saved: not an image]"
    assert notes[1].startswith("[image not saved: ") and "too many pixels" in notes[1]
    assert len(notes) == 2
    # Nothing else was written: no .html, .jar, .svg, no file for the refused payloads.
    files = sorted(p.suffix for p in (tmp_path / "images").rglob("*") if p.is_file())
    assert files == [".jpg", ".png"]

    ended = events[-1]
    assert isinstance(ended, TurnEnded) and ended.reply.status == "complete"
    started = events[0]
    assert isinstance(started, TurnStarted)
    stored = store.load_conversation(started.conversation_id).messages[-1]
    kinds = [p.kind for p in stored.parts]
    assert kinds == ["text", "text", "image", "text", "image", "text"]
    assert "[image not saved: not an image]" in stored.text
    assert stored.ended_at is not None and stored.ended_at >= stored.created_at
    store.close()


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_images_dirs_are_private_even_when_an_older_version_made_them_open(
    store: Store, tmp_path: Path
) -> None:
    images = tmp_path / "images"
    images.mkdir(mode=0o755)
    os.chmod(images, 0o755)  # as Path.mkdir(parents=True) left it before
    cid = store.create_conversation()
    saved = store.save_generated_image(cid, ImagePart(PNG, generated=True))
    assert stat.S_IMODE(images.stat().st_mode) == 0o700
    assert stat.S_IMODE(Path(saved.path or "").parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(Path(saved.path or "").stat().st_mode) == 0o600
    store.close()


@pytest.mark.parametrize(
    "data",
    [b"", b"GIF89a-truncated", b"<svg xmlns='http://www.w3.org/2000/svg'/>", png_header_only(12_000, 12_000)],
)
def test_refused_image_writes_nothing(store: Store, tmp_path: Path, data: bytes) -> None:
    cid = store.create_conversation()
    with pytest.raises(UnsafeImage):
        store.save_generated_image(cid, ImagePart(data, mime_type="image/png", generated=True))
    assert not [p for p in (tmp_path / "images").rglob("*") if p.is_file()]
    store.close()
