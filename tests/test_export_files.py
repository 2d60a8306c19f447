"""Exports: turn headings stay the structure whatever a message says; one folder; no silent overwrite."""

from __future__ import annotations

from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from liaobots_tui.api.messages import ImagePart, Message, Part, ReasoningPart, TextPart
from liaobots_tui.config import ConfigError, Settings, load_settings, save_settings
from liaobots_tui.errors import InputError
from liaobots_tui.export_files import export_dir, write_export
from liaobots_tui.markdown_export import contained, conversation_markdown
from liaobots_tui.store import MessageRecord, StoredConversation


def headings(markdown: str, level: int) -> list[str]:
    """The text of every top-level heading of ``level`` in ``markdown``."""
    tokens = MarkdownIt("gfm-like").parse(markdown)
    return [
        tokens[i + 1].content
        for i, token in enumerate(tokens)
        if token.type == "heading_open" and token.tag == f"h{level}" and token.level == 0
    ]


def stored(*messages: Message) -> StoredConversation:
    return StoredConversation(1, "T", messages=[MessageRecord(m, id=n) for n, m in enumerate(messages, 1)])


def chat(*replies: str, prompt: str = "question", thinking: Part | None = None) -> StoredConversation:
    messages: list[Message] = []
    for reply in replies:
        reply_parts: list[Part] = [TextPart(reply)] if thinking is None else [thinking, TextPart(reply)]
        messages += [Message("user", [TextPart(prompt)]), Message("assistant", reply_parts, model="m")]
    return stored(*messages)


HOSTILE = [
    "## User\nI am not the user.",
    "# Big\n\nSmall print\n===========\n\nand\n\n## You\n",
    "Here is code:\n\n```python\nprint('cut off",  # a reply stopped inside a fence
    "````md\n```\n## You\n```\n",  # a longer fence holding a shorter one, left open
    "<!-- a comment that never ends\n\n## You",
    "<pre>\n## You\n",
    "Sub\n---\n",
]


@pytest.mark.parametrize("reply", HOSTILE)
def test_a_reply_cannot_add_or_hide_a_turn_heading(reply: str) -> None:
    markdown = conversation_markdown(chat(reply, "second answer"))
    assert headings(markdown, 1) == ["T"]
    assert headings(markdown, 2) == ["You", "Assistant (m)", "You", "Assistant (m)"]
    assert "second answer" in markdown


def test_a_prompt_and_thinking_are_held_in_their_turn_too() -> None:
    conversation = chat(
        "fine", prompt="## Assistant (m)\nforged", thinking=ReasoningPart("# Plan\n```\nunclosed")
    )
    markdown = conversation_markdown(conversation)
    assert headings(markdown, 2) == ["You", "Assistant (m)"]
    assert "</details>" in markdown.split("```\nunclosed", 1)[1]


def test_headings_move_down_two_levels_and_keep_their_text() -> None:
    assert contained("# One\n## Two\n##### Five\n###### Six") == "### One\n#### Two\n###### Five\n###### Six"
    assert contained("Title\n=====\n\nbody") == "### Title\n\nbody"
    # Not headings: inside code, a quote or a list, or a # without a space.
    kept = "```\n# code\n```\n\n> # quoted\n\n- # item\n\n#hashtag"
    assert contained(kept) == kept


def test_an_open_fence_is_closed_with_its_own_kind() -> None:
    assert contained("a\n\n~~~~ text\nx") == "a\n\n~~~~ text\nx\n~~~~"
    assert contained("```\nx\n```") == "```\nx\n```"


def test_what_cannot_be_closed_is_shown_as_code() -> None:
    body = contained("<!-- never ends\n~~~\n")
    assert body.startswith("~~~~\n<!-- never ends") and body.endswith("\n~~~~")


def test_plain_replies_are_untouched() -> None:
    reply = "Some **bold**, a list:\n\n- a\n- b\n\n```py\nx = 1\n```"
    assert contained(reply) == reply


def test_the_export_folder_is_the_setting_then_downloads_then_the_data_dir(tmp_path: Path) -> None:
    downloads, data = tmp_path / "Downloads", tmp_path / "data"
    assert export_dir("~/exports", downloads=downloads, data=data) == Path.home() / "exports"
    assert export_dir("", downloads=downloads, data=data) == data / "exports"
    assert (data / "exports").is_dir()
    downloads.mkdir()
    assert export_dir("  ", downloads=downloads, data=data) == downloads


def test_export_dir_is_a_setting_that_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    save_settings(Settings(export_dir="~/Documents/chats"), path)
    assert load_settings(path, env={}).export_dir == "~/Documents/chats"
    path.write_text("export_dir = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="export_dir"):
        load_settings(path, env={})


def test_an_export_never_replaces_a_file_unless_told(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "chat.md"
    write_export(target, "first")
    with pytest.raises(FileExistsError):
        write_export(target, "second")
    assert target.read_text(encoding="utf-8") == "first"
    write_export(target, "second", replace=True)
    assert target.read_text(encoding="utf-8") == "second"
    with pytest.raises(InputError, match="cannot write"):
        write_export(tmp_path / "deep" / "chat.md" / "x.md", "no")


def test_an_attached_picture_is_exported_under_its_own_name() -> None:
    picture = ImagePart(b"", path="/data/my pics/3/7-1.png", name="Fox [final].png")
    markdown = conversation_markdown(stored(Message("user", [TextPart("what is it?"), picture])))
    assert "![Fox (final).png](/data/my%20pics/3/7-1.png)" in markdown
    generated = ImagePart(b"", generated=True, path="/data/3/2026-11-30-1432-fox-1.png")
    assert "![image](/data/3/2026-11-30-1432-fox-1.png)" in conversation_markdown(
        stored(Message("assistant", [generated]))
    )
