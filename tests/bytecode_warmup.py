"""The package compiled and the test modules' asserts rewritten once, before the xdist workers start.

In a fresh clone (or after a change to many files) nothing is cached yet, and every worker of
``pytest -n auto`` compiles the whole package and rewrites the asserts of every test module on its
own while collecting: four workers did the same ~4 s of CPU each, at the same moment, on two cores.
Here the xdist controller, before it starts the workers, finds the files whose cached code is
missing or out of date and compiles them once, split over one forked process per core; the
workers then find everything cached. With a warm cache it only reads ~300 pyc headers (a few ms).

It writes exactly what the workers would write themselves, where they would look for it: plain
modules through ``py_compile`` (``importlib``'s own cache path, so ``sys.pycache_prefix`` holds),
test modules and conftests through pytest's own rewriting (its cache path and pyc format). Those
pytest functions are private, so they are looked up, never assumed: if one is missing or anything
fails, the warm-up is skipped and the workers compile as they always did. A warm-up never fails or
changes a run; it only moves work.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
import py_compile
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from types import CodeType
from typing import Any

import pytest

#: Seconds after which a warm-up that has not ended is given up (a helper killed mid-file): a hang
#: guard far above the few seconds a cold warm-up takes on a loaded machine, never a pace.
HANG_GUARD = 600.0

#: What pytest rewrites besides the files named like tests (its ``_should_rewrite``).
_ALWAYS_REWRITTEN = "conftest.py"


def _header_matches(source: Path, pyc: Path) -> bool:
    """True when ``pyc`` holds code compiled from ``source`` as it is now (the check both loaders make)."""
    try:
        with pyc.open("rb") as cached:
            header = cached.read(16)
        stat = source.stat()
    except OSError:
        return False
    return (
        len(header) == 16
        and header[:4] == importlib.util.MAGIC_NUMBER
        and header[4:8] == b"\x00\x00\x00\x00"
        and int.from_bytes(header[8:12], "little") == int(stat.st_mtime) & 0xFFFFFFFF
        and int.from_bytes(header[12:16], "little") == stat.st_size & 0xFFFFFFFF
    )


class Rewriting:
    """pytest's assert rewriting through its private functions (constructing it raises if they moved)."""

    def __init__(self, config: pytest.Config) -> None:
        from _pytest.assertion import rewrite

        self.config = config
        self.patterns: list[str] = list(config.getini("python_files"))
        self.tail: str = rewrite.PYC_TAIL
        self.cache_dir: Callable[[Path], Path] = rewrite.get_cache_dir
        self.rewrite: Callable[[Path, pytest.Config], tuple[os.stat_result, CodeType]] = rewrite._rewrite_test
        self.write: Callable[[Any, CodeType, os.stat_result, Path], bool] = rewrite._write_pyc
        self.state: Any = config.stash[rewrite.assertstate_key]
        #: Where the plugins' modules pytest rewrites on import are (see :func:`marked_sources`).
        self.marked: tuple[Path, ...] = marked_sources(getattr(self.state.hook, "_must_rewrite", ()))

    def rewrites(self, source: Path) -> bool:
        from _pytest.pathlib import fnmatch_ex

        return (
            source.name == _ALWAYS_REWRITTEN
            or any(fnmatch_ex(pattern, source) for pattern in self.patterns)
            or any(source == place or source.is_relative_to(place) for place in self.marked)
        )

    def pyc(self, source: Path) -> Path:
        return self.cache_dir(source) / (source.name[:-3] + self.tail)

    def compile(self, source: Path) -> None:
        pyc = self.pyc(source)
        pyc.parent.mkdir(parents=True, exist_ok=True)
        stat, code = self.rewrite(source, self.config)
        self.write(self.state, code, stat, pyc)


def marked_sources(names: Iterable[str]) -> tuple[Path, ...]:
    """The files and package folders of the modules pytest was told to rewrite (``mark_rewrite``).

    pytest rewrites the asserts of every module of a distribution that provides a pytest plugin
    (Hypothesis, anyio, xdist, syrupy, ...: ~150 modules the workers import), each worker on its
    own when nothing is cached. Only top-level names are looked up (``find_spec`` of a dotted name
    would import its parents); a name that cannot be found is left to the workers.
    """
    places: list[Path] = []
    for name in sorted(names):
        if "." in name:
            continue
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is None:
            continue
        if spec.submodule_search_locations:
            places.extend(Path(location) for location in spec.submodule_search_locations)
        elif spec.origin and spec.origin.endswith(".py"):
            places.append(Path(spec.origin))
    return tuple(places)


def _sources(place: Path) -> Iterable[Path]:
    return [place] if place.is_file() else place.rglob("*.py")


def _plain_pyc(source: Path) -> Path:
    return Path(importlib.util.cache_from_source(str(source)))


def stale_files(folders: Iterable[Path], rewriting: Rewriting) -> list[Path]:
    """The ``.py`` files under ``folders`` whose cached code (plain or rewritten) is missing or old."""
    stale = []
    for folder in folders:
        for source in _sources(folder):
            pyc = rewriting.pyc(source) if rewriting.rewrites(source) else _plain_pyc(source)
            if not _header_matches(source, pyc):
                stale.append(source)
    return stale


_rewriting_in_this_process: Rewriting | None = None


def _compile_one(source: Path) -> None:
    """Compile one file (in a forked helper, which inherited the controller's config)."""
    rewriting = _rewriting_in_this_process
    assert rewriting is not None
    try:
        if rewriting.rewrites(source):
            rewriting.compile(source)
        else:
            py_compile.compile(str(source), cfile=str(_plain_pyc(source)), doraise=True)
    except Exception:  # noqa: BLE001 - a file that does not compile fails in its worker, with its real error
        pass


def _worker_count() -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, cores or 1)


def warm_up(
    config: pytest.Config, folders: Iterable[Path], helpers: int | None = None, plugins: bool = False
) -> int:
    """Compile what the workers would compile, once; return how many files that was (0 when skipped).

    ``helpers``: how many processes share the work (default: one per core; 1 compiles in this process).
    ``plugins``: the modules pytest rewrites for its plugins (:func:`marked_sources`) too.
    """
    global _rewriting_in_this_process
    if sys.dont_write_bytecode:
        return 0  # nothing a worker writes either
    try:
        rewriting = Rewriting(config)
    except (ImportError, AttributeError, KeyError):
        return 0  # pytest's internals moved: the workers compile as before
    if plugins:
        folders = [*folders, *rewriting.marked]
    stale = sorted(stale_files(folders, rewriting), key=lambda path: path.stat().st_size, reverse=True)
    if not stale:
        return 0
    _rewriting_in_this_process = rewriting
    try:
        helpers = min(helpers or _worker_count(), len(stale))
        if helpers < 2 or "fork" not in multiprocessing.get_all_start_methods():
            for source in stale:
                _compile_one(source)
        else:
            # Forked: each helper inherits the config pytest's rewriting reads; only paths are pickled.
            with multiprocessing.get_context("fork").Pool(helpers) as pool:
                try:
                    pool.map_async(_compile_one, stale, chunksize=1).get(timeout=HANG_GUARD)
                except multiprocessing.TimeoutError:
                    pass  # a helper died with its file: whatever is left, the workers compile
    finally:
        _rewriting_in_this_process = None
    return len(stale)


def starts_workers(config: pytest.Config) -> bool:
    """True in the controller of a run that hands its tests to xdist workers."""
    if hasattr(config, "workerinput"):
        return False
    processes = getattr(config.option, "numprocesses", None)
    return isinstance(processes, int) and processes > 0 and getattr(config.option, "dist", "no") != "no"
