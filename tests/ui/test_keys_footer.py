"""KeysFooter rebuilds its keys only when what it shows changes (focus moves alone do not)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Button, Input
from textual.widgets._footer import FooterKey  # not exported by textual.widgets

from liaobots_tui.ui.widgets.keys_footer import KeysFooter
from tests.ui.driving import settle, until

pytestmark = pytest.mark.ui


class SaveInput(Input):
    """A field with a key of its own: focusing it changes what the footer lists."""

    BINDINGS = [Binding("ctrl+s", "save", "Save")]


class FooterApp(App[None]):
    BINDINGS = [Binding("f2", "two", "Two"), Binding("f3", "three", "Three")]

    def __init__(self) -> None:
        super().__init__()
        self.three_enabled = True

    def compose(self) -> ComposeResult:
        yield Input(id="first")
        yield Input(id="second")
        yield Button("plain", id="button")
        yield SaveInput(id="save")
        yield KeysFooter()

    def action_two(self) -> None:
        pass

    def action_three(self) -> None:
        pass

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # "Three" shows as disabled while three_enabled is False: an enabled state that changes.
        return None if action == "three" and not self.three_enabled else True


def footer_labels(app: App[Any]) -> list[tuple[str, bool]]:
    return [(key.description, key.has_class("-disabled")) for key in app.query(FooterKey)]


async def test_focus_moves_with_the_same_keys_keep_the_footer_and_changed_keys_rebuild_it() -> None:
    app = FooterApp()
    async with app.run_test(size=(80, 10)) as pilot:
        await until(pilot, lambda: bool(app.query(FooterKey)), "the footer's keys")
        await settle(app, pilot)
        shown = list(app.query(FooterKey))
        assert [label for label, _ in footer_labels(app)] == ["Two", "Three", "palette"]

        # Same keys: the footer's key widgets are the very same ones, not rebuilt.
        app.query_one("#second").focus()
        await settle(app, pilot)
        app.query_one("#button").focus()
        await settle(app, pilot)
        assert list(app.query(FooterKey)) == shown

        # A focused widget with its own key: the footer lists it.
        app.query_one("#save").focus()
        await until(pilot, lambda: "Save" in [label for label, _ in footer_labels(app)], "Save listed")
        assert [label for label, _ in footer_labels(app)] == ["Save", "Two", "Three", "palette"]

        # Back: the key goes away again.
        app.query_one("#first").focus()
        await until(pilot, lambda: "Save" not in [label for label, _ in footer_labels(app)], "Save gone")

        # Only the enabled state changes: the footer shows the keys disabled.
        app.three_enabled = False
        app.refresh_bindings()
        await until(pilot, lambda: ("Three", True) in footer_labels(app), "Three disabled")
        assert footer_labels(app)[:2] == [("Two", False), ("Three", True)]
