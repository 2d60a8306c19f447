"""A node's CSS rules are matched once per stylesheet and path (``textual_compat.memoized_style_matching``),
and the suite's CSS parsed once per worker (``tests/ui/conftest.py``), without changing any style.

Every node of a running app (its screens, dialogs, the widgets' component classes) is styled
exactly as Textual's own ``Stylesheet.apply`` styles it: after start, after focus, class,
disabled and hover changes, after a theme change, and in an app started after another one
with other CSS and another theme in the same process (what one test leaves must not style
the next). The stylesheet parsed from the per-worker cache holds the same rules as one parsed
afresh.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App
from textual.css.stylesheet import Stylesheet
from textual.dom import DOMNode
from textual.widgets import Static

from liaobots_tui.store import Store
from liaobots_tui.ui import app as app_module
from liaobots_tui.ui import textual_compat
from liaobots_tui.ui.app import LiaobotsApp
from liaobots_tui.ui.themes import builtin_themes_dir
from tests.ui.conftest import SIZE, AppFactory, offline_client, offline_settings
from tests.ui.driving import chat, settle


def textuals_own_apply() -> Any:
    return getattr(Stylesheet.apply, "__wrapped__", Stylesheet.apply)


def styles_of(node: DOMNode) -> tuple[Any, ...]:
    """What styling decides for ``node``: its rules, its component classes' rules, its flags."""
    components = {name: dict(styles.base._rules) for name, styles in node._component_styles.items()}
    flags = (node._has_hover_style, node._has_focus_within, node._has_order_style, node._has_odd_or_even)
    return dict(node.styles.base._rules), components, flags


def every_node(app: App[Any]) -> list[DOMNode]:
    nodes: list[DOMNode] = [app]
    for screen in app.screen_stack:
        nodes.extend(screen.walk_children(with_self=True))
    return nodes


def assert_styled_as_textual_would(app: App[Any]) -> int:
    """Restyle every node with Textual's own apply: nothing changes. Returns how many were compared."""
    memoized_apply = Stylesheet.apply
    nodes = every_node(app)
    # Textual's own all the way down: its apply styles component classes through self.apply.
    Stylesheet.apply = textuals_own_apply()  # type: ignore[method-assign]
    try:
        for node in nodes:
            memoized = styles_of(node)
            app.stylesheet.apply(node)
            assert styles_of(node) == memoized, f"{node!r} was styled otherwise than Textual styles it"
    finally:
        Stylesheet.apply = memoized_apply  # type: ignore[method-assign]
    return len(nodes)


def test_the_app_applies_it_when_built(make_app: AppFactory) -> None:
    make_app(offline_settings(), client_factory=offline_client)
    assert getattr(Stylesheet.apply, "_memoized", False)
    assert textual_compat.memoized_style_matching()  # again: applied once
    assert not getattr(textuals_own_apply(), "_memoized", False)


async def test_every_node_is_styled_as_textual_styles_it_through_focus_class_and_theme_changes(
    make_app: AppFactory,
) -> None:
    app = make_app(offline_settings(), client_factory=offline_client)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert assert_styled_as_textual_would(app) > 40

        screen = chat(app)
        # Focus moves: :focus, :blur and :focus-within change on the way, and a focused list's
        # component classes (``OptionList:focus > .option-list--option-highlighted``).
        for field in ("#chat-search", "#chat-list"):
            screen.query_one(field).focus()
            await settle(app, pilot)
            assert_styled_as_textual_would(app)
        screen.prompt.focus()
        await settle(app, pilot)
        assert_styled_as_textual_would(app)

        # A class given and taken, a widget disabled (:disabled on it and its children), hovered.
        sidebar = screen.query_one("#sidebar")
        sidebar.toggle_class("-visible")
        screen.prompt.disabled = True
        await settle(app, pilot)
        assert_styled_as_textual_would(app)
        sidebar.toggle_class("-visible")
        screen.prompt.disabled = False
        await pilot.hover("#prompt")
        await settle(app, pilot)
        assert_styled_as_textual_would(app)

        # Another theme: the CSS is parsed again with its variables, a light one flips :dark/:light.
        for theme in ("liaobots-light", "liaobots-high-contrast"):
            app.theme = theme
            await settle(app, pilot)
            assert app.current_theme.name == theme
            assert_styled_as_textual_would(app)

        # A dialog over the chat: its own widgets, and the screen under it.
        await pilot.press("f1")
        await settle(app, pilot)
        assert len(app.screen_stack) > 2
        assert_styled_as_textual_would(app)


class RedTitles(LiaobotsApp):
    """The app with one more rule, as a test (or a user's CSS) might add."""

    CSS_PATH = str(Path(app_module.__file__).with_name("app.tcss"))  # the app's, not beside this test
    CSS = "#title-bar { color: #ff0000; background: #00ff00; }"


async def test_an_app_after_another_with_other_css_and_theme_is_styled_as_textual_styles_it(
    make_app: AppFactory, store: Store, tmp_path: Path
) -> None:
    first = RedTitles(
        offline_settings(theme="liaobots-light"),
        store=store,
        client_factory=offline_client,
        config_path=tmp_path / "first.toml",
        theme_dirs=[builtin_themes_dir()],
    )
    async with first.run_test(size=SIZE) as pilot:
        await settle(first, pilot)
        title = chat(first).query_one("#title-bar", Static)
        assert title.styles.color.hex == "#FF0000"
        assert not first.current_theme.dark
        assert_styled_as_textual_would(first)

    second = make_app(offline_settings(), client_factory=offline_client)
    async with second.run_test(size=SIZE) as pilot:
        await settle(second, pilot)
        title = chat(second).query_one("#title-bar", Static)
        assert title.styles.color.hex != "#FF0000"
        assert title.styles.background.hex != "#00FF00"
        assert second.current_theme.dark
        assert_styled_as_textual_would(second)
        assert_same_rules_as_parsed_afresh(second.stylesheet)


def assert_same_rules_as_parsed_afresh(stylesheet: Stylesheet) -> None:
    """The rules of ``stylesheet`` (parsed through the per-worker cache) are those of a stylesheet
    with the same sources and variables parsed without it."""
    parse = Stylesheet._parse_rules
    uncached = getattr(parse, "__wrapped__", parse)
    fresh = Stylesheet(variables=dict(stylesheet._variables))
    for read_from, (css, is_default, tie_breaker, scope) in stylesheet.source.items():
        fresh.add_source(css, read_from, is_default_css=is_default, tie_breaker=tie_breaker, scope=scope)
    Stylesheet._parse_rules = uncached  # type: ignore[method-assign]
    try:
        fresh.parse()
    finally:
        Stylesheet._parse_rules = parse  # type: ignore[method-assign]

    def described(rules: list[Any]) -> list[tuple[Any, ...]]:
        # repr: a layout value (vertical, grid) is an object compared by identity
        return [(r.selectors, repr(r.styles._rules), r.is_default_rules, r.tie_breaker) for r in rules]

    assert described(fresh.rules) == described(stylesheet.rules)
    assert len(fresh.rules) > 100
