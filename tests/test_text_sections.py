"""A long stored text is cut into sections that lose nothing and render as the whole would.

Plain functions (no Textual): the cuts of :mod:`liaobots_tui.ui.text_sections`.
"""

from __future__ import annotations

from liaobots_tui.ui.text_sections import (
    SECTION_CHARS,
    Section,
    estimate_rows,
    fences,
    markdown_sections,
    plain_sections,
)

BLOCKS = (
    "## Part {n}\n\nSome prose about part {n}, with **bold** and `code`.\n\n"
    "- one\n- two\n\n```python\nx = {n}\n\nprint(x)\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
)


def joined(text: str, sections: list[Section]) -> str:
    return "".join(text[s.start : s.end] for s in sections)


def test_sections_cover_the_text_exactly_and_stay_bounded() -> None:
    text = "".join(BLOCKS.format(n=n) for n in range(2000))
    sections = markdown_sections(text)
    assert len(sections) > 10
    assert joined(text, sections) == text
    assert all(s.end - s.start <= SECTION_CHARS * 4 for s in sections)
    # Between blocks, never inside a code fence: no lead or close needed.
    assert all(not s.lead and not s.close for s in sections)
    for section in sections[1:]:
        assert text[section.start - 2 : section.start] == "\n\n"
        assert not text[section.start].isspace()


def test_a_fence_with_blank_lines_is_never_cut_between_blocks_inside_it() -> None:
    code = "```\n" + "line\n\n" * 5000 + "```\n"
    text = "Intro.\n\n" + code + "\nAfter the code.\n"
    sections = markdown_sections(text)
    assert joined(text, sections) == text
    # The fence is cut between lines: each piece closes it and the next reopens it.
    inside = sections[1:-1]
    assert inside and all(s.lead == "```\n" for s in inside)
    assert all(s.close.endswith("```\n") for s in sections[:-1] if s.start >= len("Intro.\n\n"))
    for section in sections:
        source = section.source(text)
        assert source.count("```") % 2 == 0  # every piece holds whole fences


def test_a_fence_keeps_its_language_when_continued() -> None:
    text = "```python\n" + "".join(f"value_{i} = {i}\n" for i in range(3000)) + "```\n"
    sections = markdown_sections(text)
    assert len(sections) > 1
    assert all(s.lead == "```python\n" for s in sections[1:])
    assert sections[-1].source(text).endswith("```\n")


def test_an_endless_paragraph_is_cut_at_line_breaks_or_spaces() -> None:
    lines = "".join(f"line {i} of a poem\n" for i in range(5000))
    sections = markdown_sections(lines)
    assert joined(lines, sections) == lines
    assert all(lines[s.start - 1] == "\n" for s in sections[1:])
    words = "word " * 50_000
    sections = markdown_sections(words)
    assert joined(words, sections) == words
    assert all(words[s.start - 1] == " " for s in sections[1:])


def test_fences_tells_code_spans_and_tilde_fences_apart() -> None:
    text = "```\na\n```\ntext ```x``` here\n~~~~\n```\n~~~~~\nend"
    found = fences(text)
    assert [(f.opening, f.closing) for f in found] == [("```", "```"), ("~~~~", "~~~~")]
    assert text[found[1].start : found[1].end] == "~~~~\n```\n~~~~~\n"


def test_an_unclosed_fence_runs_to_the_end() -> None:
    text = "intro\n\n```js\nlet a = 1;\n"
    assert [(f.start, f.end) for f in fences(text)] == [(7, len(text))]


def test_short_texts_are_one_section() -> None:
    assert markdown_sections("hi") == [Section(0, 2)]
    assert markdown_sections("") == [Section(0, 0)]
    assert plain_sections("a\nb") == [Section(0, 3)]


def test_plain_text_is_cut_after_line_breaks() -> None:
    text = "".join(f"pasted log line {i}\n" for i in range(4000))
    sections = plain_sections(text)
    assert joined(text, sections) == text
    assert all(text[s.start - 1] == "\n" for s in sections[1:])


def test_estimated_rows_count_lines_and_wrapping() -> None:
    text = "a\nb\nc"
    assert estimate_rows(text, Section(0, len(text)), 80) == 3
    long_line = "x" * 400
    assert estimate_rows(long_line, Section(0, 400), 80) == 1 + 5
