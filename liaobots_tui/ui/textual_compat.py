"""The one place that reaches into private fields of Textual and textual-image.

Everything else in ``liaobots_tui.ui`` uses public APIs only. Each workaround here
exists because no public API does the job (said at each), is guarded so that a
changed private API degrades to a safe fallback instead of an AttributeError, and
names the versions it was checked against. When upgrading Textual or textual-image,
check this module first.

Checked against: textual 8.2.8; textual-image 0.12.0 (Python 3.11) and 0.14.2
(0.13 and later need Python 3.12).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version

from textual.widget import Widget
from textual.widgets.markdown import MarkdownStream


def _version(package: str) -> tuple[int, ...]:
    try:
        text = version(package)
    except PackageNotFoundError:
        return ()
    numbers: list[int] = []
    for piece in text.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        numbers.append(int(digits) if digits else 0)
    return tuple(numbers)


TEXTUAL_VERSION = _version("textual")
TEXTUAL_IMAGE_VERSION = _version("textual-image")

#: MarkdownStream keeps its queue in ``_pending`` and its state in ``_stopped`` (textual 4-8).
_STREAM_PRIVATES = TEXTUAL_VERSION < (9,)


async def stop_stream(stream: MarkdownStream) -> None:
    """``stream.stop()``, tolerating Textual's stop of a stream task that never ran.

    ``MarkdownStream.stop`` cancels its task and awaits it: cancelling a task before
    its first step makes that ``await`` raise CancelledError in *our* task, and the
    queued text is dropped. There is no public way to take the queued text back, so
    it is read from the private queue and appended here; only a cancel aimed at the
    caller itself propagates. On a Textual whose privates differ the queued text is
    lost from this widget only: callers re-render a piece from its full text when a
    reply ends.
    """
    try:
        await stream.stop()
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
        pending = getattr(stream, "_pending", None) if _STREAM_PRIVATES else None
        if not isinstance(pending, list):
            return
        text = "".join(x for x in pending if isinstance(x, str))
        pending.clear()
        stream._stopped = True
        if text:
            await stream.markdown_widget.append(text)


def anchor_released(widget: Widget) -> bool:
    """True when the user scrolled an anchored widget away from the end.

    ``Widget.is_anchored`` stays True after a user scroll releases the anchor; the
    released state is only in the private ``_anchor_released`` (textual 2-8). When
    it is missing, report "not released", which only delays loading older messages
    until the user presses the "earlier messages" line.
    """
    released = getattr(widget, "_anchor_released", False)
    return released if isinstance(released, bool) else False


def terminal_cell_size() -> tuple[int, int] | None:
    """The terminal's cell size in pixels as textual-image measured it, or None.

    textual-image has no public accessor for the cell size it probed at import;
    ``textual_image._terminal.get_cell_size`` exists in 0.6-0.14. Any failure (a
    closed stdout, a renamed function) gives None and callers use a common default.
    """
    if not TEXTUAL_IMAGE_VERSION or TEXTUAL_IMAGE_VERSION >= (1,):
        return None
    try:
        from textual_image._terminal import get_cell_size

        size = get_cell_size()
        width, height = int(size.width), int(size.height)
    except Exception:  # the probe failed or the private API changed
        return None
    return (width, height) if width > 0 and height > 0 else None


def prune_closed_watchers(nodes: Iterable[object]) -> int:
    """Drop watchers that belong to closed widgets from ``nodes``; how many were dropped.

    ``watch(obj, name, callback)`` and ``data_bind`` append ``(widget, callback)`` to a
    private per-object list (``__watchers``, textual 0.x-8), and a closed widget leaves
    it only when that reactive next changes. So every Markdown block that watches
    ``app.theme`` (fences, tables) and every footer key bound to ``Footer.compact``
    stays alive, with its whole removed subtree and rendered lines, long after it was
    removed: measured, 50-150 detached widgets more per long reply, and resident memory
    growing with them. Textual prunes the same way (``_check_watchers``); an object
    without the private list is left alone.
    """
    dropped = 0
    for node in nodes:
        watchers = getattr(node, "__watchers", None)
        if not isinstance(watchers, dict):
            continue
        for callbacks in watchers.values():
            if not isinstance(callbacks, list):
                continue
            kept = [entry for entry in callbacks if not getattr(entry[0], "_closing", False)]
            dropped += len(callbacks) - len(kept)
            callbacks[:] = kept
    return dropped
