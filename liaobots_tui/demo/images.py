"""Real PNG images for the fake Gemini image models (Nano Banana 2/Pro).

The pixel size follows the request: ``imageSize`` sets the long side (1K → 1024,
2K → 2048, 4K → 4096, "512" → 512) and ``aspectRatio`` the other one. The
picture is a gradient with a few shapes and the prompt's first words, so a
client shows something recognisable. PNG ``compress_level=1`` keeps a 4K
image fast to make (it then travels as one multi-megabyte ``data:`` line).
"""

from __future__ import annotations

import functools
import hashlib
import io
import random

from PIL import Image, ImageDraw, ImageFont

#: Aspect ratios every Gemini image model accepts.
BASE_ASPECT_RATIOS: tuple[str, ...] = (
    "1:1",
    "2:3",
    "3:2",
    "3:4",
    "4:3",
    "4:5",
    "5:4",
    "9:16",
    "16:9",
    "21:9",
)
#: Extra ratios only the newer (3.1 Flash) image models accept.
EXTRA_ASPECT_RATIOS: tuple[str, ...] = ("1:4", "4:1", "1:8", "8:1")

_LONG_SIDE = {"512": 512, "1K": 1024, "2K": 2048, "4K": 4096}

#: Output tokens Gemini bills for one generated image, by size.
IMAGE_TOKENS = {"512": 560, "1K": 1120, "2K": 1120, "4K": 2000}


def aspect_ratios_for(model: str) -> tuple[str, ...]:
    """The aspect ratios this image model accepts (the Pro model has fewer)."""
    if "pro" in model.lower():
        return BASE_ASPECT_RATIOS
    return BASE_ASPECT_RATIOS + EXTRA_ASPECT_RATIOS


def image_sizes_for(model: str) -> tuple[str, ...]:
    """The ``imageSize`` values this model accepts (uppercase K; "512" only on Flash)."""
    if "pro" in model.lower():
        return ("1K", "2K", "4K")
    return ("512", "1K", "2K", "4K")


def pixel_size(aspect_ratio: str = "1:1", image_size: str = "1K") -> tuple[int, int]:
    """(width, height) in pixels: the long side from ``image_size``, the short side from the ratio."""
    long_side = _LONG_SIDE[image_size]
    w_part, h_part = (int(x) for x in aspect_ratio.split(":"))
    if w_part >= h_part:
        return long_side, max(1, round(long_side * h_part / w_part))
    return max(1, round(long_side * w_part / h_part)), long_side


def _palette(seed: str) -> list[tuple[int, int, int]]:
    digest = hashlib.sha256(seed.encode("utf-8")).digest()
    return [(digest[i], digest[i + 1], digest[i + 2]) for i in range(0, 15, 3)]


@functools.lru_cache(maxsize=8)
def render_png(width: int, height: int, caption: str) -> bytes:
    """A PNG of exactly ``width`` × ``height`` showing a gradient, shapes and ``caption``.

    Cached: a client retrying the same request gets the bytes without redrawing 4K pixels.
    """
    colors = _palette(caption)
    # Two 256-px linear gradients scaled up and blended: cheap even at 4096×4096.
    ramp = Image.linear_gradient("L").resize((width, height), Image.Resampling.BILINEAR)
    start = Image.new("RGB", (width, height), colors[0])
    end = Image.new("RGB", (width, height), colors[1])
    img = Image.composite(end, start, ramp)
    # Film grain (at half resolution, so it stays cheap) keeps the PNG from compressing to almost
    # nothing: a 2K image is about a megabyte and a 4K one several, like the real thing.
    half = (max(1, width // 2), max(1, height // 2))
    noise = random.Random(caption).randbytes(half[0] * half[1])  # seeded: same request, same bytes
    grain = Image.frombytes("L", half, noise).resize((width, height), Image.Resampling.NEAREST)
    img = Image.blend(img, Image.merge("RGB", (grain, grain, grain)), 0.08)

    draw = ImageDraw.Draw(img)
    unit = min(width, height)
    for i, color in enumerate(colors[2:]):
        r = unit * (0.12 + 0.06 * i)
        cx = width * (0.25 + 0.25 * i)
        cy = height * (0.35 + 0.15 * (i % 2))
        if i % 2:
            draw.rectangle(
                (cx - r, cy - r, cx + r, cy + r),
                fill=color,
                outline=(255, 255, 255),
                width=max(1, unit // 200),
            )
        else:
            draw.ellipse(
                (cx - r, cy - r, cx + r, cy + r),
                fill=color,
                outline=(255, 255, 255),
                width=max(1, unit // 200),
            )

    font_size = max(10, unit // 14)
    font = ImageFont.load_default(size=font_size)
    text = caption[:60]
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    x = max(4, (width - (right - left)) // 2)
    y = height - (bottom - top) - max(8, height // 12)
    pad = font_size // 3
    draw.rectangle((x - pad, y - pad, x + (right - left) + pad, y + (bottom - top) + pad * 2), fill=(0, 0, 0))
    draw.text((x, y), text, fill=(255, 255, 255), font=font)

    out = io.BytesIO()
    img.save(out, format="PNG", compress_level=1)
    return out.getvalue()
