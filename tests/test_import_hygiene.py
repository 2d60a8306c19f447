"""The headless layers never import textual or rich (style.md: api/store/chat stay UI-free)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import liaobots_tui

PACKAGE = Path(liaobots_tui.__file__).parent
UI_ONLY = ("ui", "cli.py", "cli_render.py", "__main__.py")


def headless_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] not in UI_ONLY)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_there_are_headless_modules() -> None:
    names = {module_name(p) for p in headless_files()}
    headless = {"api.messages", "chat", "conversations", "store"}
    assert {f"liaobots_tui.{name}" for name in headless} <= names


def test_no_headless_source_imports_textual_or_rich() -> None:
    offenders = {str(p): imported_roots(p) & {"textual", "rich"} for p in headless_files()}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_loading_every_headless_module_never_loads_textual() -> None:
    # (rich cannot be checked this way: httpx imports its own CLI, and with it rich, when rich is installed.)
    names = [module_name(p) for p in headless_files()]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_cli_parser_does_not_load_the_ui() -> None:
    # Scripting subcommands must start fast: the parser alone must not pull in Textual.
    code = "import sys\nfrom liaobots_tui import cli\ncli.build_parser()\nprint('textual' in sys.modules)\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
