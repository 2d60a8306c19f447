"""A message's handlers are planned once per pair of classes (``textual_compat.cached_handler_lookup``),
and a theme is found by name without copying every theme (``textual_compat.themes_found_without_copies``).

The same handlers run, in the same order, as Textual's own walk of the MRO finds them: handlers by
name and private ``_on_`` ones, ``@on`` handlers with and without selectors (matched against the
message's sender), a plain mixin's handler, a handler reached twice run once, ``prevent_default()``
stopping the walk at the next class, and a handler replaced, added or removed after its plan was
made (a test's monkeypatch) taking effect at the next message.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual import on
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.message_pump import MessagePump
from textual.theme import BUILTIN_THEMES, Theme
from textual.widgets import Button

from liaobots_tui.ui import textual_compat
from tests.ui.conftest import AppFactory, offline_client, offline_settings
from tests.ui.driving import settle, until

pytestmark = pytest.mark.ui


def textuals_own_lookup() -> Any:
    return getattr(MessagePump._get_dispatch_methods, "__wrapped__", MessagePump._get_dispatch_methods)


class Ping(Message):
    """A message of the test's own, sent up from a Leaf."""


class Mixin:
    """A plain mixin (outside Textual's metaclass): its handlers are looked up at each message."""


class Base(Vertical):
    def on_ping(self, message: Ping) -> None:
        self.app.ran.append("Base.on_ping")  # type: ignore[attr-defined]

    @on(Button.Pressed, "#yes")
    def base_pressed_yes(self) -> None:
        self.app.ran.append("Base.pressed #yes")  # type: ignore[attr-defined]


class Panel(Mixin, Base):
    def _on_ping(self, message: Ping) -> None:
        self.app.ran.append("Panel._on_ping")  # type: ignore[attr-defined]
        if self.app.stop_pings:  # type: ignore[attr-defined]
            message.prevent_default()

    @on(Button.Pressed, "#no")
    def pressed_no(self) -> None:
        self.app.ran.append("Panel.pressed #no")  # type: ignore[attr-defined]

    @on(Button.Pressed)
    def pressed_any(self) -> None:
        self.app.ran.append("Panel.pressed any")  # type: ignore[attr-defined]


class Handlers(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.ran: list[str] = []
        self.stop_pings = False

    def compose(self) -> ComposeResult:
        with Panel(id="panel"):
            yield Button("yes", id="yes")
            yield Button("no", id="no")


def lookups(pump: MessagePump, message: Message) -> tuple[list[Any], list[Any]]:
    """(class, function) of each handler, as planned and as Textual's own walk finds them."""
    name = message.handler_name
    planned = [(cls, method.__func__) for cls, method in pump._get_dispatch_methods(name, message)]
    textual = [(cls, method.__func__) for cls, method in textuals_own_lookup()(pump, name, message)]
    return planned, textual


async def test_the_planned_handlers_are_textuals_and_run_in_its_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert textual_compat.cached_handler_lookup()
    assert textual_compat.cached_handler_lookup()  # again: applied once
    app = Handlers()
    async with app.run_test(size=(40, 10)) as pilot:
        panel = app.query_one(Panel)
        for button_id in ("yes", "no"):
            pressed = Button.Pressed(app.query_one(f"#{button_id}", Button))
            planned, textual = lookups(panel, pressed)
            assert planned == textual and planned
        ping = Ping()
        assert lookups(panel, ping)[0] == lookups(panel, ping)[1]

        await pilot.click("#yes")
        await pilot.click("#no")
        await until(pilot, lambda: len(app.ran) == 4, "both presses handled")
        panel.post_message(Ping())
        await until(pilot, lambda: len(app.ran) > 4, "the ping handled")
        assert app.ran == [
            "Panel.pressed any",
            "Base.pressed #yes",
            "Panel.pressed #no",
            "Panel.pressed any",
            "Panel._on_ping",
            "Base.on_ping",
        ]

        app.ran.clear()
        app.stop_pings = True  # prevent_default() in Panel: Base's handler is not reached
        panel.post_message(Ping())
        await until(pilot, lambda: bool(app.ran), "the ping handled")  # its handlers run in one go
        assert app.ran == ["Panel._on_ping"]

        app.stop_pings = False
        app.ran.clear()
        # Replaced, added on a plain mixin, then removed, after the plans were made.
        monkeypatch.setattr(Base, "on_ping", lambda self, message: app.ran.append("patched Base.on_ping"))
        mixin_handler = lambda self, message: app.ran.append("Mixin.on_ping")  # noqa: E731
        monkeypatch.setattr(Mixin, "on_ping", mixin_handler, raising=False)
        panel.post_message(Ping())
        await until(pilot, lambda: bool(app.ran), "the ping handled")
        assert app.ran == ["Panel._on_ping", "Mixin.on_ping", "patched Base.on_ping"]
        assert lookups(panel, Ping())[0] == lookups(panel, Ping())[1]

        app.ran.clear()
        monkeypatch.undo()
        panel.post_message(Ping())
        await until(pilot, lambda: bool(app.ran), "the ping handled")
        assert app.ran == ["Panel._on_ping", "Base.on_ping"]


async def test_the_chat_apps_handlers_are_textuals(make_app: AppFactory) -> None:
    """Every widget of the booted chat screen, for the messages it handled: the same handlers."""
    app = make_app(offline_settings(), client_factory=offline_client)
    plans = MessagePump._get_dispatch_methods.plans  # type: ignore[attr-defined]
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(app, pilot)
        widgets = {type(node): node for node in app.screen.walk_children(with_self=True)}
        compared = 0
        for (pump_type, message_type, name), _ in list(plans.items()):
            pump = widgets.get(pump_type)
            if pump is None or message_type.__init__ is not Message.__init__:
                continue
            message = message_type()
            assert name == message.handler_name or name == "on_idle"
            planned, textual = lookups(pump, message)
            assert planned == textual, (pump_type, message_type)
            compared += 1
        assert compared >= 5


ONLY = Theme("only", primary="#000000")


def test_a_theme_is_found_as_textual_finds_it() -> None:
    assert textual_compat.themes_found_without_copies()
    app = App[None]()
    app.register_theme(Theme("mine", primary="#123456"))
    own = getattr(App.get_theme, "__wrapped__", App.get_theme)
    for name in ("mine", "textual-dark", "nope", "nope, mine", " mine ,textual-dark", "", ","):
        assert app.get_theme(name) is own(app, name), name
    assert app.current_theme is app.get_theme("textual-dark")

    class Fewer(App[None]):
        @property
        def available_themes(self) -> dict[str, Theme]:
            return {"textual-dark": BUILTIN_THEMES["textual-dark"], "only": ONLY}

    fewer = Fewer()
    assert fewer.get_theme("only") is ONLY and fewer.get_theme("mine") is None
