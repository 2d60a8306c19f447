"""Which sidebars show at a terminal width, and the user's own choice overriding that.

Both sidebars open at 100 columns left about 34 for the conversation, so each
sidebar has a width below which it folds away by itself; it comes back when the
terminal grows. Once the user shows or hides one (F9, F10, ctrl+l), that choice
holds for the rest of the session, whatever the width, and is remembered for the
next run (the config keys ``show_chats`` / ``show_credits``): a sidebar closed last
time starts closed; one open last time starts open where the width allows it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from liaobots_tui.config import Settings, update_setting

Sidebar = Literal["chats", "credits"]

#: Below these terminal widths a sidebar is hidden unless the user asked for it this session.
MIN_WIDTH: dict[Sidebar, int] = {"chats": 120, "credits": 90}

#: The chats list's width by terminal width (from that many columns up): titles get room when there is some.
CHATS_WIDTHS: tuple[tuple[int, int], ...] = ((0, 28), (120, 32), (160, 38), (200, 44))


def chats_width(terminal_width: int) -> int:
    """Columns for the chats list on a terminal ``terminal_width`` wide."""
    return max(width for start, width in CHATS_WIDTHS if terminal_width >= start)


#: The config key each sidebar's last choice is saved under.
CONFIG_KEY: dict[Sidebar, str] = {"chats": "show_chats", "credits": "show_credits"}

#: Saves a sidebar's choice for the next run (the app's config writer); may raise.
Remember = Callable[[Sidebar, bool], None]


class SidebarPolicy:
    """The user's choices (this session's and the last run's); otherwise the terminal width."""

    def __init__(
        self, remembered: dict[Sidebar, bool] | None = None, remember: Remember | None = None
    ) -> None:
        #: Chosen in this session: holds at any width.
        self.chosen: dict[Sidebar, bool] = {}
        #: Chosen in an earlier run: closed stays closed, open still folds on a narrow terminal.
        self.remembered: dict[Sidebar, bool] = dict(remembered or {})
        self._remember = remember

    def visible(self, sidebar: Sidebar, width: int) -> bool:
        if sidebar in self.chosen:
            return self.chosen[sidebar]
        if width < MIN_WIDTH[sidebar]:
            return False
        return self.remembered.get(sidebar, True)

    def choose(self, sidebar: Sidebar, visible: bool) -> None:
        """The user showed or hid ``sidebar``: it stays so now, and is saved for the next run."""
        self.chosen[sidebar] = visible
        if self.remembered.get(sidebar) != visible:
            self.remembered[sidebar] = visible
            if self._remember is not None:
                self._remember(sidebar, visible)


def remembered_sidebars(settings: Settings) -> dict[Sidebar, bool]:
    """The choices saved by an earlier run (the sidebars never chosen are left to the width)."""
    saved: dict[Sidebar, bool | None] = {"chats": settings.show_chats, "credits": settings.show_credits}
    return {sidebar: shown for sidebar, shown in saved.items() if shown is not None}


def save_sidebar(settings: Settings, config_path: Path, sidebar: Sidebar, visible: bool) -> None:
    """Write one sidebar's choice to the config file (keeping the rest of it as written)."""
    update_setting(CONFIG_KEY[sidebar], visible, path=config_path)
    if sidebar == "chats":
        settings.show_chats = visible
    else:
        settings.show_credits = visible
