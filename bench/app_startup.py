"""How fast the app starts and opens a chat, measured the way a user meets it: ``liaobots`` in a terminal.

Each run starts the real command (``python -m liaobots_tui``) in a fresh process on a
pseudo-terminal of 120x40 cells, with its own ``LIAOBOTS_HOME``, and reads what it
draws. The bench plays the terminal: it answers the capability queries a real
terminal answers (the cell size through the window size, DA1), not the Kitty
graphics query (like xterm, tmux, GNOME Terminal). Reported per run:

- **time to first paint**: from spawning the process to the chat shown on screen,
  i.e. the newest reply's last words drawn (wall time; ``cpu`` is the process's
  user+sys CPU up to then, which the machine's load disturbs less);
- **peak RSS** (``VmHWM``) at that moment, and once the process has gone idle
  (``settled``: no CPU used for a while, so background work such as rendering the
  rest of a long message is included).

Scenarios:

1. ``startup``: a history of 1,000 chats (4 messages each); ``liaobots`` opens the newest.
   Target: first paint < 1 s (was ~1.5 s).
2. ``huge``: the newest chat holds one 50 MB reply of realistic Markdown (``--huge-mb``).
   Target: < 2 s, < 300 MB (was 50 s, 1.9 GB).
3. ``floor``: a bare Textual app drawing one line, in the same terminal: what the
   framework alone costs, for scale.

``--baseline DIR`` also runs every scenario against another checkout (e.g. ``/work/main``),
alternating the two run by run, and prints the ratio of the medians: before and
after measured side by side under the same load.

Bytecode is compiled once and cached (outside the trees), as for an installed app;
``--no-bytecode-cache`` compiles the sources at every start instead (what a checkout
run with ``PYTHONDONTWRITEBYTECODE`` and no ``__pycache__`` pays).

    python bench/app_startup.py [--runs 5] [--chats 1000] [--huge-mb 50]
                                [--baseline /work/main] [--only startup|huge|floor]
                                [--no-bytecode-cache]
"""

from __future__ import annotations

import argparse
import errno
import fcntl
import os
import pty
import re
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from dataclasses import dataclass
from pathlib import Path

ROWS, COLUMNS = 40, 120
#: Pixel size reported with the window size, so the cell size needs no escape-sequence query.
CELL_PIXELS = (10, 20)
HERE = Path(__file__).resolve().parent.parent

NEWEST_MARKER = "newest reply ends with okapi"
HUGE_MARKER = "the very last words are zebra"

_PROSE = (
    "Short answer: *yes*. The borrow checker enforces one mutable or many shared references; "
    "ownership moves on assignment, `clone()` copies, references borrow. "
)
MARKDOWN = (
    "## Section {n}\n\n"
    "Here is the plan for part {n}; it reads the **file** lazily and counts `ERROR` lines:\n\n"
    "1. Open the file\n2. Count the errors\n3. Report the total\n\n"
    "```python\nfor line in fh:\n    if 'ERROR' in line:\n        total += 1\n```\n\n"
    "| Approach | Memory | Speed |\n|---|---|---|\n"
    "| stream | constant | fast |\n| read() | whole file | fast |\n\n"
    "> A quoted remark about section {n}, and some 中文 text to keep it honest.\n\n" + _PROSE * 2 + "\n\n"
)


# ---------------------------------------------------------------- seeding


def seed_history(home: Path, chats: int, huge_mb: float = 0.0) -> None:
    """``chats`` chats of 4 messages; with ``huge_mb`` the newest holds one reply that large."""
    sys.path.insert(0, str(HERE))
    from liaobots_tui.api.messages import Message, TextPart
    from liaobots_tui.store import Store

    with Store(home / "history.sqlite3", home / "images") as store:
        for n in range(chats):
            cid = store.create_conversation(title=f"Chat number {n}: a question about parsing")
            last = NEWEST_MARKER if n == chats - 1 and not huge_mb else f"Reply {n}, done."
            store.add_messages(
                cid,
                [
                    Message("user", [TextPart(f"Question {n}: how does this work?")]),
                    Message("assistant", [TextPart(MARKDOWN.format(n=n))], model="gpt-5.4", format="openai"),
                    Message("user", [TextPart("And in one line?")]),
                    Message("assistant", [TextPart(last)], model="gpt-5.4", format="openai"),
                ],
            )
        if huge_mb:
            cid = store.create_conversation(title="A chat with a huge reply")
            target = int(huge_mb * 1_000_000)
            pieces, size, n = [], 0, 0
            while size < target:
                piece = MARKDOWN.format(n=n)
                pieces.append(piece)
                size += len(piece.encode())
                n += 1
            pieces.append(HUGE_MARKER + "\n")
            store.add_messages(
                cid,
                [
                    Message("user", [TextPart("Write a very long document.")]),
                    Message("assistant", [TextPart("".join(pieces))], model="gpt-5.4", format="openai"),
                ],
            )
    config = home / "config.toml"
    config.write_text(
        # A closed port: the model list and the balance fail at once, as offline.
        'auth_code = "bench-startup"\nbase_urls = ["http://127.0.0.1:9"]\nimage_mode = "auto"\n'
    )
    # Readable only by its owner, as the app writes it (setup): a world-readable file holding
    # the auth code gets a warning toast at every start, which is not what a user meets daily.
    config.chmod(0o600)


# ---------------------------------------------------------------- the terminal

_ESCAPES = re.compile(
    rb"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    rb"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC
    rb"|\x1b[P_^X][^\x1b]*\x1b\\"  # DCS, APC, PM, SOS
    rb"|\x1b[^\[\]P_^X]"  # two-byte escapes
)
_DA1_QUERY = re.compile(rb"\x1b\[0?c")


@dataclass
class Run:
    first_paint: float
    cpu: float
    rss_mb: float
    settled_rss_mb: float
    settled_s: float


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_in_terminal(
    argv: list[str], env: dict[str, str], marker: str, *, cwd: Path | None = None, timeout: float = 300
) -> Run:
    """Run ``argv`` (in ``cwd``) on a fresh pty until ``marker`` is drawn, then until it is idle; kill it."""
    start = time.monotonic()
    pid, master = pty.fork()
    if pid == 0:  # the child: becomes the program
        try:
            if cwd is not None:
                os.chdir(cwd)
            os.execvpe(argv[0], argv, env)
        finally:
            os._exit(127)
    winsize = struct.pack("HHHH", ROWS, COLUMNS, COLUMNS * CELL_PIXELS[0], ROWS * CELL_PIXELS[1])
    fcntl.ioctl(master, termios.TIOCSWINSZ, winsize)
    screen = b""
    painted: float | None = None
    cpu = rss = 0.0
    idle_since: float | None = None
    last_cpu = -1.0
    try:
        while True:
            now = time.monotonic()
            if now - start > timeout:
                drawn = _ESCAPES.sub(b"", screen)[-3000:].decode(errors="replace")
                if painted is not None:
                    raise TimeoutError(f"drawn after {painted:.1f} s, but still busy after {timeout:.0f} s")
                raise TimeoutError(f"{marker!r} not drawn after {timeout:.0f} s; last drawn: {drawn}")
            try:
                ready = _wait_readable(master, 0.05)
                data = os.read(master, 1 << 16) if ready else b""
            except OSError as exc:  # EIO: the child is gone
                if exc.errno != errno.EIO:
                    raise
                raise RuntimeError(f"the app exited before drawing {marker!r}: {screen[-2000:]!r}") from None
            if data:
                for _ in _DA1_QUERY.findall(data):
                    os.write(master, b"\x1b[?62;22c")  # a VT220-class terminal without sixel
                screen = (screen + data)[-(1 << 18) :]
                if painted is None and marker.encode() in _ESCAPES.sub(b"", screen):
                    painted = time.monotonic() - start
                    cpu = _cpu_seconds(pid)
                    rss = _status_kb(pid, "VmHWM") / 1024
            if painted is not None:
                # Settled: under 10% of a core used for a whole second (background rendering is
                # over; a spinner or the balance's loading bar may still tick).
                now = time.monotonic()
                if idle_since is None:
                    idle_since, last_cpu = now, _cpu_seconds(pid)
                elif now - idle_since >= 1.0:
                    used = _cpu_seconds(pid)
                    if used - last_cpu < 0.1 * (now - idle_since):
                        settled_rss = _status_kb(pid, "VmHWM") / 1024
                        return Run(painted, cpu, rss, settled_rss, idle_since - start)
                    idle_since, last_cpu = now, used
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        os.close(master)


def _wait_readable(fd: int, timeout: float) -> bool:
    import select

    return bool(select.select([fd], [], [], timeout)[0])


# ---------------------------------------------------------------- scenarios

FLOOR_APP = """
from textual.app import App
from textual.widgets import Static
class Floor(App):
    def compose(self):
        yield Static("floor app drawn")
Floor().run()
"""


#: Where the runs keep compiled bytecode (None: nothing kept, every start compiles the sources).
BYTECODE_DIR: Path | None = None


def _env(tree: Path, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIAOBOTS_", "TEXTUAL", "PYTHONPYCACHE"))}
    env.update(PYTHONPATH=str(tree), LIAOBOTS_HOME=str(home), TERM="xterm-256color", COLORTERM="truecolor")
    # ``python -m`` puts the working directory first on the path: run from a checkout, the
    # baseline would import that checkout's code, not its own.
    env["PYTHONSAFEPATH"] = "1"
    if BYTECODE_DIR is not None:
        # As an installed app runs: pip compiles the package when it installs it. The cache is
        # kept apart from the trees (nothing written into a checkout), and filled by a warm-up run.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(BYTECODE_DIR)
    else:  # the installed packages keep their bytecode; a checkout without __pycache__ compiles
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _app_argv() -> list[str]:
    return [sys.executable, "-m", "liaobots_tui"]


def scenario(name: str, trees: list[Path], runs: int, home: Path, marker: str) -> None:
    results: dict[Path, list[Run]] = {tree: [] for tree in trees}
    argv_of = {tree: [sys.executable, "-c", FLOOR_APP] if name == "floor" else _app_argv() for tree in trees}
    if BYTECODE_DIR is not None:
        for tree in trees:  # the warm-up fills the bytecode cache; not counted
            run_in_terminal(argv_of[tree], _env(tree, home), marker, cwd=tree)
    for _ in range(runs):
        for tree in trees:  # alternated: the same load for both
            # In the tree: `python -m` puts the working directory first on sys.path, so run
            # from another checkout it would import that checkout's code, not the tree's.
            results[tree].append(run_in_terminal(argv_of[tree], _env(tree, home), marker, cwd=tree))
    for tree, found in results.items():
        paint = [r.first_paint for r in found]
        cpu = [r.cpu for r in found]
        label = f"{name} [{tree}]" if len(trees) > 1 else name
        print(
            f"{label}: first paint median {statistics.median(paint):.2f} s "
            f"(range {min(paint):.2f}-{max(paint):.2f}), cpu {statistics.median(cpu):.2f} s, "
            f"peak RSS {max(r.rss_mb for r in found):.0f} MB at paint, "
            f"{max(r.settled_rss_mb for r in found):.0f} MB settled "
            f"(idle after {statistics.median(r.settled_s for r in found):.1f} s)"
        )
    if len(trees) == 2:
        before, after = (statistics.median(r.first_paint for r in results[t]) for t in trees)
        cpu_before, cpu_after = (statistics.median(r.cpu for r in results[t]) for t in trees)
        print(
            f"  {name}: this tree / baseline = {after / before:.2f}x wall, {cpu_after / cpu_before:.2f}x cpu"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--huge-mb", type=float, default=50.0)
    parser.add_argument("--baseline", type=Path, help="another checkout, run alternately")
    parser.add_argument("--only", choices=("startup", "huge", "floor"))
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="compile the sources at every start (a checkout run with PYTHONDONTWRITEBYTECODE)",
    )
    args = parser.parse_args()
    global BYTECODE_DIR
    trees = ([args.baseline.resolve()] if args.baseline else []) + [HERE]
    print(f"load: {os.getloadavg()[0]:.1f} (1 min), terminal {COLUMNS}x{ROWS}")
    with tempfile.TemporaryDirectory() as tmp:
        BYTECODE_DIR = None if args.no_bytecode_cache else Path(tmp) / "bytecode"
        print("bytecode: " + ("compiled at every start" if BYTECODE_DIR is None else "cached, as installed"))
        if args.only in (None, "floor"):
            scenario("floor", [HERE], args.runs, Path(tmp), "floor app drawn")
        if args.only in (None, "startup"):
            home = Path(tmp) / "startup"
            home.mkdir()
            seed_history(home, args.chats)
            scenario(f"startup, {args.chats:,} chats", trees, args.runs, home, NEWEST_MARKER)
        if args.only in (None, "huge"):
            home = Path(tmp) / "huge"
            home.mkdir()
            seed_history(home, 20, huge_mb=args.huge_mb)
            scenario(f"open a {args.huge_mb:g} MB reply", trees, args.runs, home, HUGE_MARKER)
    print(f"load: {os.getloadavg()[0]:.1f} (1 min) at the end")


if __name__ == "__main__":
    main()
