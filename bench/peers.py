"""The app beside the terminal chat clients a user would pick instead: oterm and elia.

Each client runs as a user runs it: its own command in a fresh process on a
pseudo-terminal of 120x40 cells, with its own home directory (config and history
start empty). The bench types the same prompt and presses Enter; one loopback
server (a child process) streams every client the same reply, word by word, as
fast as the client reads it:

the fake Liaobots gateway's OpenAI Chat Completions endpoint, which every client
speaks: liaobots with ``format = "openai"``, elia through a model with ``api_base``
(litellm), oterm through an ``openaiCompatible`` endpoint (pydantic-ai; oterm 0.26
speaks that as well as Ollama's API, so no Ollama shim is needed). So the bytes on
the wire are the same for all three.

Replies (``--cases``): ``plain26`` (26 kB of plain prose in paragraphs),
``md24`` (24 kB of realistic Markdown: headings, lists, fences, tables) and
``md160`` (a long 160 kB Markdown reply), or ``start`` (start-up only, no prompt);
``NAMExN`` (``md160x3``) asks for that reply N times in one chat, one after the
other, and reports the settled RSS after each (does memory grow per reply?).
Reported per client and reply: time from Enter until the reply's last words are drawn
(or, where they never are, until the client went idle), its CPU time until it went idle,
whether the last words were drawn, and RSS: before the prompt, peak while streaming
(VmHWM) and settled (VmRSS once idle). Then each peer's time and memory as ratios to
liaobots. Every run also times the start-up: from the exec to the first screen drawn and
to idle after it (ready for the prompt), with the CPU used by then.

The peers are installed from PyPI into throwaway virtualenvs under ``--cache``
(``~/.cache/liaobots-bench/peers`` by default), never into the project; a peer
whose install or start fails is reported as skipped with the reason.

    python bench/peers.py [--cases plain26,md24,md160,md160x3,start] [--clients liaobots,oterm,elia]
                          [--rounds 1] [--timeout 600] [--cache DIR]

``PEERS_DEBUG=1`` prints the end of what each client drew (to see why a client did not finish).
"""

from __future__ import annotations

import argparse
import errno
import fcntl
import json
import os
import pty
import re
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from app_harness import load
from app_startup import _DA1_QUERY, _ESCAPES, _cpu_seconds, _status_kb

HERE = Path(__file__).resolve().parent.parent
ROWS, COLUMNS = 40, 120
CELL_PIXELS = (10, 20)
#: The model every client asks for (a plain chat model of the fake gateway: no reasoning).
MODEL = "claude-sonnet-4-6"
#: The reply's last words: drawn on screen means the client showed the whole reply.
LAST_WORDS = "okapi zebra"
CASE_MARK = re.compile(r"\[\[bench=(\w+)\]\]")
#: The first screen is drawn once this many visible (non-space) characters are: each client's
#: first frame draws 580-4,300 (elia prints a 77-character line before its first frame).
FIRST_SCREEN_CHARS = 400
#: Which reply of a series a prompt asks for: each ends with other last words, so the previous
#: reply's, drawn again while the next one streams, do not count as the next one's end.
REPLY_MARK = re.compile(r"\[\[reply=(\d+)\]\]")
ORDINALS = ("", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
SERIES = re.compile(r"([a-z]+\d+)x(\d)")

PEERS = {
    # name: (pip requirement, module that must import, command in the venv's bin/)
    "oterm": ("oterm==0.26.*", "oterm", "oterm"),
    "elia": ("elia-chat==1.10.*", "elia_chat", "elia"),
}
CASES = {
    "plain26": "26 kB plain prose",
    "md24": "24 kB Markdown",
    "md160": "160 kB Markdown",
    "start": "start-up only",
}


def last_words(reply: int) -> str:
    """The last words of reply number ``reply`` of a series (0: a single reply)."""
    return f"{LAST_WORDS} {ORDINALS[reply]}" if reply else LAST_WORDS


def split_case(case: str) -> tuple[str, int]:
    """``md160x3`` -> ("md160", 3): the reply and how many times in one chat (1: a single reply)."""
    series = SERIES.fullmatch(case)
    return (series.group(1), int(series.group(2))) if series else (case, 1)


def case_label(case: str) -> str:
    name, replies = split_case(case)
    return CASES[name] + (f" x{replies}" if replies > 1 else "")


# ---------------------------------------------------------------- the replies


def case_text(name: str, reply: int = 0) -> str:
    """The reply for case ``name``: deterministic, ending with :func:`last_words` of ``reply``."""
    from liaobots_tui.demo.replies import reply_text

    if name == "plain26":
        words = ("the quick brown fox jumps over the lazy dog while a patient reader follows "
                 "every line of this long and plain answer without any markup at all").split()  # fmt: skip
        out: list[str] = []
        size = 0
        index = 0
        while size < 26_400:
            sentence = " ".join(words[(index + k) % len(words)] for k in range(12)).capitalize() + "."
            out.append(sentence + ("\n\n" if index % 5 == 4 else " "))
            size += len(out[-1]) + 1
            index += 1
        body = "".join(out)
    elif name == "md24":
        body = reply_text(MODEL, "[[deltas=4900]]")
    elif name == "md160":
        body = reply_text(MODEL, "[[deltas=33000]]")
    else:
        raise ValueError(name)
    return body.rstrip() + f"\n\nLast words: {last_words(reply)}.\n"


def serve() -> None:
    """The server child: the fake gateway, answering ``[[bench=NAME]]`` prompts with the bench's replies."""
    from liaobots_tui.demo import reply as demo_reply
    from liaobots_tui.demo.gateway import FakeGateway
    from liaobots_tui.demo.replies import split_deltas

    cache: dict[tuple[str, int], list[str]] = {}
    original = demo_reply.reply_deltas

    def deltas_for(prompt: str) -> list[str]:
        mark = CASE_MARK.search(prompt)
        if mark is None:
            return split_deltas("Ask for [[bench=plain26]], [[bench=md24]] or [[bench=md160]].")
        reply = REPLY_MARK.search(prompt)
        key = (mark.group(1), int(reply.group(1)) if reply else 0)
        if key not in cache:
            cache[key] = split_deltas(case_text(*key))
        return cache[key]

    def bench_reply_deltas(model: str, prompt: str) -> list[str]:
        return deltas_for(prompt) if CASE_MARK.search(prompt) else original(model, prompt)

    demo_reply.reply_deltas = bench_reply_deltas  # type: ignore[assignment]
    # Credits for any number of rounds: at the default 100 the seventh 160 kB reply was refused.
    gateway = FakeGateway("demo", domains=1, balance=1e9)
    gateway.start()
    print(json.dumps({"gateway": gateway.urls[0]}), flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    gateway.stop()


# ---------------------------------------------------------------- the terminal


class Terminal:
    """A program on a fresh pty of ROWS x COLUMNS; a thread keeps reading what it draws."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self.started = time.monotonic()
        pid, master = pty.fork()
        if pid == 0:  # the child: becomes the program
            try:
                os.chdir(cwd)
                os.execvpe(argv[0], argv, env)
            finally:
                os._exit(127)
        self.pid, self.master = pid, master
        winsize = struct.pack("HHHH", ROWS, COLUMNS, COLUMNS * CELL_PIXELS[0], ROWS * CELL_PIXELS[1])
        fcntl.ioctl(master, termios.TIOCSWINSZ, winsize)
        self._lock = threading.Lock()
        #: What was drawn, escape sequences removed (the last 256 kB).
        self.text = ""
        #: The words that end the reply awaited now, and when they were first drawn after the
        #: last clear (None: not yet).
        self.last_words = LAST_WORDS
        self.last_words_at: float | None = None
        #: When the first screen was drawn (:data:`FIRST_SCREEN_CHARS`), and the CPU used by then.
        self.first_screen_at: float | None = None
        self.first_screen_cpu = 0.0
        self._visible = 0
        self.alive = True
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        pending = b""
        while True:
            try:
                data = os.read(self.master, 1 << 16)
            except OSError as exc:
                if exc.errno != errno.EIO:
                    raise
                data = b""
            if not data:
                self.alive = False
                return
            for _ in _DA1_QUERY.findall(data):
                os.write(self.master, b"\x1b[?62;22c")  # a VT220-class terminal without sixel
            pending = (pending + data)[-(1 << 18) :]
            # Keep an unfinished escape sequence for the next read.
            cut = pending.rfind(b"\x1b")
            head, pending = (
                (pending[:cut], pending[cut:]) if cut >= 0 and len(pending) - cut < 64 else (pending, b"")
            )
            drawn = _ESCAPES.sub(b"", head).decode(errors="replace")
            if self.first_screen_at is None:
                self._visible += len("".join(drawn.split()))
                if self._visible >= FIRST_SCREEN_CHARS:
                    self.first_screen_cpu = self.cpu()
                    self.first_screen_at = time.monotonic()
            with self._lock:
                seen = len(self.text)
                self.text = (self.text + drawn)[-(1 << 18) :]
                fresh = self.text[max(0, len(self.text) - len(drawn) - len(self.last_words)) :]
                if self.last_words_at is None and seen and self.last_words in fresh:
                    self.last_words_at = time.monotonic()

    def drawn(self) -> str:
        with self._lock:
            return self.text

    def clear(self, last_words: str = LAST_WORDS) -> None:
        with self._lock:
            self.text = ""
            self.last_words = last_words
            self.last_words_at = None

    def wait_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.alive and not condition():
            time.sleep(0.05)
        return condition()

    def wait_for(self, words: str, timeout: float) -> bool:
        """Until ``words`` are drawn (after the last clear)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.alive:
            if words in self.drawn():
                return True
            time.sleep(0.05)
        return words in self.drawn()

    def type(self, keys: str, pause: float = 0.0) -> None:
        for key in keys if pause else [keys]:
            os.write(self.master, key.encode())
            if pause:
                time.sleep(pause)

    def cpu(self) -> float:
        return _cpu_seconds(self.pid)

    def rss_mb(self) -> float:
        return _status_kb(self.pid, "VmRSS") / 1024

    def peak_mb(self) -> float:
        return _status_kb(self.pid, "VmHWM") / 1024

    def reset_peak(self) -> None:
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
        except OSError:
            pass

    def runnable(self) -> bool:
        """Is one of its threads running or waiting for a CPU now?"""
        try:
            tasks = list(Path(f"/proc/{self.pid}/task").iterdir())
        except OSError:
            return False
        for task in tasks:
            try:
                if (task / "stat").read_text().rsplit(")", 1)[1].split()[0] == "R":
                    return True
            except (OSError, IndexError):
                continue
        return False

    def wait_idle(
        self,
        quiet: float,
        timeout: float,
        *,
        not_before: float = 0.0,
        until: Callable[[], bool] | None = None,
    ) -> float | None:
        """When the program went idle: the start of the first window of ``quiet`` seconds in which
        it used under 5% of a core and was seen runnable in under a tenth of the looks (on a
        loaded machine a busy program waiting for a CPU uses little of it, but is runnable).
        Looked for from ``not_before``; returns at once when ``until()`` holds; None on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < not_before:
            time.sleep(0.05)
        since, used = time.monotonic(), self.cpu()
        looks = busy = 0
        while time.monotonic() < deadline and self.alive:
            if until is not None and until():
                return time.monotonic()
            time.sleep(0.05)
            looks += 1
            busy += self.runnable()
            now, cpu = time.monotonic(), self.cpu()
            if cpu - used >= 0.05 * max(quiet, now - since) or busy > max(1, looks // 10):
                since, used, looks, busy = now, cpu, 0, 0
            elif now - since >= quiet:
                return since
        return None

    def close(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)
        os.close(self.master)


# ---------------------------------------------------------------- the clients


@dataclass
class Result:
    seconds: float = 0.0
    cpu: float = 0.0
    before_mb: float = 0.0
    peak_mb: float = 0.0
    settled_mb: float = 0.0
    shown: bool = False
    #: False: still busy at the timeout (seconds is then a lower bound, memory as it was then).
    finished: bool = True
    error: str = ""
    #: Start-up, from the exec: the first screen drawn, and idle (ready for the prompt); CPU by then.
    first_screen: float = 0.0
    first_screen_cpu: float = 0.0
    ready: float = 0.0
    ready_cpu: float = 0.0
    ready_mb: float = 0.0
    #: A series (``md160x3``): settled RSS after each reply, and each reply's time.
    settled_each: list[float] = field(default_factory=list)
    seconds_each: list[float] = field(default_factory=list)


@dataclass
class Client:
    """How to start one client (it opens on an empty prompt) and send what was typed."""

    name: str
    argv: list[str]
    env: dict[str, str]
    home: Path
    #: Keys that send the typed prompt (Enter; elia sends on ctrl+j).
    send: str = "\r"


def _base_env(home: Path) -> dict[str, str]:
    keep = ("PATH", "LANG", "LC_ALL", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        TERM="xterm-256color",
        COLORTERM="truecolor",
        LANG=os.environ.get("LANG", "C.UTF-8"),
    )
    return env


def liaobots_client(urls: dict[str, str], home: Path) -> Client:
    env = _base_env(home)
    env.update(PYTHONPATH=str(HERE), LIAOBOTS_HOME=str(home / "liaobots"))
    (home / "liaobots").mkdir(parents=True)
    config = home / "liaobots" / "config.toml"
    config.write_text(
        f'auth_code = "demo"\nbase_urls = ["{urls["gateway"]}"]\nmodel = "{MODEL}"\nformat = "openai"\n'
    )
    config.chmod(0o600)  # as the app writes it: else it warns that others can read the auth code
    return Client("liaobots", [sys.executable, "-m", "liaobots_tui"], env, home)


def venv_bin(cache: Path, peer: str) -> Path:
    return cache / peer / "bin"


def ensure_peer(cache: Path, peer: str) -> str:
    """Install ``peer`` into its venv under ``cache`` unless it is there; "" or why it cannot run."""
    requirement, module, command = PEERS[peer]
    python = venv_bin(cache, peer) / "python"
    if python.exists():
        check = subprocess.run([str(python), "-c", f"import {module}"], capture_output=True, text=True)
        if check.returncode == 0 and (venv_bin(cache, peer) / command).exists():
            return ""
    print(f"  installing {requirement} into {cache / peer} …", flush=True)
    made = subprocess.run(
        [sys.executable, "-m", "venv", "--clear", str(cache / peer)], capture_output=True, text=True
    )
    if made.returncode != 0:
        return f"venv failed: {made.stderr.strip().splitlines()[-1:]}"
    pip = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", requirement], capture_output=True, text=True
    )
    if pip.returncode != 0:
        errors = [line for line in pip.stderr.splitlines() if "ERROR" in line] or pip.stderr.splitlines()
        return f"pip install {requirement} failed: {errors[-1] if errors else pip.returncode}"
    return ""


def elia_client(cache: Path, urls: dict[str, str], home: Path) -> Client:
    env = _base_env(home)
    config = home / ".config" / "elia"
    config.mkdir(parents=True)
    # An OpenAI-compatible model at our gateway (elia reaches it through litellm).
    (config / "config.toml").write_text(
        f'default_model = "bench"\n\n[[models]]\nname = "openai/{MODEL}"\nid = "bench"\n'
        f'display_name = "Bench"\napi_base = "{urls["gateway"]}/v1"\napi_key = "demo"\n'
    )
    return Client("elia", [str(venv_bin(cache, "elia") / "elia")], env, home, send="\n")


#: Run in oterm's venv: its own store gets one chat on our endpoint, so oterm opens on its prompt.
OTERM_SEED = """
import asyncio
from oterm.store.store import Store
from oterm.types import ChatModel

async def seed():
    store = await Store.get_store()
    await store.save_chat(ChatModel(name="bench", model="%s", provider="openai-compat/liaobots"))

asyncio.run(seed())
"""


def oterm_client(cache: Path, urls: dict[str, str], home: Path) -> Client:
    env = _base_env(home)
    data = home / ".local" / "share" / "oterm"
    data.mkdir(parents=True)
    env.update(OTERM_DATA_DIR=str(data), OLLAMA_URL="http://127.0.0.1:9")  # no Ollama here: fails at once
    endpoint = {"base_url": urls["gateway"] + "/v1", "api_key": "demo"}
    config = {"splash-screen": False, "openaiCompatible": {"liaobots": endpoint}}
    (data / "config.json").write_text(json.dumps(config))
    python = str(venv_bin(cache, "oterm") / "python")
    subprocess.run([python, "-c", OTERM_SEED % MODEL], env=env, check=True, capture_output=True)
    return Client("oterm", [str(venv_bin(cache, "oterm") / "oterm")], env, home)


def run_case(client: Client, case: str, timeout: float) -> Result:
    """One chat in a fresh client: the case's reply, or each reply of a series one after the other.

    A series' time and CPU are the sums over its replies, its peak the session's, its settled RSS
    the one after the last reply (after each in ``settled_each``)."""
    name, replies = split_case(case)
    term = Terminal(client.argv, client.env, client.home)
    result = Result()
    try:
        # Ready: idle once its first screen is drawn (oterm idles ~15 s before it draws anything).
        drawn = term.wait_until(lambda: term.first_screen_at is not None, 120)
        ready = term.wait_idle(1.5, 120, not_before=term.first_screen_at or 0.0) if drawn else None
        if term.first_screen_at is None or ready is None:
            result.error = "did not finish starting"
            return result
        result.ready, result.ready_cpu, result.ready_mb = ready - term.started, term.cpu(), term.rss_mb()
        result.first_screen = term.first_screen_at - term.started
        result.first_screen_cpu = term.first_screen_cpu
        if name == "start":
            return result
        for reply in range(1, replies + 1) if replies > 1 else [0]:
            term.clear(last_words(reply))
            mark = f" [[reply={reply}]]" if reply else ""
            term.type(f"Please answer at length. [[bench={name}]]{mark}")
            term.wait_idle(0.5, 20)
            if reply <= 1:
                result.before_mb = term.rss_mb()
                term.reset_peak()
            cpu_before = term.cpu()
            start = time.monotonic()
            term.type(client.send)
            # Done: the reply's last words are drawn (or, for a client that does not follow the
            # end of the reply, it went idle); then settled once idle (RSS, CPU).
            done = term.wait_idle(
                3.0, timeout, not_before=start + 1.0, until=lambda: term.last_words_at is not None
            )
            if done is None and not term.alive:
                result.error = "exited"
                return result
            result.shown = term.last_words_at is not None
            if done is None:
                result.finished, seconds = False, timeout
            else:
                seconds = (term.last_words_at or done) - start
                term.wait_idle(2.0, 120)
            result.seconds += seconds
            result.cpu += term.cpu() - cpu_before
            result.peak_mb = term.peak_mb()
            result.settled_mb = term.rss_mb()
            result.seconds_each.append(seconds)
            result.settled_each.append(result.settled_mb)
            if os.environ.get("PEERS_DEBUG"):
                print(f"--- {client.name}, {case} ({reply}): the end of what it drew ---\n"
                      f"{term.drawn()[-3000:]}\n---")  # fmt: skip
            if not (result.finished and result.shown):
                break  # still streaming, or it never showed the end: the next reply would not count
        return result
    finally:
        term.close()


def run_figures(case: str, result: Result) -> str:
    """One run's figures, as the bench goes."""
    if case == "start":
        screen = f"first screen {result.first_screen:.2f} s (cpu {result.first_screen_cpu:.2f} s)"
        return (
            f"{screen}, ready {result.ready:.2f} s (cpu {result.ready_cpu:.2f} s), {result.ready_mb:.0f} MB"
        )
    memory = f"{result.before_mb:.0f} / {result.peak_mb:.0f} / {result.settled_mb:.0f}"
    figures = f"{result.seconds:.1f} s, cpu {result.cpu:.1f} s, RSS {memory} MB"
    if len(result.settled_each) > 1:
        figures += ", settled after each reply " + " / ".join(f"{mb:.1f}" for mb in result.settled_each)
        figures += " MB, each reply " + " / ".join(f"{s:.1f}" for s in result.seconds_each) + " s"
        figures += "" if result.shown else " (the last one's end never drawn)"
    return figures


def print_start(results: dict[tuple[str, str], list[Result]], names: list[str]) -> None:
    """Start-up per client, medians over every run of every case: time and CPU to the first screen
    and to idle (ready for the prompt), RSS then; each peer's CPU to the first screen as a ratio."""
    print("start-up (a fresh home; medians over every run):")
    header = f"{'first screen':>13} {'cpu':>7} {'ready (idle)':>13} {'cpu':>7} {'RSS':>7}"
    print(f"  {'client':<9} {'runs':>4} {header}")
    base: tuple[float, float, float] | None = None
    for name in names:
        runs = [r for (who, _), found in results.items() if who == name for r in found if r.ready]
        if not runs:
            continue
        screen_cpu = statistics.median(r.first_screen_cpu for r in runs)
        ready_cpu = statistics.median(r.ready_cpu for r in runs)
        ready_mb = statistics.median(r.ready_mb for r in runs)
        line = (f"  {name:<9} {len(runs):>4} {statistics.median(r.first_screen for r in runs):12.2f}s "
                f"{screen_cpu:6.2f}s {statistics.median(r.ready for r in runs):12.2f}s "
                f"{ready_cpu:6.2f}s {ready_mb:5.0f}MB")  # fmt: skip
        if name == "liaobots":
            base = (screen_cpu, ready_cpu, ready_mb)
        elif base:
            line += (f"   vs liaobots: CPU to first screen {screen_cpu / base[0]:.2f}x, to ready "
                     f"{ready_cpu / base[1]:.2f}x, RSS {ready_mb / base[2]:.2f}x")  # fmt: skip
        print(line)


def series_line(found: list[Result]) -> str:
    """Settled RSS after each reply of a series (medians over rounds) and its growth per reply."""
    replies = min(len(r.settled_each) for r in found)
    each = [statistics.median(r.settled_each[i] for r in found) for i in range(replies)]
    line = " / ".join(f"{mb:.1f}" for mb in each) + " MB"
    if replies >= 3:
        line += f"  ({(each[-1] - each[1]) / (replies - 2):+.2f} MB a reply)"
    elif replies == 2:
        line += f"  ({each[1] - each[0]:+.2f} MB the second reply)"
    if any(len(r.settled_each) < replies or not r.finished for r in found) or replies < max(
        len(r.settled_each) for r in found
    ):
        line += "  (a round stopped early: a reply did not finish)"
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", default="plain26,md24,md160")
    parser.add_argument("--clients", default="liaobots,oterm,elia")
    parser.add_argument("--rounds", type=int, default=1, help="runs per client and case (medians)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds a reply may take")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "liaobots-bench" / "peers")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    cases = [c for c in args.cases.split(",") if c]
    names = [c for c in args.clients.split(",") if c]
    for case in cases:
        if split_case(case)[0] not in CASES:
            parser.error(f"unknown case {case!r}; use {', '.join(CASES)} or a series such as md160x3")
    skipped: dict[str, str] = {}
    for peer in names:
        if peer in PEERS:
            why = ensure_peer(args.cache, peer)
            if why:
                skipped[peer] = why
                print(f"  {peer}: skipped ({why})")
    server = subprocess.Popen([sys.executable, __file__, "--serve"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert server.stdout is not None and server.stdin is not None
    urls = json.loads(server.stdout.readline())
    results: dict[tuple[str, str], list[Result]] = {}
    try:
        for case in cases:
            for _ in range(args.rounds):
                for name in names:  # alternated: the same load for each
                    if name in skipped:
                        continue
                    with tempfile.TemporaryDirectory() as tmp:
                        home = Path(tmp)
                        if name == "liaobots":
                            client = liaobots_client(urls, home)
                        elif name == "elia":
                            client = elia_client(args.cache, urls, home)
                        else:
                            client = oterm_client(args.cache, urls, home)
                        result = run_case(client, case, args.timeout)
                    results.setdefault((name, case), []).append(result)
                    busy = "" if result.finished else f"still busy after {args.timeout:.0f} s"
                    state = result.error or busy
                    print(f"  {name}, {case}: {state or run_figures(case, result)}", flush=True)
    finally:
        server.stdin.close()
        server.wait(10)
    print(f"peers, the same reply streamed unpaced to each client in a {COLUMNS}x{ROWS} pty; {load()}")
    header = (f"  {'reply':<21} {'client':<9} {'time':>8} {'cpu':>8} {'RSS before':>11} {'peak':>7} "
              f"{'settled':>8}  end drawn")  # fmt: skip
    print(header)
    series: list[str] = []
    for case in cases:
        if case == "start":
            continue
        label = case_label(case)
        ours = results.get(("liaobots", case), [])
        for name in names:
            found = [r for r in results.get((name, case), []) if not r.error]
            if not found:
                why = skipped.get(name) or next((r.error for r in results.get((name, case), [])), "not run")
                print(f"  {label:<21} {name:<9} {'-':>8}  ({why})")
                continue
            seconds = statistics.median(r.seconds for r in found)
            cpu = statistics.median(r.cpu for r in found)
            over = "" if all(r.finished for r in found) else ">"
            line = (f"  {label:<21} {name:<9} {over:>1}{seconds:6.1f}s {cpu:7.1f}s "
                    f"{statistics.median(r.before_mb for r in found):9.0f}MB "
                    f"{max(r.peak_mb for r in found):5.0f}MB {max(r.settled_mb for r in found):6.0f}MB  "
                    f"{'yes' if all(r.shown for r in found) else 'NO'}")  # fmt: skip
            good = [r for r in ours if not r.error]
            if name != "liaobots" and good:
                base = statistics.median(r.seconds for r in good)
                peak = max(r.peak_mb for r in good)
                settled = max(r.settled_mb for r in good)
                base_cpu = statistics.median(r.cpu for r in good)
                line += (f"   vs liaobots: time {over}{seconds / base:.1f}x, "
                         f"cpu {over}{cpu / base_cpu:.1f}x, peak "
                         f"{max(r.peak_mb for r in found) / peak:.2f}x, settled "
                         f"{max(r.settled_mb for r in found) / settled:.2f}x")  # fmt: skip
            print(line)
            if split_case(case)[1] > 1:
                series.append(f"  {label:<21} {name:<9} " + series_line(found))
    print_start(results, names)
    if series:
        print("settled RSS after each reply of one chat (median over rounds; growth per reply from the"
              " second reply on):")  # fmt: skip
        print("\n".join(series))
    print("  (x > 1: the peer takes longer / holds more memory than liaobots; '>': still streaming at the"
          " timeout, memory as it was then)")  # fmt: skip


if __name__ == "__main__":
    main()
