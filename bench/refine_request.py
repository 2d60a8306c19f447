"""How big the request of a third refinement with a Gemini image model is, with and without earlier pictures.

A chat that asks for a picture (a photo attached), then refines it three times; each
reply is a signed 1024×1024 PNG of noise (about what a generated picture weighs). The
request body of the third refinement is built as it goes on the wire, twice in one run:
as an image model gets it now (only the latest reply's picture goes back) and with
every earlier picture resent (what a text model still gets, and what image models got
before). Prints bytes, the ratio, and the build time of each (best of ``--repeat``).

    python bench/refine_request.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import time
from typing import Any

from PIL import Image

from liaobots_tui.api.gemini import build_contents
from liaobots_tui.api.messages import Conversation, ImagePart, Message, TextPart


def noise_png(side: int = 1024) -> bytes:
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, format="PNG")
    return buffer.getvalue()


def third_refinement() -> Conversation:
    messages = [Message("user", [TextPart("a fox in snow, like this photo"), ImagePart(noise_png(512))])]
    for n in range(3):
        signed = {"gemini": {"thoughtSignature": "c2ln" * 200}}
        picture = ImagePart(noise_png(), generated=True, provider_data=signed)
        messages.append(Message("assistant", [TextPart("Here it is."), picture], format="gemini"))
        messages.append(Message("user", [TextPart(f"refinement {n + 1}: warmer light")]))
    return Conversation(messages)


def body_bytes(conversation: Conversation, latest_only: bool) -> tuple[int, float]:
    start = time.perf_counter()
    body: dict[str, Any] = {"contents": build_contents(conversation, latest_picture_only=latest_only)}
    size = len(json.dumps(body, ensure_ascii=False).encode("utf-8"))
    return size, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    chat = third_refinement()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    sizes: dict[bool, int] = {}
    best = {True: float("inf"), False: float("inf")}
    for _ in range(args.repeat):
        for latest_only in (False, True):  # alternated, so both see the same load
            sizes[latest_only], seconds = body_bytes(chat, latest_only)
            best[latest_only] = min(best[latest_only], seconds)
    print("third refinement request body (4 turns, a 512 px photo attached, 1024 px pictures)")
    print(f"   every picture resent  {sizes[False]:>12,} bytes  {best[False] * 1000:7.1f} ms")
    print(f"   latest picture only   {sizes[True]:>12,} bytes  {best[True] * 1000:7.1f} ms")
    print(
        f"   ratio latest/every    {sizes[True] / sizes[False]:.3f} (bytes)"
        f"  {best[True] / best[False]:.3f} (time)"
    )


if __name__ == "__main__":
    main()
