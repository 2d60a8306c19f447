"""The installed packages' own compiled code, linked into the suite's bytecode prefix of a new venv.

Under ``PYTHONDONTWRITEBYTECODE`` the suite keeps compiled code in ``sys.pycache_prefix``
(``tests/conftest.py``). A prefix applies to every import, not only the project's: Python then
looks for the venv's packages' code under the prefix too, never in the ``__pycache__`` folders
pip filled when it installed them. In a new venv (a fresh clone, ``.ci/run``) the prefix holds
nothing for it yet, so every test worker compiled the ~1,000 modules it imports (Textual, Rich,
httpx, Hypothesis, Pygments, pytest and its plugins) on its own, at the same moment: ~2 s of CPU
per process, in each of the four workers and in the first ``liaobots`` subprocesses.

Here, before any worker starts, the ``.pyc`` files pip wrote are hard-linked (copied across file
systems) to where the prefix makes Python look for them, once per venv: a marker beside them
records the site-packages folder's modification time, so a run in a venv already seeded only
reads that marker, and installing or upgrading a package seeds again. A link is only ever read:
Python replaces a cached file it finds out of date by writing a new file over the name, never
into the linked one, and checks every ``.pyc`` against its source before it uses it, so a
wrong or stale one costs a compile, never a wrong module. The standard library is left out:
it is shared by every venv of an interpreter, so the prefix holds it after a first run
anywhere on the machine (and walking it costs ~0.6 s of CPU).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import sysconfig
from collections.abc import Iterable
from pathlib import Path

#: The file, in a folder's mirror under the prefix, that says it was seeded (and from which state).
MARKER = ".installed-bytecode-seeded"


def package_folders() -> list[Path]:
    """The folders pip installs packages into (pure and platform-specific: usually one folder)."""
    paths = sysconfig.get_paths()
    folders = {Path(paths[key]) for key in ("purelib", "platlib") if key in paths}
    return sorted(folder for folder in folders if folder.is_dir())


def _mirror(folder: Path) -> Path:
    """Where the prefix keeps the compiled code of ``folder``'s own modules."""
    return Path(importlib.util.cache_from_source(str(folder / "_.py"))).parent


def _state(folder: Path) -> str:
    return str(folder.stat().st_mtime_ns)


def seed(folders: Iterable[Path]) -> int:
    """Link each folder's installed ``.pyc`` files into the prefix; return how many were linked.

    Nothing happens without a prefix, or for a folder whose marker matches its current state.
    A file already in the prefix is left as it is. Never raises for a file it cannot place: that
    module is compiled on import, as it was before.
    """
    if not sys.pycache_prefix:
        return 0
    suffix = f".{sys.implementation.cache_tag}.pyc"
    linked = 0
    for folder in folders:
        marker = _mirror(folder) / MARKER
        try:
            state = _state(folder)
            if marker.is_file() and marker.read_text() == state:
                continue
        except OSError:
            continue
        for cache, _, names in os.walk(folder):
            if os.path.basename(cache) != "__pycache__":
                continue
            for name in names:
                if name.endswith(suffix):
                    source = Path(cache).parent / (name[: -len(suffix)] + ".py")
                    linked += _place(Path(cache) / name, Path(importlib.util.cache_from_source(str(source))))
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.write_text(state)
        except OSError:
            pass
    return linked


def _place(pyc: Path, target: Path) -> int:
    """``pyc`` linked (or copied) to ``target`` when nothing is there yet: 1 if it was placed."""
    if target.exists():
        return 0
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(pyc, target)
        except OSError:  # another file system, or links not allowed: copied whole, then named
            partial = target.with_name(f"{target.name}.{os.getpid()}.part")
            shutil.copyfile(pyc, partial)
            os.replace(partial, target)
    except OSError:
        return 0  # compiled on import, as before
    return 1
