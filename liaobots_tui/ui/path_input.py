"""PathInput: a one-line input for a file path where Tab completes like a shell.

The inline suggestion (dim, after the cursor) shows the first match; Tab
completes as far as every match agrees, and lists the matches when it cannot go
further, so "(Tab completes)" in a dialog is true instead of moving the focus to
the dialog's buttons.
"""

from __future__ import annotations

import os

from textual.binding import Binding
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import Input

#: How many candidates a Tab that cannot complete names in its hint.
SHOWN_CANDIDATES = 8


def path_candidates(value: str) -> tuple[str, list[str]]:
    """The directory part of ``value`` as typed, and the names in it that extend its last part.

    Hidden files are offered only when the typed part starts with a dot; a
    directory's name ends with the separator, so completing it goes on inside.
    """
    expanded = os.path.expanduser(value)
    directory, prefix = os.path.split(expanded)
    typed_directory = value[: len(value) - len(prefix)]
    try:
        names = sorted(os.listdir(directory or "."))
    except OSError:
        return typed_directory, []
    matches: list[str] = []
    for name in names:
        if not name.startswith(prefix) or (name.startswith(".") and not prefix.startswith(".")):
            continue
        full = os.path.join(directory, name)
        try:
            is_dir = os.path.isdir(full)
        except OSError:
            is_dir = False
        matches.append(name + (os.sep if is_dir else ""))
    return typed_directory, matches


def complete_path(value: str) -> tuple[str, list[str]]:
    """``value`` completed as far as all matches agree, and the matches (empty: nothing fits)."""
    typed_directory, matches = path_candidates(value)
    if not matches:
        return value, []
    common = os.path.commonprefix(matches)
    completed = typed_directory + common
    return (completed if len(completed) > len(value) else value), matches


class PathSuggester(Suggester):
    """Completes the last component of a file path (like a shell's Tab, shown inline)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        if not value or value.endswith(os.sep + os.sep):
            return None
        typed_directory, matches = path_candidates(value)
        prefix_length = len(value) - len(typed_directory)
        for name in matches:
            if len(name) > prefix_length:
                return typed_directory + name
        return None


class PathInput(Input):
    """An Input for a path: Tab completes it (shift+tab still moves the focus back)."""

    BINDINGS = [Binding("tab", "complete", "Complete the path", show=False)]

    class Ambiguous(Message):
        """Tab could not complete further: ``candidates`` are the names it could go on with."""

        def __init__(self, candidates: list[str]) -> None:
            super().__init__()
            self.candidates = candidates

    def __init__(self, value: str = "", *, placeholder: str = "", id: str | None = None) -> None:
        super().__init__(value, placeholder=placeholder, id=id, suggester=PathSuggester())

    def action_complete(self) -> None:
        completed, matches = complete_path(self.value)
        if completed != self.value:
            self.value = completed
            self.cursor_position = len(completed)
        if not matches:
            self.app.bell()
        self.post_message(self.Ambiguous(matches if len(matches) > 1 else []))
