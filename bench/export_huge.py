"""What exporting a chat that holds one huge reply costs, this tree beside another, in one run.

The export (``conversation_markdown``, also what the Markdown export action writes)
works each message out with ``contained``, which parses it as Markdown. Here one chat
of a short prompt and a reply of ``--sizes`` characters of realistic Markdown (headings,
prose, fences, lists) is exported in a fresh process per tree and size, alternated for
``--runs`` rounds; CPU seconds (median) and the ratio are printed. Target: linear in the
reply, one parse of it.

    python bench/export_huge.py [--runs 3] [--sizes 600000 5000000] [--baseline /work/main]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent

#: Run in a fresh process with a tree on the path: CPU seconds of one export.
EXPORT = """
import sys, time
from liaobots_tui.api.messages import Message, TextPart
from liaobots_tui.store import MessageRecord, StoredConversation
from liaobots_tui.markdown_export import conversation_markdown
size = int(sys.argv[1])
section = (
    "## Part {n}\\n\\nProse for part {n}: the reader keeps reading, **bold** and `code`.\\n\\n"
    "```python\\nvalue = {n}\\n```\\n\\n- item one\\n- item two\\n\\nPart {n} ends\\n---\\n\\n"
)
parts, n = ["The opening words.\\n\\n"], 0
while sum(map(len, parts)) < size:
    parts.append(section.format(n=n))
    n += 1
reply = "".join(parts) + "The closing words.\\n"
conversation = StoredConversation(
    id=1, title="huge", system="",
    messages=[
        MessageRecord(Message("user", [TextPart("Write a lot")])),
        MessageRecord(Message("assistant", [TextPart(reply)], model="m")),
    ],
)
import liaobots_tui
assert liaobots_tui.__file__.startswith(sys.argv[2]), liaobots_tui.__file__
start = time.process_time()
conversation_markdown(conversation)
print(time.process_time() - start)
"""


def _export_seconds(tree: Path, size: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, "-c", EXPORT, str(size), str(tree)],
        env=env,
        cwd=tree,  # ``-c`` puts the working directory first on the path
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[600_000, 5_000_000])
    parser.add_argument("--baseline", type=Path, help="another checkout to compare with (e.g. /work/main)")
    args = parser.parse_args()
    trees = {"this tree": HERE} | ({"baseline": args.baseline.resolve()} if args.baseline else {})
    for size in args.sizes:
        seconds: dict[str, list[float]] = {name: [] for name in trees}
        for _ in range(args.runs):
            for name, tree in trees.items():
                seconds[name].append(_export_seconds(tree, size))
        line = f"reply {size / 1e6:.1f} MB:"
        for name in trees:
            line += f"  {name} {statistics.median(seconds[name]):.2f} s CPU"
        if args.baseline:
            ratio = statistics.median(seconds["baseline"]) / statistics.median(seconds["this tree"])
            line += f"  (baseline / this tree: {ratio:.1f}x)"
        print(line, flush=True)


if __name__ == "__main__":
    main()
