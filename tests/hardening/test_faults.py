"""Failure injection through the fake gateway: what the user sees, and that history keeps everything.

Each fault runs twice: through the ``liaobots`` CLI in-process (exit code, stdout,
the one stderr line) and through :class:`ChatSession` with a :class:`Store` (the
events the app renders). Either way the history must hold the prompt and the
partial reply, marked failed with the reason the user was shown.

Waits are never real: rate limits advertise ``Retry-After: 0`` and the session
tests pass a recording ``sleep``. The only real timer is the stall tests' read
timeout (STALL_READ_TIMEOUT), which is the thing under test; every other test reads
with a generous timeout, so a gateway thread slowed by a busy machine is never taken
for a stall.
"""

from __future__ import annotations

import asyncio
import io
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from liaobots_tui import cli, paths
from liaobots_tui.api import lean_httpx
from liaobots_tui.api.messages import (
    DomainEvent,
    ErrorEvent,
    FinishEvent,
    Format,
    Message,
    RequestOptions,
    RetryEvent,
    TextDelta,
    TextPart,
)
from liaobots_tui.api.transport import GatewayClient, Timeouts
from liaobots_tui.chat import ChatEvent, ChatSession, TurnEnded, TurnStarted
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.demo.replies import reply_deltas
from liaobots_tui.store import Store
from tests.cli_driving import Result, gateway_in_env, run_cli

pytestmark = pytest.mark.faults

AUTH = "faults-test-code-8d2f"
#: (model, wire format) for each of the four formats.
FORMATS: list[tuple[str, Format]] = [
    ("gpt-5.4", "openai"),
    ("claude-sonnet-4-6", "anthropic"),
    ("gpt-5.4", "responses"),
    ("gemini-3-pro-preview", "gemini"),
]
FORMAT_IDS = [fmt for _, fmt in FORMATS]


#: The read timeout of the stall tests: the gateway's first deltas must reach the client
#: within it, which 0.5 s did not always allow on a machine running busy loops beside the suite.
STALL_READ_TIMEOUT = 2.0


@pytest.fixture
def gw(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGateway]:
    with gateway_in_env(monkeypatch, AUTH) as gateway:
        yield gateway


def history() -> list[Message]:
    """The latest conversation's messages, read back from disk as a fresh process would."""
    with Store(paths.db_file(), paths.images_dir()) as store:
        cid = store.latest_conversation_id()
        assert cid is not None
        return store.load_conversation(cid).messages


def partial(model: str, prompt: str, n: int) -> str:
    """The first ``n`` deltas of the fake gateway's reply."""
    return "".join(reply_deltas(model, prompt)[:n])


def chat_posts(gw: FakeGateway) -> list[int]:
    """Domain index of each chat request the gateway received."""
    return [r.domain for r in gw.requests if r.method == "POST"]


def assert_no_chat_left() -> None:
    """A turn that failed before any reply byte leaves no chat behind (the prompt was on the command line)."""
    with Store(paths.db_file(), paths.images_dir()) as store:
        assert store.count_conversations() == 0


def assert_failed_turn(messages: list[Message], prompt: str, text: str, error_start: str) -> None:
    user, reply = messages[-2], messages[-1]
    assert (user.role, user.text, user.status) == ("user", prompt, "complete")
    assert (reply.role, reply.status, reply.text) == ("assistant", "failed", text)
    assert reply.error is not None and reply.error.startswith(error_start), reply.error


def one_error_line(r: Result) -> str:
    """The last stderr line (the error), checking it is a single prefixed line."""
    lines = r.err.splitlines()
    assert lines and lines[-1].startswith("liaobots: ") and "Traceback" not in r.err, r
    return lines[-1]


# ================================================================= through the CLI


@pytest.mark.parametrize(("model", "fmt"), FORMATS, ids=FORMAT_IDS)
def test_cli_primary_dead_fails_over_silently(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str], model: str, fmt: Format
) -> None:
    gw.faults.dead_domains = {0}
    r = run_cli(capsys, "ask", "-m", model, "-f", fmt, "hello there")
    assert (r.code, r.err) == (0, "")
    assert r.out == gw.reply_text_for(model, "hello there") + "\n"
    assert chat_posts(gw) == [1]
    reply = history()[-1]
    assert (reply.status, reply.error, reply.text) == ("complete", None, r.out[:-1])


def test_cli_all_domains_dead_names_every_host(gw: FakeGateway, capsys: pytest.CaptureFixture[str]) -> None:
    gw.faults.dead_domains = {0, 1, 2, 3}
    r = run_cli(capsys, "ask", "-m", "gpt-5.4", "anyone home?")
    assert r.code == 1 and r.out == ""
    line = one_error_line(r)
    assert r.err.count("\n") == 1
    hosts = [u.removeprefix("http://") for u in gw.urls]
    assert line == "liaobots: All domains unreachable: " + "; ".join(
        f"{h}: connection refused" for h in hosts
    )
    assert_no_chat_left()


def test_cli_every_kind_of_broken_domain_is_named(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    gw.faults.dead_domains = {0}
    gw.faults.html_502_domains = {1, 3}
    gw.faults.status_503_domains = {2}
    r = run_cli(capsys, "ask", "-m", "claude-sonnet-4-6", "hi")
    assert r.code == 1
    h = [u.removeprefix("http://") for u in gw.urls]
    assert one_error_line(r) == (
        f"liaobots: All domains unreachable: {h[0]}: connection refused; {h[1]}: HTTP 502; "
        f"{h[2]}: HTTP 503; {h[3]}: HTTP 502"
    )
    assert "<html" not in r.err and "cloudflare" not in r.err  # the HTML page is summarised, never dumped


def test_cli_html_502_on_primary_fails_over(gw: FakeGateway, capsys: pytest.CaptureFixture[str]) -> None:
    gw.faults.html_502_domains = {0}
    r = run_cli(capsys, "ask", "-m", "gemini-3-pro-preview", "hello")
    assert (r.code, r.err) == (0, "")
    assert chat_posts(gw) == [0, 1]
    assert history()[-1].status == "complete"


class ThreadsOwnOutput(io.TextIOBase):
    """Standard output or error shared by CLI runs on several threads: each thread's writes kept apart.

    ``cli.main`` writes to ``sys.stdout``/``sys.stderr`` (wrapped in its TerminalGuard, which
    wraps a stream once), so runs on threads of one process write through this one object.
    A thread that is not a run's (the fake gateway's) gets a list of its own, checked empty.
    """

    def __init__(self, runs: dict[int, str]) -> None:
        super().__init__()
        self.runs = runs
        self.written: dict[str, list[str]] = {}
        self.lock = threading.Lock()

    def write(self, text: str) -> int:
        with self.lock:
            self.written.setdefault(self.runs.get(threading.get_ident(), "other"), []).append(text)
        return len(text)

    def isatty(self) -> bool:
        return False

    def text_of(self, run: str) -> str:
        return "".join(self.written.get(run, []))


def test_cli_stalls_mid_reply_keep_partial_text_in_every_format(
    gw: FakeGateway, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Was ``test_cli_stall_mid_reply_keeps_partial_text[openai|anthropic|responses|gemini]``, one
    ``liaobots ask`` per format, each waiting out the read timeout (STALL_READ_TIMEOUT) in turn:
    the four runs now wait it out at once, on threads of this process, each with its own output
    and its own chat in the shared history. Each run's exit code, stdout, stderr and saved turn
    are checked as before."""
    config = tmp_path / "config.toml"
    config.write_text(f"read_timeout = {STALL_READ_TIMEOUT}\n")
    monkeypatch.setenv("LIAOBOTS_CONFIG_FILE", str(config))
    gw.faults.stall_after = 3
    gw.faults.stall_seconds = 30  # ended by the client's read timeout (and the gateway's stop)
    runs: dict[int, str] = {}
    out, err = ThreadsOwnOutput(runs), ThreadsOwnOutput(runs)
    codes: dict[str, int] = {}
    failures: list[BaseException] = []
    started = threading.Barrier(len(FORMATS))

    def ask(model: str, fmt: Format) -> None:
        runs[threading.get_ident()] = fmt
        started.wait()  # every run is known to the outputs before any writes
        try:
            codes[fmt] = cli.main(["ask", "-m", model, "-f", fmt, "tell me a story"])
        except BaseException as error:  # noqa: BLE001 - raised in the test below
            failures.append(error)

    # httpx is imported on its first use (api/lean_httpx.py), by one thread: the CLI has no other.
    assert lean_httpx.httpx.AsyncClient is not None
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    threads = [threading.Thread(target=ask, args=(model, fmt)) for model, fmt in FORMATS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    monkeypatch.setattr(sys, "stdout", sys.__stdout__)  # the guard cli.main put around ours goes too
    monkeypatch.setattr(sys, "stderr", sys.__stderr__)
    if failures:
        raise failures[0]
    assert out.text_of("other") == err.text_of("other") == ""
    stalled = f"Stream stalled: no data for {STALL_READ_TIMEOUT:g} s"
    with Store(paths.db_file(), paths.images_dir()) as store:
        chats = {summary.format: summary.id for summary in store.list_conversations()}
        assert len(chats) == len(FORMATS)
        for model, fmt in FORMATS:
            r = Result(codes[fmt], out.text_of(fmt), err.text_of(fmt))
            assert r.code == 1, r
            text = partial(model, "tell me a story", 3)
            assert r.out == text + "\n"
            assert r.err == f"liaobots: {stalled}\n"
            messages = store.load_conversation(chats[fmt]).messages
            assert (messages[-1].model, messages[-1].format) == (model, fmt)
            assert_failed_turn(messages, "tell me a story", text, stalled)


@pytest.mark.parametrize(("model", "fmt"), FORMATS, ids=FORMAT_IDS)
def test_cli_connection_dropped_mid_stream(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str], model: str, fmt: Format
) -> None:
    gw.faults.drop_after = 4
    r = run_cli(capsys, "ask", "-m", model, "-f", fmt, "go on")
    assert r.code == 1
    text = partial(model, "go on", 4)
    assert r.out == text + "\n"
    assert one_error_line(r).startswith("liaobots: Connection lost: ") and r.err.count("\n") == 1
    assert_failed_turn(history(), "go on", text, "Connection lost: ")
    assert chat_posts(gw) == [0]  # a reply that began is never sent again


@pytest.mark.parametrize(("model", "fmt"), FORMATS, ids=FORMAT_IDS)
def test_cli_rate_limit_storm_is_retried_and_shown(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str], model: str, fmt: Format
) -> None:
    gw.faults.rate_limit = 3  # Anthropic alternates 429 and 529
    gw.faults.retry_after = 0
    r = run_cli(capsys, "ask", "-m", model, "-f", fmt, "busy?")
    assert r.code == 0 and r.out == gw.reply_text_for(model, "busy?") + "\n"
    reasons = ["Rate limited", "Overloaded", "Rate limited"] if fmt == "anthropic" else ["Rate limited"] * 3
    assert r.err.splitlines() == [
        f"liaobots: {reason}, retrying in 0 s (attempt {n})" for n, reason in enumerate(reasons, 2)
    ]
    assert chat_posts(gw) == [0, 0, 0, 0]  # resent to the same domain: it answered, it is not down
    assert history()[-1].status == "complete"


@pytest.mark.parametrize(("model", "fmt"), FORMATS, ids=FORMAT_IDS)
def test_cli_endless_rate_limit_gives_up_after_bounded_retries(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str], model: str, fmt: Format
) -> None:
    gw.faults.rate_limit = 100
    gw.faults.retry_after = 0
    r = run_cli(capsys, "ask", "-m", model, "-f", fmt, "still busy?")
    assert r.code == 1 and r.out == ""
    lines = r.err.splitlines()
    assert len(lines) == 4 and all("retrying in 0 s" in line for line in lines[:3])
    assert lines[3].startswith("liaobots: Rate limited: ")
    assert len(chat_posts(gw)) == 4  # 1 + max_retries, then stop
    assert_no_chat_left()


def test_cli_retry_after_beyond_the_limit_is_not_waited(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    gw.faults.rate_limit = 1
    gw.faults.retry_after = 3600
    r = run_cli(capsys, "ask", "-m", "gpt-5.4", "later")
    assert r.code == 1
    assert r.err.count("\n") == 1 and r.err.rstrip().endswith("(the server asks to wait 3600 s)")
    assert len(chat_posts(gw)) == 1


@pytest.mark.parametrize(("model", "fmt"), FORMATS, ids=FORMAT_IDS)
def test_cli_out_of_credit_is_not_retried(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str], model: str, fmt: Format
) -> None:
    gw.faults.out_of_credit = True
    r = run_cli(capsys, "ask", "-m", model, "-f", fmt, "one more")
    assert r.code == 1 and r.out == ""
    assert one_error_line(r).startswith("liaobots: Out of credits: ") and r.err.count("\n") == 1
    assert len(chat_posts(gw)) == 1
    assert_no_chat_left()


def test_cli_history_keeps_every_prompt_and_partial_reply_across_faults(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """One conversation continued with ``-c`` through every fault: nothing typed or received is lost."""
    config = tmp_path / "config.toml"
    monkeypatch.setenv("LIAOBOTS_CONFIG_FILE", str(config))
    faults = gw.faults
    model = "claude-sonnet-4-6"
    steps: list[tuple[str, dict[str, object], int, str, str | None]] = [
        # prompt, faults, exit code, expected reply text, error prefix
        ("first", {}, 0, gw.reply_text_for(model, "first"), None),
        ("second", {"mid_stream_error_after": 2}, 1, partial(model, "second", 2), "Rate limited: Overloaded"),
        ("third", {"drop_after": 5}, 1, partial(model, "third", 5), "Connection lost: "),
        (
            "fourth",
            {"stall_after": 1, "stall_seconds": 30.0},
            1,
            partial(model, "fourth", 1),
            "Stream stalled: ",
        ),
        ("fifth", {"dead_domains": [0, 1, 2, 3]}, 1, "", "All domains unreachable: "),
        ("sixth", {"out_of_credit": True}, 1, "", "Out of credits: "),
        ("seventh", {"rate_limit": 100, "retry_after": 0}, 1, "", "Rate limited: "),
        # The empty failed replies are not sent back, so the last four prompts reach the model as one
        # merged user turn (roles must alternate): its reply is whatever that turn gets.
        ("eighth", {}, 0, "<any>", None),
    ]
    for n, (prompt, change, code, text, _) in enumerate(steps):
        faults.reset()
        faults.update(change)
        config.write_text(f"read_timeout = {STALL_READ_TIMEOUT if 'stall_after' in change else 60}\n")
        args = ["ask", "-m", model, prompt] if n == 0 else ["ask", "-c", prompt]
        r = run_cli(capsys, *args)
        assert r.code == code, (prompt, r)
        if text != "<any>":
            assert r.out == (text + "\n" if text else ""), prompt
    messages = history()
    steps[-1] = (*steps[-1][:3], messages[-1].text, None)
    assert r.out == messages[-1].text + "\n" and messages[-1].text
    assert len(messages) == 2 * len(steps)
    for (prompt, _, _, text, error), user, reply in zip(steps, messages[0::2], messages[1::2], strict=True):
        assert (user.role, user.text) == ("user", prompt)
        assert (reply.role, reply.text, reply.model) == ("assistant", text, model)
        if error is None:
            assert (reply.status, reply.error) == ("complete", None)
        else:
            assert reply.status == "failed" and reply.error is not None and reply.error.startswith(error), (
                prompt,
                reply.error,
            )


# ================================================================= through ChatSession + Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "history.sqlite3", tmp_path / "images") as s:
        yield s


class Sleeps:
    """A ``sleep`` for GatewayClient that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def session(gw: FakeGateway, store: Store, sleeps: Sleeps) -> AsyncIterator[ChatSession]:
    async with GatewayClient(gw.urls, AUTH, timeouts=Timeouts(read=60), sleep=sleeps, jitter=0) as client:
        yield ChatSession(client, store)


async def turn(session: ChatSession, prompt: str, model: str, fmt: Format) -> tuple[list[ChatEvent], Message]:
    """Run one turn; return its events and the reply as reloaded from the store."""
    stream = session.send(None, Message("user", [TextPart(prompt)]), RequestOptions(model), format=fmt)
    events = [e async for e in stream]
    started, ended = events[0], events[-1]
    assert isinstance(started, TurnStarted) and isinstance(ended, TurnEnded)
    saved = session.store.load_conversation(started.conversation_id).messages
    assert [m.role for m in saved] == ["user", "assistant"] and saved[0].text == prompt
    reply = saved[1]
    # What the app showed (the events) is what history holds.
    assert reply.text == "".join(e.text for e in events if isinstance(e, TextDelta)) == ended.reply.text
    assert (reply.status, reply.error) == (ended.reply.status, ended.reply.error)
    return events, reply


def only(events: list[ChatEvent], kind: type) -> list[object]:
    return [e for e in events if isinstance(e, kind)]


@pytest.mark.parametrize(("model", "fmt"), FORMATS, ids=FORMAT_IDS)
async def test_session_primary_dead_announces_the_new_domain(
    session: ChatSession, gw: FakeGateway, model: str, fmt: Format
) -> None:
    gw.faults.dead_domains = {0}
    events, reply = await turn(session, "hi", model, fmt)
    assert only(events, DomainEvent) == [DomainEvent(gw.urls[1])]
    assert reply.status == "complete" and reply.text == gw.reply_text_for(model, "hi")


async def test_session_all_domains_dead(session: ChatSession, gw: FakeGateway) -> None:
    gw.faults.dead_domains = {0, 1, 2, 3}
    events, reply = await turn(session, "hi", "gpt-5.4", "openai")
    (error,) = only(events, ErrorEvent)
    assert isinstance(error, ErrorEvent) and error.title == "All domains unreachable" and error.retryable
    for url in gw.urls:
        assert f"{url.removeprefix('http://')}: connection refused" in error.message
    assert (reply.status, reply.text, reply.error) == ("failed", "", error.one_line())


async def test_session_html_502_everywhere(session: ChatSession, gw: FakeGateway) -> None:
    gw.faults.html_502_domains = {0, 1, 2, 3}
    events, reply = await turn(session, "hi", "gemini-3-pro-preview", "gemini")
    (error,) = only(events, ErrorEvent)
    assert isinstance(error, ErrorEvent)
    assert error.message.count("HTTP 502") == 4 and "<" not in error.message
    assert reply.status == "failed"


async def stalled_turn(
    gw: FakeGateway, folder: Path, model: str, fmt: Format
) -> tuple[list[ChatEvent], Message]:
    """One turn through a session of its own (store, client) with the stall tests' short read timeout."""
    timeouts = Timeouts(read=STALL_READ_TIMEOUT)
    with Store(folder / f"{fmt}.sqlite3", folder / f"{fmt}-images") as own_store:
        async with GatewayClient(gw.urls, AUTH, timeouts=timeouts, sleep=Sleeps(), jitter=0) as client:
            return await turn(ChatSession(client, own_store), "a slow one", model, fmt)


async def test_session_stall_ends_with_partial_text_in_every_format(gw: FakeGateway, tmp_path: Path) -> None:
    """The four formats stall at the same time, so their read timeouts run out together: one wait, not four.

    Was ``test_session_stall_ends_with_partial_text[openai|anthropic|responses|gemini]``, one
    STALL_READ_TIMEOUT each; every assertion is kept, per format.
    """
    gw.faults.stall_after = 2
    gw.faults.stall_seconds = 30
    turns = await asyncio.gather(*(stalled_turn(gw, tmp_path, model, fmt) for model, fmt in FORMATS))
    for (model, fmt), (events, reply) in zip(FORMATS, turns, strict=True):
        error = events[-2]
        assert isinstance(error, ErrorEvent), fmt
        assert (error.title, error.kind) == ("Stream stalled", "network"), fmt
        assert reply.text == partial(model, "a slow one", 2) and reply.text, fmt
        stalled = f"Stream stalled: no data for {STALL_READ_TIMEOUT:g} s"
        assert (reply.status, reply.error) == ("failed", stalled), fmt


@pytest.mark.parametrize(("model", "fmt"), FORMATS, ids=FORMAT_IDS)
async def test_session_drop_keeps_partial_text(
    session: ChatSession, gw: FakeGateway, model: str, fmt: Format
) -> None:
    gw.faults.drop_after = 6
    events, reply = await turn(session, "keep going", model, fmt)
    error = events[-2]
    assert isinstance(error, ErrorEvent) and error.title == "Connection lost"
    assert reply.text == partial(model, "keep going", 6)
    assert reply.status == "failed" and reply.error is not None and reply.error.startswith("Connection lost")


@pytest.mark.parametrize(("model", "fmt"), FORMATS, ids=FORMAT_IDS)
async def test_session_mid_stream_error_keeps_partial_text(
    session: ChatSession, gw: FakeGateway, model: str, fmt: Format
) -> None:
    gw.faults.mid_stream_error_after = 3
    events, reply = await turn(session, "explain", model, fmt)
    assert isinstance(events[-2], ErrorEvent)
    assert reply.text == partial(model, "explain", 3)
    assert reply.status == "failed" and reply.error == events[-2].one_line()


async def test_session_529_storm_backs_off_and_gives_up(
    session: ChatSession, gw: FakeGateway, sleeps: Sleeps
) -> None:
    gw.faults.overloaded = 100  # Anthropic 529 overloaded_error, no Retry-After: exponential backoff
    events, reply = await turn(session, "hello", "claude-sonnet-4-6", "anthropic")
    retries = only(events, RetryEvent)
    assert retries == [
        RetryEvent(1.0, 2, "Overloaded"),
        RetryEvent(2.0, 3, "Overloaded"),
        RetryEvent(4.0, 4, "Overloaded"),
    ]
    assert sleeps.waits == [1.0, 2.0, 4.0]
    assert len(chat_posts(gw)) == 4
    assert (reply.status, reply.error) == ("failed", "Rate limited: Overloaded")


async def test_session_529_then_success(session: ChatSession, gw: FakeGateway, sleeps: Sleeps) -> None:
    gw.faults.overloaded = 2
    events, reply = await turn(session, "hello", "claude-sonnet-4-6", "anthropic")
    assert [e.delay for e in only(events, RetryEvent)] == [1.0, 2.0]  # type: ignore[attr-defined]
    assert reply.status == "complete" and reply.text == gw.reply_text_for("claude-sonnet-4-6", "hello")


async def test_session_503_overload_moves_to_the_next_domain(
    session: ChatSession, gw: FakeGateway, sleeps: Sleeps
) -> None:
    gw.faults.overloaded = 2  # OpenAI 503 without a wait hint: a front-door failure, try the next domain
    events, reply = await turn(session, "hello", "gpt-5.4", "openai")
    assert only(events, DomainEvent) == [DomainEvent(gw.urls[2])]
    assert sleeps.waits == [] and reply.status == "complete"


@pytest.mark.parametrize(("model", "fmt"), FORMATS, ids=FORMAT_IDS)
async def test_session_429_storm_with_retry_after(
    session: ChatSession, gw: FakeGateway, sleeps: Sleeps, model: str, fmt: Format
) -> None:
    gw.faults.rate_limit = 100
    gw.faults.retry_after = 7
    events, reply = await turn(session, "hello", model, fmt)
    assert [e.delay for e in only(events, RetryEvent)] == [7.0, 7.0, 7.0]  # type: ignore[attr-defined]
    assert sleeps.waits == [7.0, 7.0, 7.0]  # the server's hint, three times, then stop
    assert reply.status == "failed" and reply.error is not None and reply.error.startswith("Rate limited: ")
    assert reply.text == ""


@pytest.mark.parametrize(("model", "fmt"), FORMATS, ids=FORMAT_IDS)
async def test_session_out_of_credit(
    session: ChatSession, gw: FakeGateway, sleeps: Sleeps, model: str, fmt: Format
) -> None:
    gw.faults.out_of_credit = True
    events, reply = await turn(session, "hello", model, fmt)
    (error,) = only(events, ErrorEvent)
    assert isinstance(error, ErrorEvent) and error.title == "Out of credits" and not error.retryable
    assert only(events, RetryEvent) == [] and sleeps.waits == [] and len(chat_posts(gw)) == 1
    assert reply.status == "failed" and reply.error == error.one_line()
    assert not only(events, FinishEvent)
