"""What happens between ``liaobots`` and the first chat on screen, and nothing more than that.

- the garbage collector is held while the app starts and runs again once the first chat
  (or setup) is on screen, whatever happens in between;
- the chat screen is drawn once its messages are in: no frame of it is rendered without them;
- widgets are made with their classes (footer keys' style, a message's status, the credits
  sidebar shown) so that mounting them restyles nothing.

(The start-up time itself is measured by bench/app_startup.py, never asserted here.)
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from typing import Any

import pytest
from textual._compositor import Compositor
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.dom import DOMNode
from textual.widgets import Static
from textual.widgets._footer import FooterKey  # not exported by textual.widgets

from liaobots_tui.api.messages import Message, TextPart
from liaobots_tui.conversations import ConversationController
from liaobots_tui.store import Store
from liaobots_tui.ui import gc_pause
from liaobots_tui.ui.app import LiaobotsApp
from liaobots_tui.ui.screens.chat import ChatScreen
from liaobots_tui.ui.textual_compat import frames_held
from liaobots_tui.ui.widgets.keys_footer import KeysFooter
from liaobots_tui.ui.widgets.message_box import MessageBox

from .conftest import AppFactory, offline_settings
from .driving import chat, settle, until

pytestmark = pytest.mark.ui

SIZE = (120, 40)
NEWEST = "the newest reply ends with okapi"


@pytest.fixture
def collector_on() -> Iterator[None]:
    """The collector as a fresh process has it (on), and as it was after the test."""
    was = gc.isenabled()
    gc.enable()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def seed(store: Store) -> int:
    cid = store.create_conversation(title="the latest chat")
    store.add_messages(
        cid,
        [
            Message("user", [TextPart("How do I count errors?")]),
            Message("assistant", [TextPart("## Plan\n\n1. Open\n2. Count\n\n" + NEWEST)], model="m"),
        ],
    )
    return cid


# ---------------------------------------------------------------- the collector


@pytest.mark.usefixtures("collector_on")
async def test_the_collector_is_held_until_the_first_chat_is_painted(
    make_app: AppFactory, store: Store
) -> None:
    seed(store)
    with gc_pause.held_for_start():
        assert not gc.isenabled()
        app = make_app(offline_settings())
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.first_paint.done, "the first paint")
            assert gc.isenabled()
            assert any(NEWEST in box.copy_text for box in chat(app).view.boxes())
            await settle(app, pilot)
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_on")
async def test_the_collector_runs_again_once_setup_is_shown(make_app: AppFactory) -> None:
    # No auth code: setup is shown and waits for the user, with no chat to paint first.
    with gc_pause.held_for_start():
        app = make_app(offline_settings(auth_code=""))
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: type(app.screen).__name__ == "SetupScreen", "setup")
            await until(pilot, gc.isenabled, "the collector on again")


@pytest.mark.usefixtures("collector_on")
def test_the_collector_is_on_again_whatever_happens_while_it_is_held() -> None:
    with pytest.raises(RuntimeError), gc_pause.held_for_start():
        assert not gc.isenabled()
        raise RuntimeError("the app failed to start")
    assert gc.isenabled()
    # Held by someone else (off already): left off, and left to them.
    gc.disable()
    with gc_pause.held_for_start():
        pass
    assert not gc.isenabled()
    gc_pause.start_painted()  # not held here: does nothing
    assert not gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_settling_while_held_collects_nothing_and_the_first_paint_freezes_what_start_up_built() -> None:
    class Cycle:
        def __init__(self) -> None:
            self.me = self

    gc.collect()
    with gc_pause.held_for_start():
        frozen_before = gc.get_freeze_count()
        Cycle()  # garbage only a collection frees
        gc_pause.settle()  # a chat opened while starting: the collection waits
        assert gc.garbage == [] and not gc.isenabled()
        gc_pause.start_painted()
        assert gc.isenabled()
        assert gc.get_freeze_count() > frozen_before
    gc.unfreeze()


# ---------------------------------------------------------------- frames


class HeldApp(App[None]):
    """Mounts a line while its screen's frames are held."""

    def __init__(self) -> None:
        super().__init__()
        self.renders_while_held = 0
        self.holding = False

    def compose(self) -> ComposeResult:
        yield Static("first", id="first")

    async def hold_and_mount(self) -> None:
        with frames_held(self.screen):
            self.holding = True
            await self.mount(Static("mounted while held", id="later"))
            self.screen.refresh(layout=True)
            # A layout made meanwhile (as the terminal's size arriving) renders nothing.
            self.screen._refresh_layout(self.size)
            self.holding = False


@pytest.mark.draws_frames  # counts the frames rendered (tests/headless_frames.py)
async def test_a_held_screen_renders_nothing_and_paints_everything_once_released(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = HeldApp()
    renders_after: list[bool] = []  # each render once released: was the held line laid out?
    original = Compositor.render_update

    def counted(self: Compositor, *args: Any, **kwargs: Any) -> Any:
        if app.holding:
            app.renders_while_held += 1
        elif app.query("#later"):
            renders_after.append(bool(app.query_one("#later").region))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Compositor, "render_update", counted)
    async with app.run_test(size=(40, 6)) as pilot:
        await settle(app, pilot)
        await app.hold_and_mount()
        assert app.renders_while_held == 0
        await until(pilot, lambda: bool(renders_after), "a frame once released")
        await settle(app, pilot)
        assert renders_after[0] is True
        assert bool(app.query_one("#first").region)


@pytest.mark.draws_frames  # counts the frames rendered (tests/headless_frames.py)
async def test_the_chat_screen_is_never_rendered_without_its_messages(
    make_app: AppFactory, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(store)
    app_box: list[LiaobotsApp] = []
    renders: list[int] = []  # messages mounted at each render of the chat screen before the first paint
    original = Compositor.render_update

    def counted(self: Compositor, *args: Any, **kwargs: Any) -> Any:
        app = app_box[0] if app_box else None
        if app is not None and not app.first_paint.done and isinstance(app.screen, ChatScreen):
            screen = app.screen
            if self is getattr(screen, "_compositor", None):
                renders.append(len(list(screen.query(MessageBox))))
        return original(self, *args, **kwargs)

    # The chat is read slowly (a big history, a busy disk): the screen idles meanwhile.
    gate = asyncio.Event()
    reading = asyncio.Event()
    open_chat = ConversationController.open

    async def slow_open(self: ConversationController, conversation_id: int) -> Any:
        reading.set()
        await gate.wait()
        return await open_chat(self, conversation_id)

    monkeypatch.setattr(Compositor, "render_update", counted)
    monkeypatch.setattr(ConversationController, "open", slow_open)
    app = make_app(offline_settings())
    app_box.append(app)
    async with app.run_test(size=SIZE) as pilot:
        await reading.wait()
        # Laid out (the prompt has its place) while the chat is read: nothing rendered of it.
        await until(pilot, lambda: bool(chat(app).prompt.region), "the screen laid out")
        await pilot.pause()
        assert renders == []
        gate.set()
        await until(pilot, lambda: app.first_paint.done, "the first paint")
        await settle(app, pilot)
    assert renders, "the chat screen was rendered before its first paint"
    assert all(count == 2 for count in renders), renders


# ---------------------------------------------------------------- restyles


class FooterApp(App[None]):
    BINDINGS = [Binding("f2", "two", "Two"), Binding("f3", "three", "Three")]

    def __init__(self, *, compact: bool) -> None:
        super().__init__()
        self.compact = compact

    def compose(self) -> ComposeResult:
        yield Static("body")
        yield KeysFooter(compact=self.compact)


def restyled(monkeypatch: pytest.MonkeyPatch, app: App[Any]) -> list[DOMNode]:
    """The nodes ``app`` restyles (a class changed after they were styled), as it does."""
    seen: list[DOMNode] = []
    original = app.update_styles

    def update_styles(node: DOMNode, animate: bool = True) -> None:
        seen.append(node)
        original(node, animate=animate)

    monkeypatch.setattr(app, "update_styles", update_styles)
    return seen


@pytest.mark.parametrize("compact", [False, True])
async def test_footer_keys_are_made_in_the_footers_style(
    monkeypatch: pytest.MonkeyPatch, compact: bool
) -> None:
    app = FooterApp(compact=compact)
    seen = restyled(monkeypatch, app)
    async with app.run_test(size=(80, 6)) as pilot:
        await until(pilot, lambda: len(app.query(FooterKey)) == 3, "the footer's keys")
        await settle(app, pilot)
        keys = list(app.query(FooterKey))
        palette = [key for key in keys if key.has_class("-command-palette")]
        assert len(palette) == 1 and palette[0].has_class("-compact")  # as Textual makes it
        assert all(key.has_class("-compact") == compact for key in keys if key not in palette)
        assert all(key.compact == key.has_class("-compact") for key in keys)
        assert not [node for node in seen if isinstance(node, FooterKey)]


async def test_the_first_chat_mounts_without_restyling_its_messages_or_sidebar(
    make_app: AppFactory, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(store)
    app = make_app(offline_settings())
    seen = restyled(monkeypatch, app)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.first_paint.done, "the first paint")
        screen = chat(app)
        boxes = screen.view.boxes()
        assert [box.header.has_class("-complete") for box in boxes] == [True, True]
        assert screen.query_one("#sidebar").has_class("-visible")
        inside: list[DOMNode] = [node for node in seen if isinstance(node, (MessageBox, FooterKey))]
        inside += [node for node in seen if node is screen]
        inside += [node for node in seen for box in boxes if node in box.walk_children()]
        inside += [node for node in seen if node is screen.query_one("#sidebar")]
        assert inside == []
        await settle(app, pilot)


async def test_a_first_chat_that_never_opens_still_lets_the_screen_draw(
    make_app: AppFactory, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(store)
    reading = asyncio.Event()

    async def never_opens(self: ConversationController, conversation_id: int) -> Any:
        reading.set()
        await asyncio.Event().wait()

    monkeypatch.setattr(ConversationController, "open", never_opens)
    app = make_app(offline_settings())
    async with app.run_test(size=SIZE) as pilot:
        await reading.wait()
        screen = chat(app)
        assert not app.first_paint.done
        app.workers.cancel_group(screen, "open")  # e.g. the user opened another chat meanwhile
        await until(pilot, lambda: app.first_paint.done, "the first paint")
        assert screen.history.entries == ["How do I count errors?"]  # read once painted
        await settle(app, pilot)
