"""SetupScreen: first run without an auth code (or "Set auth code" from the palette).

The code is typed into a masked field and checked against ``/api/v1/credits``
before anything is saved; the app then writes it to the config file (mode 0600).
A second field names the gateway: one of the Liaobots domains or any
``http(s)://host[:port]`` (checked like the config's ``base_urls``); left as shown,
the current domains stay. When the gateway cannot be reached (offline, a proxy
down) the code cannot be checked: the screen says so and offers "Save anyway",
which saves it anyway (the first request will tell). A code the gateway rejects is
never offered for saving. "Try the demo" runs the built-in fake gateway instead,
saving nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Input, Static

from liaobots_tui.api.account import Credits
from liaobots_tui.api.sanitize import clean_line
from liaobots_tui.config import auth_code_problem, base_urls_from_input
from liaobots_tui.errors import AuthError, ConfigError, LiaobotsError
from liaobots_tui.ui.plain import plain
from liaobots_tui.ui.widgets.keys_footer import KeysFooter

INTRO = (
    "Welcome to liaobots.\n\n"
    "Paste your Liaobots auth code (the login code from the Liaobots site). It is checked "
    "against the gateway, then saved in {config} readable only by you."
)


@dataclass(frozen=True)
class SetupResult:
    kind: Literal["code", "demo"]
    code: str = ""
    #: The balance the check returned; None when the code was saved unchecked.
    credits: Credits | None = None
    #: The gateway's base URLs when the user changed them, else None (keep the current ones).
    base_urls: tuple[str, ...] | None = None


#: Checks a code against the gateway at these base URLs and returns the balance.
CheckCode = Callable[[str, list[str]], Awaitable[Credits]]


class SetupScreen(Screen[SetupResult | None]):
    DEFAULT_CSS = """
    SetupScreen .dialog-hint { color: $text-muted; padding: 0 1; }
    """

    BINDINGS = [
        # Not ctrl+d: the focused Input uses it (delete right).
        Binding("f2", "demo", "Try the demo"),
        Binding("f3", "save_unchecked", "Save anyway"),
        Binding("escape", "cancel", "Cancel / quit"),
    ]

    def __init__(
        self,
        *,
        check: CheckCode,
        config_path: str,
        can_cancel: bool = False,
        demo_available: bool = True,
        base_urls: list[str] | None = None,
    ) -> None:
        super().__init__(id="setup")
        self._check = check
        self.config_path = config_path
        self.can_cancel = can_cancel
        self.demo_available = demo_available
        self.current_urls = list(base_urls or [])
        #: The code (and gateway) that could not be checked, offered by "Save anyway".
        self._unchecked: tuple[str, tuple[str, ...] | None] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog setup-dialog"):
            yield Static(Content("Set up liaobots"), classes="dialog-title")
            yield Static(Content(INTRO.format(config=self.config_path)), classes="dialog-text")
            yield Input(placeholder="Auth code", password=True, id="auth-code")
            yield Input(
                self.current_urls[0] if self.current_urls else "",
                placeholder="Gateway: ai.liaobots.work, a backup domain, or an http(s):// URL",
                id="base-url",
            )
            yield Static(
                Content("↑ Gateway: a Liaobots domain, or any http(s):// URL"),
                classes="dialog-hint",
            )
            yield Static("", id="setup-status", markup=False)
            with Horizontal(classes="dialog-buttons"):
                if self.demo_available:
                    yield Button("Try the demo (F2)", id="demo")
                yield Button("Cancel" if self.can_cancel else "Quit", id="cancel")
                yield Button("Save anyway (F3)", id="save-unchecked", variant="warning")
                yield Button("Check and save", id="save", variant="primary")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#setup-status").display = False
        self.query_one("#save-unchecked").display = False
        self.query_one("#auth-code", Input).focus()

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#setup-status", Static)
        status.update(plain(text))
        status.set_class(error, "-error")
        status.display = bool(text)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        # What "Save anyway" would save is what was checked: a change must be checked first.
        self._offer_unchecked(None)

    def _offer_unchecked(self, pending: tuple[str, tuple[str, ...] | None] | None) -> None:
        self._unchecked = pending
        self.query_one("#save-unchecked", Button).display = pending is not None
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # F3 is in the footer only while there is an unchecked code to save.
        return self._unchecked is not None if action == "save_unchecked" else True

    def base_urls(self) -> tuple[str, ...] | None:
        """The gateway typed, as base URLs; None when it is left as it was.

        Raises:
            ConfigError: not a known domain nor an http(s) URL.
        """
        typed = self.query_one("#base-url", Input).value.strip()
        if self.current_urls and typed == self.current_urls[0]:
            return None
        return tuple(base_urls_from_input(typed))

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
        elif event.button.id == "save-unchecked":
            self.action_save_unchecked()
        elif event.button.id == "demo":
            self.action_demo()
        else:
            self.action_cancel()

    def action_save(self) -> None:
        code = self.query_one("#auth-code", Input).value.strip()
        if not code:
            self._status("Enter the auth code first.", error=True)
            return
        problem = auth_code_problem(code)  # the same check the config file and the CLI get
        if problem:
            self._status(f"{problem[0].upper()}{problem[1:]}.", error=True)
            return
        try:
            urls = self.base_urls()
        except ConfigError as exc:
            self._status(f"✗ {exc.one_line()}", error=True)
            self.query_one("#base-url", Input).focus()
            return
        self._verify(code, urls)

    def action_save_unchecked(self) -> None:
        if self._unchecked is not None:
            code, urls = self._unchecked
            self.dismiss(SetupResult("code", code, None, urls))

    @work(exclusive=True, group="setup", exit_on_error=False)
    async def _verify(self, code: str, urls: tuple[str, ...] | None) -> None:
        self._status("Checking the auth code with the gateway…")
        self._offer_unchecked(None)
        self.query_one("#save", Button).disabled = True
        try:
            balance = await self._check(code, list(urls or self.current_urls))
        except AuthError as exc:
            self._status(f"✗ {exc.one_line()}", error=True)
            self.query_one("#auth-code", Input).focus()
            return
        except LiaobotsError as exc:
            # Not a verdict on the code: offline, the gateway down. The user may save it anyway.
            # Capped: every failed domain is listed, and a long reason would push the buttons off screen.
            self._status(
                f"⚠ Not checked: {clean_line(exc.one_line(), 100)}\n"
                "Save anyway (F3) keeps it unchecked; the first request will tell.",
                error=True,
            )
            self._offer_unchecked((code, urls))
            return
        finally:
            self.query_one("#save", Button).disabled = False
        self._status(f"✓ Auth code accepted: balance {balance.balance:,.2f} credits.")
        self.dismiss(SetupResult("code", code, balance, urls))

    def action_demo(self) -> None:
        if self.demo_available:
            self.dismiss(SetupResult("demo"))

    def action_cancel(self) -> None:
        if self.can_cancel:
            self.dismiss(None)
        else:
            self.app.exit(0)
