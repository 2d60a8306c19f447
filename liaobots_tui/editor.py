"""Compose a prompt in the user's own editor: ``$VISUAL``, else ``$EDITOR``, else ``vi``.

Headless: the app suspends itself around :func:`edit_text`, the CLI calls it directly.
The draft goes into a private temporary file (mode 0600, removed afterwards) that the
editor opens; the saved text comes back. An editor that exits non-zero means "abandon":
:class:`EditorCancelled`, and the caller keeps its draft untouched.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from liaobots_tui.errors import InputError

FALLBACK_EDITOR = "vi"
#: A prompt larger than this is not a prompt (and reading it back would bound nothing).
MAX_EDITED_BYTES = 16 * 1024 * 1024


class EditorCancelled(InputError):
    """The editor exited non-zero (``:cq`` in vim) or could not be run; the draft stays as it was."""


def editor_command(env: Mapping[str, str] | None = None) -> list[str]:
    """The editor to run as an argument list: ``$VISUAL``, then ``$EDITOR`` (shell-quoted, may hold flags)."""
    env = os.environ if env is None else env
    for name in ("VISUAL", "EDITOR"):
        value = env.get(name, "").strip()
        if value:
            try:
                words = shlex.split(value)
            except ValueError:
                raise EditorCancelled(f"${name} is not a valid command line: {value[:80]!r}") from None
            if words:
                return words
    return [FALLBACK_EDITOR]


def edit_text(draft: str, env: Mapping[str, str] | None = None) -> str:
    """Open the editor on ``draft`` and return what was saved (one trailing newline dropped).

    Raises:
        EditorCancelled: the editor is missing or exited non-zero.
    """
    command = editor_command(env)
    fd, name = tempfile.mkstemp(prefix="liaobots-prompt-", suffix=".md")  # mode 0600
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(draft)
        try:
            # No shell: the path is one argument whatever it holds; the terminal is the editor's.
            child_env = None if env is None else dict(env)
            result = subprocess.run([*command, str(path)], check=False, env=child_env)
        except OSError as exc:
            raise EditorCancelled(f"cannot run editor {command[0]!r}: {exc.strerror or exc}") from None
        if result.returncode != 0:
            raise EditorCancelled(f"editor exited with status {result.returncode}; the draft is unchanged")
        with open(path, "rb") as fh:
            raw = fh.read(MAX_EDITED_BYTES + 1)
        if len(raw) > MAX_EDITED_BYTES:
            raise EditorCancelled("the edited prompt is larger than 16 MB; the draft is unchanged")
        text = raw.decode("utf-8", "replace")
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
    # Editors end the file with a newline the user never typed.
    return text[:-1] if text.endswith("\n") else text
