"""The app attaches text files and PDFs: chips with size and token estimate, sent and stored with the chat."""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.widgets import Input, Static

from liaobots_tui.api.messages import FilePart, TextDelta
from liaobots_tui.store import Store
from liaobots_tui.ui.screens.dialogs import TextInputModal
from liaobots_tui.ui.widgets.prompt_input import AttachmentChip
from tests.test_file_attachments import NOTES, pdf_bytes
from tests.ui.conftest import SIZE, AppFactory
from tests.ui.driving import chat, send, settle
from tests.ui.test_features import scripted_app


async def test_text_and_pdf_attach_show_estimates_and_are_sent_and_stored(
    make_app: AppFactory, store: Store, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(NOTES, encoding="utf-8")
    report = tmp_path / "report [draft].pdf"
    report.write_bytes(pdf_bytes(3))
    app, _ = scripted_app(make_app, store, [TextDelta("Read them.")])
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(app)
        await pilot.press("ctrl+f")
        assert isinstance(app.screen, TextInputModal)
        app.screen.query_one(Input).value = str(notes)
        await pilot.press("enter")
        await settle(app, pilot)
        screen.prompt.post_message(events.Paste(f"'{report}'"))
        await settle(app, pilot)
        chips = list(screen.query(AttachmentChip))
        assert [c.label for c in chips] == ["notes.md", "report [draft].pdf"]
        shown = [str(c.render()) for c in chips]
        assert f"text · {len(NOTES.encode())} B · ~" in shown[0] and "tokens" in shown[0]
        assert "report [draft].pdf · PDF · " in shown[1] and "~6.0k tokens" in shown[1]  # 3 pages

        await send(app, pilot, "Compare them")
        box = screen.view.boxes()[0]
        assert [f.name for f in box.message.files] == ["notes.md", "report [draft].pdf"]
        file_lines = [str(w.render()) for w in box.query(".file-chip").results(Static)]
        assert file_lines[0].startswith("▤ notes.md · text · ")
        assert file_lines[1].startswith("▤ report [draft].pdf · PDF · ")
        assert list(screen.query(AttachmentChip)) == []
        conversation_id = screen.conversation_id
    assert conversation_id is not None
    saved = store.load_conversation(conversation_id).messages[0]
    files = [p for p in saved.parts if isinstance(p, FilePart)]
    assert [f.load() for f in files] == [NOTES.encode(), pdf_bytes(3)]
    assert saved.text == "Compare them"
