"""A huge stored reply is shown from its end before the rest of it is cut into sections.

The end is drawn first; the sections before it are cut in the background (or at once
when the view goes up into them); a wrong guess about a code fence around the end is
redrawn right; Home reaches the start; copy, export and search still see the whole text.
"""

from __future__ import annotations

import pytest
from textual.app import ComposeResult

from liaobots_tui.api.messages import Message, TextPart
from liaobots_tui.markdown_export import contained, conversation_markdown
from liaobots_tui.store import Store
from liaobots_tui.ui.text_sections import GUESS_WINDOW, SECTION_CHARS
from liaobots_tui.ui.widgets import lazy_text
from liaobots_tui.ui.widgets.lazy_text import LazyText

from .conftest import AppFactory, offline_client, offline_settings
from .driving import chat, settle, until

SIZE = (100, 30)
FIRST_WORDS = "The opening words are aardvark"
MIDDLE_WORD = "quokkamiddle"
LAST_WORDS = "The closing words are zebra"
#: Long prose per part: each Markdown block is a few widgets, and what is proven here is
#: about sections, so few blocks per section keep the tests cheap.
PART = (
    "## Part {n}\n\n"
    + "Prose for part {n}, **bold** and `code`. " * 8
    + "\n\n```python\nvalue = {n}\n```\n\n"
)


def huge_reply(chars: int, ending: str = "") -> str:
    parts, size, n, middle_said = [FIRST_WORDS + ".\n\n"], 0, 0, False
    while size < chars:
        part = PART.format(n=n)
        if size >= chars // 2 and not middle_said:
            part += f"A rare word: {MIDDLE_WORD}.\n\n"
            middle_said = True
        parts.append(part)
        size += len(part)
        n += 1
    return "".join(parts) + ending + LAST_WORDS + ".\n"


def drawn_text(lazy: LazyText) -> str:
    return "".join(lazy.sections[i].source(lazy.text) for i in lazy.shown_sections)


def huge_threshold_scaled_down(monkeypatch: pytest.MonkeyPatch) -> int:
    """Scale the huge-text thresholds down to a few sections; the reply size that takes that path.

    The path (end cut first, the rest in the background or on the way up) is the same; a
    700 kB reply only made the test pay for parsing, copying and exporting it.
    """
    monkeypatch.setattr(lazy_text, "TAIL_FIRST_CHARS", 8 * SECTION_CHARS)
    monkeypatch.setattr(lazy_text, "TAIL_CHARS", 2 * SECTION_CHARS)
    return lazy_text.TAIL_FIRST_CHARS + 8 * SECTION_CHARS


def store_reply(store: Store, reply: str) -> int:
    cid = store.create_conversation(title="huge")
    store.add_messages(
        cid,
        [Message("user", [TextPart("Write a lot")]), Message("assistant", [TextPart(reply)], model="m")],
    )
    return cid


async def test_the_end_is_shown_first_and_the_rest_is_cut_in_the_background(
    make_app: AppFactory, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    reply = huge_reply(huge_threshold_scaled_down(monkeypatch))
    assert len(reply) > 4 * lazy_text.TAIL_CHARS  # so "only the end is cut" below says something
    cid = store_reply(store, reply)
    built: list[LazyText] = []
    original = LazyText.compose

    def compose_and_note(self: LazyText) -> ComposeResult:
        # At compose time (before the first paint) only the end is cut.
        built.append(self)
        assert not self.complete
        assert len(self.text) - self.sections[0].start < 4 * lazy_text.TAIL_CHARS
        return original(self)

    monkeypatch.setattr(LazyText, "compose", compose_and_note)
    app = make_app(offline_settings(), client_factory=offline_client)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(built), "the long reply composed")
        lazy = built[0]
        await until(pilot, lambda: LAST_WORDS in drawn_text(lazy), "the end drawn")
        await until(pilot, lambda: lazy.complete, "the rest cut in the background")
        await settle(app, pilot)
        view = chat(app).view
        assert view.scroll_y == view.max_scroll_y
        assert LAST_WORDS in drawn_text(lazy)
        assert len(lazy.shown_sections) <= 6
        assert "".join(lazy.text[s.start : s.end] for s in lazy.sections) == reply

        view.scroll_home(animate=False, immediate=True)
        await until(pilot, lambda: FIRST_WORDS in drawn_text(lazy), "the start drawn after Home")

        box = view.boxes()[-1]
        box.select()
        await pilot.press("c")
        assert app.clipboard == reply
    assert contained(reply) in conversation_markdown(store.load_conversation(cid))
    assert [hit.conversation_id for hit in store.search_messages(MIDDLE_WORD)] == [cid]


async def test_home_before_the_background_cut_ends_cuts_the_rest_at_once(
    make_app: AppFactory, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    reply = huge_reply(huge_threshold_scaled_down(monkeypatch))
    store_reply(store, reply)
    # The background task never gets to run: only the view going up can finish the cut.
    monkeypatch.setattr(LazyText, "_start_head", lambda self: None)
    app = make_app(offline_settings(), client_factory=offline_client)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        view = chat(app).view
        lazy = view.query_one(LazyText)
        await until(pilot, lambda: LAST_WORDS in drawn_text(lazy), "the end drawn")
        assert not lazy.complete
        view.scroll_home(animate=False, immediate=True)
        await until(pilot, lambda: FIRST_WORDS in drawn_text(lazy), "the start drawn after Home")
        assert lazy.complete
        assert len(lazy.shown_sections) <= 6
        await pilot.press("f3")  # back to the latest output
        await until(pilot, lambda: LAST_WORDS in drawn_text(lazy), "the end drawn after End")


async def test_an_end_inside_a_fence_opened_long_before_is_redrawn_as_code(
    make_app: AppFactory, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fence with no language opened more than the guess window before the end: the end
    # is first cut as prose, then (once the text before it is cut) redrawn inside the fence.
    code = "".join(f"plain line {i}\n\n" for i in range(GUESS_WINDOW // 8))
    reply = huge_reply(huge_threshold_scaled_down(monkeypatch), ending="```\n" + code) + "```\n"
    assert len(code) > GUESS_WINDOW + lazy_text.TAIL_CHARS  # the fence opens outside the guess window
    store_reply(store, reply)
    app = make_app(offline_settings(), client_factory=offline_client)
    async with app.run_test(size=SIZE) as pilot:
        view = chat(app).view
        await until(pilot, lambda: bool(view.query(LazyText)), "the long reply composed")
        lazy = view.query_one(LazyText)
        await until(pilot, lambda: lazy.complete, "the rest cut")
        await settle(app, pilot)
        shown = lazy.shown_sections
        assert shown and shown[-1] == len(lazy.sections) - 1
        # Every drawn section but the very last line is inside the fence: reopened and closed.
        assert all(lazy.sections[i].lead == "```\n" for i in shown)
        assert "".join(lazy.text[s.start : s.end] for s in lazy.sections) == reply
        assert LAST_WORDS in drawn_text(lazy)
        assert view.scroll_y == view.max_scroll_y
