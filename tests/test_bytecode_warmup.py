"""The controller's one-off compilation before xdist's workers start (tests/bytecode_warmup.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from tests.bytecode_warmup import Rewriting, marked_sources, stale_files, starts_workers, warm_up


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package and a test folder, compiled into a prefix of their own (the suite's cache is left alone)."""
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path / "prefix"))
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("VALUE = 1\n")
    (tmp_path / "pkg" / "sub" / "deep.py").write_text("def f() -> int:\n    return 2\n")
    (tmp_path / "checks").mkdir()
    (tmp_path / "checks" / "conftest.py").write_text("X = 1\n")
    (tmp_path / "checks" / "test_thing.py").write_text("def test_it():\n    assert 1 + 1 == 2\n")
    (tmp_path / "checks" / "helper.py").write_text("Y = 2\n")
    return tmp_path


def folders(root: Path) -> list[Path]:
    return [root / "pkg", root / "checks"]


def test_every_file_is_compiled_once_where_its_loader_looks_and_then_nothing_is_stale(
    tree: Path, pytestconfig: pytest.Config
) -> None:
    from _pytest.assertion.rewrite import PYC_TAIL, _read_pyc, get_cache_dir

    assert len(stale_files(folders(tree), _rewriting(pytestconfig))) == 5
    assert warm_up(pytestconfig, folders(tree), helpers=1) == 5
    assert stale_files(folders(tree), _rewriting(pytestconfig)) == []
    assert warm_up(pytestconfig, folders(tree), helpers=1) == 0  # warm: nothing to do
    for plain in ("pkg/__init__.py", "pkg/sub/deep.py", "checks/helper.py"):
        cached = Path(importlib.util.cache_from_source(str(tree / plain)))
        assert cached.is_relative_to(tree / "prefix") and cached.is_file(), plain
    for rewritten in ("checks/conftest.py", "checks/test_thing.py"):
        source = tree / rewritten
        cached = get_cache_dir(source) / (source.name[:-3] + PYC_TAIL)
        code = _read_pyc(source, cached)  # pytest's own reader accepts it as the current rewrite
        assert code is not None, rewritten
        # Rewritten, not plainly compiled: pytest's assertion helpers are referenced.
        assert "@pytest_ar" in code.co_names or any(
            "@pytest_ar" in getattr(const, "co_names", ()) for const in code.co_consts
        )


def test_a_changed_file_is_stale_again_and_a_broken_one_is_left_to_its_worker(
    tree: Path, pytestconfig: pytest.Config
) -> None:
    warm_up(pytestconfig, folders(tree), helpers=1)
    changed = tree / "pkg" / "sub" / "deep.py"
    changed.write_text("def f() -> int:\n    return 3  # longer now\n")
    broken = tree / "checks" / "test_broken.py"
    broken.write_text("def test_(:\n")
    stale = stale_files(folders(tree), _rewriting(pytestconfig))
    assert sorted(stale) == sorted([changed, broken])
    assert warm_up(pytestconfig, folders(tree), helpers=1) == 2  # the broken file raises nothing here
    assert stale_files(folders(tree), _rewriting(pytestconfig)) == [broken]


def test_without_bytecode_nothing_is_written(tree: Path, pytestconfig: pytest.Config) -> None:
    sys.dont_write_bytecode = True  # restored by the fixture's monkeypatch
    assert warm_up(pytestconfig, folders(tree), helpers=1) == 0
    assert not (tree / "prefix").exists()


def test_the_modules_pytest_rewrites_for_plugins_are_found_without_importing_them(
    tree: Path, pytestconfig: pytest.Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tree / "plug").mkdir()
    (tree / "plug" / "__init__.py").write_text("def check() -> None:\n    assert 1\n")
    (tree / "plug_single.py").write_text("Z = 3\n")
    monkeypatch.syspath_prepend(str(tree))
    places = marked_sources(["plug_single", "plug", "plug.sub", "not_installed_anywhere"])
    assert places == (tree / "plug", tree / "plug_single.py")  # a dotted or missing name: left alone
    assert "plug" not in sys.modules
    rewriting = _rewriting(pytestconfig)
    rewriting.marked = places
    assert rewriting.rewrites(tree / "plug" / "__init__.py") and rewriting.rewrites(tree / "plug_single.py")
    assert sorted(stale_files(places, rewriting)) == [tree / "plug" / "__init__.py", tree / "plug_single.py"]


def test_the_suites_own_plugins_are_among_what_the_controller_rewrites(pytestconfig: pytest.Config) -> None:
    import hypothesis
    import textual

    rewriting = _rewriting(pytestconfig)
    assert Path(hypothesis.__file__).parent in rewriting.marked
    assert rewriting.rewrites(Path(hypothesis.__file__).parent / "core.py")
    assert not rewriting.rewrites(Path(textual.__file__))  # plainly compiled, as its import does


def test_only_the_controller_of_a_distributed_run_warms_up() -> None:
    def config(worker: bool = False, **option: object) -> pytest.Config:
        fake = SimpleNamespace(option=SimpleNamespace(**option))
        if worker:
            fake.workerinput = {"workerid": "gw0"}
        return cast(pytest.Config, fake)

    assert starts_workers(config(numprocesses=4, dist="worksteal"))
    assert not starts_workers(config(worker=True, numprocesses=4, dist="worksteal"))
    assert not starts_workers(config(numprocesses=0, dist="no"))  # -n0
    assert not starts_workers(config())  # xdist not loaded (-p no:xdist)


def _rewriting(config: pytest.Config) -> Rewriting:
    return Rewriting(config)
