"""The app's preset picker (the palette; offered by ctrl+n): fills the chat's settings from a preset.

Presets are read fresh each time (a file edited meanwhile counts); a file that cannot be
read is one notification naming it, and the good ones are still offered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from liaobots_tui.presets import Preset, apply_preset, list_presets, user_presets_dir
from liaobots_tui.ui.screens.dialogs import ListPickerModal

if TYPE_CHECKING:
    from liaobots_tui.ui.screens.chat_base import ChatScreenBase


def preset_label(preset: Preset) -> str:
    """``code-review — Careful code review · claude-sonnet-4-6``."""
    bits = [preset.description or "(no description)"]
    if preset.model:
        bits.append(preset.model)
    return f"{preset.name} — {' · '.join(bits)}"


def offer_on_new_chat(screen: ChatScreenBase, after: Callable[[], None]) -> None:
    """A new chat offers the presets when the user has made some (shipped ones alone never nag)."""
    directory = user_presets_dir()
    if directory.is_dir() and any(directory.glob("*.toml")):
        pick_preset(screen, after, title="New chat: start from a preset? (Esc: defaults)")


def pick_preset(screen: ChatScreenBase, after: Callable[[], None], title: str = "Use a preset") -> None:
    """Offer the presets; the chosen one fills ``screen``'s chat settings, then ``after`` runs (status)."""
    presets, problems = list_presets()
    for problem in problems:
        screen.notify(problem.message, title="Preset not usable", severity="error", timeout=8)
    if not presets:
        screen.notify(f"No presets yet: add NAME.toml files in {user_presets_dir()}", timeout=6)
        return

    def done(index: int | None) -> None:
        screen.prompt.focus()
        if index is None:
            return
        chosen = presets[index]
        with screen.guard("use the preset"):  # a refused format or a failed save: one toast
            notice = apply_preset(screen.controller, chosen)
            screen.notify(notice or f"Preset {chosen.name}: {screen.controller.settings.model}", timeout=4)
        after()

    screen.app.push_screen(ListPickerModal(title, [preset_label(p) for p in presets]), done)
