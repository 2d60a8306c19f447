"""The theme picker (palette → Theme): the three liaobots themes first, then the others by name.

Textual's own theme list is alphabetical, which buries ours among some twenty
built-in themes. Names are shown as plain text: a user's theme file may hold any name.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Provider

from liaobots_tui.ui.plain import highlighted, plain_line

#: The themes shipped with the app, in the order the picker lists them.
OURS = ("liaobots-dark", "liaobots-light", "liaobots-high-contrast")


def theme_order(names: Iterable[str]) -> list[str]:
    """Ours first (in :data:`OURS` order), then every other theme by name."""
    present = set(names)
    return [n for n in OURS if n in present] + sorted(present.difference(OURS))


class ThemeCommands(Provider):
    """One entry per available theme; choosing it switches the app to it (and the app saves it)."""

    def _names(self) -> list[str]:
        return theme_order(self.app.available_themes)

    def _use(self, name: str) -> None:
        self.app.theme = name

    async def discover(self) -> Hits:
        for name in self._names():
            yield DiscoveryHit(plain_line(name), partial(self._use, name), text=name)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name in self._names():
            if (score := matcher.match(name)) > 0:
                yield Hit(score, highlighted(matcher, name), partial(self._use, name), text=name)


def theme_palette() -> CommandPalette:
    """The picker itself, as ``App.search_themes`` builds Textual's own."""
    return CommandPalette(providers=[ThemeCommands], placeholder="Search for themes…")
