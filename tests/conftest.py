"""Shared fixtures for the whole test suite.

Keep each fixture small, documented and grouped by topic; fixtures used by a
single test module belong in that module.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

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
