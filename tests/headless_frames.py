"""Pilot tests lay their frames out but do not draw them; each app's last screen is drawn once at its end.

In a headless run Textual still does all the work of a frame: the screen's update (or layout)
asks the compositor for ``render_update`` (every changed widget's ``render_lines``, its strips
cut and chopped along the screen's cuts), then ``App._display`` throws the result away because
the driver is headless. Skipping it took ``tests/ui`` (-n 2) from 213 to 168 s of CPU (0.79x).

While a test runs under :func:`frames_laid_out_not_drawn`:

* a frame is laid out exactly as before (reflow, regions, sizes, Resize/Show/Hide events, the
  mouse-over and every click, scroll and query that reads the layout stay real), but the top
  screen's ``render_update`` is skipped: its changed regions are dropped instead of drawn.
  Explicit renders still draw: ``export_screenshot``, snapshots, a test calling ``render_lines``.
* when the app shuts down, its last screen (and the screens showing under a dialog) is drawn
  in full once, as the terminal would have shown it, so a render that raises (markup parsed from
  untrusted text, a widget's ``render_line`` failing) still fails the test that caused it:
  the error becomes the app's exception, which ``run_test`` raises, as a crash in a frame would.

A test that reads what frames drew (a widget's render cache, lines rendered once and kept, the
regions a frame drew apart) opts in to real frames with the ``draws_frames`` marker (a
module-level ``pytestmark`` or a decorator); tests/conftest.py applies the switch.

This is a test-harness switch, never a product change. It relies on Textual privates, checked
against textual 8.2.8: ``Screen._compositor_refresh`` (the top screen's branch: render_update,
then ``_display``), ``Screen._compositor``/``_dirty_widgets``/``_layout_required``/``_refresh_layout``,
``Compositor._dirty_regions``, ``App._shutdown``/``_exception``/``_background_screens``/
``_update_mouse_over``. On another major version, or if one is missing, frames are drawn as before.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from textual._compositor import Compositor
from textual.app import App
from textual.screen import Screen

#: The marker of a test (or module) that reads what its frames drew.
DRAWS_FRAMES = "draws_frames"


@cache
def textual_fits() -> bool:
    """Textual 8.x with every private the switch relies on; else frames are drawn as before."""
    from importlib.metadata import version

    major = int(version("textual").split(".")[0])
    screen_privates = ("_compositor_refresh", "_refresh_layout", "_on_timer_update")
    app_privates = ("_shutdown", "_update_mouse_over", "_background_screens")
    return (
        major == 8
        and all(hasattr(Screen, name) for name in screen_privates)
        and all(hasattr(App, name) for name in app_privates)
        and hasattr(Compositor, "render_update")
    )


def _undrawn(screen: Screen[Any]) -> bool:
    """A frame of ``screen`` that a headless driver would throw away: the top screen, not inline."""
    app = screen.app
    return app.is_headless and not app.is_inline and screen is app.screen


def draw_last_frame(app: App[Any]) -> None:
    """Draw ``app``'s current screen in full, once, as its next frame would: a pending layout first."""
    if not app._screen_stack or getattr(app, "_last_frame_drawn", False):
        return
    app._last_frame_drawn = True  # type: ignore[attr-defined]  # _shutdown may run twice
    screen = app.screen
    if not screen.outer_size:
        return
    if screen._layout_required or screen._scroll_required:
        screen._refresh_layout(scroll=screen._scroll_required)
        screen._layout_required = screen._scroll_required = False
    screen._compositor.render_update(full=True, screen_stack=app._background_screens)


@contextmanager
def frames_laid_out_not_drawn() -> Iterator[None]:
    """While the block runs, headless apps lay frames out without drawing them (the module's docstring)."""
    if not textual_fits():
        yield
        return
    textual_refresh: Callable[[Screen[Any]], None] = Screen._compositor_refresh
    textual_shutdown: Callable[[App[Any]], Any] = App._shutdown

    def compositor_refresh(screen: Screen[Any]) -> None:
        if not _undrawn(screen):
            textual_refresh(screen)
            return
        # Textual's top-screen branch without render_update and the _display that drops it.
        screen._compositor._dirty_regions.clear()
        screen._dirty_widgets.clear()
        screen.app._update_mouse_over(screen)

    async def shutdown(app: App[Any]) -> None:
        failed: BaseException | None = None
        # A test that failed already keeps its own error; an app that crashed keeps its crash.
        if app.is_headless and app._exception is None and sys.exc_info()[1] is None:
            try:
                with app._context():
                    draw_last_frame(app)
            except Exception as error:  # noqa: BLE001 - any render error is the test's failure
                failed = error
        await textual_shutdown(app)
        if failed is not None and app._exception is None:
            app._exception = failed  # run_test raises it, as it raises a crash in a frame

    Screen._compositor_refresh = compositor_refresh  # type: ignore[method-assign,assignment]
    App._shutdown = shutdown  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        Screen._compositor_refresh = textual_refresh  # type: ignore[method-assign]
        App._shutdown = textual_shutdown  # type: ignore[method-assign]
