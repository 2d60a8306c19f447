"""Bad input through the `liaobots` CLI: one clear line on stderr, the documented exit code, no traceback.

Exit codes (cli.py): 2 for usage, configuration and input errors; 1 for API and
network errors. The gateway's own error text reaches the user as it was written.
"""

from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from liaobots_tui import paths
from liaobots_tui.attachments import MAX_ATTACHMENT_BYTES
from liaobots_tui.demo import envelopes
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.store import Store
from tests.cli_driving import gateway_in_env, run_cli

pytestmark = pytest.mark.bad_input

AUTH = "bad-input-code-77e1"


@pytest.fixture
def gw(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGateway]:
    with gateway_in_env(monkeypatch, AUTH) as gateway:
        yield gateway


def run(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *argv: str,
    stdin: bytes | None = None,
) -> tuple[int, str, str]:
    result = run_cli(capsys, *argv, stdin=stdin, monkeypatch=monkeypatch)
    return result.code, result.out, result.err


def one_line(err: str) -> str:
    """The whole of stderr, checked to be exactly one ``liaobots: …`` line."""
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert err.startswith("liaobots: ") and "Traceback" not in err, err
    return err[:-1]


def chat_posts(gw: FakeGateway) -> list[dict[str, object]]:
    return [r.json for r in gw.requests if r.method == "POST" and isinstance(r.json, dict)]


def png(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (4, 4), "blue").save(path, format="PNG")
    return path


# ---------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'model = "gpt-5.4"\ntheme = "x"\nread_timeout = = 3\n', r"invalid TOML at line 3, column \d+: .+"),
        (b'model = "gpt-5.4"\nsystem_prompt = "unterminated\n', r"invalid TOML at line 2, column \d+: .+"),
        (b"# ok\n\n[section\n", r"invalid TOML at line 3, column \d+: .+"),
        (b'modle = "gpt-5.4"\n', r"unknown key 'modle' \(did you mean 'model'\?\); known keys: .+"),
        (b'read_timeout = "fast"\n', r"key 'read_timeout': expected a number, found a string"),
        (b"read_timeout = -1\n", r"key 'read_timeout': must be greater than 0"),
        (b'base_urls = ["ftp://x.example"]\n', r"key 'base_urls': invalid base URL 'ftp://x.example'.*"),
        (b'model = "caf\xe9"\n', r"config file is not UTF-8 text"),
    ],
    ids=[
        "bad-value",
        "unterminated-string",
        "bad-table",
        "unknown-key",
        "wrong-type",
        "negative",
        "bad-url",
        "not-utf8",
    ],
)
def test_bad_config_names_the_file_and_line(
    gw: FakeGateway,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    content: bytes,
    expected: str,
) -> None:
    config = tmp_path / "my config ü" / "config.toml"
    config.parent.mkdir()
    config.write_bytes(content)
    monkeypatch.setenv("LIAOBOTS_CONFIG_FILE", str(config))
    code, out, err = run(capsys, monkeypatch, "ask", "hi")
    assert (code, out) == (2, "")
    line = one_line(err)
    assert re.fullmatch(rf"liaobots: Configuration error: {re.escape(str(config))}: {expected}", line), line
    assert chat_posts(gw) == []


def test_missing_explicit_config_file(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "nope.toml"
    code, _, err = run(capsys, monkeypatch, "ask", "--config", str(missing), "hi")
    assert code == 2
    assert one_line(err) == f"liaobots: Configuration error: {missing}: config file does not exist"


def test_bad_base_url_in_the_environment_names_the_variable(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIAOBOTS_BASE_URL", "http://ok.example,https://bad.example/v1")
    code, _, err = run(capsys, monkeypatch, "credits")
    assert code == 2
    assert one_line(err).startswith("liaobots: Configuration error: LIAOBOTS_BASE_URL: invalid base URL")


def test_no_auth_code_at_all(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = run(capsys, monkeypatch, "ask", "hi")
    assert code == 2
    assert one_line(err).startswith("liaobots: Configuration error: no auth code: set LIAOBOTS_AUTH_CODE")


# ---------------------------------------------------------------- attachments


def test_missing_attachment_with_spaces_and_unicode_in_its_path(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = tmp_path / "Fotos de año" / "图 片 1.png"
    code, _, err = run(capsys, monkeypatch, "ask", "-a", str(missing), "what is this?")
    assert code == 2
    assert one_line(err) == f"liaobots: Invalid input: attachment not found: {missing}"
    assert chat_posts(gw) == []


def test_directory_as_attachment(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code, _, err = run(capsys, monkeypatch, "ask", "-a", str(tmp_path), "hi")
    assert code == 2
    assert one_line(err) == f"liaobots: Invalid input: attachment is a directory, not a file: {tmp_path}"


@pytest.mark.parametrize(
    "content",
    [b"\x89PNG\r\n\x1a\n", b"\x00" + os.urandom(63), b"ELF\x7f\x00\x01\x02binary"],
    ids=["png-magic-only", "random", "binary-with-nul"],
)
def test_non_image_attachment(
    gw: FakeGateway,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    content: bytes,
) -> None:
    fake = tmp_path / "holiday photo.png"
    fake.write_bytes(content)
    code, _, err = run(capsys, monkeypatch, "ask", "-a", str(fake), "hi")
    assert code == 2
    assert one_line(err) == f"liaobots: Invalid input: not a text file, image or PDF: {fake}"


def test_empty_attachment(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    empty = tmp_path / "notes.txt"
    empty.write_bytes(b"")
    code, _, err = run(capsys, monkeypatch, "ask", "-a", str(empty), "hi")
    assert code == 2
    assert one_line(err) == f"liaobots: Invalid input: attachment is empty: {empty}"
    assert chat_posts(gw) == []


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "GIF"])
def test_truncated_or_damaged_image_attachment(
    gw: FakeGateway,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    kind: str,
) -> None:
    noise = Image.frombytes("RGB", (64, 64), bytes(range(256)) * 48)
    buffer = io.BytesIO()
    noise.save(buffer, format=kind)
    data = buffer.getvalue()
    cut = tmp_path / f"cut off.{kind.lower()}"
    cut.write_bytes(data[: len(data) // 2])  # a valid header, half the pixels
    code, _, err = run(capsys, monkeypatch, "ask", "-a", str(cut), "hi")
    assert code == 2
    assert one_line(err) == f"liaobots: Invalid input: attachment is damaged or truncated: {cut}"
    if kind == "PNG":
        damaged = bytearray(data)
        damaged[len(data) // 2] ^= 0xFF  # one flipped byte inside the image data: its CRC fails
        bad = tmp_path / "flipped.png"
        bad.write_bytes(bytes(damaged))
        code, _, err = run(capsys, monkeypatch, "ask", "-a", str(bad), "hi")
        assert code == 2 and one_line(err).endswith(f"damaged or truncated: {bad}")
    assert chat_posts(gw) == []


def test_unsupported_image_type(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bmp = tmp_path / "scan.bmp"
    Image.new("RGB", (4, 4)).save(bmp, format="BMP")
    code, _, err = run(capsys, monkeypatch, "ask", "-a", str(bmp), "hi")
    assert code == 2
    assert (
        one_line(err)
        == f"liaobots: Invalid input: unsupported image type BMP: {bmp} (use PNG, JPEG, GIF or WebP)"
    )


def test_oversized_attachment_states_the_limit(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    big = png(tmp_path / "huge.png")
    with open(big, "r+b") as fh:  # sparse: a real PNG header, 25 MiB long
        fh.truncate(25 * 1024 * 1024)
    code, _, err = run(capsys, monkeypatch, "ask", "-a", str(big), "hi")
    assert code == 2
    assert one_line(err) == f"liaobots: Invalid input: attachment too large: {big} is 25.0 MB (limit 20 MB)"
    just_over = png(tmp_path / "just over.png")
    with open(just_over, "r+b") as fh:
        fh.truncate(MAX_ATTACHMENT_BYTES + 1)
    code, _, err = run(capsys, monkeypatch, "ask", "-a", str(just_over), "hi")
    assert code == 2 and one_line(err).endswith("is 20.0 MB (limit 20 MB)")
    assert "(limit " in err and chat_posts(gw) == []


def test_attachment_paths_with_spaces_unicode_and_non_utf8_bytes_work(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    nice = png(tmp_path / "dír with spaces" / "图 片 ✓.png")
    raw = os.fsdecode(os.fsencode(str(tmp_path)) + b"/caf\xe9.png")  # a Latin-1 file name on a UTF-8 system
    if sys.platform != "darwin":  # macOS refuses non-UTF-8 names
        png(Path(raw))
    files = [str(nice)] + ([raw] if sys.platform != "darwin" else [])
    argv = ["ask", "-m", "claude-sonnet-4-6", *(a for f in files for a in ("-a", f)), "compare these"]
    code, out, err = run(capsys, monkeypatch, *argv)
    assert (code, err) == (0, ""), err
    content = chat_posts(gw)[-1]["messages"][0]["content"]  # type: ignore[index]
    assert [c["type"] for c in content] == ["text", *["image"] * len(files)]
    with Store(paths.db_file(), paths.images_dir()) as store:
        cid = store.latest_conversation_id()
        assert cid is not None
        images = store.load_conversation(cid).messages[0].images
    assert len(images) == len(files) and all(Path(i.path or "").is_file() for i in images)


def test_home_dir_with_spaces_and_unicode(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    home = tmp_path / "Mes données" / "liaobots ☃"
    monkeypatch.setenv("LIAOBOTS_HOME", str(home))
    code, out, err = run(capsys, monkeypatch, "ask", "-m", "gpt-5.4", "hello")
    assert (code, err) == (0, "")
    assert (home / "history.sqlite3").is_file()


# ---------------------------------------------------------------- models and image options


@pytest.mark.parametrize(
    ("fmt", "api"),
    [("openai", "openai"), ("anthropic", "anthropic"), ("responses", "openai"), ("gemini", "gemini")],
)
def test_unknown_model_shows_the_gateways_own_message(
    gw: FakeGateway,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
    api: envelopes.Api,
) -> None:
    model = "gpt-9-imaginary"
    code, out, err = run(capsys, monkeypatch, "ask", "-m", model, "-f", fmt, "hi")
    assert (code, out) == (1, "")
    body = envelopes.model_not_found(api, model, "streamGenerateContent").body
    assert isinstance(body, dict)
    said = " ".join(body["error"]["message"].split())
    assert one_line(err) == f"liaobots: Upstream error: {said} (HTTP 404)"
    # Nothing came back: the chat is not kept (the prompt is still on the command line).
    with Store(paths.db_file(), paths.images_dir()) as store:
        assert store.count_conversations() == 0


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["ask", "-m", "gemini-3-pro-image-preview", "--aspect-ratio", "7:5", "hi"],
            "invalid aspect ratio '7:5'",
        ),
        (
            ["ask", "-m", "gemini-3-pro-image-preview", "--aspect-ratio", "16x9", "hi"],
            "invalid aspect ratio '16x9'",
        ),
        (["image", "a fox", "--image-size", "8K"], "invalid image size '8K'"),
        (["image", "a fox", "--image-size", "1024"], "invalid image size '1024'"),
        (["image", "a fox", "--aspect-ratio", ""], None),  # empty means "not given"
    ],
)
def test_invalid_image_options(
    gw: FakeGateway,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    argv: list[str],
    expected: str | None,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, monkeypatch, *argv)
    if expected is None:
        # stdout is the saved path alone; the reply's text (no complaint) is on stderr.
        assert code == 0 and "liaobots:" not in err and out.strip().endswith(".png")
        return
    assert (code, out) == (2, "")
    assert one_line(err).startswith(f"liaobots: Invalid input: {expected}; use one of ")
    assert chat_posts(gw) == []


def test_lowercase_image_size_is_accepted(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code, out, err = run(capsys, monkeypatch, "image", "a fox", "--image-size", "2k", "-o", str(tmp_path))
    assert code == 0 and "liaobots:" not in err and out.strip().endswith(".png")
    assert chat_posts(gw)[-1]["generationConfig"]["imageConfig"] == {"imageSize": "2K"}  # type: ignore[index]


# ---------------------------------------------------------------- stdin and argv bytes


@pytest.mark.parametrize(
    ("stdin", "expected"),
    [
        (b"caf\xe9 au lait", "liaobots: Invalid input: stdin is not valid UTF-8 (byte 0xe9 at offset 3)"),
        (b"\xff\xfeh\x00i\x00", "liaobots: Invalid input: stdin is not valid UTF-8 (byte 0xff at offset 0)"),
        (b"ok then \xc3", "liaobots: Invalid input: stdin is not valid UTF-8 (byte 0xc3 at offset 8)"),
        (b"", "liaobots: Invalid input: the prompt is empty"),
        (b" \n\t\n", "liaobots: Invalid input: the prompt is empty"),
    ],
)
def test_bad_stdin(
    gw: FakeGateway,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    stdin: bytes,
    expected: str,
) -> None:
    code, out, err = run(capsys, monkeypatch, "ask", "-", stdin=stdin)
    assert (code, out) == (2, "")
    assert one_line(err) == expected
    assert chat_posts(gw) == []


@pytest.mark.parametrize(
    ("argv", "name", "byte"),
    [
        (["ask", "caf\udce9 au lait"], "prompt", "e9"),
        (["ask", "-m", "gpt\udcff", "hi"], "model", "ff"),
        (["ask", "-s", "be \udcfe brief", "hi"], "system", "fe"),
        (["image", "a \udc80 fox"], "prompt", "80"),
    ],
)
def test_non_utf8_bytes_in_arguments(
    gw: FakeGateway,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    name: str,
    byte: str,
) -> None:
    """What Python makes of undecodable argv bytes (PEP 383 surrogates) must not reach SQLite or JSON."""
    code, out, err = run(capsys, monkeypatch, *argv)
    assert (code, out) == (2, "")
    assert one_line(err) == f"liaobots: Invalid input: the {name} argument is not valid UTF-8 (byte 0x{byte})"
    assert (
        not paths.db_file().exists() or Store(paths.db_file(), paths.images_dir()).count_conversations() == 0
    )


# ---------------------------------------------------------------- usage errors


@pytest.mark.parametrize(
    "argv",
    [
        ["ask", "--temperature", "warm", "hi"],
        ["ask", "--frobnicate", "hi"],
        ["ask", "-c", "--cid", "3", "hi"],
        ["usage", "--page-size", "many"],
        ["image"],
    ],
)
def test_usage_errors_are_one_line_exit_2(
    gw: FakeGateway, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    code, out, err = run(capsys, monkeypatch, *argv)
    assert (code, out) == (2, "")
    assert one_line(err).endswith("--help`)")
