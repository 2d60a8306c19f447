"""The style memo keys a node's ancestors by id only when a selector names that id.

Every message box has an id of its own: keyed by it, each reply's widgets were matched
afresh and kept as new entries (~180 a long reply, ~0.6 MB, until the memo's bound).
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from liaobots_tui.ui import textual_compat

CSS = """
#special Static { color: red; }
Static { color: blue; }
"""


class Boxes(App[None]):
    CSS = CSS

    def compose(self) -> ComposeResult:
        for name in ("special", "box-1", "box-2"):
            with Vertical(id=name):
                yield Static(name)


def _matched(app: App[None]) -> int:
    memo = app.stylesheet.__dict__.get("_liaobots_style_matches")
    assert memo is not None, "the memo is applied in this Textual"
    return len(memo.matched)


async def test_boxes_with_unnamed_ids_share_their_matches_and_named_ids_still_decide() -> None:
    assert textual_compat.memoized_style_matching()
    app = Boxes()
    async with app.run_test() as pilot:
        await pilot.pause()
        colors = {static.parent.id: static.styles.color.hex for static in app.query(Static)}  # type: ignore[union-attr]
        assert colors == {"special": "#FF0000", "box-1": "#0000FF", "box-2": "#0000FF"}
        before = _matched(app)
        await app.mount(Vertical(Static("three"), id="box-3"))
        await pilot.pause()
        # Box 3 and its text are keyed as boxes 1 and 2 were: found, not matched and kept anew.
        assert _matched(app) == before
        assert app.query_one("#box-3 Static").styles.color.hex == "#0000FF"
        await app.mount(Vertical(Static("four"), id="special-2"), before=0)
        await pilot.pause()
        assert app.query_one("#special-2 Static").styles.color.hex == "#0000FF"
