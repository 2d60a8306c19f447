"""The live piece folds its finished blocks a few at a time (ui/widgets/markdown_column.py).

Folding draws each block into lines; a burst of text (a backlog streamed unpaced) left a
dozen blocks to fold after one append, ~40 ms of drawing in one loop iteration. Now each
fold takes at most FOLD_STEP blocks and the next follows after the next draw, until all
the finished blocks are folded; the picture is what the blocks drew.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.widgets.markdown import MarkdownBlock

from liaobots_tui.api.messages import Message
from liaobots_tui.store import MessageRecord
from liaobots_tui.ui.widgets import markdown_column
from liaobots_tui.ui.widgets.conversation import ConversationView
from liaobots_tui.ui.widgets.flat_blocks import FOLD_STEP, flat_blocks_of
from liaobots_tui.ui.widgets.markdown_column import PieceMarkdown
from tests.ui.driving import until

APP_CSS = Path(__file__).parents[2] / "liaobots_tui" / "ui" / "app.tcss"
#: Ten finished blocks (fewer than a piece holds) and a last one still growing.
TEXT = "".join(f"Paragraph {n}, with a few words.\n\n" for n in range(10)) + "The last one grows"


class Pane(App[None]):
    CSS_PATH = APP_CSS

    def compose(self) -> ComposeResult:
        yield ConversationView()


@pytest.mark.ui
async def test_a_burst_of_finished_blocks_folds_a_step_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    steps: list[int] = []
    fold_finished = markdown_column.fold_finished

    def recorded(markdown: object, most: int | None = None) -> int:
        folded = fold_finished(markdown, most)  # type: ignore[arg-type]
        if folded:
            steps.append(folded)
        return folded

    monkeypatch.setattr(markdown_column, "fold_finished", recorded)
    app = Pane()
    async with app.run_test(size=(100, 50)) as pilot:
        view = app.query_one(ConversationView)
        record = MessageRecord(Message("assistant", model="m", format="openai"), id=1, status="streaming")
        box = await view.add_message(record, streaming=True)
        box.append_text(TEXT)  # one append: ten finished blocks at once
        piece = box.columns[0].pieces[-1]
        assert isinstance(piece, PieceMarkdown)

        def folded() -> int:
            flat = flat_blocks_of(piece)
            return len(flat.blocks) if flat is not None and flat.region.height else 0

        await until(pilot, lambda: folded() == 10, "every finished block folded")
        assert max(steps) <= FOLD_STEP and len(steps) >= 10 // FOLD_STEP
        blocks = [child for child in piece.children if isinstance(child, MarkdownBlock)]
        assert [block.display for block in blocks] == [False] * 10 + [True]  # the growing one stays
        flat = flat_blocks_of(piece)
        assert flat is not None and "Paragraph 0" in flat.text and "Paragraph 9" in flat.text
        await box.finish(None)
        assert box.copy_text == TEXT
