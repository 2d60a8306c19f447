"""A file (or prompt and files together) past the model's known context window is refused before sending."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from liaobots_tui import paths
from liaobots_tui.api.messages import FilePart, ImagePart
from liaobots_tui.api.models import BUILTIN_MODELS, CONTEXT_WINDOWS, context_window
from liaobots_tui.attachment_sizes import BYTES_PER_TOKEN, check_fits
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.errors import InputError
from liaobots_tui.store import Store
from tests.cli_driving import gateway_in_env, run_cli

AUTH = "context-window-code-1"
IMAGE_MODEL = "gemini-3-pro-image-preview"


def text_file(name: str, tokens: int) -> FilePart:
    data = b"x" * (tokens * BYTES_PER_TOKEN)
    return FilePart(name, data, size=len(data))


@pytest.fixture
def gw(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGateway]:
    with gateway_in_env(monkeypatch, AUTH) as gateway:
        yield gateway


def test_every_known_window_belongs_to_a_built_in_model() -> None:
    assert set(CONTEXT_WINDOWS) <= set(BUILTIN_MODELS)
    assert context_window("claude-sonnet-4-6") == 1_000_000
    assert context_window(" Google/Gemini-3-Pro-Image-Preview ") == 65_536
    assert context_window("deepseek-r1") is None and context_window("my-own-model") is None


def test_one_file_past_the_window_is_named() -> None:
    with pytest.raises(InputError) as info:
        check_fits(IMAGE_MODEL, [text_file("server.log", 70_000)])
    message = info.value.message
    assert message.startswith(f"server.log is ~70k tokens, more than {IMAGE_MODEL}'s context window")
    assert "65,536 tokens" in message and "\n" not in message


def test_files_that_fit_alone_but_not_together_are_refused_as_a_whole() -> None:
    files = [text_file("a.txt", 30_000), text_file("b.txt", 30_000)]
    check_fits(IMAGE_MODEL, files)  # 60k: fits
    with pytest.raises(InputError, match="the prompt and its attachments are ~66k tokens"):
        check_fits(IMAGE_MODEL, files, "y" * 6_000 * BYTES_PER_TOKEN)


def test_a_model_with_a_big_or_unknown_window_is_not_refused() -> None:
    big = text_file("book.txt", 900_000)
    check_fits("claude-sonnet-4-6", [big])
    check_fits("my-own-model", [text_file("huge.txt", 5_000_000)])
    with pytest.raises(InputError):
        check_fits("o4-mini", [big])


def test_an_image_counts_with_its_estimate_and_its_own_name() -> None:
    many = [ImagePart(b"\x89PNG", name=f"shot-{n}.png") for n in range(41)]  # 41 x 1,600 > 65,536
    with pytest.raises(InputError, match="attachments are ~65k tokens"):
        check_fits(IMAGE_MODEL, many)


def test_ask_refuses_before_anything_is_sent_or_saved(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    log.write_text("2026-11-30 INFO ok\n" * 20_000, encoding="utf-8")  # ~380 KB, ~95k tokens
    r = run_cli(capsys, "ask", "-m", IMAGE_MODEL, "-a", str(log), "what went wrong?")
    assert r.code == 2 and r.out == ""
    assert r.err.count("\n") == 1 and "server.log is ~95k tokens, more than" in r.err
    assert [q for q in gw.requests if q.method == "POST"] == []
    with Store(paths.db_file(), paths.images_dir()) as store:
        assert store.count_conversations() == 0
    # The same file goes to a model whose window holds it.
    assert run_cli(capsys, "ask", "-m", "gemini-3-pro-preview", "-a", str(log), "what went wrong?").code == 0
