"""alt+, and alt+. (previous / next version) as a terminal sends them: ESC "," and ESC "."
(textual_compat.alt_punctuation_keys). Textual named them "comma" / "full_stop" without the
alt, so the binding never ran and the prompt got the character typed into it."""

from __future__ import annotations

import contextlib

import pytest
from textual import events
from textual._parser import ParseError
from textual._xterm_parser import XTermParser

from liaobots_tui.store import Store
from liaobots_tui.ui import textual_compat
from tests.ui.conftest import SIZE, AppFactory
from tests.ui.driving import chat, settle, until
from tests.ui.test_features import scripted_app
from tests.ui.test_versions_and_search import chat_with_two_replies

pytestmark = pytest.mark.ui


def keys_from_terminal(data: str) -> list[events.Key]:
    """The key events Textual's driver would post for ``data``, the last bytes read from the terminal
    (the end of input stands for the escape delay that ends a lone ESC sequence in the app)."""
    parser = XTermParser()
    tokens = list(parser.feed(data))
    with contextlib.suppress(ParseError):
        tokens.extend(parser.feed(""))
    return [event for event in tokens if isinstance(event, events.Key)]


def test_escape_then_punctuation_is_alt_punctuation_and_other_keys_are_unchanged() -> None:
    assert textual_compat.alt_punctuation_keys()
    assert textual_compat.alt_punctuation_keys()  # applied once
    named = {
        data: [(k.key, k.character) for k in keys_from_terminal(data)]
        for data in (
            "\x1b,",
            "\x1b.",
            "\x1bu",
            "\x1b\x01",
            "\x1b[A",
            ",",
        )
    }
    assert named["\x1b,"][0] == ("alt+comma", ",")
    assert named["\x1b."][0] == ("alt+full_stop", ".")
    assert named["\x1bu"][0] == ("alt+u", "u")  # Textual's own
    assert named["\x1b\x01"][0] == ("ctrl+a", "\x01")  # a control key keeps its name
    assert named["\x1b[A"][0] == ("up", None)  # an escape sequence is not a key after ESC
    assert named[","][0] == ("comma", ",")  # a comma typed alone is still a comma


async def test_alt_comma_from_a_terminal_moves_the_version_and_types_nothing(
    make_app: AppFactory, store: Store
) -> None:
    cid, first, _ = chat_with_two_replies(store)
    app, _ = scripted_app(make_app, store, [])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = chat(app)
        assert screen.prompt.has_focus
        for key in keys_from_terminal("\x1b,"):  # ESC "," as tmux sends alt+,
            app.post_message(key)  # as the driver posts it
        await until(pilot, lambda: screen.view.boxes()[-1].message.id == first, "the first version shown")
        assert screen.prompt.text == ""
