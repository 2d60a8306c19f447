"""The screen under a dialog is tinted once per style (``textual_compat.memoized_background_tint``).

The tinted segments are exactly Textual's, for styles with and without colours, links and
meta, and for a transparent and a translucent tint; the app applies it when built.
"""

from __future__ import annotations

import itertools

from rich.segment import Segment
from rich.style import Style
from textual.color import Color
from textual.renderables.background_screen import BackgroundScreen

from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.ui import textual_compat
from tests.ui.conftest import AppFactory, demo_settings


def textuals_own(segments: list[Segment], color: Color) -> list[Segment]:
    textual = BackgroundScreen.__dict__["process_segments"].__func__
    original = getattr(textual, "__wrapped__", textual)
    return list(original(BackgroundScreen, segments, color))


def test_tinted_segments_are_textuals_own_for_every_kind_of_style() -> None:
    assert textual_compat.memoized_background_tint()
    assert textual_compat.memoized_background_tint()  # twice: applied once
    styles = [
        None,
        Style(),
        Style(color="red"),
        Style(bgcolor="#102030"),
        Style(color="#ffffff", bgcolor="black", bold=True, italic=True),
        Style(color="green", link="https://example.com"),
        Style.from_meta({"@click": "app.bell()", "offset": (3, 4)}) + Style(color="blue"),
        Style(reverse=True, underline=True),
    ]
    segments = [Segment(f"text {n}", style) for n, style in enumerate(styles)]
    segments.append(Segment("", None, [(1,)]))  # a control segment passes through as it is
    for color in (Color(0, 0, 0, 0), Color(0, 0, 0, 0.6), Color(30, 200, 10, 0.25)):
        for _ in range(2):  # the second time from what was remembered
            tinted = list(BackgroundScreen.process_segments(segments, color))
            assert tinted == textuals_own(segments, color)
            assert [s.style.link if s.style else None for s in tinted] == [None] * len(tinted)
    # The same style with other meta tints the same: a style per widget offset is no problem.
    many = [Segment("x", Style(color="red") + Style.from_meta({"offset": (x, 0)})) for x in range(50)]
    assert len({s.style for s in BackgroundScreen.process_segments(many, Color(0, 0, 0, 0.5))}) == 1
    assert list(itertools.islice(BackgroundScreen.process_segments(iter(many), Color(0, 0, 0, 0.5)), 2))


def test_the_app_applies_it_when_built(gateway: FakeGateway, make_app: AppFactory) -> None:
    make_app(demo_settings(gateway))
    assert getattr(BackgroundScreen.__dict__["process_segments"].__func__, "_memoized", False)
