"""LiaobotsApp: screens, themes, the command palette and the services the screens use.

The app owns the long-lived objects (store, gateway client, chat service, model
list) and hands them to the screens; the chat screen does the rest. All of them
can be injected, so tests drive the real app against the fake gateway or a
gated fake chat service.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.theme import Theme

from liaobots_tui import paths
from liaobots_tui.api.account import Credits, fetch_credits
from liaobots_tui.api.models import BUILTIN_MODELS, list_models, load_cached_models, save_cached_models
from liaobots_tui.api.sanitize import clean_line, clean_text, cut_scrubbed, scrub_secret
from liaobots_tui.api.transport import DomainMemory, GatewayClient, Timeouts
from liaobots_tui.chat import ChatBackend, ChatSession
from liaobots_tui.config import Settings, config_permission_warnings, update_setting
from liaobots_tui.errors import LiaobotsError
from liaobots_tui.screenshots import save_screenshot, screenshot_dir
from liaobots_tui.store import Store
from liaobots_tui.ui import gc_pause, memory_release
from liaobots_tui.ui.actions import CHAT_ACTIONS, key_label
from liaobots_tui.ui.commands import ChatCommands, ModelCommands, ThinkingCommands
from liaobots_tui.ui.first_paint import FirstPaint
from liaobots_tui.ui.screens.chat import ChatScreen
from liaobots_tui.ui.source_commands import SourceCommands
from liaobots_tui.ui.textual_compat import (
    alt_punctuation_keys,
    arrangements_without_cycles,
    blank_containers_render_one_row,
    cached_handler_lookup,
    dirty_lines_only_cached,
    frames_dropped_in_a_batch_drawn_after_it,
    light_strips,
    memoized_background_tint,
    memoized_style_matching,
    removed_widgets_free_at_once,
    small_box_model_caches,
    spatial_maps_bounded,
    strips_without_self_cycles,
    themes_found_without_copies,
)
from liaobots_tui.ui.theme_picker import theme_palette
from liaobots_tui.ui.themes import DEFAULT_THEME, builtin_themes_dir, load_themes

if TYPE_CHECKING:  # imported when setup is shown: a configured start never shows it
    from liaobots_tui.ui.screens.setup import SetupResult

ClientFactory = Callable[[Sequence[str], str], GatewayClient]
SessionFactory = Callable[[GatewayClient, Store], ChatBackend]


class LiaobotsApp(App[int]):
    """The chat app.

    Args:
        settings: effective settings (the auth code may be empty: setup runs first).
        store: the history store; the caller closes it.
        client_factory: builds the gateway client from (base_urls, auth_code).
        session_factory: builds the chat service from (client, store).
        config_path: the config file the theme and a new auth code are saved to.
        demo: running against the built-in fake gateway (no setup, shown in the title).
        demo_starter: starts a fake gateway for "Try the demo" and returns its URLs.
        open_latest: open the most recent conversation at start.
        models_cache: JSON file caching the gateway's model list (None: no cache).
        theme_dirs: where ``*.toml`` themes are read (default: built-in, then the user's).
    """

    CSS_PATH = "app.tcss"
    #: Longest toast text; an error body can be megabytes and a toast is a glance.
    TOAST_CHARS = 1000
    TITLE = "liaobots"
    COMMANDS = App.COMMANDS | {ModelCommands, ThinkingCommands, ChatCommands, SourceCommands}
    BINDINGS = [Binding("f1", "help", "Help", show=False)]

    def __init__(
        self,
        settings: Settings,
        *,
        store: Store,
        client_factory: ClientFactory | None = None,
        session_factory: SessionFactory | None = None,
        config_path: Path | None = None,
        demo: bool = False,
        demo_starter: Callable[[], list[str]] | None = None,
        open_latest: bool = True,
        models_cache: Path | None = None,
        theme_dirs: Sequence[Path | None] | None = None,
    ) -> None:
        super().__init__()
        light_strips()  # every line drawn is a Strip: see textual_compat.light_strips
        strips_without_self_cycles()  # and a line that caches itself is garbage only gc frees
        small_box_model_caches()  # a box model per frame per widget while a reply streams: see there
        removed_widgets_free_at_once()  # a removed widget is a cycle through its styles: see there
        arrangements_without_cycles()  # and each layout pass's map a cycle holding every widget: see there
        spatial_maps_bounded()  # the chat's map of its children grew a tile per 20 rows of replies: see there
        blank_containers_render_one_row()  # a reply's box kept a blank line per row of its height: see there
        memoized_background_tint()  # the screen under a dialog dimmed once per style: see there
        memoized_style_matching()  # a node's CSS rules matched once per path and stylesheet: see there
        dirty_lines_only_cached()  # a tall widget kept a dirty mark per row of its height: see there
        cached_handler_lookup()  # a message's handlers found once per pair of classes, not per message
        themes_found_without_copies()  # every node styled looks its theme up: see there
        alt_punctuation_keys()  # alt+, (ESC ,) reached the app as a typed comma: see there
        frames_dropped_in_a_batch_drawn_after_it(self)  # a screen pushed while replies stream: see there
        self.settings = settings
        self.store = store
        self.config_path = config_path or paths.config_file()
        self.demo = demo
        self.open_latest = open_latest
        self.models_cache = models_cache
        self._client_factory = client_factory or self._default_client
        self._session_factory: SessionFactory = session_factory or (lambda c, s: ChatSession(c, s))
        self._demo_starter = demo_starter or self._start_demo_gateway
        self._demo_gateway: Any = None
        self._demo_store: Store | None = None
        self._theme_dirs = list(theme_dirs) if theme_dirs is not None else [
            builtin_themes_dir(), paths.user_themes_dir()
        ]  # fmt: skip
        self.client: GatewayClient | None = None
        # Which domain answered last, kept across the clients this app builds (reconnects).
        self.domain_memory = DomainMemory()
        self._session: ChatBackend | None = None
        #: Set once the first chat is on screen: the first requests wait for it (ui/first_paint.py).
        self.first_paint = FirstPaint()
        cached = load_cached_models(models_cache) if models_cache is not None and not demo else None
        self.models: list[str] = cached or list(BUILTIN_MODELS)
        self.models_from_gateway = cached is not None
        self.theme_problems: list[str] = []
        #: The configured theme when it is not registered ("" when it is).
        self._unknown_theme = ""
        #: Where ``liaobots demo`` keeps its own history (shown on screen); None otherwise.
        self.demo_data_dir: Path | None = None
        # Before anything is mounted: choosing the theme later (on_mount) re-parsed the CSS and
        # restyled the whole chat screen once more before its first paint.
        self._register_themes()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """A toast, always as plain text: ``markup`` is ignored.

        Every toast of this app that shows outside text (gateway errors, model ids, paths)
        would otherwise be parsed as content markup: ``[/]`` in an error killed the app and
        ``[@click=app.screenshot(…)]`` became a clickable action. ``Widget.notify`` passes
        ``markup=True`` by default, so the override cannot trust the argument; none of our
        toasts uses markup. The text is also made terminal-safe, scrubbed of the auth code
        and cut to :attr:`TOAST_CHARS`. Thread-safe, like the method it overrides.
        """
        settings = getattr(self, "settings", None)  # notify may run before __init__ is done
        secret = settings.auth_code if settings is not None else None
        text = cut_scrubbed(clean_text(message), secret, self.TOAST_CHARS)
        heading = clean_line(scrub_secret(title, secret), 120)
        super().notify(text, title=heading, severity=severity, timeout=timeout, markup=False)

    def deliver_screenshot(
        self, filename: str | None = None, path: str | None = None, time_format: str | None = None
    ) -> str | None:
        """The palette's "Screenshot": saved where it can be (:mod:`liaobots_tui.screenshots`), said where."""
        try:
            directory = Path(path) if path else screenshot_dir()
            target = save_screenshot(self.export_screenshot(), directory)
        except OSError as exc:
            self.notify(f"Screenshot not saved: {exc.strerror or exc}", title="Screenshot", severity="error")
            return None
        except LiaobotsError as exc:
            self.notify(exc.message, title="Screenshot not saved", severity="error")
            return None
        self.notify(f"Saved to {target}", title="Screenshot", timeout=8)
        return str(target)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            memory_release.noticed_input()  # its collection waits for a quiet moment
        if isinstance(event, events.Key) and event.key.startswith("alt+") and event.character:
            # A terminal (and tmux, and SSH) sends alt+u as ESC u, which Textual reports as
            # alt+u *with* the character "u": every text field then typed the letter and the
            # alt binding never ran. Alt combinations are shortcuts here, never text.
            event = events.Key(event.key, None)
        await super().on_event(event)

    # ------------------------------------------------------------------ services

    def _default_client(self, base_urls: Sequence[str], auth_code: str) -> GatewayClient:
        timeouts = Timeouts(connect=self.settings.connect_timeout, read=self.settings.read_timeout)
        return GatewayClient(base_urls, auth_code, timeouts=timeouts, domain_memory=self.domain_memory)

    @property
    def session(self) -> ChatBackend:
        if self._session is None:
            raise LiaobotsError("Not connected: set the auth code first (ctrl+p → Set auth code).")
        return self._session

    @property
    def active_base_url(self) -> str:
        if self.client is not None:
            return self.client.active_base_url
        return self.settings.base_urls[0] if self.settings.base_urls else ""

    async def _connect(self) -> None:
        """(Re)build the gateway client and chat service from the current settings."""
        if self.client is not None:
            await self.client.aclose()
        self.client = self._client_factory(self.settings.base_urls, self.settings.auth_code)
        self._session = self._session_factory(self.client, self.store)

    def conversation_title(self, conversation_id: int) -> str:
        try:
            return self.store.load_conversation(conversation_id).title
        except (LiaobotsError, sqlite3.Error):
            return ""

    async def check_auth_code(self, code: str, base_urls: list[str] | None = None) -> Credits:
        """Ask the gateway (``base_urls``, default the current ones) for the balance with ``code``.

        Raises:
            LiaobotsError: AuthError for a rejected code, network errors…
        """
        client = self._client_factory(base_urls or self.settings.base_urls, code)
        try:
            return await fetch_credits(client)
        finally:
            await client.aclose()

    def _start_demo_gateway(self) -> list[str]:
        from liaobots_tui.demo.gateway import FakeGateway

        gateway = FakeGateway(auth_code="demo")
        gateway.start()
        self._demo_gateway = gateway
        return list(gateway.urls)

    # ------------------------------------------------------------------ lifecycle

    async def on_mount(self) -> None:
        for problem in self.theme_problems:
            self.notify(problem, title="Theme skipped", severity="warning", timeout=8)
        if self._unknown_theme:
            self.notify(f"Unknown theme {self._unknown_theme!r}; using {DEFAULT_THEME}", severity="warning")
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        for warning in config_permission_warnings(self.config_path):
            self.notify(
                warning, title="Config file permissions", severity="warning", timeout=10, markup=False
            )
        if not self.settings.auth_code and not self.demo:
            self.open_setup(can_cancel=False)
            # No chat to paint first: the collector held since start runs once setup is shown.
            self.call_after_refresh(gc_pause.start_painted)
        else:
            await self._start_chat()

    async def on_unmount(self) -> None:
        if self.client is not None:
            await self.client.aclose()
        if self._demo_gateway is not None:
            self._demo_gateway.stop()
        if self._demo_store is not None:
            self._demo_store.close()

    async def _start_chat(self) -> None:
        await self._connect()
        if not isinstance(self.screen, ChatScreen):
            await self.push_screen(ChatScreen())
        self.refresh_models()

    def open_setup(self, *, can_cancel: bool) -> None:
        from liaobots_tui.ui.screens.setup import SetupScreen

        screen = SetupScreen(
            check=self.check_auth_code,
            config_path=str(self.config_path),
            can_cancel=can_cancel,
            base_urls=[] if self.demo else self.settings.base_urls,
        )
        self.push_screen(screen, self._setup_done)

    async def _setup_done(self, result: SetupResult | None) -> None:
        if result is None:
            if not isinstance(self.screen, ChatScreen):
                self.exit(0)
            return
        if result.kind == "demo":
            try:
                urls = self._demo_starter()
            except Exception as exc:  # the fake gateway failed to bind a port, or similar
                self.notify(f"Could not start the demo gateway: {exc}", severity="error")
                self.open_setup(can_cancel=isinstance(self.screen, ChatScreen))
                return
            self.settings.base_urls = urls
            self.settings.auth_code = "demo"
            self.demo = True
            self._use_demo_history()
        else:
            self.settings.auth_code = result.code
            if result.base_urls is not None:
                self.settings.base_urls = list(result.base_urls)
            try:
                update_setting("auth_code", result.code, path=self.config_path)
                if result.base_urls is not None:
                    update_setting("base_urls", list(result.base_urls), path=self.config_path)
            except (LiaobotsError, OSError) as exc:
                self.notify(str(exc), title="Could not save the auth code", severity="error", timeout=10)
            else:
                unchecked = ""
                if result.credits is None:
                    unchecked = " It was not checked: the first request will tell."
                self.notify(
                    f"Saved to {self.config_path} (readable only by you).{unchecked}",
                    title="Auth code saved",
                    severity="warning" if unchecked else "information",
                    markup=False,
                )
        await self._start_chat()
        if isinstance(self.screen, ChatScreen):
            self.screen._update_title()
            self.screen._update_status()

    def _use_demo_history(self) -> None:
        """The demo chats go into their own history, never into the user's (as with ``liaobots demo``)."""
        if self._demo_store is not None:
            return
        try:
            self._demo_store = Store(*paths.history_paths(demo=True))
        except (LiaobotsError, OSError) as exc:
            self.notify(str(exc), title="Demo history unavailable", severity="error")
            return
        self.store, self.demo_data_dir = self._demo_store, paths.demo_dir()
        for screen in self.screen_stack:
            if isinstance(screen, ChatScreen):  # setup opened from a running chat (ctrl+\)
                screen.controller.store = self._demo_store
                self.run_worker(screen.action_new_chat(), group="open")
                screen.refresh_chats()

    def refresh_models(self) -> None:
        self.run_worker(self._refresh_models(), group="models", exclusive=True, exit_on_error=False)

    async def _refresh_models(self) -> None:
        await self.first_paint.wait()
        if self.client is None:
            return
        models, from_gateway = await list_models(self.client)
        if from_gateway or not self.models_from_gateway:
            self.models, self.models_from_gateway = models, from_gateway
        if from_gateway and self.models_cache is not None and not self.demo:
            save_cached_models(self.models_cache, models)
        for screen in self.screen_stack:
            if isinstance(screen, ChatScreen):
                screen._update_status()  # the request may have failed over to another domain

    # ------------------------------------------------------------------ themes

    def _register_themes(self) -> None:
        """Register the theme files and choose the configured theme (problems are told on mount)."""
        themes, problems = load_themes(self._theme_dirs)
        for theme in themes:
            self.register_theme(theme)
        self.theme_problems = problems
        wanted = self.settings.theme
        if wanted in self.available_themes:
            self.theme = wanted
        else:
            if wanted != DEFAULT_THEME:
                self._unknown_theme = wanted
            if DEFAULT_THEME in self.available_themes:
                self.theme = DEFAULT_THEME

    def search_themes(self) -> None:
        """The theme picker: ours first (Textual's own lists every theme by name)."""
        self.push_screen(theme_palette())

    def _theme_changed(self, theme: Theme) -> None:
        if theme.name == self.settings.theme:
            return
        self.settings.theme = theme.name
        try:
            update_setting("theme", theme.name, path=self.config_path)
        except (LiaobotsError, OSError) as exc:
            self.notify(str(exc), title="Theme not saved", severity="warning")

    # ------------------------------------------------------------------ palette and help

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if isinstance(screen, ChatScreen) and command.title in ("Theme", "Keys"):
                continue  # ours ("Change theme", "Help") list the app's own keys and remember the choice
            yield command
        if isinstance(screen, ChatScreen):
            for action in CHAT_ACTIONS:
                yield SystemCommand(
                    action.title,
                    f"{action.help} ({key_label(action)})",
                    partial(screen.run_action, action.action),
                )

    def action_help(self) -> None:
        if isinstance(self.screen, ChatScreen):
            self.screen.action_help()


def run_app(settings: Settings, *, demo_gateway_urls: list[str] | None = None) -> int:
    """Run the app in the terminal; returns the exit code.

    ``demo_gateway_urls``: the fake gateway the caller started (``liaobots demo``);
    ``settings`` already point at it.

    Raises:
        ConfigError: the history database cannot be opened.
    """
    from liaobots_tui.ui.images import probe_terminal

    # Before App.run(), which hands stdin to Textual: what can draw images (mode "off" skips it).
    probe_terminal(settings.image_mode)
    # The demo keeps its own history: a demo prompt must never land in the user's real chats.
    with Store(*paths.history_paths(demo=demo_gateway_urls is not None)) as store:
        app = LiaobotsApp(
            settings,
            store=store,
            demo=demo_gateway_urls is not None,
            models_cache=paths.cache_dir() / "models.json",
        )
        if demo_gateway_urls is not None:
            app.demo_data_dir = paths.demo_dir()
        result = app.run()
    return result if isinstance(result, int) else (app.return_code or 0)
