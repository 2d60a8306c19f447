"""httpx without the parts this client never runs: every module here imports httpx from this one.

Importing httpx as it ships loads two optional extras when they happen to be installed:

* its own command-line client (``httpx._main``), and with it rich, click and pygments
  (~55 ms on an idle core, half of httpx's import time);
* httpcore imports trio for running under trio (~100 ms), while this client only ever
  runs on asyncio (through anyio, which it keeps).

Here httpx is imported with ``httpx._main`` kept out (``httpx.main`` is then httpx's own
"extras not installed" stub), and an import finder refuses trio to httpcore's modules alone,
whenever httpcore loads. httpx itself is imported on first use: the name ``httpx`` here stands
for it until one of its names is first looked up (start-up needs no HTTP; the app's client is
made on its first request).
Nothing is held back from anyone else: ``import trio`` or ``import httpx._main`` elsewhere
work as usual, and what was loaded before this module (httpx, httpcore, trio) stays as it is.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING

__all__ = ["httpx"]


class _NoTrioForHttpcore(importlib.abc.MetaPathFinder):
    """Fails ``import trio`` done by httpcore's own modules (httpcore then runs on anyio alone)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == "trio" and _importer().partition(".")[0] == "httpcore":
            raise ModuleNotFoundError("trio is not used by this client", name="trio")
        return None


def _importer() -> str:
    """The module whose code runs the import being looked up (importlib's own frames skipped)."""
    frame = sys._getframe(1)
    while frame is not None:
        name = str(frame.f_globals.get("__name__", ""))
        if not name.startswith("importlib") and name != __name__:
            return name
        frame = frame.f_back  # type: ignore[assignment]
    return ""


def _import_httpx() -> ModuleType:
    if "httpx" not in sys.modules:
        # None in sys.modules makes `from ._main import main` fail with ImportError, which httpx
        # answers with its stub; the entry goes again so a later `import httpx._main` loads it.
        sys.modules["httpx._main"] = None  # type: ignore[assignment]
        try:
            return importlib.import_module("httpx")
        finally:
            if sys.modules.get("httpx._main", ...) is None:
                del sys.modules["httpx._main"]
    # Another thread may be importing it right now (two first requests at once, each preparing
    # the stack in a thread): sys.modules then holds it half made, and import_module waits for
    # that import to finish where a plain look-up handed out a module without its names.
    return importlib.import_module("httpx")


def _hold_trio_back_from_httpcore() -> None:
    if "trio" not in sys.modules and "httpcore" not in sys.modules:
        if not any(isinstance(finder, _NoTrioForHttpcore) for finder in sys.meta_path):
            sys.meta_path.insert(0, _NoTrioForHttpcore())


class _HttpxOnFirstUse(ModuleType):
    """Stands for httpx until a name of it is first looked up, then imports it (lean) and hands
    that name over; each name is kept here once looked up, so later look-ups cost what a module's do.

    The app's first paint needs no HTTP (its client is made on first request), and httpx with
    httpcore, h11, idna and ssl is ~40 ms of its start-up.
    """

    def __getattr__(self, name: str) -> object:
        value = getattr(_import_httpx(), name)
        setattr(self, name, value)
        return value


# The finder goes in now (it is free): whoever imports httpcore first, it loads without trio.
_hold_trio_back_from_httpcore()

if TYPE_CHECKING:
    import httpx as httpx
elif "httpx" in sys.modules:  # loaded before this module: used as it is
    httpx = sys.modules["httpx"]
else:
    httpx = _HttpxOnFirstUse("httpx", "httpx, imported on first use (liaobots_tui.api.lean_httpx)")
