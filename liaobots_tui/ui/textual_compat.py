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
from typing import Any

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


#: Strip's per-line caches and their sizes as ``Strip.__init__`` makes them (textual 8.x).
_STRIP_CACHES = {
    "_divide_cache": 4,
    "_crop_cache": 16,
    "_style_cache": 16,
    "_filter_cache": 4,
    "_line_length_cache": 4,
    "_crop_extend_cache": 4,
    "_offsets_cache": 4,
}
_STRIP_INIT_NAMES = ("list", "_segments", "_cell_length", "FIFOCache", *_STRIP_CACHES, "_render_cache",
                     "_link_ids", "_cell_count")  # fmt: skip


class _CacheOnFirstUse:
    """A Strip cache slot that makes its cache the first time a method looks at it.

    Wraps the slot's own descriptor, so a Strip holds the cache in the same place.
    """

    __slots__ = ("_slot", "_size")

    def __init__(self, slot: Any, size: int) -> None:
        self._slot = slot
        self._size = size

    def __get__(self, strip: Any, owner: type | None = None) -> Any:
        if strip is None:
            return self
        try:
            return self._slot.__get__(strip, owner)
        except AttributeError:
            from textual.cache import FIFOCache

            cache: Any = FIFOCache(self._size)
            self._slot.__set__(strip, cache)
            return cache

    def __set__(self, strip: Any, value: Any) -> None:
        self._slot.__set__(strip, value)


def _strip_init(self: Any, segments: Iterable[Any], cell_length: int | None = None) -> None:
    # Strip.__init__ of textual 8.x, less the seven caches (made on first use).
    self._segments = list(segments)
    self._cell_length = cell_length
    self._render_cache = None
    self._link_ids = None
    self._cell_count = None


def light_strips() -> bool:
    """Make each Strip's seven caches on first use instead of in ``Strip.__init__``.

    Every line Textual draws is a Strip, and every cut of a line at a widget's edge
    makes more (about 2,000 per frame of the chat screen while a reply streams). Each
    made seven small caches up front, most never used: about a third of the objects
    the cyclic garbage collector had to scan during a stream (a full pass grew to
    ~290,000 objects and ~100-300 ms on a loaded machine), and most of a Strip's cost.
    Textual's own ``Content`` makes its divide cache on first use the same way.

    Strip is public but these slots are private: applied only when ``Strip.__init__``
    and the slots are exactly those of textual 8.x (checked against 8.2.8), else
    nothing changes. True when applied (or already).
    """
    from textual.strip import Strip

    if Strip.__init__ is _strip_init:
        return True
    code = getattr(Strip.__init__, "__code__", None)
    slots = set(getattr(Strip, "__slots__", ()))
    if (
        not (8,) <= _version("textual") < (9,)
        or code is None
        or code.co_names != _STRIP_INIT_NAMES
        or not slots.issuperset(_STRIP_INIT_NAMES[1:3] + tuple(_STRIP_CACHES) + _STRIP_INIT_NAMES[-3:])
    ):
        return False
    for name, size in _STRIP_CACHES.items():
        setattr(Strip, name, _CacheOnFirstUse(Strip.__dict__[name], size))
    Strip.__init__ = _strip_init  # type: ignore[method-assign]
    return True
