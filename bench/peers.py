"""The app beside the terminal chat clients a user would pick instead: oterm and elia.

Each client runs as a user runs it: its own command in a fresh process on a
pseudo-terminal of 120x40 cells, with its own home directory (config and history
start empty). The bench types the same prompt and presses Enter; one loopback
server (a child process) streams every client the same reply, word by word, as
fast as the client reads it:

- liaobots and elia talk to the fake Liaobots gateway's OpenAI Chat Completions
  endpoint (elia through its ``api_base`` setting);
- oterm talks to Ollama's API, so the same child also serves a small
  Ollama-format shim on loopback (``/api/chat`` as NDJSON, ``/api/tags``, ``/api/show``).

Replies (``--cases``): ``plain26`` (26 kB of plain prose in paragraphs),
``md24`` (24 kB of realistic Markdown: headings, lists, fences, tables) and
``md160`` (a long 160 kB Markdown reply). Reported per client and reply: time
from Enter until the client has drawn the whole reply and gone idle (under 10%
of a core for 2 s), its CPU time over that span, whether the reply's last words
were drawn, and RSS: before the prompt, peak while streaming (VmHWM) and settled
(VmRSS once idle). Then each peer's time and memory as ratios to liaobots.

The peers are installed from PyPI into throwaway virtualenvs under ``--cache``
(``~/.cache/liaobots-bench/peers`` by default), never into the project; a peer
whose install or start fails is reported as skipped with the reason.

    python bench/peers.py [--cases plain26,md24,md160] [--clients liaobots,oterm,elia]
                          [--rounds 1] [--cache DIR]
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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from app_harness import load
from app_startup import _DA1_QUERY, _ESCAPES, _cpu_seconds, _status_kb

HERE = Path(__file__).resolve().parent.parent
ROWS, COLUMNS = 40, 120
CELL_PIXELS = (10, 20)
#: The model every client asks for (a plain chat model of the fake gateway: no reasoning).
MODEL = "claude-sonnet-4-6"
OLLAMA_MODEL = "bench:latest"
#: The reply's last words: drawn on screen means the client showed the whole reply.
LAST_WORDS = "okapi zebra"
CASE_MARK = re.compile(r"\[\[bench=(\w+)\]\]")

PEERS = {
    # name: (pip requirement, module that must import, command in the venv's bin/)
    "oterm": ("oterm==0.26.*", "oterm", "oterm"),
    "elia": ("elia-chat==1.10.*", "elia_chat", "elia"),
}
CASES = {
    "plain26": "26 kB plain prose",
    "md24": "24 kB Markdown",
    "md160": "160 kB Markdown",
}


# ---------------------------------------------------------------- the replies


def case_text(name: str) -> str:
    """The reply for case ``name``: deterministic, ending with :data:`LAST_WORDS`."""
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
    return body.rstrip() + f"\n\nLast words: {LAST_WORDS}.\n"


class OllamaShim(ThreadingHTTPServer):
    """Ollama's chat API on loopback, streaming the bench's replies (for oterm)."""

    daemon_threads = True

    def __init__(self, deltas_for: Callable[[str], list[str]]) -> None:
        self.deltas_for = deltas_for
        super().__init__(("127.0.0.1", 0), _OllamaHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


_MODEL_DETAILS = {
    "parent_model": "",
    "format": "gguf",
    "family": "llama",
    "families": ["llama"],
    "parameter_size": "1B",
    "quantization_level": "Q4_0",
}


class _OllamaHandler(BaseHTTPRequestHandler):
    server: OllamaShim
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    def _json(self, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            return {}

    def do_GET(self) -> None:
        if self.path.startswith("/api/tags"):
            model = {"name": OLLAMA_MODEL, "model": OLLAMA_MODEL, "modified_at": "2026-01-01T00:00:00Z",
                     "size": 1, "digest": "0" * 64, "details": _MODEL_DETAILS}  # fmt: skip
            self._json({"models": [model]})
        elif self.path.startswith("/api/version"):
            self._json({"version": "0.12.0"})
        elif self.path.startswith("/api/ps"):
            self._json({"models": []})
        else:
            self._json({})

    def do_HEAD(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:
        body = self._body()
        if self.path.startswith("/api/show"):
            self._json({"modelfile": "", "parameters": "", "template": "{{ .Prompt }}",
                        "details": _MODEL_DETAILS, "model_info": {"general.architecture": "llama"},
                        "capabilities": ["completion"], "modified_at": "2026-01-01T00:00:00Z"})  # fmt: skip
            return
        if not self.path.startswith("/api/chat"):
            self._json({})
            return
        messages = body.get("messages") or [{}]
        prompt = str(messages[-1].get("content") or "")
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        stamp = "2026-01-01T00:00:00Z"
        batch: list[bytes] = []

        def chunk(data: bytes) -> None:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

        for delta in self.server.deltas_for(prompt):
            line = {"model": OLLAMA_MODEL, "created_at": stamp,
                    "message": {"role": "assistant", "content": delta}, "done": False}  # fmt: skip
            batch.append(json.dumps(line).encode() + b"\n")
            if len(batch) >= 32:  # as the gateway does: small events coalesced per write
                chunk(b"".join(batch))
                batch.clear()
        final = {"model": OLLAMA_MODEL, "created_at": stamp, "message": {"role": "assistant", "content": ""},
                 "done": True, "done_reason": "stop", "total_duration": 1, "load_duration": 1,
                 "prompt_eval_count": 1, "prompt_eval_duration": 1, "eval_count": 1,
                 "eval_duration": 1}  # fmt: skip
        batch.append(json.dumps(final).encode() + b"\n")
        chunk(b"".join(batch))
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


def serve() -> None:
    """The server child: the fake gateway and the Ollama shim, both answering the bench's replies."""
    from liaobots_tui.demo import reply as demo_reply
    from liaobots_tui.demo.gateway import FakeGateway
    from liaobots_tui.demo.replies import split_deltas

    cache: dict[str, list[str]] = {}
    original = demo_reply.reply_deltas

    def deltas_for(prompt: str) -> list[str]:
        mark = CASE_MARK.search(prompt)
        if mark is None:
            return split_deltas("Ask for [[bench=plain26]], [[bench=md24]] or [[bench=md160]].")
        name = mark.group(1)
        if name not in cache:
            cache[name] = split_deltas(case_text(name))
        return cache[name]

    def bench_reply_deltas(model: str, prompt: str) -> list[str]:
        return deltas_for(prompt) if CASE_MARK.search(prompt) else original(model, prompt)

    demo_reply.reply_deltas = bench_reply_deltas  # type: ignore[assignment]
    gateway = FakeGateway("demo", domains=1)
    gateway.start()
    shim = OllamaShim(deltas_for)
    threading.Thread(target=shim.serve_forever, daemon=True).start()
    print(json.dumps({"gateway": gateway.urls[0], "ollama": shim.url}), flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    shim.shutdown()
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
            with self._lock:
                self.text = (self.text + drawn)[-(1 << 18) :]

    def drawn(self) -> str:
        with self._lock:
            return self.text

    def clear(self) -> None:
        with self._lock:
            self.text = ""

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

    def wait_idle(self, quiet: float, timeout: float, *, not_before: float = 0.0) -> float | None:
        """When the program went idle: the start of the first window of ``quiet`` seconds in which
        it used under 10% of a core (looked for from ``not_before``); None on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < not_before:
            time.sleep(0.05)
        since, used = time.monotonic(), self.cpu()
        while time.monotonic() < deadline and self.alive:
            time.sleep(0.1)
            now, cpu = time.monotonic(), self.cpu()
            if cpu - used >= 0.1 * max(quiet, now - since):
                since, used = now, cpu
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
    error: str = ""


@dataclass
class Client:
    """How to start one client and bring it to an empty prompt."""

    name: str
    argv: list[str]
    env: dict[str, str]
    home: Path
    #: Keys that open a new chat and put the cursor in its prompt, after start-up went idle.
    prepare: Callable[[Terminal], None] = lambda term: None
    #: Keys that send the typed prompt.
    send: str = "\r"
    notes: list[str] = field(default_factory=list)


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
    (home / "liaobots" / "config.toml").write_text(
        f'auth_code = "demo"\nbase_urls = ["{urls["gateway"]}"]\nmodel = "{MODEL}"\nformat = "openai"\n'
    )
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
    return Client("elia", [str(venv_bin(cache, "elia") / "elia")], env, home)


def oterm_client(cache: Path, urls: dict[str, str], home: Path) -> Client:
    env = _base_env(home)
    env.update(OLLAMA_URL=urls["ollama"], OLLAMA_HOST=urls["ollama"], OTERM_VERIFY_SSL="False")

    def prepare(term: Terminal) -> None:
        # A new chat: ctrl+n opens the model dialog; the first model is picked, then saved.
        term.type("\x0e")
        term.wait_for(OLLAMA_MODEL.split(":")[0], 20)
        time.sleep(1.0)
        term.type("\r")
        time.sleep(1.0)
        term.type("\x13")  # ctrl+s: create the chat
        time.sleep(2.0)

    return Client("oterm", [str(venv_bin(cache, "oterm") / "oterm")], env, home, prepare)


def run_case(client: Client, case: str, timeout: float) -> Result:
    term = Terminal(client.argv, client.env, client.home)
    result = Result()
    try:
        if term.wait_idle(1.5, 90, not_before=term.started + 2.0) is None:
            result.error = "did not finish starting"
            return result
        client.prepare(term)
        term.wait_idle(1.0, 30)
        term.clear()
        term.type(f"Please answer at length. [[bench={case}]]")
        term.wait_idle(0.5, 20)
        result.before_mb = term.rss_mb()
        term.reset_peak()
        cpu_before = term.cpu()
        start = time.monotonic()
        term.type(client.send)
        idle = term.wait_idle(2.0, timeout, not_before=start + 1.0)
        if idle is None:
            result.error = f"still busy after {timeout:.0f} s" if term.alive else "exited"
            return result
        result.seconds = idle - start
        result.cpu = term.cpu() - cpu_before
        result.peak_mb = term.peak_mb()
        result.settled_mb = term.rss_mb()
        result.shown = LAST_WORDS in term.drawn()
        return result
    finally:
        term.close()


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
        if case not in CASES:
            parser.error(f"unknown case {case!r}; use {', '.join(CASES)}")
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
                    if result.error:
                        print(f"  {name}, {case}: {result.error}", flush=True)
    finally:
        server.stdin.close()
        server.wait(10)
    print(f"peers, the same reply streamed unpaced to each client in a {COLUMNS}x{ROWS} pty; {load()}")
    header = (f"  {'reply':<17} {'client':<9} {'time':>8} {'cpu':>8} {'RSS before':>11} {'peak':>7} "
              f"{'settled':>8}  end drawn")  # fmt: skip
    print(header)
    for case in cases:
        ours = results.get(("liaobots", case), [])
        for name in names:
            found = [r for r in results.get((name, case), []) if not r.error]
            if not found:
                why = skipped.get(name) or next((r.error for r in results.get((name, case), [])), "not run")
                print(f"  {CASES[case]:<17} {name:<9} {'-':>8}  ({why})")
                continue
            seconds = statistics.median(r.seconds for r in found)
            cpu = statistics.median(r.cpu for r in found)
            line = (f"  {CASES[case]:<17} {name:<9} {seconds:7.1f}s {cpu:7.1f}s "
                    f"{statistics.median(r.before_mb for r in found):9.0f}MB "
                    f"{max(r.peak_mb for r in found):5.0f}MB {max(r.settled_mb for r in found):6.0f}MB  "
                    f"{'yes' if all(r.shown for r in found) else 'NO'}")  # fmt: skip
            good = [r for r in ours if not r.error]
            if name != "liaobots" and good:
                base = statistics.median(r.seconds for r in good)
                peak = max(r.peak_mb for r in good)
                settled = max(r.settled_mb for r in good)
                line += (f"   vs liaobots: time {seconds / base:.1f}x, peak "
                         f"{max(r.peak_mb for r in found) / peak:.2f}x, settled "
                         f"{max(r.settled_mb for r in found) / settled:.2f}x")  # fmt: skip
            print(line)
    print("  (x > 1: the peer takes longer / holds more memory than liaobots)")


if __name__ == "__main__":
    main()
