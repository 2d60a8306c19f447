"""``liaobots presets``: list the presets (name, description, where the file is) or copy a shipped one."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from liaobots_tui.api.sanitize import clean_line
from liaobots_tui.presets import Preset, copy_shipped, list_presets

EXIT_OK, EXIT_USAGE = 0, 2


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    presets = sub.add_parser(
        "presets", parents=[common], help="list presets (system prompt, model, … for `ask -p NAME`)"
    )
    presets.add_argument(
        "--copy", metavar="NAME", help="copy a shipped preset to your presets dir to edit it"
    )


def run(args: argparse.Namespace) -> int:
    """List presets on stdout; files that cannot be read are one line each on stderr (exit 2)."""
    if args.copy:
        target = copy_shipped(args.copy)
        sys.stdout.write(f"{target}\n")
        return EXIT_OK
    good, bad = list_presets()
    width = max((len(p.name) for p in good), default=0)
    for preset in good:
        sys.stdout.write(f"{preset.name:<{width}}  {_summary(preset)}\n")
    for error in bad:
        sys.stderr.write(f"liaobots: {error.one_line()}\n")
    if not good and not bad:
        sys.stdout.write("no presets\n")
    return EXIT_USAGE if bad else EXIT_OK


def _summary(preset: Preset) -> str:
    """``Careful code review · claude-sonnet-4-6 · shipped (copy with --copy)`` or the user file's path."""
    bits = [preset.description or "(no description)"]
    if preset.model:
        bits.append(preset.model)
    bits.append("shipped (liaobots presets --copy NAME to edit)" if preset.shipped else str(preset.path))
    # A preset file is the user's, but its text still reaches a terminal: one clean line.
    return clean_line(" · ".join(bits), 300)
