"""The memory release drops the spatial maps of containers off screen; they come back when shown."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from liaobots_tui.ui import textual_compat
from liaobots_tui.ui.memory_release import live_nodes


class TallChat(App[None]):
    CSS = "Vertical { height: auto; } Static { height: 3; }"

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            for reply in range(3):
                with Vertical(id=f"reply-{reply}"):
                    for line in range(60):
                        yield Static(f"reply {reply} line {line}")


def _tiles(container: Vertical) -> int | None:
    """Tiles of the spatial maps in the container's cached arrangements (None: no map)."""
    maps = [a._spatial_map for a in container._arrangement_cache._cache.values() if a._spatial_map]
    return sum(len(m._map) for m in maps) if maps else None


async def test_only_maps_off_screen_go_and_a_container_scrolled_back_is_drawn_again() -> None:
    app = TallChat()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        first, last = app.query_one("#reply-0", Vertical), app.query_one("#reply-2", Vertical)
        app.query_one(VerticalScroll).scroll_end(animate=False)
        await pilot.pause()
        assert _tiles(first) and _tiles(last)  # both were looked into: the first before scrolling
        screen = app.screen.region
        assert not first.region.overlaps(screen) and last.region.overlaps(screen)

        dropped = textual_compat.forget_offscreen_spatial_maps(live_nodes(app))

        assert dropped > 0
        assert _tiles(first) is None  # off screen: its map went
        assert _tiles(last)  # on screen: kept
        app.query_one(VerticalScroll).scroll_home(animate=False)
        await pilot.pause()
        # Scrolled back: laid out and drawn from a map built again.
        assert first.region.overlaps(app.screen.region)
        assert app.query_one("#reply-0 Static").region.overlaps(app.screen.region)
        assert _tiles(first)
