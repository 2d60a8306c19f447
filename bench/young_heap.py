"""What the young (not frozen) heap is made of while a chat reply streams and just after (a census).

The fake gateway (a child process) streams ``--replies`` replies (the census looks at the
last: the first fills caches and imports modules) of N deltas at ``--pace`` deltas/s into
the chat app (headless, 120x40). At ``--samples`` points while the last streams, just
after it ended (before the memory release) and once the release has run, printed:
objects the collector tracks outside the frozen set (what a full pass scans), grouped
by type, and how many of them are garbage (a collection with ``gc.DEBUG_SAVEALL``
keeps what it finds unreachable in ``gc.garbage``: counted by type, then let go).
Some types (tuples, dicts, lists, Segments, Strips, ...) are grouped by the type of
one young object that refers to them, and through containers by theirs (a sample):
their owner (a Strip's list of Segments, a widget's render cache, a FIFOCache).

A census changes what it measures (its collections free garbage early): read the
shares, not the totals over time.

    python bench/young_heap.py [--deltas 3000] [--pace 400] [--samples 3] [--top 18] [--replies 1]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from app_harness import GatewayProcess, chat_app, load

SIZE = (120, 40)
#: Types whose owners (a referrer's type, through containers) are sampled.
OWNED = ("tuple", "dict", "list", "set", "rich.segment.Segment", "textual.strip.Strip", "fractions.Fraction",
         "rich.style.Style", "textual.geometry.Region", "textual.cache.FIFOCache", "textual.geometry.Size")


def owner(obj: object, parents: dict[int, object], depth: int = 3) -> str:
    """Who refers to ``obj`` among the young objects: its type, and through containers theirs."""
    parent = parents.get(id(obj))
    if parent is None:
        return "(frozen or untracked)"
    kind = name(parent)
    if depth > 1 and type(parent) in (list, dict, tuple, set):
        return f"{kind} < {owner(parent, parents, depth - 1)}"
    return kind


def name(obj: object) -> str:
    kind = type(obj)
    return f"{kind.__module__}.{kind.__qualname__}".removeprefix("builtins.")


def census(label: str, top: int, sample: int = 400) -> dict[str, Any]:
    """Young objects by type (and containers by owner), then the garbage among them."""
    young = gc.get_objects()
    by_type = collections.Counter(name(o) for o in young)
    parents: dict[int, object] = {}
    for one in young:
        if type(one).__name__ in ("frame", "generator", "coroutine"):
            continue
        for child in gc.get_referents(one):
            parents.setdefault(id(child), one)
    owned: dict[str, collections.Counter[str]] = {}
    for kind in OWNED:
        of_kind = [o for o in young if name(o) == kind]
        picked = random.sample(of_kind, min(sample, len(of_kind)))
        counts: collections.Counter[str] = collections.Counter()
        for one in picked:
            counts[owner(one, parents)] += 1
        scale = len(of_kind) / max(1, len(picked))
        owned[kind] = collections.Counter({k: round(v * scale) for k, v in counts.items()})
        del of_kind, picked
    del parents
    del young
    gc.set_debug(gc.DEBUG_SAVEALL)
    cpu = time.thread_time()
    gc.collect()
    collect_ms = (time.thread_time() - cpu) * 1000
    gc.set_debug(0)
    garbage = collections.Counter(name(o) for o in gc.garbage)
    from textual.dom import DOMNode

    dead_nodes = collections.Counter(name(o) for o in gc.garbage if isinstance(o, DOMNode))
    # Textual's virtual nodes (one per component class, made at each style update): whose?
    virtual_of = collections.Counter(
        name(o._parent) for o in gc.garbage if type(o) is DOMNode and o._parent is not None
    )
    found = len(gc.garbage)
    gc.garbage.clear()
    gc.collect()  # the cycles saved above are garbage again: freed now
    total = sum(by_type.values())
    print(f"{label}: {total:,} young objects (frozen {gc.get_freeze_count():,}); garbage {found:,} "
          f"({found * 100 / max(total, 1):.0f}%); own pass {collect_ms:.0f} ms CPU")  # fmt: skip
    print("    by type (young / of them garbage):")
    for kind, count in by_type.most_common(top):
        print(f"      {count:8,} {garbage.get(kind, 0):8,}  {kind}")
    if dead_nodes:
        dead = ", ".join(f"{kind} {n:,}" for kind, n in dead_nodes.most_common(6))
        print(f"    DOM nodes among the garbage: {dead}")
        owners = ", ".join(f"{kind} {n:,}" for kind, n in virtual_of.most_common(6))
        print(f"    virtual nodes among them made for: {owners}")
    for kind, counts in owned.items():
        print(f"    {kind}, by owner (sampled):")
        for owner_name, n in counts.most_common(5):
            print(f"      {n:8,}  {owner_name}")
    return {"young": total, "garbage": found}


async def run(deltas: int, pace: float, samples: int, top: int, replies: int = 1) -> None:
    from liaobots_tui.ui import gc_pause, memory_release

    gateway = GatewayProcess(1.0 / pace if pace else 0.0)
    released = asyncio.Event()
    real_release = memory_release.release
    counted = {"reply": 0}

    def release_with_census(app: Any) -> bool:
        if counted["reply"] < replies:  # earlier replies: released as the app does, unseen
            released.set()
            return real_release(app)
        census(f"reply {replies} ended, before the release", top)
        done = real_release(app)
        census("after the release", top)
        released.set()
        return done

    memory_release.release = release_with_census  # type: ignore[assignment]
    print(f"young heap census: {deltas:,} deltas at {pace:,.0f}/s, reply {replies}; {load()}")
    try:
        with tempfile.TemporaryDirectory() as tmpdir:
            async with chat_app(gateway.url, Path(tmpdir), SIZE) as (app, pilot):
                screen: Any = app.screen
                census("idle, before the first reply", top)
                gc_pause.settle()  # the base frozen, as the app does when a chat is shown
                for number in range(1, replies + 1):
                    counted["reply"] = number
                    released.clear()
                    screen.prompt.load_text(f"[[deltas={deltas}]] stream a long answer {number}")
                    await pilot.press("enter")
                    seconds = deltas / pace if pace else 5.0
                    for sample in range(1, samples + 1 if number == replies else 1):
                        await asyncio.sleep(seconds / (samples + 1))
                        census(f"reply {number} streaming, sample {sample}", top)
                    await app.workers.wait_for_complete()
                    await asyncio.wait_for(released.wait(), 60)
    finally:
        gateway.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--deltas", type=int, default=3000)
    parser.add_argument("--pace", type=float, default=400.0)
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--top", type=int, default=18)
    parser.add_argument("--replies", type=int, default=1, help="the census looks at the last one")
    args = parser.parse_args()
    sys.setrecursionlimit(10_000)
    asyncio.run(run(args.deltas, args.pace, args.samples, args.top, args.replies))


if __name__ == "__main__":
    main()
