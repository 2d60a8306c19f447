"""How the app keeps up when three models stream side by side (Compare).

The fake gateway (in a subprocess, so its threads do not compete with the UI
for the GIL) streams a reply of exactly N text deltas (default 3,000) to each of
three models in three formats (OpenAI Chat, Anthropic, Gemini) at once, through
the real transport and adapters into the app's compare screen (three columns,
each a streaming MessageBox). A 5 ms ticker on the app's event loop sees every
stall. Runs unpaced (as fast as the gateway sends: a stress test) and paced
(``--pace`` deltas per second per model, a fast model). Reported per run:

- the longest event-loop stall and its 99th percentile while the replies
  stream (target: longest < 100 ms, so keys stay responsive);
- total time from the start to the three final renders, against the same three
  streams consumed with no UI (the headless comparison alone), as a ratio;
- the same figures for ONE model streaming the same reply in the chat screen,
  so the ratio shows what comparing three costs over one.

    python bench/compare_stream.py [--deltas 3000] [--pace 400] [--runs 1]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from app_harness import GatewayProcess, StallWatch, load

from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.chat import ChatSession
from liaobots_tui.config import Settings
from liaobots_tui.conversations import ConversationController, ConversationSettings
from liaobots_tui.conversations.compare import start_compare
from liaobots_tui.store import Store

SIZE = (160, 45)
MODELS = ["gpt-5.4", "claude-sonnet-4-6", "gemini-3-pro-preview"]


async def headless(url: str, prompt: str, tmp: Path) -> float:
    """The three streams through the comparison with no UI: seconds."""
    with Store(tmp / "bare.sqlite3", tmp / "img") as store:
        async with GatewayClient([url], "demo") as client:
            session = ChatSession(client, store)
            controller = ConversationController(
                store, lambda: session, ConversationSettings(model=MODELS[0]), client=lambda: client
            )
            start = time.perf_counter()
            replies = await start_compare(controller, MODELS, prompt).wait()
            elapsed = time.perf_counter() - start
            assert all(r.status == "complete" for r in replies), [r.error for r in replies]
            return elapsed


async def in_app(url: str, prompt: str, tmp: Path, *, compare: bool) -> dict[str, float]:
    """Three models in the compare screen (or one in the chat screen): seconds and stalls."""
    from liaobots_tui.ui.app import LiaobotsApp
    from liaobots_tui.ui.screens.compare import CompareScreen

    with Store(tmp / "ui.sqlite3", tmp / "img") as store:
        settings = Settings(auth_code="demo", base_urls=[url], model=MODELS[0])
        app = LiaobotsApp(settings, store=store, config_path=tmp / "c.toml")
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            chat: Any = app.screen
            watch = StallWatch()
            start = time.perf_counter()
            if compare:
                screen = CompareScreen(chat.controller, MODELS, prompt)
                await app.push_screen(screen)
                while (
                    screen.comparison is None
                    or screen.comparison.streaming
                    or any(c.box is None or c.box.streaming for c in screen.columns)
                ):
                    await asyncio.sleep(0.01)
                boxes = [c.box for c in screen.columns if c.box is not None]
            else:
                chat.prompt.load_text(prompt)
                await pilot.press("enter")
                await app.workers.wait_for_complete()
                boxes = [chat.view.boxes()[-1]]
            total = time.perf_counter() - start
            figures = await watch.stop()
            assert all(b.message.status == "complete" for b in boxes), [b.message.error for b in boxes]
            chars = sum(len(b.copy_text) for b in boxes)
    return {"total": total, "chars": chars, **figures}


async def one_pace(deltas: int, pace: float, runs: int) -> None:
    prompt = f"[[deltas={deltas}]] compare a long answer"
    gateway = GatewayProcess(1.0 / pace if pace else 0.0)
    bare: list[float] = []
    three: list[dict[str, float]] = []
    one: list[dict[str, float]] = []
    try:
        with tempfile.TemporaryDirectory() as tmpdir:
            tmp = Path(tmpdir)
            for i in range(runs):
                bare.append(await headless(gateway.url, prompt, tmp / f"h{i}"))
                three.append(await in_app(gateway.url, prompt, tmp / f"c{i}", compare=True))
                one.append(await in_app(gateway.url, prompt, tmp / f"o{i}", compare=False))
    finally:
        gateway.close()
    how = f"paced at {pace:,.0f} deltas/s per model" if pace else "unpaced (as fast as the gateway sends)"
    bare_s = statistics.median(bare)
    three_s = statistics.median(r["total"] for r in three)
    one_s = statistics.median(r["total"] for r in one)
    longest3 = max(r["longest"] for r in three)
    longest1 = max(r["longest"] for r in one)
    p99_3 = statistics.median(r["p99"] for r in three)
    p99_1 = statistics.median(r["p99"] for r in one)
    print(f"compare, {how}: 3 models x {deltas:,} deltas ({three[0]['chars']:,.0f} chars), {runs} run(s)")
    print(f"  3 models, no UI (headless comparison):  {bare_s:.2f} s")
    print(f"  3 models in the compare screen:         {three_s:.2f} s  ({three_s / bare_s:.2f}x no UI)")
    print(f"  1 model in the chat screen:             {one_s:.2f} s  (3 models / 1: {three_s / one_s:.2f}x)")
    print(f"  longest loop stall, 3 models | 1 model: {longest3 * 1000:.0f} ms | {longest1 * 1000:.0f} ms"
          f"  ({longest3 / max(longest1, 1e-6):.2f}x; target < 100 ms)")  # fmt: skip
    print(f"  p99 loop stall,     3 models | 1 model: {p99_3 * 1000:.1f} ms | {p99_1 * 1000:.1f} ms")
    cpu3 = max(r["cpu_longest"] for r in three)
    cpu1 = max(r["cpu_longest"] for r in one)
    cpu_p99_3 = statistics.median(r["cpu_p99"] for r in three)
    cpu_p99_1 = statistics.median(r["cpu_p99"] for r in one)
    print("  the same in CPU time of this process (the loop's own work; others' load left out):")
    print(f"    longest: {cpu3 * 1000:.0f} ms | {cpu1 * 1000:.0f} ms ({cpu3 / max(cpu1, 1e-6):.2f}x)"
          f"   p99: {cpu_p99_3 * 1000:.1f} ms | {cpu_p99_1 * 1000:.1f} ms")  # fmt: skip
    print(f"  {load()} at the end of the run")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deltas", type=int, default=3000)
    parser.add_argument(
        "--pace", type=float, default=400.0, help="deltas/s per model for the paced run (0: skip)"
    )
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(one_pace(args.deltas, 0.0, args.runs))
    if args.pace:
        asyncio.run(one_pace(args.deltas, args.pace, args.runs))


if __name__ == "__main__":
    main()
