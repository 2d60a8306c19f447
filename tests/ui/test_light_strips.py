"""Strips make their caches on first use (textual_compat.light_strips) and draw exactly as before."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from liaobots_tui.ui.textual_compat import light_strips


def _slot_is_set(strip: Strip, name: str) -> bool:
    """Whether the strip holds that cache (read past the make-on-first-use wrapper)."""
    try:
        Strip.__dict__[name]._slot.__get__(strip, Strip)
    except AttributeError:
        return False
    return True


def test_a_strip_makes_a_cache_only_when_a_method_needs_it() -> None:
    assert light_strips()
    assert light_strips()  # idempotent
    strip = Strip([Segment("hello "), Segment("world", Style(bold=True))])
    assert not _slot_is_set(strip, "_crop_cache") and not _slot_is_set(strip, "_divide_cache")
    cropped = strip.crop(2, 8)
    assert cropped.text == "llo wo"
    assert strip.crop(2, 8) is cropped  # the crop cache now exists and is used
    assert not _slot_is_set(strip, "_divide_cache")


def test_lines_cut_styled_and_padded_give_what_textual_gives() -> None:
    light_strips()
    strip = Strip([Segment("ab", Style(italic=True)), Segment("cdef")], 6)
    left, middle, right = strip.divide([2, 4, 6])
    assert [left.text, middle.text, right.text] == ["ab", "cd", "ef"]
    assert strip.divide([2, 4, 6]) is strip.divide([2, 4, 6])
    assert left.cell_length == 2 and right.cell_length == 2
    styled = strip.apply_style(Style(color="red"))
    assert styled.text == "abcdef"
    assert all(segment.style is not None and segment.style.color is not None for segment in styled)
    assert strip.adjust_cell_length(8).text == "abcdef  "
    assert strip.crop_extend(1, 8, None).text == "bcdef  "
    assert strip.simplify().text == "abcdef"
    assert Strip.join([left, right]).text == "abef"
