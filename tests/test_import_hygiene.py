"""The headless layers never load textual or rich (style.md: api/store/chat stay UI-free)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import liaobots_tui

HEADLESS = sorted(
    m.name
    for m in pkgutil.walk_packages(liaobots_tui.__path__, "liaobots_tui.")
    if not m.name.startswith(("liaobots_tui.ui", "liaobots_tui.cli", "liaobots_tui.__main__"))
)


def test_there_are_headless_modules() -> None:
    assert "liaobots_tui.api.messages" in HEADLESS
    assert "liaobots_tui.chat" in HEADLESS


def test_headless_modules_never_import_textual_or_rich() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {HEADLESS!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_cli_help_does_not_load_the_ui() -> None:
    # Scripting subcommands must start fast: the parser alone must not pull in Textual.
    code = "import sys\nfrom liaobots_tui import cli\ncli.build_parser()\nprint('textual' in sys.modules)\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
