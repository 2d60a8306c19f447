"""SetupScreen: first run without an auth code (or "Set auth code" from the palette).

The code is typed into a masked field and checked against ``/api/v1/credits``
before anything is saved; the app then writes it to the config file (mode 0600).
"Try the demo" runs the built-in fake gateway instead, saving nothing.
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
from textual.widgets import Button, Footer, Input, Static

from liaobots_tui.api.account import Credits
from liaobots_tui.config import auth_code_problem
from liaobots_tui.errors import LiaobotsError
from liaobots_tui.ui.plain import plain

INTRO = (
    "Welcome to liaobots.\n\n"
    "Paste your Liaobots auth code (the login code from the Liaobots site). It is checked "
    "against the gateway, then saved in {config} readable only by you."
)


@dataclass(frozen=True)
class SetupResult:
    kind: Literal["code", "demo"]
    code: str = ""
    credits: Credits | None = None


class SetupScreen(Screen[SetupResult | None]):
    BINDINGS = [
        # Not ctrl+d: the focused Input uses it (delete right).
        Binding("f2", "demo", "Try the demo"),
        Binding("escape", "cancel", "Cancel / quit"),
    ]

    def __init__(
        self,
        *,
        check: Callable[[str], Awaitable[Credits]],
        config_path: str,
        can_cancel: bool = False,
        demo_available: bool = True,
    ) -> None:
        super().__init__(id="setup")
        self._check = check
        self.config_path = config_path
        self.can_cancel = can_cancel
        self.demo_available = demo_available

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog setup-dialog"):
            yield Static(Content("Set up liaobots"), classes="dialog-title")
            yield Static(Content(INTRO.format(config=self.config_path)), classes="dialog-text")
            yield Input(placeholder="Auth code", password=True, id="auth-code")
            yield Static("", id="setup-status", markup=False)
            with Horizontal(classes="dialog-buttons"):
                if self.demo_available:
                    yield Button("Try the demo (F2)", id="demo")
                yield Button("Cancel" if self.can_cancel else "Quit", id="cancel")
                yield Button("Check and save", id="save", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#setup-status").display = False
        self.query_one("#auth-code", Input).focus()

    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#setup-status", Static)
        status.update(plain(text))
        status.set_class(error, "-error")
        status.display = bool(text)

    @on(Input.Submitted, "#auth-code")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "save":
            self.action_save()
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
        self._verify(code)

    @work(exclusive=True, group="setup", exit_on_error=False)
    async def _verify(self, code: str) -> None:
        self._status("Checking the auth code with the gateway…")
        self.query_one("#save", Button).disabled = True
        try:
            balance = await self._check(code)
        except LiaobotsError as exc:
            self._status(f"✗ {exc.one_line()}", error=True)
            self.query_one("#auth-code", Input).focus()
            return
        finally:
            self.query_one("#save", Button).disabled = False
        self._status(f"✓ Auth code accepted: balance {balance.balance:,.2f} credits.")
        self.dismiss(SetupResult("code", code, balance))

    def action_demo(self) -> None:
        if self.demo_available:
            self.dismiss(SetupResult("demo"))

    def action_cancel(self) -> None:
        if self.can_cancel:
            self.dismiss(None)
        else:
            self.app.exit(0)
