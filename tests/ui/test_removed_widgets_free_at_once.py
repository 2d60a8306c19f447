"""A reply's removed widgets are freed by reference counting, not left for the cyclic collector.

Each Textual widget is a cycle through its own styles (and its component classes' virtual
nodes, and its box-model cache's ring), each layout pass a cycle holding every widget it
placed, and Markdown parses blocks it never mounts (table cells, list items, the last block
re-parsed at each append). Left so, a long reply's collection scanned 60,000+ dead objects.
These tests run with the collector off and look at what a pass *would* find
(``gc.DEBUG_SAVEALL``): no widget, no box model.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from textual.app import App, ComposeResult
from textual.box_model import BoxModel
from textual.cache import LRUCache
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.widgets import Markdown, Static

from liaobots_tui.ui.textual_compat import (
    arrangements_without_cycles,
    removed_widgets_free_at_once,
    small_box_model_caches,
    strips_without_self_cycles,
)
from liaobots_tui.ui.widgets.markdown_column import MarkdownColumn, PieceMarkdown
from tests.ui.driving import until

RICH = (
    "# Title\n\nSome *text* with `code` and a [link](https://example.com).\n\n"
    "- one\n- two\n  - nested\n\n1. first\n2. second\n\n"
    "```python\nx = 1\n```\n\n> quoted\n\n| a | b |\n|---|---|\n| 1 | 2 |\n| 3 | 4 |\n"
)


class _Host(App[None]):
    def compose(self) -> ComposeResult:
        yield VerticalScroll(Static("top"), id="host")


@pytest.fixture
def collector_restored() -> Iterator[None]:
    """The collector as the test found it afterwards (tests turn it off: see collector_off)."""
    for applied in (removed_widgets_free_at_once, arrangements_without_cycles, strips_without_self_cycles):
        assert applied()
    small_box_model_caches()
    enabled = gc.isenabled()
    try:
        yield
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if enabled:
            gc.enable()


def collector_off() -> None:
    """From here nothing may free a cycle behind the test's back. What mounting left in cycles
    (events, awaitables: young garbage a young pass frees in the app) is collected first."""
    gc.collect()
    gc.disable()


def cyclic_garbage() -> list[object]:
    """What a collection would find unreachable now (then freed)."""
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
    finally:
        gc.set_debug(0)
    found = list(gc.garbage)
    gc.garbage.clear()
    return found


def applied_twice() -> None:
    assert removed_widgets_free_at_once() and removed_widgets_free_at_once()
    assert arrangements_without_cycles() and arrangements_without_cycles()


def test_applied_once_on_this_textual() -> None:
    applied_twice()


@pytest.mark.usefixtures("collector_restored")
async def test_a_removed_markdown_widget_is_freed_without_a_collection() -> None:
    app = _Host()
    async with app.run_test(size=(60, 30)) as pilot:
        host = app.query_one("#host", VerticalScroll)
        markdown = Markdown(RICH)
        await host.mount(markdown)
        await until(pilot, lambda: bool(host.query("MarkdownTable")), "drawn")
        await pilot.pause()
        made = [weakref.ref(node) for node in markdown.walk_children(with_self=True)]
        assert len(made) > 15
        collector_off()
        await markdown.remove()
        del markdown
        host.mount(Static("below"))  # a new layout: the old maps go
        await pilot.pause()
        await until(pilot, lambda: all(ref() is None for ref in made), "every removed widget freed")
        garbage = cyclic_garbage()
        assert [o for o in garbage if isinstance(o, DOMNode)] == []
        assert [o for o in garbage if isinstance(o, BoxModel)] == []


@pytest.mark.usefixtures("collector_restored")
async def test_a_streamed_reply_leaves_no_widget_for_the_collector() -> None:
    # The live piece re-parses its last block at each append (blocks never mounted), lists
    # grow by their last rows, tables by their cells; pieces are replaced and removed.
    app = _Host()
    async with app.run_test(size=(60, 30)) as pilot:
        host = app.query_one("#host", VerticalScroll)
        column = MarkdownColumn(streaming=True)
        await host.mount(column)
        await pilot.pause()
        collector_off()
        for line in RICH.splitlines(keepends=True) * 3:
            column.append(line)
            await column.flush()
            await pilot.pause()
        await column.finish()
        await pilot.pause()
        assert column.text == RICH * 3
        pieces = [weakref.ref(piece) for piece in column.query(PieceMarkdown)]
        await column.remove()
        del column
        host.mount(Static("below"))
        await pilot.pause()
        await until(pilot, lambda: all(ref() is None for ref in pieces), "the pieces freed")
        garbage = cyclic_garbage()
        assert [type(o).__name__ for o in garbage if isinstance(o, DOMNode)] == []


@pytest.mark.usefixtures("collector_restored")
async def test_a_removed_widget_s_caches_are_emptied_and_the_shown_ones_kept() -> None:
    app = _Host()
    async with app.run_test(size=(60, 30)) as pilot:
        host = app.query_one("#host", VerticalScroll)
        gone, kept = Static("gone"), Static("kept")
        await host.mount(gone, kept)
        await pilot.pause()
        collector_off()
        cache = gone._box_model_cache
        assert isinstance(cache, LRUCache) and len(cache)
        await gone.remove()
        assert len(cache) == 0
        assert gone.styles.node is None or gone.styles.node is gone  # a RenderStyles: weak, harmless
        # The widgets still shown are untouched: they restyle and lay out as before.
        kept.styles.height = 3
        await pilot.pause()
        assert kept.region.height == 3
        assert kept._css_styles.node is kept
