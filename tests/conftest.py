"""Shared fixtures for the whole test suite.

Keep each fixture small, documented and grouped by topic; fixtures used by a
single test module belong in that module.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # imported in the fixtures, after the bytecode setting below
    from liaobots_tui.api.transport import GatewayClient
    from liaobots_tui.demo.gateway import FakeGateway
    from liaobots_tui.store import Store

# ---------------------------------------------------------------- bytecode


def _cache_bytecode_outside_the_tree() -> None:
    """Under ``PYTHONDONTWRITEBYTECODE`` keep compiled code in the user's cache dir, not nowhere.

    With no bytecode written, every xdist worker compiles the project and rewrites the asserts of
    all ~70 test modules from source again (collection: ~7 s of CPU per worker instead of ~2.5 s),
    and every ``liaobots`` subprocess a test starts compiles the package again. The variable's
    purpose, no ``__pycache__`` in the source tree, still holds: the code goes under
    ``$XDG_CACHE_HOME/liaobots-tui/test-bytecode`` (``sys.pycache_prefix``, which pytest's assert
    rewriting honours too). The environment is changed before the workers and children start, so
    they inherit it. A prefix the user chose is kept as it is.
    """
    if not sys.dont_write_bytecode or sys.pycache_prefix:
        return
    cache_home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    prefix = str(cache_home / "liaobots-tui" / "test-bytecode")
    sys.pycache_prefix = prefix
    sys.dont_write_bytecode = False
    os.environ["PYTHONPYCACHEPREFIX"] = prefix
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    # The prefix hides the venv's own __pycache__ folders: their code is linked in once per venv.
    from tests.installed_bytecode import package_folders, seed

    seed(package_folders())


_cache_bytecode_outside_the_tree()

# ---------------------------------------------------------------- parallel runs


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto`` starts two workers per core, not one.

    A Pilot test spends much of its time waiting (for the app to look idle, for a subprocess,
    for the fake gateway's threads): a serial run kept one core only ~60% busy, and on this
    project's 2-core machine ``-n 4`` finished in 140 s where ``-n 2`` took 207 s (same load).
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return 2 * (cores or 1)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In an xdist worker, order the tests so each worker's first share holds its part of the
    long ones, longest first (``tests/scheduling.py``): the run no longer ends on one worker's
    Pilot tests. Every worker computes the same order, as xdist requires."""
    from tests.scheduling import spread

    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0") or 0)
    items[:] = spread(items, [item.nodeid for item in items], workers)


# ---------------------------------------------------------------- headless frames


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "draws_frames: a Pilot test that reads what its frames drew (tests/headless_frames.py)",
    )
    _compile_once_before_the_workers(config)
    _temporary_files_in_memory(config)
    from tests.bytecode_warmup import starts_workers

    if not starts_workers(config):  # the processes that run tests; xdist's controller runs none
        _property_tests_never_time_themselves()
        _starved_pauses_when_asked()


def _starved_pauses_when_asked() -> None:
    """Under ``LIAOBOTS_STARVED_PAUSES=1`` every idle wait of a Pilot test is one loop turn
    (``tests/starved_pauses.py``): the races a starved machine shows once in five runs, every run."""
    from tests import starved_pauses

    if starved_pauses.wanted():
        starved_pauses.install()


#: Where the tests' temporary directories go when the user chose no place: a memory file system.
MEMORY_TEMP_ROOT = Path("/dev/shm")
#: Free space it must have (bytes): the largest tests write replies of tens of megabytes and images.
MEMORY_TEMP_FREE = 2 << 30


def _temporary_files_in_memory(config: pytest.Config) -> None:
    """The tests' temporary directories (``tmp_path``, the XDG dirs) on ``/dev/shm`` when it is there.

    Every test writes a history database, and SQLite syncs it to disk when it is made, when WAL
    is switched on and when it is closed: ~35 ms of waiting a store on this machine's disk,
    ~4 ms in memory (and half the CPU), in each of the ~1,000 tests that make one (every Pilot
    test). Nothing a test checks depends on the disk: a killed process leaves the same bytes in
    memory as on a disk. A place the user chose (``--basetemp``, ``PYTEST_DEBUG_TEMPROOT``,
    ``TMPDIR``) is kept, and so is the default when ``/dev/shm`` is missing, not writable or
    short of space. Set in the controller before any directory is made: xdist's workers make
    theirs under the controller's.
    """
    if config.option.basetemp or os.environ.get("PYTEST_DEBUG_TEMPROOT") or os.environ.get("TMPDIR"):
        return
    if hasattr(config, "workerinput") or not os.access(MEMORY_TEMP_ROOT, os.W_OK | os.X_OK):
        return
    usage = os.statvfs(MEMORY_TEMP_ROOT)
    if usage.f_bavail * usage.f_frsize >= MEMORY_TEMP_FREE:
        os.environ["PYTEST_DEBUG_TEMPROOT"] = str(MEMORY_TEMP_ROOT)


def _compile_once_before_the_workers(config: pytest.Config) -> None:
    """In xdist's controller: compile the package and rewrite the test modules once
    (``tests/bytecode_warmup.py``), not once in every worker: a fresh clone's first run no longer
    pays it four times over. The modules pytest rewrites for its plugins (Hypothesis, xdist, ...) too."""
    from tests.bytecode_warmup import starts_workers, warm_up

    if starts_workers(config):
        root = Path(__file__).resolve().parent.parent
        warm_up(config, [root / "liaobots_tui", root / "tests"], plugins=True)


@pytest.fixture(autouse=True)
def frames_laid_out_not_drawn(request: pytest.FixtureRequest) -> Iterator[None]:
    """Headless apps lay frames out, but draw only their last screen, at the end (tests/headless_frames.py).

    A test marked ``draws_frames`` (it reads what frames drew) has every frame drawn, as Textual does.
    """
    from tests.headless_frames import DRAWS_FRAMES
    from tests.headless_frames import frames_laid_out_not_drawn as laid_out

    if request.node.get_closest_marker(DRAWS_FRAMES) is not None:
        yield
        return

    with laid_out():
        yield


# ---------------------------------------------------------------- property tests


def _property_tests_never_time_themselves() -> None:
    """Hypothesis fails an example that takes over 200 ms, and warns on slow data generation.

    Those are timing assertions: on a loaded machine a 40 ms example took 419 ms and failed the
    run (``FlakyFailure``). Every property test runs without a deadline or the too-slow health
    check; a test's own ``@settings`` still set its number of examples. Loaded in each process
    that runs tests, before it imports them: importing Hypothesis (~0.3 s of CPU) in xdist's
    controller delayed the start of every worker.
    """
    from hypothesis import HealthCheck, settings

    settings.register_profile("liaobots-suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile("liaobots-suite")


# ---------------------------------------------------------------- garbage collection


@pytest.fixture(autouse=True, scope="session")
def worker_heap_frozen() -> Iterator[None]:
    """The worker's heap (pytest, imports, test modules) is frozen once: see ``tests/worker_heap.py``.

    It stays frozen to the end: pytest's last look for unraisable exceptions collects five times
    over (``gc_collect_harder``), which over an unfrozen worker heap cost ~0.8 s of CPU at the end
    of every worker, the run's tail. What is frozen survived a full collection (then and at each
    refreeze), so those passes still find the tests' garbage.
    """
    from tests.worker_heap import freeze_worker_heap

    freeze_worker_heap()
    yield


@pytest.fixture(autouse=True)
def collections_scan_only_the_test(
    worker_heap_frozen: None, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """The app's full collections scan the test's objects, not the whole worker (``tests/worker_heap.py``).

    A test module that imports ``gc`` (it checks what the app freezes) keeps the real collector,
    and the worker heap is frozen again after it. What the worker keeps from a test (the modules it
    imported, Textual's caches) joins the frozen heap now and then (``keep_what_the_worker_kept``).
    """
    from liaobots_tui.ui import gc_pause
    from tests.worker_heap import (
        KEEPING_THE_WORKER_HEAP,
        keep_what_the_worker_kept,
        looks_at_the_collector,
        refreeze_worker_heap,
    )

    real = looks_at_the_collector(getattr(request, "module", None))
    if not real:
        monkeypatch.setattr(gc_pause, "gc", KEEPING_THE_WORKER_HEAP)
    yield
    if real:
        refreeze_worker_heap()
    else:
        keep_what_the_worker_kept()


# ---------------------------------------------------------------- isolation


@dataclass(frozen=True)
class XdgDirs:
    """The temporary XDG base directories a test runs under (not created up front)."""

    config: Path
    data: Path
    cache: Path


@pytest.fixture(autouse=True)
def xdg_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[XdgDirs]:
    """Point XDG config/data/cache at fresh temp dirs and clear every ``LIAOBOTS_*`` variable.

    Autouse, so no test can read or write the real config, history or cache, and
    a developer's own ``LIAOBOTS_AUTH_CODE`` never leaks into a test. Request it by
    name to get the paths.
    """
    root = tmp_path_factory.mktemp("xdg")
    dirs = XdgDirs(config=root / "config", data=root / "data", cache=root / "cache")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(dirs.config))
    monkeypatch.setenv("XDG_DATA_HOME", str(dirs.data))
    monkeypatch.setenv("XDG_CACHE_HOME", str(dirs.cache))
    for name in list(os.environ):
        if name.startswith("LIAOBOTS_"):
            monkeypatch.delenv(name)
    yield dirs


# ---------------------------------------------------------------- headless chats


@pytest.fixture
def auth_code() -> str:
    """The code ``gw`` accepts and ``client`` sends; a module overrides it to name its own."""
    return "gateway-test-code"


@pytest.fixture
def gw(auth_code: str) -> Iterator[FakeGateway]:
    """The demo gateway on 127.0.0.1, one per test: tests set its faults and read its requests."""
    from liaobots_tui.demo.gateway import FakeGateway

    with FakeGateway(auth_code=auth_code) as gateway:
        yield gateway


@pytest.fixture
async def client(gw: FakeGateway, auth_code: str) -> AsyncIterator[GatewayClient]:
    from liaobots_tui.api.transport import GatewayClient

    async with GatewayClient(gw.urls, auth_code) as gateway_client:
        yield gateway_client


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A history database and image folder in the test's tmp_path."""
    from liaobots_tui.store import Store

    with Store(tmp_path / "history.db", tmp_path / "images") as history:
        yield history
