"""A 2K Nano Banana image reply, from its arrival to the preview on screen, in a headless app.

The fake gateway runs in a **subprocess** (so its PNG rendering does not count
against our memory) and answers ``gemini-3-pro-image-preview`` with a 16:9 2K
PNG: one multi-megabyte ``data:`` line of base64. A headless Textual app streams
the reply through the real GatewayClient + Gemini adapter in a worker; on the
:class:`ImageEvent` it does what ChatSession does (write the file, drop the bytes)
and mounts an :class:`ImagePreview` (unicode renderer, as in tests), then waits
for ``ImagePreview.Shown``.

By default the gateway's PNG is replaced by an incompressible (noise) one, so a 2K
image is a realistic multi-megabyte SSE line; ``--plain`` keeps the demo gradient.

Prints per run: request → ImageEvent (gateway render + transfer + SSE parse),
ImageEvent → preview shown (the target: < 1.5 s), the tracemalloc peak of Python
allocations from request to shown (the SSE line, its base64 and the decoded bytes
all live there at once), the preview's own Python peak measured alone (the file read
once), and the Python memory still held after the reply (should be ~0: the file is
the one copy; the thumbnail is Pillow C memory, seen in RSS), then the peak RSS of
this process (``ru_maxrss``).

    python bench/image_preview.py [--runs 5] [--size 2K] [--ratio 16:9] [--plain]

``--six`` measures instead what one reply with six huge images costs the app: six
12000×12000 PNGs (144 Mpx each, over the pixel cap), six 8000×5000 ones (40 Mpx, the
cap itself) and six 6000×6000 ones (36 Mpx), mounted as six previews at once in a
headless app, each scenario in a fresh subprocess so its peak RSS is its own. With
``--before DIR`` the same child runs against another checkout (e.g. ``/work/main``)
too and the figures are printed side by side with their ratio. Target: peak RSS
under 400 MB.

    python bench/image_preview.py --six [--before /work/main]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

from textual.app import App, ComposeResult
from textual.containers import VerticalScroll

from liaobots_tui.api.messages import (
    Conversation,
    ImageEvent,
    ImageOptions,
    ImagePart,
    Message,
    RequestOptions,
    TextPart,
)
from liaobots_tui.api.registry import get_adapter
from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.ui import images
from liaobots_tui.ui.widgets.image_preview import ImagePreview

AUTH = "bench-image"
MODEL = "gemini-3-pro-image-preview"

GATEWAY_SCRIPT = f"""
import json, sys
from liaobots_tui.demo import reply
from liaobots_tui.demo.gateway import FakeGateway
if "--noisy" in sys.argv:
    # A photo-like PNG barely compresses; the demo's gradient does. Add noise so a 2K
    # image is the multi-megabyte SSE line a real Nano Banana reply is.
    import io, os
    from PIL import Image
    def render_png(width, height, caption):
        img = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
        buf = io.BytesIO()
        img.save(buf, "PNG", compress_level=1)
        return buf.getvalue()
    reply.render_png = render_png
gw = FakeGateway({AUTH!r}, domains=1, usage_records_seed=0)
gw.start()
print(json.dumps(gw.urls), flush=True)
sys.stdin.read()   # run until the parent closes our stdin
gw.stop()
"""


@dataclass
class Run:
    request_to_event: float
    event_to_shown: float
    png_bytes: int
    pixels: tuple[int, int]
    py_peak: int
    preview_peak: int
    py_retained: int


class BenchApp(App[None]):
    def __init__(self, client: GatewayClient, options: ImageOptions, out_dir: Path) -> None:
        super().__init__()
        self.client = client
        self.options = options
        self.out_dir = out_dir
        self.result: Run | None = None
        self._shown = asyncio.Event()

    def compose(self) -> ComposeResult:
        yield VerticalScroll(id="log")

    def on_image_preview_shown(self, event: ImagePreview.Shown) -> None:
        self._shown.set()

    async def one_run(self, index: int) -> Run:
        self._shown.clear()
        adapter = get_adapter("gemini")
        parser = adapter.new_parser()
        conversation = Conversation([Message("user", [TextPart(f"a lighthouse at dusk, run {index}")])])
        options = RequestOptions(MODEL, image=self.options)
        gc.collect()
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        start = time.perf_counter()
        arrived = 0.0
        part = None
        png_bytes = 0
        async for event in self.client.stream_reply(adapter, conversation, options, parser):
            if isinstance(event, ImageEvent) and part is None:
                arrived = time.perf_counter()
                part = event.image
                # What ChatSession does: the file becomes the one copy of the image.
                path = self.out_dir / f"image-{index}.png"
                path.write_bytes(part.data)
                png_bytes = len(part.data)
                part = dataclasses.replace(part, path=str(path), data=b"")  # parts are values
                await self.query_one("#log").mount(ImagePreview(part, "unicode"))
        if part is None:
            raise SystemExit(f"no image in the reply: {parser.parts()!r}")
        # Drop the parser's reference too, as the app does once the reply is saved.
        del parser
        await self._shown.wait()
        shown = time.perf_counter()
        py_peak = tracemalloc.get_traced_memory()[1] - baseline
        # The preview's own share, measured alone: reading the file and decoding it once.
        gc.collect()
        tracemalloc.reset_peak()
        floor = tracemalloc.get_traced_memory()[0]
        await asyncio.to_thread(images.prepare_image, part, ImagePreview.MAX_SIDE)
        preview_peak = tracemalloc.get_traced_memory()[1] - floor
        preview = self.query(ImagePreview).last()
        info = preview.info
        assert info is not None and info.thumb is not None, "the preview did not draw"
        pixels = (info.width, info.height)
        del info, preview, part, event
        gc.collect()
        py_retained = tracemalloc.get_traced_memory()[0] - baseline
        return Run(
            arrived - start,
            shown - arrived,
            png_bytes,
            pixels,
            py_peak,
            preview_peak,
            py_retained,
        )


async def main_async(args: argparse.Namespace) -> list[Run]:
    proc = subprocess.Popen(
        [sys.executable, "-c", GATEWAY_SCRIPT, *(["--noisy"] if args.noisy else [])],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        urls = json.loads(proc.stdout.readline())
        runs: list[Run] = []
        with tempfile.TemporaryDirectory() as tmp:
            async with GatewayClient(urls, AUTH) as client:
                app = BenchApp(client, ImageOptions(args.ratio, args.size), Path(tmp))
                async with app.run_test(size=(120, 50)) as pilot:
                    for i in range(args.runs):
                        runs.append(await app.one_run(i))
                        await pilot.pause()
        return runs
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        proc.wait(timeout=10)


# ---------------------------------------------------------------- six huge images in one reply

SIX_SCENARIOS = {"12000x12000": (12000, 12000), "8000x5000": (8000, 5000), "6000x6000": (6000, 6000)}
RSS_TARGET_MB = 400


def write_big_png(path: Path, width: int, height: int) -> None:
    """A real ``width``×``height`` RGB PNG written row by row, so building it costs a row, not the image."""
    import struct
    import zlib

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    squeeze = zlib.compressobj(1)
    with open(path, "wb") as fh:
        fh.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
        band = bytes(range(256)) * (width * 3 // 256 + 2)  # room for any shift below
        for y in range(height):
            shift = (y // 16) % 256
            row = b"\0" + band[shift : shift + width * 3]
            data = squeeze.compress(row)
            if data:
                fh.write(chunk(b"IDAT", data))
        fh.write(chunk(b"IDAT", squeeze.flush()) + chunk(b"IEND", b""))


class SixApp(App[None]):
    """One reply's worth of previews, mounted at once as a MessageBox mounts them."""

    def __init__(self, parts: list[ImagePart]) -> None:
        super().__init__()
        self.parts = parts
        self.shown: list[bool] = []
        self.all_shown = asyncio.Event()

    def compose(self) -> ComposeResult:
        yield VerticalScroll(id="log")

    def on_image_preview_shown(self, event: ImagePreview.Shown) -> None:
        self.shown.append(event.drawn)
        if len(self.shown) == len(self.parts):
            self.all_shown.set()


async def six_child(directory: Path) -> dict[str, object]:
    parts = [
        ImagePart(b"", "image/png", generated=True, path=str(p)) for p in sorted(directory.glob("*.png"))
    ]
    app = SixApp(parts)
    start = time.perf_counter()
    async with app.run_test(size=(120, 50)) as pilot:
        await app.query_one("#log").mount_all([ImagePreview(p, "unicode") for p in parts])
        await app.all_shown.wait()
        await pilot.pause()
        captions = [pv.caption_text for pv in app.query(ImagePreview)]
    return {
        "seconds": time.perf_counter() - start,
        "drawn": sum(app.shown),
        "placeholders": len(app.shown) - sum(app.shown),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "caption": captions[0] if captions else "",
    }


def run_six_child(tree: Path, directory: Path) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(tree), images.ENV_IMAGE_MODE: "unicode"}
    out = subprocess.run(
        [sys.executable, __file__, "--six-child", str(directory)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["failed"])[-1]}
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def six_main(before: Path | None) -> None:
    after = Path(__file__).resolve().parent.parent
    trees = [("after", after)] + ([("before", before)] if before is not None else [])
    with tempfile.TemporaryDirectory() as tmp:
        for name, (width, height) in SIX_SCENARIOS.items():
            directory = Path(tmp) / name
            directory.mkdir()
            first = directory / "image-0.png"
            write_big_png(first, width, height)
            for i in range(1, 6):
                os.link(first, directory / f"image-{i}.png")  # six files, one copy on disk
            size_mb = first.stat().st_size / 1e6
            mpx = width * height / 1e6
            print(f"six {width}×{height} PNGs ({mpx:.0f} Mpx, {size_mb:.1f} MB each) in one reply:")
            results = {label: run_six_child(tree, directory) for label, tree in trees}
            for label, r in results.items():
                if "error" in r:
                    print(f"  {label:6}: failed: {r['error']}")
                    continue
                rss = float(str(r["peak_rss_mb"]))
                verdict = "OK" if rss < RSS_TARGET_MB else "OVER"
                print(
                    f"  {label:6}: peak RSS {rss:7.1f} MB ({verdict}, target < {RSS_TARGET_MB} MB) · "
                    f"all shown in {float(str(r['seconds'])):5.1f} s · drawn {r['drawn']}, "
                    f"placeholders {r['placeholders']}"
                )
                print(f"          {r['caption']}")
            if "error" not in results.get("before", {"error": ""}) and "error" not in results["after"]:
                ratio = float(str(results["before"]["peak_rss_mb"])) / float(
                    str(results["after"]["peak_rss_mb"])
                )
                print(f"  peak RSS before/after: {ratio:.1f}×")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--six", action="store_true", help="six huge PNGs in one reply: peak RSS of the app")
    parser.add_argument("--before", type=Path, help="with --six: also run against this checkout")
    parser.add_argument("--six-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", default="2K", choices=("1K", "2K", "4K"))
    parser.add_argument("--ratio", default="16:9")
    parser.add_argument(
        "--plain",
        dest="noisy",
        action="store_false",
        help="the demo's gradient PNG (compresses to ~1 MB at 2K)",
    )
    args = parser.parse_args()
    os.environ[images.ENV_IMAGE_MODE] = "unicode"
    images.load_image_support("unicode")  # before the app runs, as run_app does
    if args.six_child is not None:
        print(json.dumps(asyncio.run(six_child(args.six_child))))
        return
    if args.six:
        six_main(args.before)
        return
    tracemalloc.start()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    runs = asyncio.run(main_async(args))
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    first = runs[0]
    print(f"image: {first.pixels[0]}×{first.pixels[1]} PNG, {first.png_bytes / 1e6:.2f} MB "
          f"(SSE line ≈ {first.png_bytes * 4 / 3 / 1e6:.2f} MB of base64)")  # fmt: skip
    for i, r in enumerate(runs):
        print(
            f"run {i}: request→ImageEvent {r.request_to_event * 1000:7.1f} ms · "
            f"ImageEvent→preview shown {r.event_to_shown * 1000:7.1f} ms · "
            f"py peak {r.py_peak / 1e6:6.2f} MB (preview {r.preview_peak / 1e6:5.2f}) · "
            f"py retained {r.py_retained / 1e6:5.2f} MB"
        )
    shown = [r.event_to_shown for r in runs]
    print(
        f"ImageEvent→shown: median {statistics.median(shown) * 1000:.1f} ms, "
        f"max {max(shown) * 1000:.1f} ms (target < 1500 ms): {'OK' if max(shown) < 1.5 else 'OVER'}"
    )
    print(f"peak RSS: {rss_peak / 1024:.1f} MB (before the app: {rss_before / 1024:.1f} MB)")


if __name__ == "__main__":
    main()
