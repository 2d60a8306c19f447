"""A huge text's end is cut before the rest is read; the rest, cut later in steps, continues it exactly.

Plain functions (no Textual): :func:`tail_sections`, :class:`SectionBuilder` and
:class:`FenceScan` of :mod:`liaobots_tui.ui.text_sections`.
"""

from __future__ import annotations

import pytest

from liaobots_tui.ui.text_sections import (
    GUESS_WINDOW,
    FenceScan,
    Section,
    SectionBuilder,
    fences,
    markdown_sections,
    plain_sections,
    sections_from,
    tail_sections,
)

BLOCKS = (
    "## Part {n}\n\nSome prose about part {n}, with **bold** and `code`.\n\n"
    "- one\n- two\n\n```python\nx = {n}\n\nprint(x)\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
    "~~~\nraw ``` inside a tilde fence\n~~~\n\ntext with a ```span``` in it\n\n"
)
TAIL = 6_000


def blocks(count: int) -> str:
    return "".join(BLOCKS.format(n=n) for n in range(count))


def joined(text: str, sections: list[Section]) -> str:
    return "".join(text[s.start : s.end] for s in sections)


def whole(text: str, chars: int = TAIL) -> list[Section]:
    """The sections as the app ends up with them: the end first, then the rest before it."""
    tail = tail_sections(text, chars)
    head = SectionBuilder(text, end=tail.start)
    head.run()
    fence = head.fence_at_end()
    if fence == tail.fence:
        return head.sections + tail.sections
    return head.sections + sections_from(text, tail.start, fence)


def closes_its_fences(source: str) -> bool:
    """Every fence opened in ``source`` is closed in it."""
    for fence in fences(source):
        lines = source[fence.start : fence.end].splitlines()
        last = lines[-1].strip() if len(lines) > 1 else ""
        if set(last) != {fence.closing[0]} or len(last) < len(fence.closing):
            return False
    return True


def assert_valid(text: str, sections: list[Section]) -> None:
    """They cover the text exactly, and each holds whole fences (a cut fence is closed and reopened)."""
    assert joined(text, sections) == text
    for before, after in zip(sections, sections[1:], strict=False):
        assert before.end == after.start
        assert bool(before.close) == bool(after.lead)
    # The last may end in the text's own unclosed fence.
    assert all(closes_its_fences(section.source(text)) for section in sections[:-1])


@pytest.mark.parametrize(
    "text",
    [
        blocks(400),
        blocks(200) + "```js\n" + "".join(f"let v{i} = {i};\n\n" for i in range(3000)) + "```\n" + blocks(3),
        blocks(200) + "```\n" + "".join(f"line {i}\n" for i in range(3000)),  # ends in an unclosed fence
        "word " * 100_000,  # one endless paragraph
        "".join(f"line {i} of a poem\n" for i in range(20_000)),
    ],
    ids=["blocks", "long-fence-at-end", "unclosed-fence", "one-paragraph", "poem"],
)
def test_the_end_cut_first_and_the_rest_cut_later_cover_the_text_exactly(text: str) -> None:
    sections = whole(text)
    assert_valid(text, sections)
    # Where the two meet, nothing is lost or doubled, and the end is bounded by what was asked.
    tail = tail_sections(text, TAIL)
    assert len(text) - tail.start < TAIL + 4 * 3_000
    assert tail.sections[-1].end == len(text)


def test_a_fence_holding_the_end_is_found_when_it_names_its_language() -> None:
    code = "".join(f"value_{i} = {i}\n" for i in range(2_000))
    text = blocks(300) + "```python\n" + code + "```\n"
    tail = tail_sections(text, TAIL)
    assert tail.fence is not None and tail.fence.opening == "```python"
    assert tail.sections[0].lead == "```python\n"
    head = SectionBuilder(text, end=tail.start)
    head.run()
    assert head.fence_at_end() == tail.fence
    assert head.sections[-1].close == "```\n"
    assert_valid(text, head.sections + tail.sections)


def test_a_bare_fence_longer_than_the_window_is_guessed_wrong_and_the_end_cut_again() -> None:
    # A fence with no language, opened more than GUESS_WINDOW before the end: from the end
    # alone it looks like prose. The exact cut of the text before says otherwise.
    code = "".join(f"plain line {i}\n\n" for i in range(GUESS_WINDOW // 10))
    text = blocks(100) + "```\n" + code + "```\n"
    tail = tail_sections(text, TAIL)
    assert tail.fence is None
    head = SectionBuilder(text, end=tail.start)
    head.run()
    fence = head.fence_at_end()
    assert fence is not None and fence.opening == "```"
    again = sections_from(text, tail.start, fence)
    assert again[0].lead == "```\n"
    assert again[-1].end == len(text)
    assert_valid(text, head.sections + again)


def test_the_end_is_cut_from_a_bounded_window_whatever_comes_before() -> None:
    end = blocks(40)
    short, long = blocks(100) + end, "Intro.\n\n" * 200_000 + blocks(100) + end
    a, b = tail_sections(short, TAIL), tail_sections(long, TAIL)
    shift = len(long) - len(short)
    assert [(s.start + shift, s.end + shift, s.lead, s.close) for s in a.sections] == [
        (s.start, s.end, s.lead, s.close) for s in b.sections
    ]


def test_cutting_in_steps_gives_what_cutting_at_once_gives() -> None:
    text = blocks(300) + "```\n" + "".join(f"row {i}\n\n" for i in range(5_000)) + "```\nEnd.\n"
    builder = SectionBuilder(text)
    steps = 0
    while not builder.step(3):
        steps += 1
    assert steps > 10
    assert builder.sections == markdown_sections(text)


def test_fences_found_a_window_at_a_time_are_the_fences_found_at_once() -> None:
    text = blocks(2_000)
    scan = FenceScan(text)
    for end in range(0, len(text) + 7919, 7919):  # windows that end mid-line
        scan.scan_to(end)
    assert scan.all_found() == fences(text)
    assert len(fences(text)) == 2 * 2_000


def test_a_short_text_is_its_own_end() -> None:
    text = blocks(2)
    tail = tail_sections(text, 100_000)
    assert tail.start == 0
    assert tail.sections == markdown_sections(text)


def test_one_huge_line_is_cut_in_bounded_pieces() -> None:
    line = "x" * 5_000_000  # a pasted minified file: no line break to cut at
    sections = plain_sections(line)
    assert joined(line, sections) == line
    assert max(s.end - s.start for s in sections) <= 4 * 3_000
    words = markdown_sections("word " * 1_000_000)
    assert max(s.end - s.start for s in words) <= 4 * 3_000
