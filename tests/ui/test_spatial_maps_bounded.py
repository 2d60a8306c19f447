"""A tall container's spatial map keeps a bounded number of tiles, and what it shows is unchanged.

Textual's 20-row tiles made the chat's map grow by ~400 tiles a long reply (see
textual_compat.spatial_maps_bounded); bounded, the tiles grow taller instead.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from liaobots_tui.ui import textual_compat


class Tall(App[None]):
    """A few very tall children (as replies in a chat) and, below, many short ones."""

    CSS = ".tall { height: 3000; } .short { height: 3; }"

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="chat"):
            for number in range(5):
                yield Static(f"reply {number}", classes="tall", id=f"reply-{number}")
        with VerticalScroll(id="list"):
            for number in range(300):
                yield Static(f"line {number}", classes="short", id=f"line-{number}")


def _map_rows(container: Widget) -> tuple[int, int]:
    """(rows of tiles, tile height) of the spatial map of the container's current arrangement."""
    (arrangement,) = [a for a in container._arrangement_cache._cache.values() if a._spatial_map]
    spatial_map = arrangement._spatial_map
    assert spatial_map is not None
    return len({y for _x, y in spatial_map._map}), spatial_map._grid_size[1]


def _visible(app: Tall, container: Widget) -> list[str]:
    """The children drawn in the container's rows, top to bottom (each once)."""
    region = container.region
    shown = [app.screen.get_widget_at(region.x + 1, y)[0] for y in range(region.y, region.bottom)]
    return list(dict.fromkeys(str(widget.id) for widget in shown if widget.parent is container))


async def test_a_tall_container_keeps_few_tiles_and_shows_what_it_did() -> None:
    assert textual_compat.spatial_maps_bounded() and textual_compat.spatial_maps_bounded()
    app = Tall()
    async with app.run_test(size=(80, 24)) as pilot:
        chat = app.query_one("#chat", VerticalScroll)
        short = app.query_one("#list", VerticalScroll)
        await pilot.pause()
        # 15,000 rows: Textual's tiles would make 750 rows of them.
        rows, height = _map_rows(chat)
        assert rows <= textual_compat.SPATIAL_MAP_ROWS and height > 20
        assert _visible(app, chat) == ["reply-0"]
        # Scrolled into the middle of one reply, across a boundary, and to the end: the
        # widgets shown are the ones under the window.
        for y, expected in ((7_500, ["reply-2"]), (8_995, ["reply-2", "reply-3"]), (20_000, ["reply-4"])):
            chat.scroll_to(y=y, animate=False)
            await pilot.pause()
            assert _visible(app, chat) == expected, y
        # 900 rows of 300 children: Textual's own 20-row tiles.
        rows, height = _map_rows(short)
        assert height == 20
        short.scroll_to(y=450, animate=False)
        await pilot.pause()
        assert "line-150" in _visible(app, short)
