"""A huge stored reply is read from the store from its end: the whole is read after the first paint.

Beside ``test_huge_reply_opens_from_its_end.py`` (which cuts a text already in memory from
its end), the reply here is over the store's lazy-read threshold (scaled down, the path is
the same): before the first paint only about ``TAIL_READ_BYTES`` of its end are read; a
thread reads the whole after it, the end's sections move to their place in it and the head is
cut; going up before then reads it at once; a fence opened long before the end is redrawn
right; copy, export and the next request see the exact whole text.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import ComposeResult

from liaobots_tui.markdown_export import contained, conversation_markdown
from liaobots_tui.store import Store, big_text
from liaobots_tui.ui.text_sections import GUESS_WINDOW
from liaobots_tui.ui.widgets import lazy_text
from liaobots_tui.ui.widgets.lazy_text import LazyText

from .conftest import AppFactory, offline_client, offline_settings
from .driving import chat, settle, until
from .test_huge_reply_opens_from_its_end import (
    FIRST_WORDS,
    LAST_WORDS,
    SIZE,
    drawn_text,
    huge_reply,
    huge_threshold_scaled_down,
    store_reply,
)


def read_from_the_end_scaled_down(monkeypatch: pytest.MonkeyPatch) -> int:
    """Scale the store's and the view's thresholds down; the reply size that takes the stored path."""
    chars = huge_threshold_scaled_down(monkeypatch)
    monkeypatch.setattr(big_text, "DEFER_BYTES", chars // 2)
    monkeypatch.setattr(big_text, "PIECE_BYTES", 7_000)
    monkeypatch.setattr(lazy_text, "TAIL_READ_BYTES", 3 * lazy_text.TAIL_CHARS)
    return chars


def note_composed(monkeypatch: pytest.MonkeyPatch) -> list[LazyText]:
    built: list[LazyText] = []
    original = LazyText.compose

    def compose_and_note(self: LazyText) -> ComposeResult:
        # At compose time (before the first paint) the store has given only the end.
        stored = self._stored
        assert stored is not None and not stored.loaded
        assert len(self.text.encode()) <= lazy_text.TAIL_READ_BYTES
        built.append(self)
        return original(self)

    monkeypatch.setattr(LazyText, "compose", compose_and_note)
    return built


async def test_only_the_end_is_read_before_the_first_paint_and_the_whole_after(
    make_app: AppFactory, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    reply = huge_reply(read_from_the_end_scaled_down(monkeypatch))
    cid = store_reply(store, reply)
    built = note_composed(monkeypatch)
    app = make_app(offline_settings(), client_factory=offline_client)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(built), "the long reply composed")
        lazy = built[0]
        await until(pilot, lambda: LAST_WORDS in drawn_text(lazy), "the end drawn")
        await until(pilot, lambda: lazy.complete, "the whole read and cut in the background")
        await settle(app, pilot)
        view = chat(app).view
        assert view.scroll_y == view.max_scroll_y
        assert LAST_WORDS in drawn_text(lazy)
        assert lazy.text == reply
        assert "".join(lazy.text[s.start : s.end] for s in lazy.sections) == reply

        view.scroll_home(animate=False, immediate=True)
        await until(pilot, lambda: FIRST_WORDS in drawn_text(lazy), "the start drawn after Home")

        box = view.boxes()[-1]
        box.select()
        await pilot.press("c")
        assert app.clipboard == reply
        assert chat(app).controller.messages[-1].text == reply  # what the next request sends
    assert contained(reply) in conversation_markdown(store.load_conversation(cid))


async def test_home_before_the_whole_is_read_reads_it_at_once(
    make_app: AppFactory, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    reply = huge_reply(read_from_the_end_scaled_down(monkeypatch))
    store_reply(store, reply)
    built = note_composed(monkeypatch)
    # The background read never starts: only the view going up can read the rest.
    monkeypatch.setattr(LazyText, "_start_head", lambda self: None)
    app = make_app(offline_settings(), client_factory=offline_client)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(built), "the long reply composed")
        lazy = built[0]
        await until(pilot, lambda: LAST_WORDS in drawn_text(lazy), "the end drawn")
        await settle(app, pilot)
        assert not lazy.complete and lazy.text != reply
        view = chat(app).view
        view.scroll_home(animate=False, immediate=True)
        await until(pilot, lambda: FIRST_WORDS in drawn_text(lazy), "the start drawn after Home")
        assert lazy.complete and lazy.text == reply
        assert len(lazy.shown_sections) <= 6
        await pilot.press("f3")  # back to the latest output
        await until(pilot, lambda: LAST_WORDS in drawn_text(lazy), "the end drawn after End")


async def test_copy_before_the_whole_is_read_copies_it_whole(
    make_app: AppFactory, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    reply = huge_reply(read_from_the_end_scaled_down(monkeypatch))
    store_reply(store, reply)
    built = note_composed(monkeypatch)
    monkeypatch.setattr(LazyText, "_start_head", lambda self: None)
    app = make_app(offline_settings(), client_factory=offline_client)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(built), "the long reply composed")
        await settle(app, pilot)
        box = chat(app).view.boxes()[-1]
        box.select()
        await pilot.press("c")
        assert app.clipboard == reply


async def test_an_end_inside_a_fence_opened_long_before_is_redrawn_as_code(
    make_app: AppFactory, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = "".join(f"plain line {i}\n\n" for i in range(GUESS_WINDOW // 8))
    reply = huge_reply(read_from_the_end_scaled_down(monkeypatch), ending="```\n" + code) + "```\n"
    assert len(code) > GUESS_WINDOW + lazy_text.TAIL_READ_BYTES  # opened before all that was read
    store_reply(store, reply)
    built = note_composed(monkeypatch)
    app = make_app(offline_settings(), client_factory=offline_client)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(built), "the long reply composed")
        lazy = built[0]
        await until(pilot, lambda: lazy.complete, "the whole read and cut")
        await settle(app, pilot)
        shown = lazy.shown_sections
        assert shown and shown[-1] == len(lazy.sections) - 1
        assert all(lazy.sections[i].lead == "```\n" for i in shown)
        assert "".join(lazy.text[s.start : s.end] for s in lazy.sections) == reply
        assert LAST_WORDS in drawn_text(lazy)
        assert chat(app).view.scroll_y == chat(app).view.max_scroll_y


async def test_an_end_read_first_that_the_whole_does_not_end_with_is_cut_again(
    make_app: AppFactory, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if another process rewrote the reply between the two reads: the end drawn first is
    # not how the whole text ends, so the whole's own end replaces it.
    reply = huge_reply(read_from_the_end_scaled_down(monkeypatch))
    store_reply(store, reply)
    stale = "Stale closing words from before"
    original = big_text.StoredText.tail
    monkeypatch.setattr(
        big_text.StoredText, "tail", lambda self, size: original(self, size - 100) + stale + ".\n"
    )
    built = note_composed(monkeypatch)
    app = make_app(offline_settings(), client_factory=offline_client)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(built), "the long reply composed")
        lazy = built[0]
        await until(pilot, lambda: stale in drawn_text(lazy), "the end read first drawn")
        await until(pilot, lambda: lazy.complete, "the whole read and cut")
        await until(pilot, lambda: LAST_WORDS in drawn_text(lazy), "the whole's end drawn")
        await settle(app, pilot)
        assert stale not in drawn_text(lazy)
        assert "".join(lazy.text[s.start : s.end] for s in lazy.sections) == reply
        view = chat(app).view
        view.scroll_home(animate=False, immediate=True)
        await until(pilot, lambda: FIRST_WORDS in drawn_text(lazy), "the start drawn after Home")


async def test_end_pressed_before_the_view_is_kept_in_place_stays_at_the_end(
    make_app: AppFactory, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """End (F3) pressed after Home, before the sections Home drew were laid out, wins.

    Home draws the first sections and, once the layout takes them, keeps the one it jumped to
    at its row. On a loaded machine End could come in between: the late keep-in-place then
    scrolled the view back up, away from the end it had just followed.
    """
    reply = huge_reply(read_from_the_end_scaled_down(monkeypatch))
    store_reply(store, reply)
    built = note_composed(monkeypatch)
    monkeypatch.setattr(LazyText, "_start_head", lambda self: None)
    pressed_end: list[bool] = []
    keep_in_place = LazyText._keep_in_place

    def end_first(self: LazyText, *args: Any, **kwargs: Any) -> None:
        if not pressed_end:
            pressed_end.append(True)
            chat(app).view.scroll_to_latest()  # as F3 does
        keep_in_place(self, *args, **kwargs)

    app = make_app(offline_settings(), client_factory=offline_client)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(built), "the long reply composed")
        lazy = built[0]
        await until(pilot, lambda: LAST_WORDS in drawn_text(lazy), "the end drawn")
        await settle(app, pilot)
        monkeypatch.setattr(LazyText, "_keep_in_place", end_first)
        view = chat(app).view
        view.scroll_home(animate=False, immediate=True)
        await until(pilot, lambda: bool(pressed_end), "a keep-in-place after Home")
        await until(pilot, lambda: LAST_WORDS in drawn_text(lazy), "the end drawn after End")
        await settle(app, pilot)
        assert view.scroll_y == view.max_scroll_y
        assert LAST_WORDS in drawn_text(lazy)
