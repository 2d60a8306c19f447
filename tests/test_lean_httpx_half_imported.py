"""A look-up through lean httpx while another thread is still importing httpx waits for that import.

Two first requests at once (Compare's lanes) each prepare the HTTP stack in a worker thread;
the second found httpx in ``sys.modules`` half made and handed out a module without its
names (``AttributeError``: the lane failed). Here, in a fresh interpreter, one thread's import
of httpx is held inside httpx, another thread looks ``AsyncClient`` up, and only once that
look-up has reached the import system (or ended) is the first import let go on: the look-up
gets the class.
"""

from __future__ import annotations

from tests.test_cli_lean_imports import run_python

SCRIPT = r"""
import importlib, importlib.abc, sys, threading
assert "httpx" not in sys.modules
from liaobots_tui.api.lean_httpx import httpx

inside, release, progress = threading.Event(), threading.Event(), threading.Event()

class HoldInsideHttpx(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if fullname == "httpx._client" and not inside.is_set():
            inside.set()
            release.wait()
        return None

sys.meta_path.insert(0, HoldInsideHttpx())
import_module = importlib.import_module

def watched_import_module(name, package=None):
    if threading.current_thread().name == "second":
        progress.set()  # the look-up reached the import system: it waits there for the first import
    return import_module(name, package)

importlib.import_module = watched_import_module
results = {}

def look_up(name):
    try:
        results[name] = httpx.AsyncClient.__name__
    except Exception as exc:
        results[name] = type(exc).__name__
    finally:
        progress.set()

first = threading.Thread(target=look_up, args=("first",), name="first")
first.start()
inside.wait()
second = threading.Thread(target=look_up, args=("second",), name="second")
second.start()
progress.wait()
release.set()
first.join()
second.join()
print(results["first"], results["second"])
"""


def test_a_look_up_during_another_threads_import_of_httpx_gets_its_names() -> None:
    assert run_python(SCRIPT) == ["AsyncClient", "AsyncClient"]
