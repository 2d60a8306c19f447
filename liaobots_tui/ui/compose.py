"""ctrl+e in the prompt: suspend the app, edit the draft in ``$VISUAL``/``$EDITOR``, put the text back.

The text is never sent from here: the user reads it in the prompt and presses Enter.
An editor that fails or exits non-zero leaves the draft exactly as it was.
"""

from __future__ import annotations

from textual.app import App, SuspendNotSupported

from liaobots_tui.editor import EditorCancelled, edit_text
from liaobots_tui.ui.widgets.prompt_input import PromptInput


def compose_in_editor(app: App[object], prompt: PromptInput) -> None:
    """Run the editor on ``prompt``'s text with ``app`` suspended; notify instead when that cannot be."""
    draft = prompt.text
    try:
        with app.suspend():
            text = edit_text(draft)
    except SuspendNotSupported:
        app.notify("This terminal cannot hand over to an editor.", severity="warning", timeout=4)
        return
    except EditorCancelled as exc:
        app.notify(exc.message, title="Editor", severity="warning", timeout=5)
        return
    finally:
        prompt.focus()
    prompt.restore(text)
