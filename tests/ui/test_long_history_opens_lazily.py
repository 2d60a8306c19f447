"""Opening history costs a screen, not the text: a huge stored reply, a long chats list.

A chat that holds a multi-megabyte reply opens at its end with a bounded number of
widgets; Home shows its start and End its end again; copy and export still give the
whole text. A history of 1,000 chats lists the newest first, a page at a time.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from liaobots_tui.api.messages import Message, TextPart
from liaobots_tui.markdown_export import contained, conversation_markdown
from liaobots_tui.store import Store
from liaobots_tui.ui.screens.chat_base import LIST_PAGE
from liaobots_tui.ui.text_sections import SECTION_CHARS
from liaobots_tui.ui.widgets import lazy_text
from liaobots_tui.ui.widgets.lazy_text import LazyText

from .conftest import AppFactory, offline_client, offline_settings
from .driving import chat, settle, until

SIZE = (100, 30)

#: Long prose per part: what the lazy view is about is how many widgets a screen costs, and
#: each Markdown block is a few widgets, so few blocks per section keep the test cheap.
SECTION = (
    "## Part {n}\n\n"
    + "Prose for part {n}: the reader keeps reading, **bold** and `code`. " * 6
    + "\n\n```python\nvalue = {n}\n```\n\n- item one\n- item two\n\n"
)
FIRST_WORDS = "The opening words are aardvark"
LAST_WORDS = "The closing words are zebra"


def huge_reply(chars: int) -> str:
    parts, size, n = [FIRST_WORDS + ".\n\n"], 0, 0
    while size < chars:
        part = SECTION.format(n=n)
        parts.append(part)
        size += len(part)
        n += 1
    parts.append(LAST_WORDS + ".\n")
    return "".join(parts)


def drawn_text(lazy: LazyText) -> str:
    return "".join(lazy.sections[i].source(lazy.text) for i in lazy.shown_sections)


async def test_a_huge_reply_opens_at_its_end_with_a_bounded_number_of_widgets(
    make_app: AppFactory, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The huge-text path (end cut first, the rest in the background) with its thresholds
    # scaled down, so a reply of a few dozen sections takes it rather than 600 kB: the
    # cost of this test was parsing and exporting the text, not what it proves.
    monkeypatch.setattr(lazy_text, "TAIL_FIRST_CHARS", 8 * SECTION_CHARS)
    monkeypatch.setattr(lazy_text, "TAIL_CHARS", 2 * SECTION_CHARS)
    reply = huge_reply(lazy_text.TAIL_FIRST_CHARS + 8 * SECTION_CHARS)
    cid = store.create_conversation(title="huge")
    store.add_messages(
        cid,
        [Message("user", [TextPart("Write a lot")]), Message("assistant", [TextPart(reply)], model="m")],
    )
    app = make_app(offline_settings(), client_factory=offline_client)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        view = chat(app).view
        lazy = view.query_one(LazyText)
        # The sections before the end are cut in the background, a moment after the first paint.
        await until(pilot, lambda: lazy.complete, "the whole reply cut")
        assert len(lazy.sections) > 2 * 6  # many more sections than may be widgets at once
        # The end is what shows first, and only a few sections are widgets.
        await until(pilot, lambda: LAST_WORDS in drawn_text(lazy), "the end drawn")
        assert view.scroll_y == view.max_scroll_y
        assert len(lazy.shown_sections) <= 6
        widgets_at_end = len(list(lazy.walk_children()))

        # Home: the start of the reply is drawn (the user message above it too).
        view.scroll_home(animate=False, immediate=True)
        await until(pilot, lambda: FIRST_WORDS in drawn_text(lazy), "the start drawn after Home")
        assert len(lazy.shown_sections) <= 6
        assert len(list(lazy.walk_children())) < 3 * widgets_at_end

        # Scrolling down a little walks on from there (no jump elsewhere in the text).
        first_before = lazy.shown_sections[0]
        for _ in range(2):
            view.scroll_to(y=view.scroll_y + 20, animate=False, immediate=True)
            await settle(app, pilot)
        assert lazy.shown_sections[0] - first_before <= 4

        # End: back to the last words.
        await pilot.press("f3")  # scroll to the latest output
        await until(pilot, lambda: LAST_WORDS in drawn_text(lazy), "the end drawn after End")

        # Copy gives the whole reply, not what is drawn.
        box = view.boxes()[-1]
        box.select()
        await pilot.press("c")
        assert app.clipboard == reply
    exported = conversation_markdown(store.load_conversation(cid))
    assert contained(reply) in exported  # its headings sit below the turn headings


async def test_a_huge_pasted_prompt_is_shown_lazily_as_plain_text(make_app: AppFactory, store: Store) -> None:
    prompt = "".join(f"[b]log line {i}[/b]\n" for i in range(10_000)) + "END OF LOG"
    cid = store.create_conversation(title="log")
    store.add_messages(cid, [Message("user", [TextPart(prompt)]), Message("assistant", [TextPart("ok")])])
    app = make_app(offline_settings(), client_factory=offline_client)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        view = chat(app).view
        lazy = view.query_one(LazyText)
        assert not lazy.markdown
        view.scroll_home(animate=False, immediate=True)
        await until(pilot, lambda: "[b]log line 0[/b]" in drawn_text(lazy), "the start drawn")
        assert len(lazy.shown_sections) <= 6


async def test_a_thousand_chats_list_newest_first_a_page_at_a_time(
    make_app: AppFactory, store: Store
) -> None:
    for n in range(1000):
        cid = store.create_conversation(title=f"chat {n}")
        store.add_messages(cid, [Message("user", [TextPart(f"question {n}")])])
    app = make_app(offline_settings(), client_factory=offline_client)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        chats = chat(app).chats
        assert len(chats.ids) == LIST_PAGE
        assert chats.total == 1000
        titles = [store.load_conversation(i).title for i in chats.ids[:3]]
        assert titles == ["chat 999", "chat 998", "chat 997"]
        # Moving to the end of the page loads the next (older) one.
        chats.option_list.focus()
        chats.option_list.highlighted = LIST_PAGE - 1
        await until(pilot, lambda: len(chats.ids) == 2 * LIST_PAGE, "the second page")
        assert store.load_conversation(chats.ids[LIST_PAGE]).title == f"chat {999 - LIST_PAGE}"
