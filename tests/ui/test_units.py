"""Plain-function tests of the app's helpers: themes, prompt history, paste detection, Markdown tools."""

from __future__ import annotations

from pathlib import Path

import pytest

from liaobots_tui.api.messages import Message, ReasoningPart, Source, TextPart
from liaobots_tui.markdown_export import code_blocks, conversation_markdown
from liaobots_tui.store import MessageRecord, StoredConversation
from liaobots_tui.ui.actions import CHAT_ACTIONS, chat_bindings, key_label
from liaobots_tui.ui.screens.chat_settings import parse_temperature
from liaobots_tui.ui.screens.model_picker import filter_models
from liaobots_tui.ui.themes import ThemeFileError, builtin_themes_dir, load_theme_file, load_themes
from liaobots_tui.ui.widgets.prompt_input import PromptHistory, pasted_image_path
from liaobots_tui.ui.widgets.status_bar import format_elapsed

# ---------------------------------------------------------------- themes


def test_builtin_themes_load() -> None:
    themes, problems = load_themes([builtin_themes_dir()])
    assert problems == []
    names = sorted(t.name for t in themes)
    assert names == ["liaobots-dark", "liaobots-high-contrast", "liaobots-light"]
    light = next(t for t in themes if t.name == "liaobots-light")
    assert light.dark is False


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('primary = "#12345"\n', "primary = '#12345' is not a colour"),
        ('primary = "#123456"\nbogus = 1\n', "unknown keys bogus"),
        ('name = "x"\n', "primary is required"),
        ('primary = "#123456"\ndark = "yes"\n', "dark must be true or false"),
        (
            'primary = "#123456"\n[variables]\nborder = "#zzzzzz"\n',
            "variables.border = '#zzzzzz' is not a colour",
        ),
        ("primary = \n", "not valid TOML"),
    ],
)
def test_bad_theme_files_are_rejected(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ThemeFileError) as info:
        load_theme_file(path)
    assert str(info.value).startswith("bad.toml: ")
    assert reason in str(info.value)


def test_load_themes_skips_bad_files_and_later_dirs_override(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "mine.toml").write_text('primary = "#111111"\n')
    (second / "mine.toml").write_text('primary = "#222222"\n')
    (second / "broken.toml").write_text('primary = "nope"\n')
    themes, problems = load_themes([first, None, tmp_path / "missing", second])
    assert [(t.name, t.primary) for t in themes] == [("mine", "#222222")]
    assert problems == ["broken.toml: primary = 'nope' is not a colour"]


# ---------------------------------------------------------------- prompt


def test_prompt_history_walks_back_and_restores_the_draft() -> None:
    history = PromptHistory(["one", "two", "two", ""])
    assert history.entries == ["one", "two"]
    assert history.previous("draft") == "two"
    assert history.previous("two") == "one"
    assert history.previous("one") is None  # stays at the oldest
    assert history.next() == "two"
    assert history.next() == "draft"
    assert history.next() is None


def test_prompt_history_keeps_each_text_once_at_its_latest_use() -> None:
    history = PromptHistory(["one", "two", "one"])
    assert history.entries == ["two", "one"]
    history.load(["newest", "two", "oldest"])
    assert history.entries == ["oldest", "two", "newest"]


def test_pasted_image_path(tmp_path: Path) -> None:
    image = tmp_path / "my cat.png"
    image.write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("x")
    assert pasted_image_path(str(image)) is None  # unquoted space: two words
    assert pasted_image_path(f"'{image}'") == image
    assert pasted_image_path(str(image).replace(" ", "\\ ")) == image
    assert pasted_image_path(f"file://{str(image).replace(' ', '%20')}") == image
    assert pasted_image_path(f"  '{image}'\n") == image
    # Text files and PDFs attach by a pasted path too; other endings stay prompt text.
    assert pasted_image_path(str(tmp_path / "notes.txt")) == tmp_path / "notes.txt"
    (tmp_path / "archive.tar").write_text("x")
    assert pasted_image_path(str(tmp_path / "archive.tar")) is None
    assert pasted_image_path(str(tmp_path / "missing.png")) is None
    assert pasted_image_path("look at this: foo.png") is None


# ---------------------------------------------------------------- markdown tools


def test_code_blocks() -> None:
    text = "Intro\n\n```python\nprint(1)\n```\n\nthen\n\n    indented\n\n```\nplain\n```\n"
    blocks = code_blocks(text)
    assert [(b.language, b.code) for b in blocks] == [
        ("python", "print(1)\n"),
        ("", "indented\n"),
        ("", "plain\n"),
    ]
    assert blocks[0].preview == "print(1)"


def test_conversation_markdown() -> None:
    conversation = StoredConversation(
        1,
        title="Greeting",
        system="Be brief.",
        messages=[
            MessageRecord(Message("user", [TextPart("Hi")])),
            MessageRecord(
                Message(
                    "assistant",
                    [ReasoningPart("thinking"), TextPart("Hello!")],
                    model="gpt-5.4",
                    format="openai",
                    sources=[Source("https://example.com", "Example")],
                )
            ),
            MessageRecord(
                Message("assistant", [TextPart("partial")]),
                status="failed",
                error="Out of credits: none left",
            ),
        ],
    )
    assert conversation_markdown(conversation) == (
        "# Greeting\n\n> **System:** Be brief.\n\n## You\n\nHi\n\n## Assistant (gpt-5.4 · openai)\n\n"
        "<details><summary>Thinking</summary>\n\nthinking\n\n</details>\n\nHello!\n\n"
        "- [Example](https://example.com)\n\n## Assistant\n\npartial\n\n"
        "*[failed: Out of credits: none left]*\n"
    )


# ---------------------------------------------------------------- pickers and fields


def test_filter_models_fuzzy() -> None:
    models = ["gpt-5.4", "claude-sonnet-4-6", "claude-opus-4-6", "gemini-3-pro-preview"]
    assert [m for m, _ in filter_models(models, "")] == models
    assert [m for m, _ in filter_models(models, "sonnet")] == ["claude-sonnet-4-6"]
    assert [m for m, _ in filter_models(models, "zzz")] == []


@pytest.mark.parametrize(("text", "value"), [("", None), (" 0.7 ", 0.7), ("0", 0.0), ("2", 2.0)])
def test_parse_temperature(text: str, value: float | None) -> None:
    assert parse_temperature(text) == value


@pytest.mark.parametrize("text", ["abc", "-1", "2.5", "nan", "inf"])
def test_parse_temperature_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_temperature(text)


def test_format_elapsed() -> None:
    assert format_elapsed(4.24) == "4.2 s"
    assert format_elapsed(65) == "1:05"


# ---------------------------------------------------------------- the action table


def test_every_action_has_a_key_or_a_documented_one() -> None:
    bound = {b.action for b in chat_bindings()}  # type: ignore[union-attr]
    for action in CHAT_ACTIONS:
        assert action.key or action.key_label, action.action
        if action.key:
            assert action.action in bound
    assert key_label(next(a for a in CHAT_ACTIONS if a.action == "help")) == "F1"
    assert key_label(next(a for a in CHAT_ACTIONS if a.action == "new_chat")) == "ctrl+n"
    # Keys a focused TextArea would swallow, or tmux's prefix, are never used (textual.md §5).
    taken = {"ctrl+a", "ctrl+e", "ctrl+w", "ctrl+d", "ctrl+u", "ctrl+k", "ctrl+x", "ctrl+c", "ctrl+v",
             "ctrl+z",
             "ctrl+y", "ctrl+b", "f6", "f7"}  # fmt: skip
    for action in CHAT_ACTIONS:
        # ctrl+e is the exception the issue asks for: it beats the TextArea's line-end (End still does that).
        allowed = {"ctrl+e"} if action.action == "compose_in_editor" and action.priority else set()
        assert not (set(action.key.split(",")) & taken) - allowed, action.action


def test_every_help_key_label_fits_the_key_column() -> None:
    """A longer label was cut and ran into its text ("palette; offered by ctrl+…Use a preset")."""
    from liaobots_tui.ui.screens.help import MAX_KEY_CELLS, help_sections

    too_long = [key for _, keys in help_sections() for key, _ in keys if len(key) > MAX_KEY_CELLS]
    assert too_long == []
