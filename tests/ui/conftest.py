"""Fixtures for the app's Pilot tests: the fake gateway, a store on tmp_path, app builders.

Waiting is on conditions: the app being quiet or a condition holding (``tests/ui/driving.py``),
or an ``asyncio.Event`` set by :class:`ObservedSession` when a given stream event passed
through, never a sleep.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import aclosing
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.notifications import Notification

from liaobots_tui.api.messages import Format, Message, RequestOptions, TextDelta
from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.chat import ChatEvent, ChatSession
from liaobots_tui.config import Settings
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.store import Store
from liaobots_tui.ui import gc_pause
from liaobots_tui.ui.app import ChatBackend, LiaobotsApp
from liaobots_tui.ui.textual_compat import forget_removed_widgets_styles
from liaobots_tui.ui.themes import builtin_themes_dir
from tests.ui.driving import HANG_GUARD

#: Every test app uses this size unless it needs another.
SIZE = (110, 36)


@pytest.fixture(autouse=True)
def notifications_outlive_the_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """Toasts expire by wall-clock time (2-8 s here), and tests assert on ``app._notifications``.

    On a loaded machine the steps before such an assertion can take longer than a toast lives,
    and the expired notification is gone from the list. Every notification a test raised stays
    until the test ends; none is added, so the assertions mean what they meant on a fast machine.
    """
    monkeypatch.setattr(Notification, "time_left", property(lambda notification: HANG_GUARD))


@pytest.fixture(autouse=True, scope="session")
def screen_waits_end_at_the_hang_guard() -> Iterator[None]:
    """``pilot.pause()`` raises ``WaitForScreenTimeout`` when the screen's queued messages take 30 s.

    On a loaded machine three streaming Compare columns took longer than that to drain, and the
    test failed while the app was merely slow. Every wait of a screen is bounded by HANG_GUARD
    instead, the bound every other wait of the suite uses to tell a stuck app from a slow one.
    The wait posts its callback only to the widgets that are not parked (``tests/ui/screen_waits.py``).
    """
    from textual.pilot import Pilot

    from tests.ui.screen_waits import wait_for_screen as lean_wait

    original = Pilot._wait_for_screen

    async def wait_for_screen(self: Pilot[Any], timeout: float = HANG_GUARD) -> bool:
        return await lean_wait(self, max(timeout, HANG_GUARD))

    Pilot._wait_for_screen = wait_for_screen  # type: ignore[method-assign]
    yield
    Pilot._wait_for_screen = original  # type: ignore[method-assign]


@pytest.fixture(autouse=True, scope="session")
def pauses_end_when_the_app_is_quiet() -> Iterator[None]:
    """``pilot.pause()`` and ``pilot.press()`` end when the app has handled what they set off, not
    when the process looks idle, which a starved one does early (``tests/ui/quiet_pauses.py``)."""
    from tests.ui.quiet_pauses import install

    undo = install()
    yield
    undo()


@pytest.fixture(autouse=True, scope="session")
def css_parsed_once_per_worker() -> Iterator[None]:
    """Each test's app parses the same CSS again: parse it once per worker process instead.

    Every ``App`` gets a new ``Stylesheet`` whose cache of parsed rules starts empty, so each
    Pilot boot re-parsed app.tcss and the DEFAULT_CSS of every widget class (~14 parses,
    ~15% of a boot's CPU). Here the parsed rules are shared between the apps of one process,
    keyed as Textual keys its own per-stylesheet cache plus the CSS variables they were
    parsed with (the theme). Parse errors are not cached (they raise, as before). The rules
    are read-only once parsed: one stylesheet already reuses them across its re-parses.
    """
    from textual.css.stylesheet import Stylesheet

    original = Stylesheet._parse_rules
    parsed: dict[tuple[Any, ...], Any] = {}

    def variables_key(self: Stylesheet) -> tuple[tuple[str, str], ...]:
        # Sorting ~200 theme variables at each of a boot's ~20 parses was half their cost. A
        # stylesheet's variables are replaced, never changed in place (Textual keeps their
        # tokens on the same terms), so the key is made once per variables dict.
        variables = getattr(self, "_variables", {})
        made = self.__dict__.get("_variables_key_made")
        if made is None or made[0] is not variables:
            made = self._variables_key_made = (variables, tuple(sorted(variables.items())))  # type: ignore[attr-defined]
        return made[1]

    def parse_rules_once(self: Stylesheet, css: str, read_from: Any, *args: Any, **kwargs: Any) -> Any:
        key = (css, read_from, args, tuple(sorted(kwargs.items())), variables_key(self))
        rules = parsed.get(key)
        if rules is None:
            rules = parsed[key] = original(self, css, read_from, *args, **kwargs)
        return rules

    parse_rules_once.__wrapped__ = original  # type: ignore[attr-defined]  # the leak test parses afresh with it
    Stylesheet._parse_rules = parse_rules_once  # type: ignore[method-assign]
    yield
    Stylesheet._parse_rules = original  # type: ignore[method-assign]


@pytest.fixture(autouse=True, scope="session")
def handlers_and_themes_looked_up_as_the_app_does() -> None:
    """Every Pilot app of the worker, not only those after its first LiaobotsApp, finds a message's
    handlers and a theme as the app does (``textual_compat.cached_handler_lookup``,
    ``themes_found_without_copies``): a test's outcome does not depend on the tests before it."""
    from liaobots_tui.ui.textual_compat import cached_handler_lookup, themes_found_without_copies

    cached_handler_lookup()
    themes_found_without_copies()


@pytest.fixture(autouse=True)
def styles_of_ended_apps_are_freed() -> Iterator[None]:
    """After each test, drop Textual's cache that keeps removed widgets' render caches alive.

    It holds up to 1,024 of them per worker process (see ``forget_removed_widgets_styles``):
    without this, a worker's heap grew by ~30,000-80,000 objects per Pilot test up to that
    bound, and every full collection (the app collects when a chat is opened) scanned them.
    """
    yield
    forget_removed_widgets_styles()


@pytest.fixture(autouse=True)
def streams_left_open_end_with_the_test() -> Iterator[None]:
    """A test that quits the app mid-reply leaves ``gc_pause`` counting a stream that never ended.

    Its state is per process: every later test of that worker then ran with the heap frozen
    (no collection ever freed it) and ``gc_pause.settle`` skipped, so tests depended on which
    test ran before them. An app that quits before the release after its reply (a quiet
    second) leaves the gen-2 threshold held back too. Each test starts with nothing held, as a
    fresh app does.
    """
    yield
    gc_pause.forget_streams()


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    """A fake gateway with two domains on ports the OS picks (domain memory: the autouse fixture)."""
    with FakeGateway("demo", domains=2) as gw:
        yield gw


@pytest.fixture
def short_replies(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's canned replies cut to their first two blocks: a heading, then a paragraph or a list.

    For a test whose replies are incidental to what it checks (a flow: sent, saved, edited,
    switched, restarted). The whole canned reply (450-790 characters, ~100-160 deltas, a fence
    and a table) cost ~0.19 s of CPU to stream and lay out, twice a boot; ~150 characters cost
    ~0.09 s. The gateway and ``reply_text_for`` read the same texts, so assertions on them hold;
    a ``[[deltas=N]]`` prompt cycles through the short texts.
    """
    from liaobots_tui.demo import replies

    short = tuple("\n\n".join(reply.split("\n\n")[:2]) for reply in replies._REPLIES)
    monkeypatch.setattr(replies, "_REPLIES", short)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "history.sqlite3", tmp_path / "images") as s:
        yield s


class ObservedSession:
    """Wraps the real ChatSession and sets ``first_text`` when the first text delta goes by."""

    def __init__(self, inner: ChatBackend) -> None:
        self.inner = inner
        self.first_text = asyncio.Event()

    async def _watch(self, events: AsyncIterator[ChatEvent]) -> AsyncIterator[ChatEvent]:
        async with aclosing(events) as inner:  # type: ignore[type-var]
            async for event in inner:
                if isinstance(event, TextDelta):
                    self.first_text.set()
                yield event

    def send(
        self,
        conversation_id: int | None,
        user: Message,
        options: RequestOptions,
        *,
        format: Format | None = None,
        system: str | None = None,
    ) -> AsyncIterator[ChatEvent]:
        return self._watch(self.inner.send(conversation_id, user, options, format=format, system=system))

    def regenerate(
        self, conversation_id: int, options: RequestOptions, *, format: Format | None = None
    ) -> AsyncIterator[ChatEvent]:
        return self._watch(self.inner.regenerate(conversation_id, options, format=format))

    def edit(
        self,
        conversation_id: int,
        message_id: int,
        user: Message,
        options: RequestOptions,
        *,
        format: Format | None = None,
    ) -> AsyncIterator[ChatEvent]:
        return self._watch(self.inner.edit(conversation_id, message_id, user, options, format=format))


def offline_client(base_urls: Any, auth_code: str) -> GatewayClient:
    """A client whose every request gets 404: the model list falls back, nothing leaves the process."""
    transport = httpx.MockTransport(lambda request: httpx.Response(404, json={"error": {"message": "no"}}))
    return GatewayClient(list(base_urls), auth_code, transport=transport, max_retries=0)


AppFactory = Callable[..., LiaobotsApp]


@pytest.fixture
def make_app(tmp_path: Path, store: Store) -> AppFactory:
    """Build an app with test defaults: the given store, a config file in tmp_path, built-in themes only."""

    def factory(settings: Settings, **kwargs: Any) -> LiaobotsApp:
        kwargs.setdefault("store", store)
        kwargs.setdefault("config_path", tmp_path / "config.toml")
        kwargs.setdefault("theme_dirs", [builtin_themes_dir()])
        return LiaobotsApp(settings, **kwargs)

    return factory


@pytest.fixture
def observed() -> Callable[[], tuple[Callable[[GatewayClient, Store], ChatBackend], list[ObservedSession]]]:
    """A session factory wrapping the real ChatSession, and the list of sessions it made."""

    def build() -> tuple[Callable[[GatewayClient, Store], ChatBackend], list[ObservedSession]]:
        made: list[ObservedSession] = []

        def factory(client: GatewayClient, store: Store) -> ChatBackend:
            session = ObservedSession(ChatSession(client, store))
            made.append(session)
            return session

        return factory, made

    return build


class ScriptedSession:
    """A chat service that saves like the real one but replies with scripted stream events.

    ``script`` is the list of events of the next reply (TextDelta, ReasoningDelta, …);
    when ``gate`` is given, the reply waits on it after ``hold_after`` events, so a
    test can look at the app mid-stream and then release it.
    """

    def __init__(
        self,
        store: Store,
        script: list[Any],
        *,
        gate: asyncio.Event | None = None,
        hold_after: int = 0,
    ) -> None:
        self.store = store
        self.script = script
        self.gate = gate
        self.hold_after = hold_after
        self.reached_gate = asyncio.Event()

    async def _reply(
        self, conversation_id: int, options: RequestOptions, fmt: Format | None
    ) -> AsyncIterator[Any]:
        from liaobots_tui.api.messages import PartsBuilder, ReasoningDelta, format_for_model
        from liaobots_tui.chat import TurnEnded, TurnStarted
        from liaobots_tui.store import MessageRecord

        asked = Message("assistant", model=options.model, format=fmt or format_for_model(options.model))
        reply = self.store.add_message(conversation_id, MessageRecord(asked, status="streaming"))
        yield TurnStarted(conversation_id, None, reply)
        builder = PartsBuilder()
        for index, event in enumerate(self.script):
            if self.gate is not None and index == self.hold_after:
                self.reached_gate.set()
                await self.gate.wait()
            if isinstance(event, TextDelta):
                builder.add_text(event.text)
            elif isinstance(event, ReasoningDelta):
                builder.add_text(event.text, reasoning=True)
            yield event
        final = self.store.update_message(reply.revised(parts=builder.build()).ended("complete", time.time()))
        yield TurnEnded(final)

    async def send(
        self,
        conversation_id: int | None,
        user: Message,
        options: RequestOptions,
        *,
        format: Format | None = None,
        system: str | None = None,
    ) -> AsyncIterator[Any]:
        from liaobots_tui.chat import TurnStarted

        if conversation_id is None:
            conversation_id = self.store.create_conversation(system=system)
        saved = self.store.add_message(conversation_id, user)
        first = True
        async for event in self._reply(conversation_id, options, format):
            if first and isinstance(event, TurnStarted):
                event = TurnStarted(event.conversation_id, saved, event.reply)
                first = False
            yield event

    def regenerate(
        self, conversation_id: int, options: RequestOptions, *, format: Format | None = None
    ) -> AsyncIterator[Any]:
        # As the real service: the replies after the last prompt stay as an earlier version.
        messages = self.store.load_conversation(conversation_id).messages
        last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
        if last_user is not None and last_user + 1 < len(messages):
            self.store.keep_versions_from(conversation_id, messages[last_user + 1].id or 0)
        return self._reply(conversation_id, options, format)

    def edit(
        self,
        conversation_id: int,
        message_id: int,
        user: Message,
        options: RequestOptions,
        *,
        format: Format | None = None,
    ) -> AsyncIterator[Any]:
        self.store.keep_versions_from(conversation_id, message_id)
        return self.send(conversation_id, user, options, format=format)


def offline_settings(**overrides: Any) -> Settings:
    """Settings for tests that never reach a gateway (with :func:`offline_client`)."""
    values: dict[str, Any] = {
        "auth_code": "test",
        "base_urls": ["https://ai.liaobots.work"],
        "model": "gpt-5.4",
    }
    values.update(overrides)
    return Settings(**values)


def demo_settings(gw: FakeGateway, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"auth_code": "demo", "base_urls": gw.urls, "model": "gpt-5.4"}
    values.update(overrides)
    return Settings(**values)
