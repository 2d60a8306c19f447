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
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any

from textual.geometry import Region
from textual.reactive import Reactive
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets.markdown import MarkdownBlock

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.scrollbar import ScrollBar


@cache
def _version(package: str) -> tuple[int, ...]:
    """The installed version of ``package``, asked on first need: reading the installed
    packages' metadata costs ~10 ms a package, paid at start-up when it was a constant."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        text = version(package)
    except PackageNotFoundError:
        return ()
    numbers: list[int] = []
    for piece in text.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        numbers.append(int(digits) if digits else 0)
    return tuple(numbers)


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
    textual_image_version = _version("textual-image")
    if not textual_image_version or textual_image_version >= (1,):
        return None
    try:
        from textual_image._terminal import get_cell_size

        size = get_cell_size()
        width, height = int(size.width), int(size.height)
    except Exception:  # the probe failed or the private API changed
        return None
    return (width, height) if width > 0 and height > 0 else None


def import_textual_image_quietly(cell: tuple[int, int]) -> ModuleType:
    """``textual_image.widget``, imported without it asking the terminal anything.

    Importing textual-image runs its probes (DA1, a Kitty graphics query, the cell size),
    which write to stdout and read stdin. The app asks those questions itself before
    Textual starts (:mod:`liaobots_tui.ui.terminal_probe`) and imports textual-image only
    when the first image is shown, when Textual's input thread owns stdin: a probe then
    would steal its keys and print into the screen. There is no public switch, so the
    cell size cache of ``textual_image._terminal.get_cell_size`` is filled with ``cell``
    and its ``capture_terminal_response`` made to fail at once (each probe catches that
    as "not supported") before the renderers are imported. 0.6-0.14 have both names;
    where they are missing on a terminal, ImportError (images off, said in the
    placeholder) rather than a probe racing Textual for stdin.
    """
    import sys

    if "textual_image.renderable" not in sys.modules:  # its import is where the probes run
        import textual_image._terminal as terminal

        if not hasattr(terminal, "capture_terminal_response") or not hasattr(terminal, "CellSize"):
            stdout = sys.__stdout__
            if stdout is not None and stdout.isatty():
                raise ImportError("this textual-image would probe the terminal while the app runs")
        else:
            terminal.get_cell_size._result = terminal.CellSize(*cell)  # type: ignore[attr-defined]

            @contextmanager
            def silent(*args: object, **kwargs: object) -> Iterator[Any]:
                raise terminal.TerminalError("the terminal was asked before the app started")
                yield  # pragma: no cover: a generator, never reached

            terminal.capture_terminal_response = silent
    from textual_image import widget

    return widget


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


def forget_removed_widgets_styles() -> None:
    """Let go of the render caches of widgets that are gone.

    ``StylesCache.get_inner_outer`` is an ``lru_cache(1024)`` on a method (textual
    0.x-8), so its keys hold up to 1,024 widgets' ``StylesCache`` objects, each with
    its cache of rendered lines, after the widgets themselves were removed: measured
    at ~30,000-80,000 objects kept per opened chat, which every full garbage
    collection then scans again. No public API clears it; the cache only spares
    recomputing two styles, so clearing it costs a few lookups. Does nothing when
    the private name is missing.
    """
    try:
        from textual._styles_cache import StylesCache

        clear = StylesCache.get_inner_outer.cache_clear
    except (ImportError, AttributeError):
        return
    clear()


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


@contextmanager
def frames_held(screen: Screen[Any]) -> Iterator[None]:
    """Neither draw nor render ``screen`` until the block ends; then paint it whole, once.

    ``App.batch_update`` keeps frames off the terminal, but a layout made meanwhile (the
    terminal's size arriving at start, the screen resuming) still renders the whole
    screen and throws the result away: at start that was two full renders of the
    chat screen without its messages (0.07-0.09 s of CPU) before the frame that shows
    them. While held, such a render is skipped and remembered as a repaint instead.
    ``_compositor_refresh`` and ``_repaint_required`` are private (textual 0.x-8, checked
    against 8.2.8): without them this is ``batch_update`` alone.
    """
    original = getattr(screen, "_compositor_refresh", None)
    if not (8,) <= _version("textual") < (9,) or original is None or not hasattr(screen, "_repaint_required"):
        with screen.app.batch_update():
            yield
        return
    held = True

    def render_later() -> None:
        # Also reached after the block ends, through a call_later made while held.
        if held:
            screen._repaint_required = True
        else:
            original()

    screen._compositor_refresh = render_later  # type: ignore[method-assign]
    try:
        with screen.app.batch_update():
            yield
    finally:
        held = False
        del screen._compositor_refresh  # the class's method again
        screen.refresh()  # the screen's idle turns the repaint into one frame


def footer_key_type() -> type[Widget] | None:
    """Textual's ``FooterKey``, with its ``compact`` reactive (a private module, textual 0.x-8); else None."""
    try:
        from textual.widgets._footer import FooterKey
    except ImportError:
        return None
    return FooterKey if isinstance(getattr(FooterKey, "compact", None), Reactive) else None


def one_widget_table_block(
    lines_widget: Callable[[list[Any], list[list[Any]]], Widget],
) -> type[MarkdownBlock] | None:
    """A Markdown table block that shows its table as one widget made by ``lines_widget(headers, rows)``.

    Textual's ``MarkdownTable`` composes a grid of one widget per cell with auto column
    widths, which every layout pass measures again (the longest frames of a streamed
    reply with tables). Its cells (``Content``) are collected by the private
    ``_get_headers_and_rows``, and a streamed table grows through the private
    ``_update_from_block``; both exist in textual 2-8 (checked against 8.2.8). On
    another Textual, None: the caller keeps Textual's own table.
    """
    from textual.widgets._markdown import MarkdownTable

    privates = ("_get_headers_and_rows", "_update_from_block")
    has_privates = all(callable(getattr(MarkdownTable, name, None)) for name in privates)
    if not (8,) <= _version("textual") < (9,) or not has_privates:
        return None

    class OneWidgetTable(MarkdownTable):
        def compose(self) -> Iterator[Widget]:
            headers, rows = self._get_headers_and_rows()
            self._headers, self._rows = headers, rows
            yield lines_widget(headers, rows)

        async def _update_from_block(self, block: MarkdownBlock) -> None:
            shown = self.children[0] if self.children else None
            set_cells = getattr(shown, "set_cells", None)
            if isinstance(block, MarkdownTable) and set_cells is not None:
                headers, rows = block._get_headers_and_rows()
                self._headers, self._rows = headers, rows
                set_cells(headers, rows)
                return
            await super()._update_from_block(block)

    return OneWidgetTable


def render_subtree(widget: Widget) -> list[Strip] | None:
    """The lines ``widget`` and everything inside it draw now, at its present size (a line a row), or None.

    No public API renders a container with its children: the screen's compositor
    does it for the whole screen. A compositor of its own, rooted at ``widget``, lays
    out and draws just that subtree (each child draws itself as on the screen: the
    screen's last layout sized them the same). ``Compositor`` is private (textual
    0.x-8; checked against 8.2.8): on another Textual, or any failure, None and the
    caller keeps the widgets.
    """
    if not (8,) <= _version("textual") < (9,):
        return None
    size = widget.region.size
    if not size.width or not size.height:
        return None
    try:
        from textual._compositor import Compositor

        compositor = Compositor()
        compositor.reflow(widget, size)
        strips = compositor.render_strips(size)
    except Exception:  # a changed private API: keep the widgets
        return None
    return strips if len(strips) == size.height else None


def keep_full_map_after_reflow(screen: Any) -> bool:
    """Let ``screen``'s layout pass count as the fresh full map it is, so a frame lays out once.

    Each frame that lays out starts by telling the compositor which widgets changed; when
    one is not on screen yet (a block just mounted: every frame of a streaming reply) the
    compositor marks its full map stale (``_full_map_invalidated``). The layout pass that
    follows builds a new full map but leaves the mark, so the first look-up of a widget's
    region right after (every resized widget makes one) arranged the whole screen a second
    time: measured, 56 of 71 layout frames of a comparison, ~40% more layout work. There
    is no public hook; this wraps the screen's own compositor's ``reflow`` to clear the
    mark after it (textual 8.x, checked against 8.2.8; the names are checked first, and
    elsewhere nothing changes). True when applied.
    """
    from textual._compositor import Compositor

    compositor = getattr(screen, "_compositor", None)
    if (
        not (8,) <= _version("textual") < (9,)
        or not isinstance(compositor, Compositor)
        or not isinstance(getattr(compositor, "_full_map_invalidated", None), bool)
    ):
        return False
    textual_reflow = compositor.reflow

    def reflow(parent: Widget, size: Any) -> Any:
        result = textual_reflow(parent, size)
        compositor._full_map_invalidated = False  # the map reflow just built is the full map
        return result

    compositor.reflow = reflow  # type: ignore[method-assign]
    return True


def _divide_without_self_cycle(original: Any) -> Any:
    def divide(self: Any, cuts: Iterable[int]) -> Any:
        cell_length = self.cell_length
        kept = [cut for cut in cuts if cut <= cell_length]
        if kept == [cell_length]:
            return [self]  # as Textual does, without caching [self] in self
        return original(self, kept)

    divide.__wrapped__ = original  # type: ignore[attr-defined]
    return divide


def _crop_extend_without_self_cycle(original: Any) -> Any:
    def crop_extend(self: Any, start: int, end: int, style: Any) -> Any:
        if start <= 0 and end == self.cell_length:
            return self  # as Textual computes it, without caching self in self
        return original(self, start, end, style)

    crop_extend.__wrapped__ = original  # type: ignore[attr-defined]
    return crop_extend


#: Strip methods whose textual 8.x code can cache the strip itself in its own cache.
_SELF_CACHING = {"divide": _divide_without_self_cycle, "crop_extend": _crop_extend_without_self_cycle}


def strips_without_self_cycles() -> bool:
    """Stop Strips caching themselves in their own caches; True when applied (or already).

    ``Strip.divide`` at a single cut at its own length returns ``[self]`` and caches it
    in ``self._divide_cache``; ``crop_extend`` over its whole length caches ``self`` in
    ``self._crop_extend_cache``. Each such line is a reference cycle: when the line is
    dropped, refcounting cannot free it and it waits for the cyclic collector (every
    line cut at a widget's edge exactly at its end, thousands per streamed reply: the
    most numerous cyclic garbage of a stream, measured as ~1,500 cycles of 7 objects
    after a reply). Returning the same result without caching it costs nothing: both
    cases return before any work. Applied only on textual 8.x, where both methods are
    the ones checked (8.2.8); elsewhere nothing changes.
    """
    from textual.strip import Strip

    if not (8,) <= _version("textual") < (9,):
        return False
    for name, wrap in _SELF_CACHING.items():
        method = Strip.__dict__.get(name)
        if method is None:
            return False
        if getattr(method, "__wrapped__", None) is None:
            setattr(Strip, name, wrap(method))
    return True


#: Box models a widget keeps (Textual keeps 16 per widget, keyed by its container's size).
BOX_MODELS_KEPT = 2


def small_box_model_caches() -> bool:
    """Widgets keep :data:`BOX_MODELS_KEPT` box models instead of 16; True when applied (or already).

    A widget's box model is cached per container size, viewport and fraction: while a
    reply streams its column grows every frame, so each widget in it gains a new entry
    per frame (a key tuple of Sizes and Fractions, a BoxModel with its own, LRU links),
    up to 16: ~130 tracked objects per widget, 20-25% of the young heap the collector
    scans after a reply (measured with ``bench/young_heap.py``), for no hits (the old
    keys never come back). Applied only on textual 8.x, whose ``Widget.__init__`` makes
    the cache as ``_box_model_cache``; elsewhere nothing changes.
    """
    import functools

    init = Widget.__init__
    if getattr(init, "_small_box_models", False):
        return True
    if not (8,) <= _version("textual") < (9,) or "_box_model_cache" not in init.__code__.co_names:
        return False

    @functools.wraps(init)
    def widget_init(self: Widget, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        self._box_model_cache.maxsize = BOX_MODELS_KEPT

    widget_init._small_box_models = True  # type: ignore[attr-defined]
    Widget.__init__ = widget_init  # type: ignore[method-assign]
    return True


def growing_list_blocks() -> dict[str, type[MarkdownBlock]]:
    """Markdown list blocks that grow by their last items, for ``Markdown.BLOCKS`` (empty: Textual's own).

    While a reply streams, a list that is the last block is parsed again at each append and
    Textual replaces the whole list (``MarkdownBlock._update_from_block``: remove, then mount
    the new one): every item's row, bullet, column and paragraph widgets, mounted, styled,
    laid out and drawn afresh in each frame (measured: 4 widgets an item, 25-30 of a frame's
    box models with one list of 7 items). Only the last item can still change (earlier ones
    end where the next item's marker begins), so these keep the rows of the earlier items
    and replace the last one and add the new ones, when the earlier rows' bullets are
    unchanged (an ordered list whose numbers grow a digit is replaced whole, as before).
    The rows are composed as Textual composes them (``Horizontal(bullet, Vertical(*blocks))``)
    from the private ``_blocks`` of the parsed list and its items; checked against textual
    8.2.8, other versions get Textual's own lists.
    """
    from textual.containers import Horizontal
    from textual.widgets._markdown import (
        MarkdownBullet,
        MarkdownBulletList,
        MarkdownListItem,
        MarkdownOrderedList,
    )

    # The growing list is the block that changes in every frame: its rows are placed from
    # one arrangement a frame (see height_free), not arranged again at each new height, and
    # so are the rows and the items' columns in it (see list_rows).
    from liaobots_tui.ui.widgets.height_free import HeightFree
    from liaobots_tui.ui.widgets.list_rows import ItemColumn, ListRow

    lists = (MarkdownBulletList, MarkdownOrderedList)
    privates_there = all(callable(getattr(cls, "_update_from_block", None)) for cls in lists)
    if not (8,) <= _version("textual") < (9,) or not privates_there:
        return {}

    class ListBullet(MarkdownBullet):
        """A list item's bullet (or number), as tall as its symbol rather than as its row (list_rows)."""

        DEFAULT_CSS = """
        ListBullet {
            height: auto;
        }
        """

    def row_of(symbol: str, blocks: Iterable[Widget]) -> Widget:
        bullet = ListBullet()
        bullet.symbol = symbol
        return ListRow(bullet, ItemColumn(*blocks))

    def rows_of(parsed: MarkdownBlock, symbols: list[str], start: int) -> list[Widget] | None:
        """The rows Textual's compose would make of ``parsed``'s items from the ``start``-th on
        (None: not the expected shape)."""
        items = [block for block in parsed._blocks if isinstance(block, MarkdownListItem)]
        if len(items) != len(symbols):
            return None
        return [
            row_of(symbol, item._blocks) for item, symbol in zip(items[start:], symbols[start:], strict=True)
        ]

    def ordered_symbols(items: list[MarkdownListItem]) -> list[str]:
        """As Textual's compose numbers an ordered list: from the first item's number, right-aligned."""
        start = 1
        if items:
            try:
                start = int(items[0].bullet)
            except ValueError:
                pass
        numbers = [f"{number}. " for number in range(start, start + len(items))]
        width = max(map(len, numbers), default=0) + 1
        return [number.rjust(width) for number in numbers]

    async def grow(shown: MarkdownBlock, parsed: MarkdownBlock, symbols: list[str]) -> bool:
        """Update ``shown`` to ``parsed`` by its last rows; False when it must be replaced whole."""
        rows = list(shown.query_children(Horizontal))
        bullets = [row.children[0] if row.children else None for row in rows]
        kept = len(rows) - 1
        if (
            not rows
            or len(symbols) < len(rows)
            or not all(isinstance(b, MarkdownBullet) for b in bullets)
            or [b.symbol for b in bullets[:kept]] != symbols[:kept]  # type: ignore[union-attr]
            or len(list(shown.children)) != len(rows)
        ):
            return False
        items = [block for block in parsed._blocks if isinstance(block, MarkdownListItem)]
        # The last shown item still growing as paragraphs: its row takes the new text in place
        # (no row, bullet, column and paragraph mounted afresh in every frame of a long item).
        in_place = (
            len(items) == len(symbols)
            and bullets[-1].symbol == symbols[kept]  # type: ignore[union-attr]
            and _paragraphs_updated_in_place(rows[-1], items[kept])
        )
        new_rows = rows_of(parsed, symbols, kept + 1 if in_place else kept)
        if new_rows is None:
            return False
        shown._token = parsed._token
        if not in_place:
            await rows[-1].remove()
        if new_rows:
            await shown.mount_all(new_rows)
        return True

    class ItemsFreed(HeightFree):
        def symbols(self, items: list[MarkdownListItem]) -> list[str]:
            return [item.bullet for item in items]

        def compose(self) -> Iterator[Widget]:
            items = list(self._blocks)  # type: ignore[attr-defined]
            listed = [item for item in items if isinstance(item, MarkdownListItem)]
            if len(listed) == len(items):
                # Textual's rows, of the classes arranged once a frame (see list_rows).
                for item, symbol in zip(listed, self.symbols(listed), strict=True):
                    yield row_of(symbol, item._blocks)
                self._blocks.clear()  # type: ignore[attr-defined]
            else:
                yield from super().compose()
            # A list's items are never mounted (their blocks are, in its rows): once composed,
            # nothing holds them but their own styles' cycles (see removed_widgets_free_at_once).
            for item in items:
                if item.parent is None and not item.is_mounted:
                    _drop_styles_node(item)

    async def grown(shown: MarkdownBlock, parsed: MarkdownBlock, symbols: list[str]) -> bool:
        if not await grow(shown, parsed, symbols):
            return False
        # The parsed list is dropped now (its new rows' blocks were mounted): free it at once.
        for block in (parsed, *_never_mounted_blocks(parsed)):
            _drop_styles_node(block)
        return True

    class GrowingBulletList(ItemsFreed, MarkdownBulletList):
        async def _update_from_block(self, block: MarkdownBlock) -> None:
            if type(block) is type(self):
                items = [b for b in block._blocks if isinstance(b, MarkdownListItem)]
                if await grown(self, block, [item.bullet for item in items]):
                    return
            await super()._update_from_block(block)

    class GrowingOrderedList(ItemsFreed, MarkdownOrderedList):
        def symbols(self, items: list[MarkdownListItem]) -> list[str]:
            return ordered_symbols(items)

        async def _update_from_block(self, block: MarkdownBlock) -> None:
            if type(block) is type(self):
                items = [b for b in block._blocks if isinstance(b, MarkdownListItem)]
                if await grown(self, block, ordered_symbols(items)):
                    return
            await super()._update_from_block(block)

    return {"bullet_list_open": GrowingBulletList, "ordered_list_open": GrowingOrderedList}


def _apart(regions: Iterable[Any]) -> list[Any]:
    """``regions`` gathered into rectangles that each waste little room around what they hold.

    Textual draws one rectangle around all the changed regions of a frame: a column's
    write and another column's figures line make it the whole screen. Here a region joins
    a rectangle it overlaps, or one whose union with it is not much bigger than the two.
    """
    boxes: list[Any] = []
    for region in sorted(regions, key=lambda r: r.area, reverse=True):
        for index, box in enumerate(boxes):
            union = box.union(region)
            if box.overlaps(region) or union.area <= (box.area + region.area) * 5 // 4:
                boxes[index] = union
                break
        else:
            boxes.append(region)
    # Rectangles grown above may overlap now: join those (few rectangles, a few passes).
    joined = True
    while joined and len(boxes) > 1:
        joined = False
        for i, first in enumerate(boxes):
            for j in range(i + 1, len(boxes)):
                if first.overlaps(boxes[j]):
                    boxes[i] = first.union(boxes.pop(j))
                    joined = True
                    break
            if joined:
                break
    return boxes


def _draw_apart(compositor: Any, crops: list[Any], dirty_lines: set[int]) -> list[dict[int, Strip | None]]:
    """The line pieces (Textual's "chops") of the screen's changed lines, drawn crop by crop.

    As Textual's ``Compositor._render_chops`` does for one rectangle: widgets on top come
    first and the first piece drawn at a cut wins. With three differences, each of which
    draws less: a widget counts for a crop when what it shows (its region within its clip)
    meets the crop, not its clip (a column's head and view are clipped by the whole row
    of columns); only its rows where a piece is still open are asked for; and of each such
    line only the open pieces are cut, so a container (whose children cover all of it but
    its padding and border) costs its padding, not a line cut at every child's edge.
    """
    cuts: list[list[int]] = compositor.cuts
    joined: list[dict[int, Strip | None]] = [dict.fromkeys(line_cuts[:-1]) for line_cuts in cuts]
    shown = [
        (widget, region, region.intersection(clip))
        for widget, (region, clip) in compositor.visible_widgets.items()
    ]
    for crop in crops:
        rows = [y for y in crop.line_range if y in dirty_lines]
        if not rows:
            continue
        top, bottom, left, right = rows[0], rows[-1] + 1, crop.x, crop.right
        chops: dict[int, dict[int, Strip | None]] = {y: dict.fromkeys(cuts[y][:-1]) for y in rows}
        # Per row, its cuts with no piece yet, in order: whether a widget is wanted on a row is
        # two bisections, not a scan of its cuts (covered containers were most of a frame's drawing).
        still_open: dict[int, list[int]] = {y: cuts[y][:-1] for y in rows}
        for widget, region, visible in shown:
            first_row, end_row = max(visible.y, top), min(visible.bottom, bottom)
            if first_row >= end_row or visible.x >= right or visible.right <= left or not visible.width:
                continue
            first_cut, last_cut = visible.x, visible.right
            wanted: list[tuple[int, list[int]]] = []  # (row, its cuts within the widget)
            for y in range(first_row, end_row):
                open_cuts_of_row = still_open.get(y)
                if not open_cuts_of_row:
                    continue
                line_cuts = cuts[y]
                end = bisect_right(line_cuts, last_cut)
                start = bisect_left(line_cuts, first_cut)
                if end - start < 2:
                    continue  # no span of this row within the widget
                at = bisect_left(open_cuts_of_row, first_cut)
                if at < len(open_cuts_of_row) and open_cuts_of_row[at] < line_cuts[end - 1]:
                    wanted.append((y, line_cuts[start:end]))
            if not wanted:
                continue  # covered wherever it is drawn here: not asked for its lines
            asked_top = wanted[0][0]
            asked = Region(
                visible.x - region.x, asked_top - region.y, visible.width, wanted[-1][0] + 1 - asked_top
            )
            strips = widget.render_lines(asked)
            for y, widget_cuts in wanted:
                strip, line = strips[y - asked_top], chops[y]
                open_cuts_of_row = still_open[y]
                first_open = bisect_left(open_cuts_of_row, first_cut)
                end_open = bisect_left(open_cuts_of_row, widget_cuts[-1], first_open)
                filled = open_cuts_of_row[first_open:end_open]
                del open_cuts_of_row[first_open:end_open]
                if len(filled) * 2 >= len(widget_cuts):
                    pieces = strip.divide([cut - first_cut for cut in widget_cuts[1:]])
                    index_of = {cut: index for index, cut in enumerate(widget_cuts)}
                    for cut in filled:
                        line[cut] = pieces[index_of[cut]]
                else:
                    for cut in filled:
                        index = bisect_left(widget_cuts, cut)
                        line[cut] = strip.crop(cut - first_cut, widget_cuts[index + 1] - first_cut)
        for y, line in chops.items():
            line_cuts, target = cuts[y], joined[y]
            for index, (cut, piece) in enumerate(line.items()):
                # A piece that reaches into this crop was drawn by the widgets over it here.
                if piece is not None and target[cut] is None and cut < right and line_cuts[index + 1] > left:
                    target[cut] = piece
    return joined


def draw_changed_regions_apart(screen: Any) -> bool:
    """Let ``screen`` draw each group of a frame's changed regions on its own, and only what shows.

    Textual's partial update renders every widget that overlaps the one rectangle
    around all the changed regions of a frame (``render_partial_update``), then sends only
    the changed lines' spans. Side by side columns (Compare) change far apart: the left
    column's write and the right one's figures line made that rectangle the whole screen,
    and the column between them was fetched and cut line by line for nothing. Here the
    regions are gathered into groups (see _apart), each drawn on its own by _draw_apart,
    which also skips what is covered (a column's containers under its blocks); what is
    sent is Textual's ``ChopsUpdate`` over the same spans. A full update stays Textual's.
    There is no public hook: it wraps the screen's own compositor's method (textual 8.x,
    checked against 8.2.8; the private names are checked first, and elsewhere nothing
    changes). True when applied.
    """
    from textual._compositor import ChopsUpdate, Compositor

    compositor = getattr(screen, "_compositor", None)
    privates = ("_regions_to_spans", "cuts", "visible_widgets", "render_partial_update")
    if (
        not (8,) <= _version("textual") < (9,)
        or not isinstance(compositor, Compositor)
        or not isinstance(getattr(compositor, "_dirty_regions", None), set)
        or not all(hasattr(compositor, name) for name in privates)
    ):
        return False
    textual_partial = compositor.render_partial_update

    def render_partial_update() -> ChopsUpdate | None:
        screen_region = compositor.size.region
        boxes = _apart(compositor._dirty_regions)
        crops = [crop for crop in (box.intersection(screen_region) for box in boxes) if crop]
        if not crops:
            return textual_partial()
        spans = list(compositor._regions_to_spans(compositor._dirty_regions))
        try:
            joined = _draw_apart(compositor, crops, {y for y, _, _ in spans})
        except Exception:  # a private API that changed within 8.x: Textual's own way, as before
            return textual_partial()
        compositor._dirty_regions.clear()
        return ChopsUpdate(joined, spans, [line_cuts[1:] for line_cuts in compositor.cuts])

    compositor.render_partial_update = render_partial_update  # type: ignore[method-assign]
    return True


#: Tinted styles remembered by memoized_background_tint (a screen shows a few hundred distinct styles).
TINTS_KEPT = 4096


def memoized_background_tint() -> bool:
    """The screen under a dialog is tinted once per style, not once per segment; True when applied.

    A dialog's screen renders the screen under it dimmed (``BackgroundScreen``): every
    segment of that whole screen gets its style's colours blended with the tint, in Python,
    at each full render of the dialog's screen, and Textual renders it afresh many times
    while a dialog is open (measured: 325 renders for 13 dialogs in one test file, the
    blending a quarter of that file's CPU). The blend is a pure function of the style and the
    tint, so it is remembered per (style, tint): the same segments come out, for a dictionary
    look-up each. Replaces the private classmethod ``BackgroundScreen.process_segments``
    (textual 8.x, checked against 8.2.8); elsewhere nothing changes.
    """
    from functools import lru_cache

    from rich.segment import Segment
    from rich.style import Style
    from textual.color import Color
    from textual.renderables.background_screen import BackgroundScreen

    original = BackgroundScreen.__dict__.get("process_segments")
    if not isinstance(original, classmethod):
        return False
    if getattr(original.__func__, "_memoized", False):
        return True
    if not (8,) <= _version("textual") < (9,):
        return False
    null_style = Style()

    @lru_cache(maxsize=TINTS_KEPT)
    def tinted(style: Style | None, color: Color) -> Style:
        # Textual's own arithmetic (process_segments), once per style and tint.
        plain = null_style if style is None else style.clear_meta_and_links()
        if color.a == 0:
            return plain
        return plain + Style.from_color(
            (Color.from_rich_color(plain.color) + color).rich_color if plain.color is not None else None,
            (Color.from_rich_color(plain.bgcolor) + color).rich_color if plain.bgcolor is not None else None,
        )

    def process_segments(cls: type, segments: Iterable[Segment], color: Color) -> Iterator[Segment]:
        for segment in segments:
            text, style, control = segment
            yield segment if control else Segment(text, tinted(style, color), control)

    process_segments._memoized = True  # type: ignore[attr-defined]
    process_segments.__wrapped__ = original.__func__  # type: ignore[attr-defined]
    BackgroundScreen.process_segments = classmethod(process_segments)  # type: ignore[assignment, method-assign]
    return True


#: Screens laying out now whose layout pass sets virtual sizes without asking for another (see below).
_quiet_layouts = 0


def _size_updated_quietly(original: Any) -> Any:
    def _size_updated(self: Any, size: Any, virtual_size: Any, container: Any, layout: bool = True) -> bool:
        return bool(original(self, size, virtual_size, container, layout=layout and not _quiet_layouts))

    _size_updated.__wrapped__ = original  # type: ignore[attr-defined]
    _size_updated._quiet = True  # type: ignore[attr-defined]
    return _size_updated


def layout_once_per_change(screen: Any) -> bool:
    """Let ``screen``'s layout pass set the virtual sizes it measured without asking for another pass.

    After arranging the screen, Textual hands each widget its new size (``_size_updated``),
    which sets the widget's ``virtual_size``, a reactive that asks for a layout when it
    changes. So every widget that a pass resized (each block a streamed write mounted or
    grew, and its containers) asked for another layout of its column: every write was laid
    out twice, in two frames, and in Compare the second pass of one column's write fell into
    the frame of the next column's (measured: a third of the frames laid out two or three
    columns). The second pass finds what the first found: the arrangement is the first's
    (the compositor measured those sizes), and scrollbars shown or hidden by the new
    virtual size ask for their own layout (``show_vertical_scrollbar`` is a layout reactive).
    Here, during ``screen``'s own layout pass, the virtual size is set as Textual sets it for
    the widgets it only exposes (``layout=False``: no watcher, no layout asked). Wraps the
    private ``Widget._size_updated`` (once, app-wide, a no-op outside an opted-in screen's
    layout) and the screen's ``_refresh_layout`` (textual 8.x, checked against 8.2.8; the
    names are checked first, and elsewhere nothing changes). True when applied.
    """
    original_size_updated = Widget.__dict__.get("_size_updated")
    refresh_layout = getattr(screen, "_refresh_layout", None)
    if (
        not (8,) <= _version("textual") < (9,)
        or not callable(original_size_updated)
        or refresh_layout is None
        or "layout" not in original_size_updated.__code__.co_varnames
    ):
        return False
    if not getattr(original_size_updated, "_quiet", False):
        Widget._size_updated = _size_updated_quietly(original_size_updated)  # type: ignore[method-assign]

    def quiet_refresh_layout(*args: Any, **kwargs: Any) -> Any:
        global _quiet_layouts
        _quiet_layouts += 1
        try:
            return refresh_layout(*args, **kwargs)
        finally:
            _quiet_layouts -= 1

    screen._refresh_layout = quiet_refresh_layout
    return True


def removed_widgets_free_at_once() -> bool:
    """A widget whose removal is complete is freed by reference counting, not left for the
    cyclic collector; True when applied (or already).

    Every DOM node holds its own ``Styles`` (CSS and inline), and each ``Styles`` holds the
    node back (``Styles.node``); the virtual node Textual makes per component class (and
    keeps in the widget's ``_component_styles``) does the same. So a removed widget, with
    all it holds (node list, bindings, signals, caches, rendered lines), is a cycle only a
    collection frees: measured at ~70 objects a widget, ~1,000 widgets and as many virtual
    nodes per long streamed reply, 60-70% of what the collection after a reply scans.
    Once Textual has finished a widget's removal (``Widget._message_loop_exit``: its
    message loop is over, it left its parent, its children went first) nothing uses its
    styles' back references again (Textual's own code checks ``Styles.node`` for None), so
    they are cleared there. Wraps that private method on textual 8.x (checked against
    8.2.8); elsewhere nothing changes.
    """
    import functools

    original = Widget.__dict__.get("_message_loop_exit")
    if original is None:
        return False
    if getattr(original, "_frees_at_once", False):
        return True
    if not (8,) <= _version("textual") < (9,):
        return False

    @functools.wraps(original)
    async def message_loop_exit(self: Widget) -> None:
        # Taken before Textual clears the dict: the virtual nodes, each a cycle through its styles.
        virtual = [styles.node for styles in getattr(self, "_component_styles", {}).values()]
        _unlink_lru_caches(self)  # before Textual empties its query cache (dropping the ring whole)
        await original(self)
        _unlink_lru_caches(self)
        for node in (self, *virtual):
            if node is not None:
                _drop_styles_node(node)
        # A Markdown table keeps the blocks it was parsed from (rows, cells: never mounted, so
        # never through here), each a cycle of its own.
        for block in _never_mounted_blocks(self):
            _drop_styles_node(block)

    message_loop_exit._frees_at_once = True  # type: ignore[attr-defined]
    Widget._message_loop_exit = message_loop_exit  # type: ignore[method-assign]
    _parses_dropped_at_once()
    return True


def _parses_dropped_at_once() -> None:
    """A streamed Markdown's re-parsed last block, once its content was copied, is freed at once.

    At each append Textual parses the last block again and hands the new block (never
    mounted) to the shown one's ``_update_from_block``, which copies its content (or
    mounts it in its place) and drops it: a cycle through its styles, with its parsed
    rows and cells, at every append. Each class's own ``_update_from_block`` (Textual's
    and ours, subclasses of ``MarkdownBlock`` defined by now) is wrapped: when the
    given block is still not mounted afterwards, it was dropped.
    """
    import functools

    from textual.widgets.markdown import MarkdownBlock

    classes: list[type] = [MarkdownBlock]
    while classes:
        cls = classes.pop()
        classes.extend(cls.__subclasses__())
        original = cls.__dict__.get("_update_from_block")
        if original is None or getattr(original, "_drops_parse", False):
            continue

        def wrap(original: Any) -> Any:
            @functools.wraps(original)
            async def update_from_block(self: MarkdownBlock, block: MarkdownBlock) -> None:
                await original(self, block)
                if block.parent is None and not block.is_mounted:
                    for dropped in (block, *_never_mounted_blocks(block)):
                        _drop_styles_node(dropped)

            update_from_block._drops_parse = True  # type: ignore[attr-defined]
            return update_from_block

        cls._update_from_block = wrap(original)  # type: ignore[attr-defined]


def _drop_styles_node(node: object) -> None:
    """Clear the back reference from ``node``'s own styles to it (see removed_widgets_free_at_once)."""
    for name in ("_css_styles", "_inline_styles"):
        styles = getattr(node, name, None)
        if getattr(styles, "node", None) is node:
            styles.node = None  # type: ignore[union-attr]


def _unlink_lru_caches(node: object) -> None:
    """Empty ``node``'s own LRU caches link by link.

    Textual's ``LRUCache`` keeps its entries in a ring of ``[prev, next, key, value]`` lists:
    a cycle, which its ``clear`` drops whole, and which outlives the cache when the cache is
    dropped (a widget's box models: ~20 objects an entry, a quarter of what was left for the
    collector after a reply once removed widgets were freed at once). Cleared link by link,
    the ring is freed by reference counting.
    """
    from textual.cache import LRUCache

    for value in list(getattr(node, "__dict__", {}).values()):
        if isinstance(value, LRUCache):
            for link in list(getattr(value, "_cache", {}).values()):
                if isinstance(link, list):
                    link.clear()
            value.clear()


def _never_mounted_blocks(widget: Widget) -> Iterator[Widget]:
    """The parsed Markdown blocks under ``widget`` (its private ``_blocks``, recursively) never mounted."""
    pending = list(getattr(widget, "_blocks", ()))
    while pending:
        block = pending.pop()
        if isinstance(block, Widget) and block.parent is None and not block.is_mounted:
            yield block
            pending.extend(getattr(block, "_blocks", ()))


def arrangements_without_cycles() -> bool:
    """A screen's old layout maps are freed when replaced, not left for the cyclic collector;
    True when applied (or already).

    ``Compositor._arrange_root`` places widgets through a local function that calls itself
    (a closure holding its own cell: a reference cycle), and that closure holds the map
    and the set of widgets it builds, which are what it returns. So every layout pass (one
    a frame while a reply streams) leaves its whole map (a geometry per widget on the
    screen) in a cycle, and with it every widget it placed: a block widget removed since
    stays alive until a collection finds the cycle, and meanwhile moves to the old
    generation, which only the collection after a reply scans (measured: most removed
    block widgets still alive after a reply were held so). Here the caller gets copies,
    and the closure's own map and set are emptied, so the cycle holds nothing (a copy of
    a map of a few hundred entries costs microseconds). The private method is wrapped on
    textual 8.x (checked against 8.2.8); elsewhere nothing changes.
    """
    import functools

    from textual._compositor import Compositor

    original = Compositor.__dict__.get("_arrange_root")
    if original is None:
        return False
    if getattr(original, "_without_cycles", False):
        return True
    if not (8,) <= _version("textual") < (9,):
        return False

    @functools.wraps(original)
    def arrange_root(self: Any, root: Widget, size: Any, visible_only: bool = True) -> Any:
        placed, widgets = original(self, root, size, visible_only)
        kept = dict(placed), set(widgets)
        placed.clear()  # the closure's own: the cycle it is in now holds no widget
        widgets.clear()
        return kept

    arrange_root._without_cycles = True  # type: ignore[attr-defined]
    Compositor._arrange_root = arrange_root  # type: ignore[method-assign]
    return True


def _paragraphs_updated_in_place(row: Widget, item: MarkdownBlock) -> bool:
    """Show a list ``item``'s parsed blocks in the shown ``row`` (``Horizontal(bullet, Vertical(*blocks))``)
    by giving each shown paragraph its new text, when both are the same paragraphs; False (nothing
    changed) otherwise.

    Used by ``growing_list_blocks``: the last item of a streamed list is parsed again at every
    append, and replacing its row mounted, styled, laid out and drew four widgets afresh in each
    frame (measured on a paced stream: most of the widgets mounted per frame while a list grew).
    A paragraph takes new text as Textual's own append does for a paragraph that is the last
    block (``MarkdownParagraph._update_from_block``: ``set_content`` and the token). The private
    ``_blocks``, ``_content`` and ``_copy_context`` exist in textual 8 (checked against 8.2.8;
    ``growing_list_blocks`` is only used there).
    """
    from textual.containers import Vertical
    from textual.widgets._markdown import MarkdownParagraph

    parts = list(row.children)
    if len(parts) != 2 or not isinstance(parts[1], Vertical):
        return False
    shown = list(parts[1].children)
    parsed = list(getattr(item, "_blocks", ()))
    if not shown or len(shown) != len(parsed):
        return False
    for old, new in zip(shown, parsed, strict=True):
        if type(old) is not type(new) or not isinstance(old, MarkdownParagraph):
            return False
    for old, new in zip(shown, parsed, strict=True):
        assert isinstance(old, MarkdownParagraph) and isinstance(new, MarkdownParagraph)
        old.source_range = new.source_range
        old.set_content(new._content)
        old._copy_context(new)
    return True


#: Rule lists (stylesheets' contents) whose matches memoized_style_matching keeps, newest last.
STYLESHEETS_KEPT = 64
#: Matches kept per rule list; past it that list's are forgotten at once (each ~1-3 kB).
STYLE_MATCHES_KEPT = 4096


_Candidates = tuple[list[Any], tuple[str, ...], tuple[str, ...], tuple[bool, bool, bool, bool]]


class _StyleMatches:
    """What memoized_style_matching remembers about one rule list: a stylesheet's contents."""

    def __init__(self, rules: list[Any]) -> None:
        self.rules = rules  # kept alive: the list's rule ids name it in _style_lists
        #: Selector names of a node -> its candidate rules, the pseudo classes they check (on
        #: the node, on its ancestors) and its flags (see _candidates).
        self.candidates: dict[frozenset[str], _Candidates] = {}
        #: (selector names, what every node on the path shows the selectors) -> rules or None.
        self.matched: dict[tuple[Any, ...], Any] = {}


#: Rule ids of a stylesheet's contents -> what is remembered for it (least recently used first).
_style_lists: dict[tuple[int, ...], _StyleMatches] = {}


def _style_matches(stylesheet: Any, rules: list[Any]) -> _StyleMatches:
    """The memo of ``rules``: the same rule objects in the same order share it, whichever
    stylesheet (app) holds them; a stylesheet remembers its own list's memo until it re-parses."""
    held = stylesheet.__dict__.get("_liaobots_style_matches")
    if held is not None and held.rules is rules:
        return held  # type: ignore[no-any-return]
    ids = tuple(map(id, rules))
    memo = _style_lists.pop(ids, None)
    if memo is None:
        memo = _StyleMatches(rules)
        while len(_style_lists) >= STYLESHEETS_KEPT:
            del _style_lists[next(iter(_style_lists))]
    _style_lists[ids] = memo  # most recently used last
    stylesheet._liaobots_style_matches = memo
    return memo


#: The pseudo classes that depend on a node's siblings (Textual's ``_has_order_style``).
_ORDER_PSEUDO_CLASSES = frozenset({"first-of-type", "last-of-type", "first-child", "last-child", "empty"})


def _candidates(stylesheet: Any, memo: _StyleMatches, names: frozenset[str]) -> _Candidates:
    """The rules that may apply to a node with selector ``names`` (most important last, as
    Textual orders them), the pseudo classes their selectors check on the node itself and on
    its ancestors, and the node's flags.

    A selector list matches a path from the app down to the node; its last compound (the last
    selector and those joined to it without a combinator) only decides anything when tested on
    the node itself, and every other selector only when tested on an ancestor: tested anywhere
    else, Textual's ``_check_selectors`` drops that branch whatever the outcome.
    """
    rules_map = stylesheet.rules_map
    limit_rules = {rule for name in rules_map.keys() & names for rule in rules_map[name]}
    rules = list(filter(limit_rules.__contains__, reversed(memo.rules)))
    all_pseudo_classes: set[str] = set().union(*[rule.pseudo_classes for rule in rules])
    on_node: set[str] = set()
    on_ancestors: set[str] = set()
    for rule in rules:
        for selector_set in rule.selector_set:
            selectors = selector_set.selectors
            last_compound = True
            for index in range(len(selectors) - 1, -1, -1):
                if index < len(selectors) - 1 and selectors[index].advance:
                    last_compound = False
                (on_node if last_compound else on_ancestors).update(selectors[index].pseudo_classes)
    flags = (
        "hover" in all_pseudo_classes,
        "focus-within" in all_pseudo_classes,
        not all_pseudo_classes.isdisjoint(_ORDER_PSEUDO_CLASSES),
        "odd" in all_pseudo_classes or "even" in all_pseudo_classes,
    )
    return rules, tuple(sorted(on_node)), tuple(sorted(on_ancestors)), flags


def _match_rules(rules: list[Any], css_path_nodes: list[Any]) -> Any:
    """Textual's ``Stylesheet.apply`` between choosing the candidate rules and replacing the
    node's rules (textual 8.2.8, unchanged): the node's rules map, or None when no rule applies."""
    from collections import defaultdict
    from operator import itemgetter

    from textual.css.stylesheet import _DEFAULT_STYLES, Stylesheet

    check_rule = Stylesheet._check_rule
    rule_attributes: defaultdict[str, list[tuple[Any, object]]] = defaultdict(list)
    initial: set[str] = set()
    initial_defaults: set[str] = set()
    for rule in rules:
        is_default_rules = rule.is_default_rules
        tie_breaker = rule.tie_breaker
        for base_specificity in check_rule(rule, css_path_nodes):
            for key, rule_specificity, value in rule.styles.extract_rules(
                base_specificity, is_default_rules, tie_breaker
            ):
                if value is None:
                    if is_default_rules:
                        initial_defaults.add(key)
                    else:
                        initial.add(key)
                rule_attributes[key].append((rule_specificity, value))
    if not rule_attributes:
        return None
    first = itemgetter(0)
    node_rules = {name: max(found, key=first)[1] for name, found in rule_attributes.items()}
    for name in initial:
        if node_rules[name] is None:
            defaults = [found for found in rule_attributes[name] if not found[0][0]]
            if defaults:
                node_rules[name] = max(defaults, key=first)[1]
            else:
                initial_defaults.add(name)
    for name in initial_defaults:
        if node_rules[name] is None:
            defaults = [found for found in rule_attributes[name] if found[0][0]]
            node_rules[name] = max(defaults, key=first)[1] if defaults else getattr(_DEFAULT_STYLES, name)
    return node_rules


def memoized_style_matching() -> bool:
    """A node's CSS rules are matched once per (stylesheet, what its path shows the selectors);
    True when applied (or already).

    Textual styles a node (``Stylesheet.apply``: on mount, on a class or focus change, for
    each component class of a widget through a virtual node) by testing every candidate rule's
    selectors against the node's path from the app down, then picking the most specific value
    of each rule: ~0.6 ms a node (measured: ~a fifth of Pilot tests' CPU, and of a boot's).
    Its own cache lives for one batch of nodes. The outcome is a pure function of the rule
    list and, for each node on the path, of what a selector can test: its CSS type names, id,
    classes and the pseudo classes those candidate rules name (evaluated here as the selectors
    would). So it is remembered under exactly that key, for the stylesheet's current rule
    list; the node's rules are still replaced and its component classes processed as Textual
    does (measured: styling ~25% cheaper; what is left is mostly setting the rules on the
    node). A re-parse (new CSS, another theme's variables) is another rule list, hence other
    entries. Bounded: STYLESHEETS_KEPT lists, STYLE_MATCHES_KEPT matches each. Replaces the
    private ``Stylesheet.apply`` on textual 8.x (checked against 8.2.8); elsewhere nothing
    changes.
    """
    import functools

    from textual.css.stylesheet import Stylesheet

    original = Stylesheet.__dict__.get("apply")
    if original is None:
        return False
    if getattr(original, "_memoized", False):
        return True
    if not (8,) <= _version("textual") < (9,):
        return False

    @functools.wraps(original)
    def apply(self: Any, node: Any, *, animate: bool = False, cache: dict[Any, Any] | None = None) -> None:
        memo = _style_matches(self, self.rules)
        names = _selector_names(node, memo)
        candidates = memo.candidates.get(names)
        if candidates is None:
            candidates = memo.candidates[names] = _candidates(self, memo, names)
        rules, on_node, on_ancestors, flags = candidates
        node._has_hover_style, node._has_focus_within, node._has_order_style, node._has_odd_or_even = flags
        path = node.css_path_nodes
        key = (
            names,
            node._css_type_names,
            tuple([node.has_pseudo_class(name) for name in on_node]),
            *[
                (
                    shown._css_type_names,
                    shown._id if shown._id in _named_ids(memo) else None,
                    frozenset(shown._classes),
                    tuple([shown.has_pseudo_class(name) for name in on_ancestors]) if on_ancestors else (),
                )
                for shown in path[:-1]
            ],
        )
        matched = memo.matched
        if key in matched:
            node_rules = matched[key]
        else:
            if len(matched) >= STYLE_MATCHES_KEPT:
                matched.clear()
            node_rules = matched[key] = _match_rules(rules, path)
        if node_rules is not None:
            self.replace_rules(node, node_rules, animate=animate)
        self._process_component_classes(node)

    apply._memoized = True  # type: ignore[attr-defined]
    Stylesheet.apply = apply  # type: ignore[method-assign]
    return True


def _set_dirty_cached_only(original: Any) -> Any:
    def set_dirty(self: Any, *regions: Region) -> None:
        if not regions:
            self.clear()
            return
        cached = self._cache
        if not cached:
            return  # every line will be rendered anyway: none is remembered
        dirty = self._dirty_lines
        for region in regions:
            top, bottom = region.y, region.bottom
            if bottom - top > len(cached):
                dirty.update(y for y in cached if top <= y < bottom)
            else:
                dirty.update(y for y in range(top, bottom) if y in cached)

    set_dirty._cached_only = True  # type: ignore[attr-defined]
    set_dirty.__wrapped__ = original  # type: ignore[attr-defined]
    set_dirty.__doc__ = original.__doc__
    return set_dirty


def dirty_lines_only_cached() -> bool:
    """A widget remembers as dirty only the lines it holds rendered; True when applied (or already).

    Textual's ``StylesCache`` (one per widget) keeps the rendered lines it drew
    (``_cache``, by row) and a set of rows to draw again (``_dirty_lines``). A full
    refresh empties the lines and then marks *every row of the widget* dirty, and only
    rows drawn later leave the set: a tall widget off screen keeps a set as long as its
    height. A finished 160 kB reply is ~7,800 rows, and its message box, Markdown
    column and parked run each kept such a set (0.5 MB of hash table plus 7,800 int
    objects each): 1.6 MB of sets, ~2.2 MB in all, held for good per reply (measured: a
    census of live objects after each reply, then each widget's ``_dirty_lines``), the
    largest single growth of resident memory per reply.
    A row that is not among the rendered lines is drawn afresh anyway (``render``:
    ``is_dirty(y) or y not in self._cache``), so keeping only rows that are cached marks
    exactly the same rows for drawing, and the set stays as small as the rows on screen.
    Wrapped on textual 8.x (checked against 8.2.8), whose ``set_dirty`` and ``render``
    use those two fields; elsewhere nothing changes.
    """
    from textual._styles_cache import StylesCache

    original = StylesCache.__dict__.get("set_dirty")
    render = StylesCache.__dict__.get("render")
    if original is None or render is None:
        return False
    if getattr(original, "_cached_only", False):
        return True
    if not (8,) <= _version("textual") < (9,):
        return False
    if "_dirty_lines" not in original.__code__.co_names or "_cache" not in render.__code__.co_names:
        return False
    StylesCache.set_dirty = _set_dirty_cached_only(original)  # type: ignore[method-assign]
    return True


#: Seconds an "after refresh" batch waits before it starts, and between its slices (see below).
AFTER_FRAME_PAUSE = 0.001
#: Longest a slice of an "after refresh" batch runs before the loop gets a turn (seconds, wall).
AFTER_FRAME_SLICE = 0.008
#: Most extra pauses an "after refresh" batch waits for a draw put off after its layout.
AFTER_DRAW_TRIES = 3
#: Seconds between the slices of an "after refresh" batch: a frame's period (Textual draws 60 a second).
AFTER_FRAME_WAIT = 0.02


def after_refresh_work_apart(screen: Any) -> bool:
    """Let ``screen`` run its "after refresh" callbacks in loop turns of their own; True when applied.

    After each frame Textual runs every callback queued by ``call_after_refresh`` in one go
    (``Screen._invoke_and_clear_callbacks``), in the loop turn right after the frame's. In
    Compare that batch is each lane's fold of the blocks its write finished and its parking
    pass (measured: 10-30 ms of CPU), run back to back with the frame (40-50 ms): the loop
    was held for both, a key or a timer waiting behind them (the longest stalls, 65-95 ms,
    were each such a pair). Here the batch starts after a short timer, so the loop turns
    over between the frame and its after-work, and it gives the loop a turn again whenever
    it ran :data:`AFTER_FRAME_SLICE`, for a frame's period (:data:`AFTER_FRAME_WAIT`): three
    lanes' folds and parking, each asking for a layout of its lane, were laid out in one frame
    after the batch (up to 110 ms of CPU, with parking behind). The callbacks run in the order
    queued, each once, after the refresh they were queued for. Wraps the screen's own private method (textual
    8.x, checked against 8.2.8; the private names are checked first, and elsewhere nothing
    changes).
    """
    import time

    from textual._callback import invoke

    callbacks = getattr(screen, "_callbacks", None)
    if (
        not (8,) <= _version("textual") < (9,)
        or not isinstance(callbacks, list)
        or not callable(getattr(screen, "_invoke_and_clear_callbacks", None))
    ):
        return False

    async def invoke_apart() -> None:
        if not screen._callbacks:
            return
        draws: _DrawsApart | None = getattr(screen, "_draws_apart", None)
        drawn = draws.count if draws is not None else 0
        await asyncio.sleep(AFTER_FRAME_PAUSE)  # the frame's loop turn is over before its after-work
        for _ in range(AFTER_DRAW_TRIES):
            # The frame's draw, put off after its layout (draw_after_layout_apart), came due with
            # this pause: the after-work waits for a turn of its own after the draw, not beside it
            # (a few pauses at most: frames that keep coming must not starve it).
            if draws is None or (not draws.pending and draws.count == drawn):
                break
            drawn = draws.count
            await asyncio.sleep(AFTER_FRAME_PAUSE)
        queued = screen._callbacks[:]
        screen._callbacks.clear()
        turn_began = time.perf_counter()
        for index, (callback, message_pump) in enumerate(queued):
            if index and time.perf_counter() - turn_began > AFTER_FRAME_SLICE:
                try:
                    # A frame's period: what the slice changed (a lane's fold or parking) is laid
                    # out in the next frame before the next slice (another lane's) adds to it.
                    await asyncio.sleep(AFTER_FRAME_WAIT)
                except asyncio.CancelledError:
                    screen._callbacks[:0] = queued[index:]  # not run yet: as Textual would keep them
                    raise
                turn_began = time.perf_counter()
            with message_pump._context():
                await invoke(callback)

    screen._invoke_and_clear_callbacks = invoke_apart
    return True


#: Seconds a frame's drawing waits after its layout (see draw_after_layout_apart).
DRAW_PAUSE = 0.001


class _DrawsApart:
    """A screen's draws put off after their layout: one pending, and how many were drawn
    (after_refresh_work_apart lets a pending draw, or one drawn during its pause, go first)."""

    def __init__(self) -> None:
        self.pending = False
        self.count = 0


def draw_after_layout_apart(screen: Any) -> bool:
    """Let ``screen`` draw a frame in a loop turn after the one that laid it out; True when applied.

    Textual's frame (``Screen._refresh_layout``) lays the screen out and draws what
    changed in one callback. In Compare a lane's write frame was 50-65 ms of CPU, about
    half each: with what else fell due in the same turn (another lane's append, a timer),
    the loop was held past 100 ms beside two busy loops. Here the layout's draw
    (``_compositor_refresh``) is put off by :data:`DRAW_PAUSE` (:func:`call_next_after`), so a
    key, a delta or a timer that fell due during the layout runs between the two halves.
    Textual itself draws after the layout's callback when updates are batched
    (``call_later(self._compositor_refresh)``): what was laid out stays marked dirty in the
    compositor until drawn, a later frame's regions join it, and one pending draw draws
    them all. A draw-only frame (no layout) draws at once, as before; a screen no longer
    current draws nothing (Textual repaints it whole when it returns). Wraps the screen's own
    private methods (textual 8.x, checked against 8.2.8; the names are checked first, and
    elsewhere nothing changes).
    """
    refresh_layout = getattr(screen, "_refresh_layout", None)
    code = getattr(getattr(type(screen), "_refresh_layout", None), "__code__", None)
    if (
        not (8,) <= _version("textual") < (9,)
        or refresh_layout is None
        or not callable(getattr(screen, "_compositor_refresh", None))
        or not isinstance(getattr(screen, "_dirty_widgets", None), set)
        or code is None
        or "_compositor_refresh" not in code.co_names
    ):
        return False
    draws = screen._draws_apart = _DrawsApart()

    def draw() -> None:
        draws.pending = False
        draws.count += 1
        if screen.is_current and screen.is_attached:
            # Widgets refreshed since the layout are drawn with it: ``_compositor_refresh`` forgets
            # the screen's dirty widgets once drawn, so without this their change never showed.
            screen._compositor.update_widgets(screen._dirty_widgets)
            screen._compositor_refresh()

    def draw_later() -> None:
        if not draws.pending:
            draws.pending = True
            # Not screen.set_timer: its one-shot timer can skip its only tick, and a draw that
            # never came left this one pending for good: no layout was drawn again (call_next_after).
            call_next_after(screen, DRAW_PAUSE, draw)

    def refresh_layout_draw_later(*args: Any, **kwargs: Any) -> Any:
        own = screen.__dict__.get("_compositor_refresh")  # frames_held's, if it holds this screen
        screen._compositor_refresh = draw_later
        try:
            return refresh_layout(*args, **kwargs)
        finally:
            if own is None:
                del screen._compositor_refresh
            else:
                screen._compositor_refresh = own

    screen._refresh_layout = refresh_layout_draw_later
    # The put-off draw's update_widgets can leave the full map stale for a look-up to rebuild before
    # the next layout, which then marked nothing: it marks what changed since the last layout.
    layout_marks_changes_since_last_layout(screen._compositor)
    return True


#: The most (pump class, message class, handler name) plans cached_handler_lookup keeps; past
#: it they are all forgotten and made again (classes made per test or per call stay bounded).
HANDLER_PLANS_KEPT = 4096


def _class_handlers(cls: type, message_mro: list[type], method_name: str) -> tuple[tuple[Any, ...], Any]:
    """One class's share of ``MessagePump._get_dispatch_methods``'s walk: its ``@on`` handlers
    for the message's classes (each with its selectors) and its handler named by convention."""
    decorated_handlers = cls.__dict__.get("_decorated_handlers")
    decorated = (
        tuple(
            (method, selectors)
            for message_class in message_mro
            for method, selectors in decorated_handlers.get(message_class, [])
        )
        if decorated_handlers
        else ()
    )
    method = cls.__dict__.get(f"_{method_name}") or cls.__dict__.get(method_name)
    return decorated, (method if method is not None and not getattr(method, "_textual_on", None) else None)


def _handler_plan(pump_type: type, message_type: type, method_name: str) -> tuple[Any, ...]:
    """What ``MessagePump._get_dispatch_methods`` finds walking ``pump_type``'s MRO for a message.

    Per class with anything to offer, in MRO order: (class, its ``@on`` handlers, its handler
    by name, None). A plain mixin (a class outside Textual's metaclass, whose changes
    cached_handler_lookup cannot see) is kept as (class, (), None, the message's MRO): its
    handlers are looked up at each message, as Textual does.
    """
    from typing import Generic

    from textual.message import Message
    from textual.message_pump import _MessagePumpMeta

    message_mro = [kind for kind in message_type.__mro__ if issubclass(kind, Message)]
    plan: list[tuple[type, tuple[tuple[Any, Any], ...], Any, list[type] | None]] = []
    for cls in pump_type.__mro__:
        if not isinstance(cls, _MessagePumpMeta):
            if cls not in (object, Generic):
                plan.append((cls, (), None, message_mro))
            continue
        decorated, by_name = _class_handlers(cls, message_mro, method_name)
        if decorated or by_name is not None:
            plan.append((cls, decorated, by_name, None))
    return tuple(plan)


def cached_handler_lookup() -> bool:
    """Find a message's handlers once per (widget class, message class), not at every message; True when on.

    Textual's ``MessagePump._get_dispatch_methods`` walks the receiver's whole MRO (a widget's is
    10-20 classes) for every message and event it handles, with three dictionary looks a class
    and the message's MRO filtered again each time: ~5% of a Pilot test's CPU, and of the app's
    while a reply streams (every Update, Idle, Resize and Key). What the walk finds depends only
    on the two classes and the handler name (the classes' ``_decorated_handlers`` and methods),
    so it is planned once per triple; what depends on the message is still checked per message
    exactly as Textual does, in the same order: ``prevent_default()`` stops at the next class,
    ``@on`` selectors are matched against the message's sender, a method reached twice runs
    once. Replacing or deleting a handler (``on_*``, ``_on_*``, ``_decorated_handlers``) on any
    message pump class, as a test's monkeypatch does, forgets every plan, through Textual's
    metaclass. Replaces the private method
    on textual 8.x (checked against 8.2.8); elsewhere nothing changes.
    """
    import functools

    from textual._on import OnNoWidget
    from textual.css.match import match
    from textual.message_pump import MessagePump, _MessagePumpMeta

    original = MessagePump.__dict__.get("_get_dispatch_methods")
    if original is None:
        return False
    if getattr(original, "_planned", False):
        return True
    if not (8,) <= _version("textual") < (9,) or "_decorated_handlers" not in original.__code__.co_consts:
        return False
    plans: dict[tuple[type, type, str], tuple[Any, ...]] = {}

    @functools.wraps(original)
    def get_dispatch_methods(self: Any, method_name: str, message: Any) -> Iterator[tuple[type, Any]]:
        key = (self.__class__, message.__class__, method_name)
        try:
            plan = plans[key]
        except KeyError:
            if len(plans) >= HANDLER_PLANS_KEPT:
                plans.clear()
            plan = plans[key] = _handler_plan(*key)
        dispatched: set[Any] = set()
        for cls, decorated, by_name, live in plan:
            if message._no_default_action:
                break
            if live is not None:
                decorated, by_name = _class_handlers(cls, live, method_name)
            for method, selectors in decorated:
                if method in dispatched:
                    continue
                if selectors:
                    if not message._sender:
                        continue
                    for attribute, selector in selectors.items():
                        node = getattr(message, attribute)
                        if node is None:
                            break
                        if not isinstance(node, Widget):
                            raise OnNoWidget(
                                f"on decorator can't match against {attribute!r} as it is not a widget."
                            )
                        if not match(selector, node):
                            break
                    else:
                        yield cls, method.__get__(self, cls)
                        dispatched.add(method)
                else:
                    yield cls, method.__get__(self, cls)
                    dispatched.add(method)
            if by_name is not None:
                yield cls, by_name.__get__(self, cls)

    def forget_plans(setter: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(setter)
        def forgetting(cls: type, name: str, *value: Any) -> None:
            # Only a handler's name can change a plan (Textual counts widgets in a class attribute).
            if name.startswith(("on_", "_on_", "_decorated_handlers")):
                plans.clear()
            setter(cls, name, *value)

        return forgetting

    get_dispatch_methods._planned = True  # type: ignore[attr-defined]
    get_dispatch_methods.plans = plans  # type: ignore[attr-defined]  # read by its test
    _MessagePumpMeta.__setattr__ = forget_plans(type.__setattr__)  # type: ignore[method-assign]
    _MessagePumpMeta.__delattr__ = forget_plans(type.__delattr__)  # type: ignore[method-assign]
    MessagePump._get_dispatch_methods = get_dispatch_methods  # type: ignore[method-assign]
    return True


def themes_found_without_copies() -> bool:
    """Look a theme up by name without copying every registered theme twice; True when on.

    ``App.get_theme`` reads ``available_themes``, a property that copies the dict of registered
    themes, twice a name, and ``current_theme`` calls it at every use: each node styled asks
    for its ``dark``/``light`` pseudo class through it (~500 lookups a boot of the chat screen
    with its ~30 themes, ~3% of the boot's CPU). The same names give the same themes read from
    the registered dict itself. An app class that overrides ``available_themes`` (public API)
    keeps Textual's lookup. Replaces ``App.get_theme`` on textual 8.x (checked against 8.2.8,
    whose property is a copy of ``_registered_themes``); elsewhere nothing changes.
    """
    import functools

    from textual.app import App

    original = App.__dict__.get("get_theme")
    available = App.__dict__.get("available_themes")
    if original is None or not isinstance(available, property) or available.fget is None:
        return False
    if getattr(original, "_without_copies", False):
        return True
    if not (8,) <= _version("textual") < (9,) or "_registered_themes" not in available.fget.__code__.co_names:
        return False

    @functools.wraps(original)
    def get_theme(self: Any, theme_name: str) -> Any:
        if type(self).available_themes is not available:
            return original(self, theme_name)
        registered = self._registered_themes
        for name in theme_name.split(","):
            theme = registered.get(name.strip())
            if theme is not None:
                return theme
        return None

    get_theme._without_copies = True  # type: ignore[attr-defined]
    App.get_theme = get_theme  # type: ignore[method-assign]
    return True


def _named_ids(memo: _StyleMatches) -> frozenset[str]:
    """The ids that some selector of ``memo``'s rules names (remembered with the memo).

    A node's id can change which rules match only when a selector names it; any other id in
    memoized_style_matching's key made each message box (its own id) key every widget inside
    it afresh: ~180 new matches a long reply (~0.6 MB a reply until the bound, measured),
    and every one of them matched again instead of found.
    """
    named: frozenset[str] | None = memo.__dict__.get("named_ids")
    if named is None:
        from textual.css.model import SelectorType

        named = memo.__dict__["named_ids"] = frozenset(
            selector.name
            for rule in memo.rules
            for selector_set in rule.selector_set
            for selector in selector_set.selectors
            if selector.type == SelectorType.ID
        )
    return named


def forget_offscreen_spatial_maps(nodes: Iterable[object]) -> int:
    """Drop the spatial maps of the arrangements of containers not on screen; tiles dropped.

    Textual indexes a container's arrangement in a grid of 100x20-cell tiles (``SpatialMap``,
    built on first use), a list per tile: a finished 160 kB reply is ~7,800 rows, so each of
    its containers (message box, Markdown column) and the chat around them kept ~390 tiles
    more for good (measured: +1,570 tiles, ~0.3 MB, a reply). The map is rebuilt, from the
    placements kept, only when the container is looked into again (scrolled into view).
    """
    dropped = 0
    for node in nodes:
        cache = getattr(node, "_arrangement_cache", None)
        cached = getattr(cache, "_cache", None)
        if not isinstance(node, Widget) or not isinstance(cached, dict) or _on_screen(node):
            continue
        for arrangement in cached.values():
            spatial_map = getattr(arrangement, "_spatial_map", None)
            tiles = getattr(spatial_map, "_map", None)
            if isinstance(tiles, dict):
                dropped += len(tiles)
                arrangement._spatial_map = None
    return dropped


def _on_screen(widget: Widget) -> bool:
    """Does any of ``widget`` show on its screen now (its region is placed off it when scrolled away)?"""
    try:
        return widget.region.overlaps(widget.screen.region)
    except Exception:  # not on a screen (any more): nothing shows, but nothing to judge by either
        return True


def _selector_names(node: Any, memo: _StyleMatches) -> frozenset[str]:
    """The node's selector names for memoized_style_matching, without its id where no selector
    names it (see :func:`_named_ids`): it cannot change which rules are candidates."""
    names: frozenset[str] = frozenset(node._selector_names)
    if node._id is not None and node._id not in _named_ids(memo):
        names = names - {f"#{node._id}"}
    return names


#: A container's spatial map keeps at most this many rows of tiles (or twice its children, when
#: it has more): see spatial_maps_bounded.
SPATIAL_MAP_ROWS = 64


def _bounded_spatial_map(self: Any) -> Any:
    """``DockArrangeResult.spatial_map`` with tiles as tall as it takes to keep the rows bounded."""
    spatial_map = self._spatial_map
    if spatial_map is None:
        from textual._spatial_map import SpatialMap

        placed = [(p.region.grow(p.margin), p.offset, p.fixed, p.overlay, p) for p in self.placements]
        bottom = max((region.bottom + offset.y for region, offset, *_ in placed), default=0)
        rows = max(SPATIAL_MAP_ROWS, 2 * len(placed))
        spatial_map = self._spatial_map = SpatialMap(100, max(20, -(-bottom // rows)))
        spatial_map.insert(placed)
    return spatial_map


def spatial_maps_bounded() -> bool:
    """Containers index their children in a bounded number of tiles, whatever their height;
    True when applied (or already).

    Textual indexes each arrangement in a grid of 100x20-cell tiles (``SpatialMap``: a list
    per tile, each child listed in every tile it covers), built afresh at each layout of the
    container. The chat's view is as tall as every reply in it (a 160 kB reply: ~7,800 rows),
    so its map grew by ~400 tiles a reply, kept while the chat is open and rebuilt, all of it,
    at every layout while a reply streams (one a frame). Here the tiles are made as tall as it
    takes for the map to keep at most ``max(64, 2 x children)`` rows of them: a tile still
    holds a child or two, so finding what shows in the window costs what it did, and a short
    container (up to 1,280 rows) keeps Textual's own 20-row tiles. The map's answers are
    culled by each placement's region as before: only how many false candidates a lookup
    sees can change. Textual 8.x (checked against 8.2.8); elsewhere nothing changes.
    """
    from textual.layout import DockArrangeResult

    current = DockArrangeResult.__dict__.get("spatial_map")
    if not isinstance(current, property) or current.fget is None:
        return False
    if current.fget is _bounded_spatial_map:
        return True
    if not (8,) <= _version("textual") < (9,) or "_spatial_map" not in DockArrangeResult.__dataclass_fields__:
        return False
    DockArrangeResult.spatial_map = property(_bounded_spatial_map, doc=current.__doc__)  # type: ignore[method-assign,assignment]
    return True


class _SameLine:
    """A read-only sequence of ``height`` times the same line (what a blank container draws)."""

    __slots__ = ("_line", "_height")

    def __init__(self, line: Strip, height: int) -> None:
        self._line, self._height = line, height

    def __len__(self) -> int:
        return self._height

    def __getitem__(self, index: int) -> Strip:
        if not -self._height <= index < self._height:
            raise IndexError(index)
        return self._line


#: Containers up to this many rows render their blank content as Textual does (a line per row).
BLANK_ROWS_KEPT = 64


def _render_content_one_row(original: Any) -> Any:
    def render_content(self: Any) -> None:
        width, height = self.size
        if height <= BLANK_ROWS_KEPT or not self.is_container or self.styles.content_align != ("left", "top"):
            original(self)
            return
        from textual.renderables.blank import Blank
        from textual.visual import Visual

        visual = self._render()
        if type(visual) is not Blank:  # a keyline, or content of its own
            original(self)
            return
        strips = Visual.to_strips(self, visual, width, 1, self.visual_style)
        if len(strips) != 1:
            original(self)
            return
        self._render_cache = type(self._render_cache)(self.size, _SameLine(strips[0], height))
        self._dirty_regions.clear()

    render_content._one_row = True  # type: ignore[attr-defined]
    render_content._original = original  # type: ignore[attr-defined]
    return render_content


def blank_containers_render_one_row() -> bool:
    """A tall container's blank content is rendered as one line, not one per row; True when applied.

    A container (a message box, a reply's column) draws nothing of its own but its background,
    yet Textual renders that content at the container's full height and keeps it
    (``Widget._render_content``: a list of as many lines as the container is tall, the same
    blank line in each): a 160 kB reply's box and column are ~7,800 rows each, so each finished
    reply kept ~125 kB of such lists for as long as the chat was open (traced). Here a
    container taller than :data:`BLANK_ROWS_KEPT` whose content is Textual's ``Blank`` (no
    keyline) and top-left aligned keeps one line that stands for every row: exactly the line
    Textual would put on each. Textual 8.x (checked against 8.2.8); elsewhere nothing changes.
    """
    original = Widget.__dict__.get("_render_content")
    if original is None:
        return False
    if getattr(original, "_one_row", False):
        return True
    if not (8,) <= _version("textual") < (9,):
        return False
    Widget._render_content = _render_content_one_row(original)  # type: ignore[method-assign]
    return True


def steady_vertical_scrollbar(widget: Widget) -> ScrollBar:
    """``widget``'s vertical scrollbar, made a :class:`~liaobots_tui.ui.steady_scrollbars.SteadyScrollBar`
    (drawn again only when its thumb moves) the first time it is asked for.

    For a ``vertical_scrollbar`` property of a scrolling widget: Textual makes the bar in
    ``Widget.vertical_scrollbar`` as a plain ``ScrollBar``, kept in the private
    ``_vertical_scrollbar`` and started through the private ``App._start_widget``; here the
    same is done with the steady bar (textual 8.x, checked against 8.2.8). Elsewhere, or when
    the names are missing, Textual's own bar.
    """
    from textual.scrollbar import ScrollBar as TextualScrollBar

    from liaobots_tui.ui.steady_scrollbars import SteadyScrollBar

    bar: TextualScrollBar

    made = widget.__dict__.get("_vertical_scrollbar", False)
    start_widget = getattr(widget.app, "_start_widget", None)
    if not (8,) <= _version("textual") < (9,) or made is False or not callable(start_widget):
        bar = Widget.vertical_scrollbar.fget(widget)  # type: ignore[attr-defined]
        return bar
    if isinstance(made, TextualScrollBar):
        return made
    bar = SteadyScrollBar(vertical=True, name="vertical", thickness=widget.scrollbar_size_vertical)
    widget._vertical_scrollbar = bar
    bar.display = False  # as Textual's: shown by the layout when the content overflows
    start_widget(widget, bar)
    return bar


def call_next_after(pump: Any, delay: float, callback: Callable[[], Any]) -> asyncio.TimerHandle:
    """Run ``callback`` in ``pump``'s message loop once, ``delay`` seconds from now, however late.

    ``MessagePump.set_timer`` does not promise that. Its one-shot ``Timer`` is made with
    ``skip=True`` and, in ``Timer._run`` (textual 8.2.8), reads the clock once as its start and
    again before it sleeps: when more than ``delay`` passed between the two looks (a process
    preempted there, another thread holding the GIL), the tick counts as missed, is skipped,
    and a one-shot timer has no other tick: the callback never runs. With a millisecond's delay
    on a loaded machine that happened (the chat's put-off draw never came, in a suite run at
    load ~7). Here the event loop's own timer, which fires once when due however late the loop
    gets there, hands ``callback`` to ``pump.call_next``, as ``set_timer``'s tick does.
    ``cancel()`` on the handle drops the call. A pump closing or closed by then (the private
    ``_closing``/``_closed``, textual 8.2.8) is not called, as Textual stops a pump's timers
    when it closes: its callback would only wait in a queue no loop reads any more.
    """

    def call() -> None:
        if not (getattr(pump, "_closing", False) or getattr(pump, "_closed", False)):
            pump.call_next(callback)

    return asyncio.get_running_loop().call_later(delay, call)


def _alt_punctuation_keys(original: Any) -> Any:
    def sequence_to_key_events(self: Any, sequence: str, alt: bool = False) -> Iterator[Any]:
        for key in original(self, sequence, alt):
            # Only a printable character Textual named without a modifier ("comma", "space"):
            # control characters ("tab", "ctrl+a") and letters (already "alt+u") stay as they are.
            if alt and len(sequence) == 1 and sequence.isprintable() and "+" not in key.key:
                yield type(key)(f"alt+{key.key}", key.character)
            else:
                yield key

    sequence_to_key_events._alt_punctuation = True  # type: ignore[attr-defined]
    return sequence_to_key_events


def alt_punctuation_keys() -> bool:
    """ESC followed by a punctuation key is reported as alt+<key>, as ESC u is alt+u; True when applied.

    A terminal (and tmux, and SSH) sends alt+, as ESC ",". Textual's parser
    (``XTermParser._sequence_to_key_events``) adds ``alt+`` only to keys whose name is
    one character (letters and digits), so ESC "," came through as a bare "comma" with
    the character ",": the "Previous version" binding (alt+comma) never ran and the
    prompt got a comma typed into it instead. Here a key reported after ESC whose name
    has no modifier and whose character is printable gets the ``alt+`` Textual gives a
    letter (the app then drops its character, as for alt+u). Textual 8.x (checked
    against 8.2.8); elsewhere nothing changes.
    """
    try:
        from textual._xterm_parser import XTermParser
    except ImportError:
        return False
    original = XTermParser.__dict__.get("_sequence_to_key_events")
    if original is None:
        return False
    if getattr(original, "_alt_punctuation", False):
        return True
    if not (8,) <= _version("textual") < (9,):
        return False
    XTermParser._sequence_to_key_events = _alt_punctuation_keys(original)  # type: ignore[method-assign]
    return True


def layout_marks_changes_since_last_layout(compositor: Any) -> bool:
    """Let ``compositor``'s layout mark what changed since the last layout, not since the last look-up.

    A layout pass (``Compositor.reflow``) marks as dirty the regions of widgets whose place
    differs from the full map it replaces. That map is rebuilt lazily too: once it is marked
    stale (``update_widgets`` met a widget not laid out yet), the next look-up of a widget's
    region (``find_widget``, through ``full_map``) arranges the screen again and keeps the result,
    marking nothing. The layout that follows then finds nothing changed, and what it moved
    never reaches the terminal. With the draw put off after its layout
    (draw_after_layout_apart), that happens: the put-off draw's ``update_widgets`` meets blocks
    mounted since the layout, a lane's parking or a scroll looks a region up, and a Compare
    column's last write and its figures line were never drawn (a suite run at load ~22; 1 run in
    ~30 of that test in starved mode beside two busy loops). Here a layout also marks what
    changed since the map the previous layout built, when that map was replaced meanwhile (a
    superset of Textual's marks). Wraps the compositor's own ``reflow`` (textual 8.x, checked
    against 8.2.8; the private ``_full_map``/``_dirty_regions`` are checked first, and elsewhere
    nothing changes). True when applied (or already).
    """
    from textual._compositor import Compositor

    if (
        not (8,) <= _version("textual") < (9,)
        or not isinstance(compositor, Compositor)
        or not isinstance(getattr(compositor, "_full_map", None), dict)
        or not isinstance(getattr(compositor, "_dirty_regions", None), set)
        or not isinstance(getattr(compositor, "_full_map_invalidated", None), bool)
    ):
        return False
    if getattr(compositor, "_marks_since_last_layout", False):
        return True
    textual_reflow = compositor.reflow
    # The map the last layout built: the one in place, unless it is stale already.
    laid_out: list[dict[Any, Any]] = [] if compositor._full_map_invalidated else [compositor._full_map]

    def reflow(parent: Widget, size: Any) -> Any:
        previous = laid_out[0] if laid_out else None
        rebuilt = previous is not None and compositor._full_map is not previous
        result = textual_reflow(parent, size)
        built = compositor._full_map
        if rebuilt and previous is not None and compositor.size.region not in compositor._dirty_regions:
            # Textual marked the changes against the map it replaced; when that was a look-up's
            # rebuild, not the last layout's map, what moved since the last layout is marked here.
            for _, geometry in built.items() ^ previous.items():
                if region := geometry.clip.intersection(geometry.region):
                    compositor._dirty_regions.add(region)
        laid_out[:] = [built]
        return result

    compositor.reflow = reflow  # type: ignore[method-assign]
    compositor._marks_since_last_layout = True  # type: ignore[attr-defined]
    return True


def frames_dropped_in_a_batch_drawn_after_it(app: Any) -> bool:
    """A frame ``app`` renders while an update batch is held is drawn once the batch ends; True when applied.

    ``App._display`` throws a frame away while ``App.batch_update`` is held (``_batch_count``),
    and the screen forgets it: what it rendered is no longer dirty. Its layout during a batch
    (``Screen._refresh_layout``) is drawn by a ``call_later`` that may still find the batch held,
    and the screen's update timer and idle handler skip their work during one, with nothing to
    come back to it when the batch ends (``App._end_batch`` prompts the app, not the screen).
    Streamed Markdown holds a batch for each write (``Markdown.append``): a screen pushed while
    Compare's replies streamed (the image viewer) had its first frame dropped and stayed
    undrawn, the compare screen still showing, while the keys went to it. Here what a dropped
    frame drew is marked dirty again in its screen's compositor (3 frames of 63 in a 3 x 3,000
    delta Compare), and the end of a batch prompts the current screen when it has work waiting
    (its idle handler then draws it). Wraps the app's own private
    methods (textual 8.x, checked against 8.2.8; the names are checked first, and elsewhere
    nothing changes).
    """
    display = getattr(app, "_display", None)
    end_batch = getattr(app, "_end_batch", None)
    if (
        not (8,) <= _version("textual") < (9,)
        or not callable(display)
        or not callable(end_batch)
        or not isinstance(getattr(app, "_batch_count", None), int)
    ):
        return False
    if getattr(app, "_draws_after_batches", False):
        return True

    from textual._compositor import ChopsUpdate, LayoutUpdate

    def display_or_keep(screen: Any, renderable: Any) -> None:
        compositor = getattr(screen, "_compositor", None)
        if renderable is not None and app._batch_count and compositor is not None:
            # Dropped below: what it drew is dirty again (only that: a Compare frame dropped
            # so cost a redraw of its changed lines, not of the screen), for the next update.
            if isinstance(renderable, ChopsUpdate):
                regions = [Region(x1, y, x2 - x1, 1) for y, x1, x2 in renderable.spans]
            elif isinstance(renderable, LayoutUpdate):
                regions = [renderable.region]
            else:
                regions = [compositor.size.region]
            compositor._dirty_regions.update(regions)
            screen._repaint_required = True  # the screen's next update draws its dirty regions
        display(screen, renderable)

    from textual.app import ScreenStackError, UnknownModeError

    def end_batch_then_draw() -> None:
        end_batch()
        if app._batch_count:
            return
        try:
            screen = app.screen
        except (ScreenStackError, UnknownModeError):  # no screen yet, or none left
            return
        if (
            getattr(screen, "_repaint_required", False)
            or getattr(screen, "_layout_required", False)
            or getattr(screen, "_scroll_required", False)
            or getattr(screen, "_dirty_widgets", None)
        ):
            screen.check_idle()

    app._display = display_or_keep
    app._end_batch = end_batch_then_draw
    app._draws_after_batches = True
    return True
