"""How the chat app keeps up with a long streamed reply, and how fast it opens a long history.

Part 1, streaming (headless ``App.run_test``): the fake gateway streams a reply of
exactly N text deltas (default 20,000; canned Markdown with headings, lists,
tables and code fences, repeated) through the real transport, adapter and
ChatSession into the app's conversation pane. The gateway runs in a subprocess:
in-process its threads would wait for the GIL behind the UI and the stream
would look slower than it is. Unpaced (as fast as the gateway can send, a stress
test) and paced (``--pace`` deltas per second, a fast model) runs. Reported:

(a) total time from Enter to the final render, as a ratio to consuming the same
    stream with the same ChatSession and no UI (alternating runs, medians);
(b) time for the last 1,000 deltas against the first 1,000, as the UI's worker
    consumed them (flat means no quadratic re-rendering; target <= 1.5x);
(c) the longest event-loop stall while streaming and its 99th percentile, seen by a
    5 ms ticker on the app's loop, per run; the paced runs (``--paced-runs``, 5 by
    default, of ``--paced-deltas``) give the figure that matters (target < 50 ms in
    every run, so typing stays responsive).

A backlog (unpaced) is drawn as the app draws it: the finished pieces the user
would have to scroll up to see are parked undrawn (see MarkdownColumn), so (a)
is the time until the end of the reply is on screen, and the whole text is there.

Part 2, history (a fresh subprocess, so its RSS is its own): a stored conversation
of 1,000 messages of realistic Markdown opens at start; reported are the time from
creating the app to the conversation painted (target < 1 s) and peak RSS (target
< 250 MB).

Part 4, memory (``--only memory``; each case in a fresh app process): realistic
Markdown replies streamed unpaced through the app, one of ~150 kB, then two of
~160 kB in one chat; per reply the peak RSS while it streamed (VmHWM, reset before
each reply) and the resident size once it finished (targets: peak < 300 MB for the
150 kB reply; < 350 MB after two 160 kB replies, flat per reply).

Part 3, one long paragraph: the same ``--paragraph-chars`` (default 1 MB) of prose
streamed (6-character deltas, as fast as possible) into the app's conversation pane
as ONE paragraph and as paragraphs of ~500 characters, through the widgets the chat
screen uses (ConversationView, MessageBox: ``append_text`` per delta, ``finish`` at
the end, the event loop given a turn every 20 ms like the screen's stream worker).
Reported: time from the first delta to the final render of each and their ratio
(target: the single paragraph within 3x), and for the single paragraph the median
time of a flush (one throttled hand-over of queued text to the live Markdown piece)
in the last tenth of the flushes against the first tenth (flat, ~1x, means a
delta's cost does not grow with the paragraph).

    python bench/tui_stream.py [--deltas 20000] [--runs 3] [--pace 400] [--paced-deltas 4000]
                               [--paced-runs 5] [--messages 1000] [--paragraph-chars 1000000]
                               [--only history|streaming|paced|paragraph|memory]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path
from typing import Any

from app_harness import GatewayProcess, chat_app, load, p99, peak_rss_mb, reset_peak, rss_mb

from liaobots_tui.api.messages import Message, RequestOptions, TextDelta, TextPart
from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.chat import ChatSession, TurnEnded
from liaobots_tui.config import Settings
from liaobots_tui.store import MessageRecord, Store

SIZE = (120, 40)


class Timed:
    """Wraps a ChatSession; records when each text delta reached the UI's worker."""

    def __init__(self, inner: ChatSession) -> None:
        self.inner = inner
        #: Characters of text received after each delta (where delta i ends in the text).
        self.ends: list[int] = []

    async def _watch(self, events: AsyncIterator[Any]) -> AsyncIterator[Any]:
        total = 0
        async with aclosing(events) as inner:  # type: ignore[type-var]
            async for event in inner:
                if isinstance(event, TextDelta):
                    total += len(event.text)
                    self.ends.append(total)
                yield event

    def send(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        return self._watch(self.inner.send(*args, **kwargs))

    def regenerate(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        return self._watch(self.inner.regenerate(*args, **kwargs))

    def edit(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        return self._watch(self.inner.edit(*args, **kwargs))


async def bare_run(url: str, prompt: str, tmp: Path) -> tuple[float, int]:
    """The same stream through ChatSession with no UI: seconds, deltas."""
    count = 0
    with Store(tmp / "bare.sqlite3", tmp / "img") as store:
        async with GatewayClient([url], "demo") as client:
            session = ChatSession(client, store)
            start = time.perf_counter()
            async for event in session.send(
                None, Message("user", [TextPart(prompt)]), RequestOptions("gpt-5.4")
            ):
                if isinstance(event, TextDelta):
                    count += 1
                elif isinstance(event, TurnEnded):
                    assert event.reply.status == "complete", event.reply.error
            return time.perf_counter() - start, count


async def ui_run(url: str, prompt: str, tmp: Path) -> dict[str, float]:
    from liaobots_tui.ui.app import LiaobotsApp
    from liaobots_tui.ui.widgets.message_box import MessageBox

    sessions: list[Timed] = []

    def factory(client: GatewayClient, store: Store) -> Timed:
        sessions.append(Timed(ChatSession(client, store)))
        return sessions[-1]

    with Store(tmp / "ui.sqlite3", tmp / "img") as store:
        settings = Settings(auth_code="demo", base_urls=[url], model="gpt-5.4")
        app = LiaobotsApp(settings, store=store, session_factory=factory, config_path=tmp / "c.toml")  # type: ignore[arg-type]
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            stalls: list[float] = []
            cpu: list[float] = []  # CPU time of this process per stall: others' load left out
            shown: list[tuple[float, int]] = []  # (time, characters handed to the Markdown widgets)
            running = True
            screen: Any = app.screen

            async def ticker() -> None:
                tick = 0.005
                while running:
                    before, cpu_before = time.perf_counter(), time.process_time()
                    await asyncio.sleep(tick)
                    now = time.perf_counter()
                    stalls.append(now - before - tick)
                    cpu.append(time.process_time() - cpu_before)
                    box = screen.view.last_box
                    if box is not None and box.message.role == "assistant":
                        if not shown or shown[-1][1] != box.shown_chars:
                            shown.append((now, box.shown_chars))

            screen.prompt.load_text(prompt)
            watcher = asyncio.create_task(ticker())
            start, cpu_start, faults_start = time.perf_counter(), time.process_time(), minor_faults()
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            total = time.perf_counter() - start
            total_cpu, faults = time.process_time() - cpu_start, minor_faults() - faults_start
            running = False
            await watcher
            box = screen.view.boxes()[-1]
            assert isinstance(box, MessageBox) and box.message.status == "complete", box.message.error
            shown.append((time.perf_counter(), box.shown_chars))
            ends = sessions[0].ends

            def shown_at(delta: int) -> float:
                """When the text of delta ``delta`` was handed to the widgets."""
                return next(t for t, chars in shown if chars >= ends[delta])

            # Per 1,000 deltas, over windows of a tenth of the reply (a backlog is drawn in slices).
            window = max(1000, len(ends) // 10)
            first = max(1e-6, (shown_at(window - 1) - shown_at(0)) * 1000 / window)
            last = (shown_at(len(ends) - 1) - shown_at(len(ends) - window)) * 1000 / window
            return {
                "total": total,
                "cpu": total_cpu,
                "faults": faults,
                "deltas": len(ends),
                "first_1000": first,
                "last_1000": last,
                "max_stall": max(stalls),
                "p99_stall": p99(stalls),
                "cpu_max_stall": max(cpu),
                "cpu_p99_stall": p99(cpu),
                "blocks": len(box.query("MarkdownBlock")),
                "chars": len(box.copy_text),
            }


async def streaming(deltas: int, runs: int, pace: float) -> None:
    prompt = f"[[deltas={deltas}]] stream a long answer"
    bare_times: list[float] = []
    ui_results: list[dict[str, float]] = []
    gateway = GatewayProcess(1.0 / pace if pace else 0.0)
    try:
        with tempfile.TemporaryDirectory() as tmpdir:
            tmp = Path(tmpdir)
            for i in range(runs):
                seconds, count = await bare_run(gateway.url, prompt, tmp / f"b{i}")
                assert count == deltas, count
                bare_times.append(seconds)
                ui_results.append(await ui_run(gateway.url, prompt, tmp / f"u{i}"))
    finally:
        gateway.close()
    ui_total = statistics.median(r["total"] for r in ui_results)
    bare = statistics.median(bare_times)
    ratio_b = statistics.median(r["last_1000"] / r["first_1000"] for r in ui_results)
    stall = max(r["max_stall"] for r in ui_results)
    stall_p99 = max(r["p99_stall"] for r in ui_results)
    sample = ui_results[0]
    how = f"paced at {pace:,.0f} deltas/s" if pace else "unpaced (as fast as the gateway sends)"
    print(f"streaming, {how}: {deltas:,} deltas, {sample['chars']:,.0f} chars, "
          f"{runs} run(s), medians; {load()}")  # fmt: skip
    print(f"  no UI (ChatSession only):    {bare:.2f} s")
    print(f"  app (Enter → final render):  {ui_total:.2f} s")
    print(f"  (a) UI / no-UI ratio:        {ui_total / bare:.2f}x")
    ui_cpu = statistics.median(r["cpu"] for r in ui_results)
    ui_faults = statistics.median(r["faults"] for r in ui_results)
    print(f"      the app's process, Enter → final render: {ui_cpu:.2f} s CPU, {ui_faults:,.0f} page faults")
    for r in ui_results:
        print(f"      run: {r['total']:.2f} s, first deltas shown at {r['first_1000'] * 1000:.0f} ms "
              f"per 1,000, last at {r['last_1000'] * 1000:.0f} ms, longest stall "
              f"{r['max_stall'] * 1000:.0f} ms, p99 {r['p99_stall'] * 1000:.1f} ms, "
              f"{r['blocks']:.0f} block widgets alive at the end")  # fmt: skip
    print(f"  (b) last/first 1,000 deltas: {ratio_b:.2f}x  (target <= 1.5x)")
    print(f"  (c) longest loop stall:      {stall * 1000:.0f} ms, worst p99 {stall_p99 * 1000:.1f} ms "
          f"over {runs} run(s)  (target < 50 ms paced)")  # fmt: skip
    cpu_stall = max(r["cpu_max_stall"] for r in ui_results)
    cpu_p99 = max(r["cpu_p99_stall"] for r in ui_results)
    print(f"      in CPU time of this process (the loop's own work; others' load left out): "
          f"longest {cpu_stall * 1000:.0f} ms, worst p99 {cpu_p99 * 1000:.1f} ms")  # fmt: skip


def minor_faults() -> int:
    """Page faults of this process so far that needed no disk (a fresh page: mapped memory's first touch)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


# ---------------------------------------------------------------- part 2: history

MARKDOWN_SAMPLES = [
    "## Notes\n\nHere is the plan:\n\n1. Read the file lazily\n2. Count the errors\n3. Report\n\n"
    "```python\nfor line in fh:\n    if 'ERROR' in line:\n        total += 1\n```\n",
    "Short answer: **yes**. The borrow checker enforces one mutable *or* many shared references.\n\n"
    "- ownership moves on assignment\n- `clone()` copies\n- references borrow\n",
    "| Approach | Memory | Speed |\n|---|---|---|\n| stream | constant | fast |\n"
    "| read() | whole file | fast |\n\n"
    "That table sums it up; 中文也可以正常显示。",
]


def seed(db: Path, images: Path, messages: int) -> None:
    with Store(db, images) as store:
        cid = store.create_conversation(title="A very long conversation")
        for i in range(messages):
            if i % 2 == 0:
                store.add_message(
                    cid, Message("user", [TextPart(f"Question {i}: how does this work in detail?")])
                )
            else:
                text = MARKDOWN_SAMPLES[i % len(MARKDOWN_SAMPLES)]
                store.add_message(
                    cid, Message("assistant", [TextPart(text)], model="gpt-5.4", format="openai")
                )


async def open_history(db: Path, images: Path, tmp: Path) -> dict[str, float]:
    from liaobots_tui.ui.app import LiaobotsApp

    def offline(base_urls: Any, code: str) -> GatewayClient:
        import httpx

        return GatewayClient(
            list(base_urls), code, transport=httpx.MockTransport(lambda r: httpx.Response(404))
        )

    with Store(db, images) as store:
        start = time.perf_counter()
        settings = Settings(auth_code="x", base_urls=["https://ai.liaobots.work"])
        app = LiaobotsApp(settings, store=store, client_factory=offline, config_path=tmp / "c.toml")
        async with app.run_test(size=SIZE) as pilot:
            # First paint: the newest message laid out (it is drawn in that same refresh).
            while True:
                screen: Any = app.screen
                view = getattr(screen, "view", None) if hasattr(screen, "conversation_id") else None
                boxes = view.boxes() if view is not None else []
                if boxes and boxes[-1].region.height and boxes[-1].query("Markdown.body"):
                    break
                await asyncio.sleep(0.002)
            painted = time.perf_counter() - start
            await app.workers.wait_for_complete()
            await pilot.pause()
            settled = time.perf_counter() - start
            shown = len(screen.view.boxes())
            hidden = screen.view.hidden_count
    return {
        "first_paint": painted,
        "settled": settled,
        "rss_mb": peak_rss_mb(),
        "shown": shown,
        "hidden": hidden,
    }


def history(messages: int) -> None:
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        seed(tmp / "h.sqlite3", tmp / "img", messages)
        out = subprocess.run(
            [sys.executable, __file__, "--history-child", str(tmp)],
            capture_output=True,
            text=True,
            check=True,
        )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"history: {messages:,} stored messages ({result['shown']} mounted, {result['hidden']} behind "
          f"'earlier messages')")  # fmt: skip
    print(
        f"  time to first paint: {result['first_paint'] * 1000:.0f} ms"
        "  (target < 1,000 ms; app start included)"
    )
    print(f"  whole page settled:  {result['settled'] * 1000:.0f} ms")
    print(f"  peak RSS:            {result['rss_mb']:.0f} MB  (target < 250 MB)")


# ---------------------------------------------------------------- part 3: one long paragraph

PROSE = (
    "lorem ipsum dolor sit amet, consectetur adipiscing elit. sed do eiusmod tempor incididunt ut "
    "labore et dolore magna aliqua; ut enim ad minim veniam, quis **nostrud** exercitation `ullamco`"
).split()


def prose(chars: int, *, paragraphs: bool) -> str:
    """``chars`` characters of prose: one paragraph, or paragraphs of about 500 characters."""
    rng = random.Random(11)
    out: list[str] = []
    size = since_break = 0
    while size < chars:
        word = rng.choice(PROSE)
        since_break += len(word) + 1
        separator = " "
        if paragraphs and since_break >= 500:
            separator, since_break = "\n\n", 0
        out.append(word + separator)
        size += len(word) + len(separator)
    return "".join(out)[:chars]


async def stream_text(text: str) -> dict[str, float]:
    """Stream ``text`` into a reply in the conversation pane; total time and flush costs."""
    from textual.app import App, ComposeResult

    from liaobots_tui.ui import gc_pause
    from liaobots_tui.ui.widgets.conversation import ConversationView
    from liaobots_tui.ui.widgets.markdown_column import MarkdownColumn

    class Pane(App[None]):
        # Styled as in the app: a MessageBox grows with its reply (unstyled, it would clip it).
        CSS_PATH = Path(__file__).parents[1] / "liaobots_tui" / "ui" / "app.tcss"

        def compose(self) -> ComposeResult:
            yield ConversationView(id="conversation")

    flushes: list[float] = []
    original_flush = MarkdownColumn.flush

    async def timed_flush(self: MarkdownColumn) -> None:
        before = time.perf_counter()
        await original_flush(self)
        flushes.append(time.perf_counter() - before)

    app = Pane()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        # What the chat screen does at its first paint (ui/first_paint.py), where the tree has it:
        # the pane stands in for that screen, so the allocator is set as in the app.
        from liaobots_tui.ui import memory_release

        fix_mmap_threshold = getattr(memory_release, "fix_mmap_threshold", None)
        if fix_mmap_threshold is not None:
            fix_mmap_threshold()
        view = app.query_one(ConversationView)
        reply = MessageRecord(Message("assistant", model="gpt-5.4", format="openai"), status="streaming")
        box = await view.add_message(reply, streaming=True)
        stalls: list[float] = []
        running = True

        async def ticker() -> None:
            while running:
                before = time.perf_counter()
                await asyncio.sleep(0.005)
                stalls.append(time.perf_counter() - before - 0.005)

        watcher = asyncio.create_task(ticker())
        MarkdownColumn.flush = timed_flush  # type: ignore[method-assign]
        gc_pause.stream_started()  # as the chat screen does while a reply streams
        try:
            start = last_yield = time.perf_counter()
            cpu_start, faults_start = time.process_time(), minor_faults()
            for i in range(0, len(text), 6):
                box.append_text(text[i : i + 6])
                now = time.perf_counter()
                if now - last_yield > 0.02:
                    await asyncio.sleep(0)
                    last_yield = now
            await box.finish(None)
            total = time.perf_counter() - start
            total_cpu, faults = time.process_time() - cpu_start, minor_faults() - faults_start
        finally:
            MarkdownColumn.flush = original_flush  # type: ignore[method-assign]
            gc_pause.stream_ended()
        running = False
        await watcher
        assert box.copy_text == text
        tenth = max(1, len(flushes) // 10)
        return {
            "total": total,
            "cpu": total_cpu,
            "faults": faults,
            "first_flushes": statistics.median(flushes[:tenth]),
            "last_flushes": statistics.median(flushes[-tenth:]),
            "flushes": len(flushes),
            "pieces": len(box.query("Markdown")),
            "max_stall": max(stalls, default=0.0),
        }


def long_paragraph(chars: int) -> None:
    single = asyncio.run(stream_text(prose(chars, paragraphs=False)))
    split = asyncio.run(stream_text(prose(chars, paragraphs=True)))
    print(f"one long paragraph: {chars:,} characters streamed as 6-character deltas, unpaced")
    print(f"  as paragraphs of ~500 chars: {split['total']:.2f} s  ({split['pieces']:.0f} Markdown pieces)")
    print(f"  as ONE paragraph:            {single['total']:.2f} s  ({single['pieces']:.0f} Markdown pieces)")
    print(f"  one paragraph / paragraphs:  {single['total'] / split['total']:.2f}x  (target <= 3x)")
    print(f"  CPU time, page faults: paragraphs {split['cpu']:.2f} s, {split['faults']:,.0f}; "
          f"ONE paragraph {single['cpu']:.2f} s, {single['faults']:,.0f}")  # fmt: skip
    print(f"  one paragraph, median flush: first tenth {single['first_flushes'] * 1000:.1f} ms, "
          f"last tenth {single['last_flushes'] * 1000:.1f} ms of {single['flushes']:.0f} flushes: "
          f"{single['last_flushes'] / single['first_flushes']:.2f}x  (flat: ~1x)")  # fmt: skip
    print(f"  longest loop stall: {max(single['max_stall'], split['max_stall']) * 1000:.0f} ms")


# ---------------------------------------------------------------- part 4: memory

#: Realistic Markdown replies (headings, lists, fences, tables) of about 150 kB and 160 kB.
MEMORY_PROMPTS = {
    "one": ["[[deltas=31000]] answer one"],
    "two": ["[[deltas=33000]] answer two", "[[deltas=33000]] answer three"],
}


async def memory_child(url: str, prompts: list[str], tmp: Path) -> list[dict[str, float]]:
    """Stream ``prompts`` one after another into one chat; peak and settled RSS per reply."""

    results: list[dict[str, float]] = []
    async with chat_app(url, tmp, SIZE) as (app, pilot):
        screen: Any = app.screen
        before = rss_mb()
        for prompt in prompts:
            reset_peak()
            screen.prompt.load_text(prompt)
            start = time.perf_counter()
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            seconds = time.perf_counter() - start
            await asyncio.sleep(1.5)  # settled: the app releases memory half a second after a reply
            await pilot.pause()
            box = screen.view.boxes()[-1]
            assert box.message.status == "complete", box.message.error
            results.append({
                "chars": len(box.copy_text),
                "seconds": seconds,
                "before": before,
                "peak": peak_rss_mb(),
                "settled": rss_mb(),
                "blocks": len(app.screen.query("MarkdownBlock")),
                "gc_objects": len(gc.get_objects()),
            })  # fmt: skip
            before = results[-1]["settled"]
    return results


def memory() -> None:
    gateway = GatewayProcess(0.0)
    try:
        for name, prompts in MEMORY_PROMPTS.items():
            with tempfile.TemporaryDirectory() as tmpdir:
                out = subprocess.run(
                    [sys.executable, __file__, "--memory-child", gateway.url, tmpdir, *prompts],
                    capture_output=True,
                    text=True,
                    check=True,
                )
            results = json.loads(out.stdout.strip().splitlines()[-1])
            title = "one reply" if name == "one" else "two replies in one chat"
            print(f"memory, {title}, unpaced, each in a fresh app process; {load()}")
            for i, r in enumerate(results, 1):
                print(f"  reply {i}: {r['chars'] / 1000:,.0f} kB in {r['seconds']:.1f} s; RSS before "
                      f"{r['before']:.0f} MB, peak {r['peak']:.0f} MB, settled {r['settled']:.0f} MB "
                      f"({r['settled'] - r['before']:+.0f} MB); "
                      f"{r['blocks']:.0f} block widgets alive")  # fmt: skip
    finally:
        gateway.close()
    print("  targets: peak < 300 MB for a 150 kB reply; settled < 350 MB after two 160 kB replies,"
          " flat per reply")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deltas", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--pace", type=float, default=400.0, help="deltas/s for the paced run (0: skip it)")
    parser.add_argument("--paragraph-chars", type=int, default=1_000_000)
    parser.add_argument("--paced-deltas", type=int, default=4000, help="deltas per paced run")
    parser.add_argument("--paced-runs", type=int, default=5)
    parser.add_argument("--only", choices=("history", "streaming", "paced", "paragraph", "memory"))
    parser.add_argument("--history-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--memory-child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        url, tmpdir, *prompts = args.memory_child
        print(json.dumps(asyncio.run(memory_child(url, prompts, Path(tmpdir)))))
        return
    if args.history_child is not None:
        tmp = args.history_child
        print(json.dumps(asyncio.run(open_history(tmp / "h.sqlite3", tmp / "img", tmp))))
        return
    if args.only in (None, "history"):
        history(args.messages)  # first: a child forked from a small parent reports its own peak RSS
    if args.only in (None, "memory"):
        memory()  # early too: fresh children, whatever this process grew to
    if args.only in (None, "streaming"):
        asyncio.run(streaming(args.deltas, args.runs, 0.0))
    if args.only in (None, "paced") and args.pace:
        asyncio.run(streaming(args.paced_deltas, args.paced_runs, args.pace))
    if args.only in (None, "paragraph"):
        long_paragraph(args.paragraph_chars)


if __name__ == "__main__":
    main()
