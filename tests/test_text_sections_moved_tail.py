"""The end of a stored text, cut before the rest was read, moves into place in the whole text.

A huge reply comes from the store as its last bytes only (``store/big_text.py``); the view
cuts them with :func:`tail_sections` and, once the whole is read, :func:`moved_tail` shifts
those sections to where they sit in it. Read from a line start and long enough for the fence
guess's window, the moved end is exactly what cutting the whole text's end gives.
"""

from __future__ import annotations

import pytest

from liaobots_tui.ui.text_sections import GUESS_WINDOW, Section, moved_tail, tail_sections

from .test_text_sections_from_the_end import TAIL, blocks

#: How much of the end the view reads first, in characters: room for TAIL and the guess window.
READ = TAIL + GUESS_WINDOW + 20_000


def end_from_a_line_start(text: str, chars: int) -> str:
    end = text[-chars:]
    return end[end.index("\n") + 1 :]


@pytest.mark.parametrize(
    "text",
    [
        blocks(2_000),
        blocks(900) + "```python\n" + "".join(f"v{i} = {i}\n\n" for i in range(4_000)) + "```\n" + blocks(3),
        blocks(900) + "```\n" + "".join(f"line {i}\n" for i in range(9_000)),  # an unclosed fence at the end
        "".join(f"line {i} of a poem\n" for i in range(40_000)),
    ],
    ids=["blocks", "fence-near-the-end", "unclosed-fence", "poem"],
)
def test_the_moved_end_is_the_end_cut_from_the_whole_text(text: str) -> None:
    end = end_from_a_line_start(text, READ)
    assert len(end) < len(text) // 2
    moved = moved_tail(text, end, tail_sections(end, TAIL))
    assert moved == tail_sections(text, TAIL)


def test_an_end_that_is_not_how_the_text_ends_is_not_moved() -> None:
    text = blocks(2_000)
    end = end_from_a_line_start(text, READ)
    assert moved_tail(text + "more", end, tail_sections(end, TAIL)) is None


def test_an_end_that_is_the_whole_text_stays_as_it_is() -> None:
    text = blocks(50)
    tail = tail_sections(text, TAIL)
    assert moved_tail(text, text, tail) is tail
    assert all(isinstance(section, Section) for section in tail.sections)
