"""The venv's installed .pyc files linked into the suite's bytecode prefix (tests/installed_bytecode.py)."""

from __future__ import annotations

import importlib.util
import os
import py_compile
import sys
from pathlib import Path

import pytest

from tests.installed_bytecode import MARKER, package_folders, seed


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package folder as pip leaves it (sources and their __pycache__), and an empty prefix of its own."""
    folder = tmp_path / "site-packages"
    (folder / "pkg").mkdir(parents=True)
    for source, text in (("top.py", "VALUE = 1\n"), ("pkg/__init__.py", ""), ("pkg/deep.py", "DEEP = 2\n")):
        path = folder / source
        path.write_text(text)
        py_compile.compile(str(path), cfile=str(path.parent / "__pycache__" / _pyc_name(path)), doraise=True)
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path / "prefix"))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    return folder


def _pyc_name(source: Path) -> str:
    return f"{source.stem}.{sys.implementation.cache_tag}.pyc"


def _in_prefix(source: Path) -> Path:
    return Path(importlib.util.cache_from_source(str(source)))


def test_installed_code_is_placed_where_the_prefix_makes_python_look_once(site: Path) -> None:
    assert seed([site]) == 3
    for source in (site / "top.py", site / "pkg" / "__init__.py", site / "pkg" / "deep.py"):
        placed = _in_prefix(source)
        assert placed.is_relative_to(sys.pycache_prefix or "/nowhere")
        assert placed.read_bytes() == (source.parent / "__pycache__" / _pyc_name(source)).read_bytes()
    assert seed([site]) == 0  # the marker matches: the folder is not walked again
    assert (_in_prefix(site / "top.py").parent / MARKER).is_file()


def test_a_package_installed_later_is_seeded_and_what_is_there_is_kept(site: Path) -> None:
    seed([site])
    kept = _in_prefix(site / "top.py")
    kept.write_bytes(b"compiled by an import since")
    added = site / "added.py"
    added.write_text("ADDED = 3\n")
    py_compile.compile(str(added), cfile=str(site / "__pycache__" / _pyc_name(added)), doraise=True)
    os.utime(site, ns=(0, site.stat().st_mtime_ns + 1_000_000_000))  # pip changed the folder
    assert seed([site]) == 1
    assert _in_prefix(added).is_file()
    assert kept.read_bytes() == b"compiled by an import since"


def test_python_imports_the_placed_code_and_recompiles_it_once_its_source_changed(site: Path) -> None:
    seed([site])
    placed = _in_prefix(site / "top.py")
    spec = importlib.util.spec_from_file_location("seeded_top", site / "top.py")
    assert spec is not None and spec.loader is not None
    before = placed.stat().st_ino
    linked_from = site / "__pycache__" / _pyc_name(site / "top.py")
    as_installed = linked_from.read_bytes()
    assert spec.loader.get_code("seeded_top") is not None  # type: ignore[attr-defined]
    assert placed.stat().st_ino == before  # up to date: read as placed, not written again
    (site / "top.py").write_text("VALUE = 22  # changed\n")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.VALUE == 22  # the placed file was out of date: compiled again, never used wrong
    # The venv's own file was not written through the link. (Not `b"22" not in ...`: the header's
    # mtime bytes held "22" by chance in one run.)
    assert linked_from.read_bytes() == as_installed


def test_without_a_prefix_nothing_is_placed(site: Path) -> None:
    sys.pycache_prefix = None  # restored by the fixture's monkeypatch
    assert seed([site]) == 0


def test_the_venv_folders_are_where_pip_installs() -> None:
    import textual

    assert any(Path(textual.__file__).is_relative_to(folder) for folder in package_folders())
