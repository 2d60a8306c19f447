"""The layering holds: the import-linter contracts, and headless modules never load textual or rich.

The contracts are checked statically by ``lint-imports``; the runtime checks below catch what a static
graph cannot see (an import done by a dependency, a module loaded through importlib).
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import liaobots_tui

PACKAGE = Path(liaobots_tui.__file__).parent
PROJECT = PACKAGE.parent
UI_ONLY = ("ui", "cli.py", "__main__.py")


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


def test_loading_every_headless_module_never_loads_textual_or_rich() -> None:
    # httpx would import its own CLI, and with it rich; api/lean_httpx.py keeps that out.
    names = [module_name(p) for p in headless_files()]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_cli_parser_does_not_load_the_ui() -> None:
    # Scripting subcommands must start fast: the parser alone must not pull in Textual.
    code = "import sys\nfrom liaobots_tui import cli\ncli.build_parser()\nprint('textual' in sys.modules)\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# ---------------------------------------------------------------- import-linter contracts


def lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    """Run ``lint-imports`` on the package under ``project``, without a cache (tests run in parallel)."""
    if not (project / "pyproject.toml").is_file():
        pytest.skip("the contracts live in pyproject.toml, which an installed wheel does not carry")
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    # The package under `project` must shadow any installed copy: grimp finds it through sys.path.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(project), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run(
        [sys.executable, "-c", code, "--no-cache", "--config", str(project / "pyproject.toml")],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_layering_contracts_are_kept() -> None:
    result = lint_imports(PROJECT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def planted_copy(tmp_path: Path, plants: dict[str, str]) -> Path:
    """A copy of the project with a source line appended to some modules (``plants``: module -> line).

    A module is planted in its package's ``__init__.py`` or in its ``.py`` file, created if missing.
    """
    shutil.copy(PROJECT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(PACKAGE, tmp_path / "liaobots_tui", ignore=shutil.ignore_patterns("__pycache__"))
    for module, line in plants.items():
        base = tmp_path.joinpath(*module.split("."))
        target = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
        with target.open("a", encoding="utf-8") as out:
            out.write(f"\n{line}\n")
    return tmp_path


def test_a_controller_module_that_keeps_to_its_layer_passes(tmp_path: Path) -> None:
    # `conversations` is an optional layer: the contract must hold with and without it.
    project = planted_copy(
        tmp_path,
        {"liaobots_tui.conversations": "from liaobots_tui import api, chat, store"},
    )
    result = lint_imports(project)
    assert result.returncode == 0, result.stdout + result.stderr


def test_each_contract_catches_its_violation(tmp_path: Path) -> None:
    project = planted_copy(
        tmp_path,
        {
            "liaobots_tui.conversations": "from liaobots_tui.ui import app",
            "liaobots_tui.store": "import textual",
            "liaobots_tui.usage_stats": "import rich",
            "liaobots_tui.config": "from liaobots_tui.ui import themes",
            "liaobots_tui.api.account": "from liaobots_tui import config",
            "liaobots_tui.chat": "from liaobots_tui import conversations",
        },
    )
    result = lint_imports(project)
    assert result.returncode != 0
    expected = [
        "liaobots_tui.conversations is not allowed to import liaobots_tui.ui",
        "liaobots_tui.chat is not allowed to import liaobots_tui.conversations",
        "liaobots_tui.store is not allowed to import textual",
        "liaobots_tui.usage_stats is not allowed to import rich",
        "liaobots_tui.config is not allowed to import liaobots_tui.ui",
        "liaobots_tui.api is not allowed to import liaobots_tui.config",
    ]
    missing = [line for line in expected if line not in result.stdout]
    assert missing == [], result.stdout
    assert "Contracts: 0 kept, 4 broken." in result.stdout
