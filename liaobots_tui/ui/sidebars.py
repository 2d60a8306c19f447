"""Which sidebars show at a terminal width, and the user's own choice overriding that.

Both sidebars open at 100 columns left about 34 for the conversation, so each
sidebar has a width below which it folds away by itself; it comes back when the
terminal grows. Once the user shows or hides one (F9, F10, ctrl+l), that choice
holds for the rest of the session, whatever the width.
"""

from __future__ import annotations

from typing import Literal

Sidebar = Literal["chats", "credits"]

#: Below these terminal widths a sidebar is hidden unless the user asked for it.
MIN_WIDTH: dict[Sidebar, int] = {"chats": 120, "credits": 90}


class SidebarPolicy:
    """Remembers the user's explicit choices; otherwise follows the terminal width."""

    def __init__(self) -> None:
        self.chosen: dict[Sidebar, bool] = {}

    def visible(self, sidebar: Sidebar, width: int) -> bool:
        if sidebar in self.chosen:
            return self.chosen[sidebar]
        return width >= MIN_WIDTH[sidebar]

    def choose(self, sidebar: Sidebar, visible: bool) -> None:
        self.chosen[sidebar] = visible
