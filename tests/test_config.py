"""Paths (XDG and LIAOBOTS_* overrides) and settings (TOML, env, flags, validation, saving)."""

from __future__ import annotations

import os
import stat
import sys
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liaobots_tui import config, paths
from liaobots_tui.config import (
    DEFAULT_BASE_URLS,
    Settings,
    config_file_is_loose,
    dumps_toml,
    load_settings,
    mask_auth_code,
    save_settings,
    update_setting,
)
from liaobots_tui.errors import ConfigError
from tests.conftest import XdgDirs

CODE = "sk-SECRETcode1234567890wxyz"
FORMATS_HINT = "use one of openai, anthropic, responses, gemini (or auto)"
posix_only = pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def error_of(excinfo: pytest.ExceptionInfo[ConfigError]) -> str:
    message = str(excinfo.value)
    assert "\n" not in message
    assert CODE not in message
    return message


# ---------------------------------------------------------------- paths


class TestPaths:
    def test_xdg_dirs_honoured(self, xdg_dirs: XdgDirs) -> None:
        assert paths.config_dir() == xdg_dirs.config / "liaobots"
        assert paths.data_dir() == xdg_dirs.data / "liaobots"
        assert paths.cache_dir() == xdg_dirs.cache / "liaobots"
        assert paths.config_file() == xdg_dirs.config / "liaobots" / "config.toml"
        assert paths.db_file() == xdg_dirs.data / "liaobots" / "history.sqlite3"
        assert paths.images_dir() == xdg_dirs.data / "liaobots" / "images"
        assert paths.user_themes_dir() == xdg_dirs.config / "liaobots" / "themes"

    def test_evaluated_at_call_time(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "a"))
        assert paths.config_file() == tmp_path / "a" / "liaobots" / "config.toml"
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "b"))
        assert paths.config_file() == tmp_path / "b" / "liaobots" / "config.toml"

    def test_xdg_checked_before_platformdirs_on_macos_too(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # platformdirs ignores XDG_* on macOS; ours must not depend on the platform module.
        import platformdirs

        def native(*args: object, **kwargs: object) -> Path:
            return Path("/Users/x/Library/Application Support/liaobots")

        monkeypatch.setattr(platformdirs, "user_config_path", native)
        monkeypatch.setattr(platformdirs, "user_data_path", native)
        monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
        assert paths.config_dir() == tmp_path / "cfg" / "liaobots"
        assert paths.data_dir() == tmp_path / "data" / "liaobots"
        monkeypatch.delenv("XDG_CONFIG_HOME")
        assert paths.config_dir() == Path("/Users/x/Library/Application Support/liaobots")

    def test_relative_or_empty_xdg_ignored(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import platformdirs

        monkeypatch.setenv("XDG_DATA_HOME", "relative/dir")
        monkeypatch.setattr(platformdirs, "user_data_path", lambda *a, **k: Path("/native/liaobots"))
        assert paths.data_dir() == Path("/native/liaobots")
        monkeypatch.setenv("XDG_DATA_HOME", "")
        assert paths.data_dir() == Path("/native/liaobots")

    def test_liaobots_home_holds_everything(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("LIAOBOTS_HOME", str(tmp_path / "portable"))
        home = tmp_path / "portable"
        assert paths.config_dir() == home
        assert paths.data_dir() == home
        assert paths.cache_dir() == home / "cache"
        assert paths.config_file() == home / "config.toml"
        assert paths.db_file() == home / "history.sqlite3"
        assert paths.images_dir() == home / "images"
        assert paths.user_themes_dir() == home / "themes"

    def test_liaobots_config_file_overrides_only_the_file(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, xdg_dirs: XdgDirs
    ) -> None:
        monkeypatch.setenv("LIAOBOTS_CONFIG_FILE", str(tmp_path / "my.toml"))
        assert paths.config_file() == tmp_path / "my.toml"
        assert paths.user_themes_dir() == xdg_dirs.config / "liaobots" / "themes"

    def test_nothing_created_until_ensure_dir(self, xdg_dirs: XdgDirs, tmp_path: Path) -> None:
        paths.config_file()
        paths.db_file()
        assert not xdg_dirs.config.exists()
        made = paths.ensure_dir(tmp_path / "a" / "b")
        assert made.is_dir()
        if os.name != "nt":
            assert stat.S_IMODE(made.stat().st_mode) == 0o700 & ~_umask()

    def test_no_liaobots_env_in_tests(self) -> None:
        assert [k for k in os.environ if k.startswith("LIAOBOTS_")] == []


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ---------------------------------------------------------------- loading


class TestDefaults:
    def test_no_file_gives_defaults(self) -> None:
        s = load_settings(env={})
        assert s == Settings()
        assert s.source is None
        assert s.base_urls == DEFAULT_BASE_URLS
        assert s.model == "gpt-5.4"
        assert s.format is None
        assert s.theme == "liaobots-dark"
        assert s.image_mode == "auto"
        assert (s.low_balance, s.connect_timeout, s.read_timeout) == (5.0, 10.0, 120.0)

    def test_default_base_urls_not_shared(self) -> None:
        s = Settings()
        s.base_urls.append("http://x")
        assert Settings().base_urls == DEFAULT_BASE_URLS
        assert len(DEFAULT_BASE_URLS) == 4

    def test_repr_hides_auth_code(self) -> None:
        s = Settings(auth_code=CODE)
        assert CODE not in repr(s)
        assert "auth_code" not in repr(s)

    def test_redacted(self, tmp_path: Path) -> None:
        s = Settings(auth_code=CODE, source=tmp_path / "c.toml")
        d = s.redacted()
        assert d["auth_code"] == "sk-…wxyz"
        assert d["source"] == str(tmp_path / "c.toml")
        assert d["base_urls"] == DEFAULT_BASE_URLS
        assert list(d) == [
            "auth_code", "base_urls", "model", "format", "system_prompt", "temperature", "theme",
            "image_mode", "low_balance", "connect_timeout", "read_timeout", "max_attachment_mb", "export_dir",
            "show_chats", "show_credits", "source",
        ]  # fmt: skip
        assert CODE not in repr(d)

    @pytest.mark.parametrize(
        ("code", "masked"),
        [
            ("", ""),
            ("abc", "…"),
            ("12345678", "…"),
            ("123456789", "…6789"),
            ("abcd-efgh-ijkl", "…ijkl"),  # a prefix that may be part of the secret stays hidden
            ("sk-abcdefgh", "…efgh"),  # too short to show the prefix as well
            ("sk-abcdefghijkl", "sk-…ijkl"),
        ],
    )
    def test_mask(self, code: str, masked: str) -> None:
        assert mask_auth_code(code) == masked


class TestFile:
    def test_reads_every_key(self, xdg_dirs: XdgDirs) -> None:
        path = write(
            xdg_dirs.config / "liaobots" / "config.toml",
            f"""
auth_code = "{CODE}"
base_urls = ["https://a.example/", "http://127.0.0.1:8080"]
model = "claude-opus-4-7"
format = "anthropic"
system_prompt = \"\"\"
Be terse.
Really.\"\"\"
temperature = 1
theme = "nord"
image_mode = "halfcell"
low_balance = 2
connect_timeout = 3.5
read_timeout = 60
""",
        )
        s = load_settings(env={})
        assert s.source == path
        assert s.auth_code == CODE
        assert s.base_urls == ["https://a.example", "http://127.0.0.1:8080"]
        assert s.model == "claude-opus-4-7"
        assert s.format == "anthropic"
        assert s.system_prompt == "Be terse.\nReally."
        assert s.temperature == 1.0 and isinstance(s.temperature, float)
        assert s.theme == "nord"
        assert s.image_mode == "halfcell"
        assert (s.low_balance, s.connect_timeout, s.read_timeout) == (2.0, 3.5, 60.0)

    def test_explicit_path(self, tmp_path: Path) -> None:
        path = write(tmp_path / "other.toml", 'model = "m1"\n')
        assert load_settings(path, env={}).model == "m1"

    def test_liaobots_config_file_env(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        path = write(tmp_path / "x.toml", 'model = "from-env-file"\n')
        monkeypatch.setenv("LIAOBOTS_CONFIG_FILE", str(path))
        s = load_settings()
        assert (s.model, s.source) == ("from-env-file", path)

    def test_missing_explicit_file(self, tmp_path: Path) -> None:
        assert load_settings(tmp_path / "nope.toml", env={}) == Settings()
        with pytest.raises(ConfigError) as excinfo:
            load_settings(tmp_path / "nope.toml", env={}, required=True)
        assert error_of(excinfo) == f"{tmp_path / 'nope.toml'}: config file does not exist"

    def test_format_auto_means_infer(self, tmp_path: Path) -> None:
        assert load_settings(write(tmp_path / "c.toml", 'format = "auto"\n'), env={}).format is None
        assert load_settings(write(tmp_path / "c.toml", 'format = "Gemini"\n'), env={}).format == "gemini"


class TestFileErrors:
    def test_broken_toml_names_file_and_line(self, tmp_path: Path) -> None:
        path = write(tmp_path / "c.toml", 'model = "a"\ntheme = "b"\nimage_mode == "off"\n')
        with pytest.raises(ConfigError) as excinfo:
            load_settings(path, env={})
        assert error_of(excinfo) == (f"{path}: invalid TOML at line 3, column 13: Invalid value")

    @pytest.mark.parametrize(
        ("text", "where"),
        [
            ('model = "a"\ntheme = ', "line 2, column 9: Invalid value"),
            ('model = "a"\ntheme = \n', "line 2, column 9: Invalid value"),
            ('model = "a"\ntheme = "open', "line 2, column 14: Unterminated string"),
        ],
    )
    def test_broken_toml_at_end_of_document(self, tmp_path: Path, text: str, where: str) -> None:
        # tomllib says "(at end of document)" here; we still give a line.
        path = write(tmp_path / "c.toml", text)
        with pytest.raises(ConfigError) as excinfo:
            load_settings(path, env={})
        assert error_of(excinfo) == f"{path}: invalid TOML at {where}"

    def test_broken_toml_does_not_echo_code(self, tmp_path: Path) -> None:
        # The code pasted on its own line: tomllib's message has no value text.
        path = write(tmp_path / "c.toml", f'model = "a"\n{CODE}\n')
        with pytest.raises(ConfigError) as excinfo:
            load_settings(path, env={})
        assert error_of(excinfo) == (
            f"{path}: invalid TOML at line 2, column {len(CODE) + 1}:"
            " Expected '=' after a key in a key/value pair"
        )

    def test_not_utf8(self, tmp_path: Path) -> None:
        path = tmp_path / "c.toml"
        path.write_bytes(b'model = "\xff"\n')
        with pytest.raises(ConfigError) as excinfo:
            load_settings(path, env={})
        assert error_of(excinfo) == f"{path}: config file is not UTF-8 text"

    def test_a_directory_is_not_a_config_file(self, tmp_path: Path) -> None:
        path = tmp_path / "dir.toml"
        path.mkdir()
        with pytest.raises(ConfigError) as excinfo:
            load_settings(path, env={})
        assert error_of(excinfo) == f"{path}: config path is a directory, not a regular file"

    @posix_only
    def test_unreadable(self, tmp_path: Path) -> None:
        path = write(tmp_path / "c.toml", 'model = "m"\n')
        path.chmod(0)
        if os.access(path, os.R_OK):  # root reads anything
            pytest.skip("running as root")
        with pytest.raises(ConfigError) as excinfo:
            load_settings(path, env={})
        assert error_of(excinfo) == f"{path}: cannot read config file (Permission denied)"

    def test_unknown_key(self, tmp_path: Path) -> None:
        path = write(tmp_path / "c.toml", 'base_url = "https://a.example"\n')
        with pytest.raises(ConfigError) as excinfo:
            load_settings(path, env={})
        assert error_of(excinfo) == (
            f"{path}: unknown key 'base_url' (did you mean 'base_urls'?); known keys: auth_code, base_urls,"
            " model, format, system_prompt, temperature, theme, image_mode, low_balance, connect_timeout,"
            " read_timeout, max_attachment_mb, export_dir, show_chats, show_credits"
        )

    def test_unknown_key_with_code_value_not_echoed(self, tmp_path: Path) -> None:
        path = write(tmp_path / "c.toml", f'api_key = "{CODE}"\n')
        with pytest.raises(ConfigError) as excinfo:
            load_settings(path, env={})
        assert error_of(excinfo).startswith(f"{path}: unknown key 'api_key'; known keys: ")

    def test_source_is_not_a_key(self, tmp_path: Path) -> None:
        path = write(tmp_path / "c.toml", 'source = "x"\n')
        with pytest.raises(ConfigError) as excinfo:
            load_settings(path, env={})
        assert "unknown key 'source'" in error_of(excinfo)

    def test_unknown_table(self, tmp_path: Path) -> None:
        path = write(tmp_path / "c.toml", "[gateway]\nx = 1\n")
        with pytest.raises(ConfigError) as excinfo:
            load_settings(path, env={})
        assert error_of(excinfo).startswith(f"{path}: unknown key 'gateway'; ")

    @pytest.mark.parametrize(
        ("line", "expected"),
        [
            ("model = 5", "key 'model': expected a string, found an integer"),
            ("auth_code = 123456789012", "key 'auth_code': expected a string, found an integer"),
            ('temperature = "hot"', "key 'temperature': expected a number, found a string"),
            ("temperature = true", "key 'temperature': expected a number, found a boolean"),
            ("temperature = 3", "key 'temperature': must be at most 2"),
            ("low_balance = -1", "key 'low_balance': must be at least 0"),
            ("read_timeout = 0", "key 'read_timeout': must be greater than 0"),
            ("connect_timeout = nan", "key 'connect_timeout': must be a finite number"),
            ("base_urls = 5", "key 'base_urls': expected a list of URL strings, found an integer"),
            ("base_urls = [1]", "key 'base_urls': expected a list of URL strings, found an integer in it"),
            ("base_urls = []", "key 'base_urls': needs at least one base URL"),
            ('model = "  "', "key 'model': must not be empty"),
            ("theme = 2024-01-01", "key 'theme': expected a string, found a date/time"),
            (
                'image_mode = "sixel"',
                "key 'image_mode': unknown image mode; use one of auto, halfcell, unicode, off",
            ),
            ('system_prompt = ["a"]', "key 'system_prompt': expected a string, found an array"),
        ],
    )
    def test_wrong_types_and_ranges(self, tmp_path: Path, line: str, expected: str) -> None:
        path = write(tmp_path / "c.toml", line + "\n")
        with pytest.raises(ConfigError) as excinfo:
            load_settings(path, env={})
        assert error_of(excinfo) == f"{path}: {expected}"

    def test_unknown_format_lists_them(self, tmp_path: Path) -> None:
        path = write(tmp_path / "c.toml", 'format = "claude"\n')
        with pytest.raises(ConfigError) as excinfo:
            load_settings(path, env={})
        assert error_of(excinfo) == (
            f"{path}: key 'format': unknown format 'claude'; use one of openai, anthropic, responses, gemini"
            " (or auto)"
        )

    @pytest.mark.parametrize(
        "url",
        [
            "ftp://a.example",
            "https://a.example/v1",
            "https://a.example?x=1",
            "https://a.example#frag",
            "https://user:pw@a.example",
            "https://a.example:99999",
            "https://a.example:port",
            "https:///nohost",
            "a.example",
            "https://a .example",
        ],
    )
    def test_bad_base_url_named(self, tmp_path: Path, url: str) -> None:
        path = write(tmp_path / "c.toml", f'base_urls = ["https://ok.example", "{url}"]\n')
        with pytest.raises(ConfigError) as excinfo:
            load_settings(path, env={})
        assert error_of(excinfo) == (
            f"{path}: key 'base_urls': invalid base URL {url!r}; expected http(s)://host[:port] with no path"
        )

    def test_code_as_base_url_not_echoed(self, tmp_path: Path) -> None:
        # No auth code known anywhere, and the value does not look like a URL: keep it out.
        path = write(tmp_path / "c.toml", f'base_urls = ["{CODE}"]\n')
        with pytest.raises(ConfigError) as excinfo:
            load_settings(path, env={})
        assert error_of(excinfo) == (
            f"{path}: key 'base_urls': invalid base URL; expected http(s)://host[:port] with no path"
        )

    def test_known_code_scrubbed_from_any_error(self, tmp_path: Path) -> None:
        path = write(tmp_path / "c.toml", f'auth_code = "{CODE}"\nbase_urls = ["https://x.example/{CODE}"]\n')
        with pytest.raises(ConfigError) as excinfo:
            load_settings(path, env={})
        assert error_of(excinfo) == (
            f"{path}: key 'base_urls': invalid base URL 'https://x.example/[auth code]'; expected http(s)://host[:port]"
            " with no path"
        )

    def test_env_code_scrubbed_from_flag_error(self) -> None:
        with pytest.raises(ConfigError) as excinfo:
            load_settings(env={"LIAOBOTS_AUTH_CODE": CODE}, base_urls=[f"https://{CODE}.example/x"])
        assert error_of(excinfo) == (
            "base URL: invalid base URL 'https://[auth code].example/x';"
            " expected http(s)://host[:port] with no path"
        )

    def test_auth_code_with_spaces(self, tmp_path: Path) -> None:
        path = write(tmp_path / "c.toml", f'auth_code = "{CODE} {CODE}"\n')
        with pytest.raises(ConfigError) as excinfo:
            load_settings(path, env={})
        assert error_of(excinfo) == (
            f"{path}: key 'auth_code': the auth code contains spaces or non-ASCII characters"
        )

    def test_auth_code_trimmed(self, tmp_path: Path) -> None:
        path = write(tmp_path / "c.toml", f'auth_code = "  {CODE}\\n"\n')
        assert load_settings(path, env={}).auth_code == CODE


class TestPrecedence:
    def test_env_over_file(self, xdg_dirs: XdgDirs) -> None:
        write(
            xdg_dirs.config / "liaobots" / "config.toml",
            'auth_code = "file-code-123"\nbase_urls = ["https://file.example"]\nmodel = "file-model"\n'
            'format = "openai"\ntheme = "file-theme"\n',
        )
        env = {
            "LIAOBOTS_AUTH_CODE": "env-code-456",
            "LIAOBOTS_BASE_URL": " https://one.example/ , http://127.0.0.1:9000,,",
            "LIAOBOTS_MODEL": "env-model",
            "LIAOBOTS_FORMAT": "responses",
        }
        s = load_settings(env=env)
        assert s.auth_code == "env-code-456"
        assert s.base_urls == ["https://one.example", "http://127.0.0.1:9000"]
        assert s.model == "env-model"
        assert s.format == "responses"
        assert s.theme == "file-theme"

    def test_arguments_over_env(self) -> None:
        env = {
            "LIAOBOTS_AUTH_CODE": "env-code-456",
            "LIAOBOTS_BASE_URL": "https://one.example",
            "LIAOBOTS_MODEL": "env-model",
            "LIAOBOTS_FORMAT": "responses",
        }
        s = load_settings(
            env=env,
            auth_code="flag-code-789",
            base_urls=["http://localhost:1234/"],
            model="flag-model",
            format="gemini",
        )
        assert (s.auth_code, s.base_urls, s.model, s.format) == (
            "flag-code-789",
            ["http://localhost:1234"],
            "flag-model",
            "gemini",
        )

    def test_flag_format_auto_overrides_file(self, tmp_path: Path) -> None:
        path = write(tmp_path / "c.toml", 'format = "anthropic"\n')
        assert load_settings(path, env={}, format="auto").format is None

    def test_empty_env_values_are_unset(self) -> None:
        env = {
            "LIAOBOTS_AUTH_CODE": "",
            "LIAOBOTS_BASE_URL": " , ",
            "LIAOBOTS_MODEL": " ",
            "LIAOBOTS_FORMAT": "",
        }
        assert load_settings(env=env) == Settings()

    def test_os_environ_is_the_default(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("LIAOBOTS_MODEL", "from-os")
        assert load_settings().model == "from-os"
        assert load_settings(env={}).model == "gpt-5.4"

    def test_bad_env_values_named(self) -> None:
        with pytest.raises(ConfigError) as excinfo:
            load_settings(env={"LIAOBOTS_FORMAT": "grok"})
        assert error_of(excinfo) == (f"LIAOBOTS_FORMAT: unknown format 'grok'; {FORMATS_HINT}")
        with pytest.raises(ConfigError) as excinfo:
            load_settings(env={"LIAOBOTS_BASE_URL": "https://ok.example,http://bad.example/path"})
        assert error_of(excinfo) == (
            "LIAOBOTS_BASE_URL: invalid base URL 'http://bad.example/path'; expected http(s)://host[:port]"
            " with no path"
        )

    def test_bad_flag_format(self) -> None:
        with pytest.raises(ConfigError) as excinfo:
            load_settings(env={}, format="xml")
        assert error_of(excinfo) == (
            "format: unknown format 'xml'; use one of openai, anthropic, responses, gemini (or auto)"
        )

    def test_duplicate_urls_collapsed(self) -> None:
        s = load_settings(env={}, base_urls=["https://a.example", "https://a.example/", "HTTPS://b.example"])
        assert s.base_urls == ["https://a.example", "https://b.example"]

    def test_ipv6_base_url(self) -> None:
        assert load_settings(env={}, base_urls=["http://[::1]:8080/"]).base_urls == ["http://[::1]:8080"]


# ---------------------------------------------------------------- saving


class TestSave:
    @posix_only
    def test_save_is_0600_and_round_trips(self, xdg_dirs: XdgDirs) -> None:
        s = Settings(
            auth_code=CODE,
            base_urls=["https://a.example", "http://127.0.0.1:8080"],
            model="gemini-3-pro",
            format="gemini",
            system_prompt='Line "one"\n\tline \\two\\\n\n"""triple"""\x01',
            temperature=0.7,
            theme="nord",
            image_mode="off",
            low_balance=1.5,
            connect_timeout=1e-05,
            read_timeout=300.0,
        )
        path = save_settings(s)
        assert path == xdg_dirs.config / "liaobots" / "config.toml"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert not config_file_is_loose(path)
        loaded = load_settings(env={})
        assert loaded.source == path
        loaded.source = None
        assert loaded == s
        assert [p.name for p in path.parent.iterdir()] == ["config.toml"]  # no temp file left

    def test_defaults_not_written(self, tmp_path: Path) -> None:
        path = save_settings(Settings(auth_code="abc123456789", theme="nord"), tmp_path / "c.toml")
        assert path.read_text(encoding="utf-8") == (
            f'# {config.HEADER}\nauth_code = "abc123456789"\ntheme = "nord"\n'
        )

    @posix_only
    def test_replaces_loose_file_with_private_one(self, tmp_path: Path) -> None:
        path = write(tmp_path / "c.toml", 'model = "m"\n')
        path.chmod(0o644)
        assert config_file_is_loose(path)
        save_settings(Settings(auth_code=CODE), path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert not config_file_is_loose(path)

    @posix_only
    def test_loose_detection(self, tmp_path: Path) -> None:
        path = write(tmp_path / "c.toml", "")
        path.chmod(0o640)
        assert config_file_is_loose(path)
        path.chmod(0o604)
        assert config_file_is_loose(path)
        path.chmod(0o600)
        assert not config_file_is_loose(path)
        assert not config_file_is_loose(tmp_path / "missing.toml")

    @pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
    def test_symlinked_config_kept(self, tmp_path: Path) -> None:
        real = write(tmp_path / "dotfiles" / "liaobots.toml", 'model = "m"\n')
        link = tmp_path / "cfg" / "config.toml"
        link.parent.mkdir()
        link.symlink_to(real)
        save_settings(Settings(model="new"), link)
        assert link.is_symlink()
        assert load_settings(real, env={}).model == "new"

    def test_invalid_settings_not_written(self, tmp_path: Path) -> None:
        path = tmp_path / "c.toml"
        with pytest.raises(ConfigError) as excinfo:
            save_settings(Settings(auth_code=CODE, format="nope"), path)
        assert error_of(excinfo) == (f"setting 'format': unknown format 'nope'; {FORMATS_HINT}")
        assert not path.exists()

    def test_invalid_auth_code_not_echoed_on_save(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError) as excinfo:
            save_settings(Settings(auth_code=CODE + " x"), tmp_path / "c.toml")
        assert (
            error_of(excinfo) == "setting 'auth_code': the auth code contains spaces or non-ASCII characters"
        )


class TestUpdateSetting:
    def test_sets_one_key_keeps_others(self, xdg_dirs: XdgDirs, monkeypatch: pytest.MonkeyPatch) -> None:
        path = write(
            xdg_dirs.config / "liaobots" / "config.toml",
            f'# my comment\nauth_code = "{CODE}"\nmodel = "gpt-5.4"\n',
        )
        monkeypatch.setenv("LIAOBOTS_BASE_URL", "https://env.example")
        monkeypatch.setenv("LIAOBOTS_MODEL", "env-model")
        update_setting("theme", "nord")
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        # The explicit default model stays; nothing from the environment is written.
        assert data == {"auth_code": CODE, "model": "gpt-5.4", "theme": "nord"}

    def test_creates_file(self, xdg_dirs: XdgDirs) -> None:
        update_setting("theme", "gruvbox")
        path = xdg_dirs.config / "liaobots" / "config.toml"
        assert tomllib.loads(path.read_text(encoding="utf-8")) == {"theme": "gruvbox"}

    def test_none_removes(self, tmp_path: Path) -> None:
        path = write(tmp_path / "c.toml", 'theme = "nord"\nmodel = "m"\n')
        update_setting("theme", None, path=path)
        assert tomllib.loads(path.read_text(encoding="utf-8")) == {"model": "m"}

    def test_validates(self, tmp_path: Path) -> None:
        path = write(tmp_path / "c.toml", 'model = "m"\n')
        with pytest.raises(ConfigError) as excinfo:
            update_setting("image_mode", "kitty", path=path)
        assert error_of(excinfo) == (
            "setting 'image_mode': unknown image mode; use one of auto, halfcell, unicode, off"
        )
        with pytest.raises(ConfigError) as excinfo:
            update_setting("colour", "red", path=path)
        assert error_of(excinfo).startswith("setting: unknown key 'colour'; known keys: ")
        assert path.read_text(encoding="utf-8") == 'model = "m"\n'

    def test_broken_file_not_overwritten(self, tmp_path: Path) -> None:
        path = write(tmp_path / "c.toml", "model = \n")
        with pytest.raises(ConfigError) as excinfo:
            update_setting("theme", "nord", path=path)
        assert error_of(excinfo) == f"{path}: invalid TOML at line 1, column 9: Invalid value"
        assert path.read_text(encoding="utf-8") == "model = \n"


class TestTomlWriter:
    @given(st.text())
    def test_any_string_round_trips(self, text: str) -> None:
        # Lone surrogates cannot be written as UTF-8 by anyone; skip them.
        text = text.encode("utf-8", "replace").decode("utf-8") if _has_surrogate(text) else text
        assert tomllib.loads(dumps_toml({"system_prompt": text})) == {"system_prompt": text}

    @given(st.floats(allow_nan=False))
    def test_any_float_round_trips(self, number: float) -> None:
        assert tomllib.loads(dumps_toml({"x": number})) == {"x": number}

    def test_lists_and_none(self) -> None:
        out = dumps_toml({"base_urls": ["a", 'b"c'], "format": None, "n": 3, "flag": True})
        assert tomllib.loads(out) == {"base_urls": ["a", 'b"c'], "n": 3, "flag": True}

    def test_keys_match_fields(self) -> None:
        assert config.KEYS == (
            "auth_code", "base_urls", "model", "format", "system_prompt", "temperature", "theme",
            "image_mode", "low_balance", "connect_timeout", "read_timeout", "max_attachment_mb", "export_dir",
            "show_chats", "show_credits",
        )  # fmt: skip


def _has_surrogate(text: str) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in text)


# ---------------------------------------------------------------- special files, BOM, permissions


def load_in_thread(path: Path) -> BaseException | Settings:
    """``load_settings(path)`` on a thread, so a read that blocks fails the test instead of hanging it."""
    import threading

    result: list[BaseException | Settings] = []

    def run() -> None:
        try:
            result.append(load_settings(path, env={}))
        except BaseException as exc:  # handed back to the test
            result.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=60)  # a generous cap: the call returns at once, a blocked read never does
    assert result, "load_settings blocked on the config path"
    return result[0]


class TestSpecialFiles:
    @pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
    def test_fifo_is_refused_without_blocking(self, tmp_path: Path) -> None:
        fifo = tmp_path / "config.toml"
        os.mkfifo(fifo)
        outcome = load_in_thread(fifo)
        assert isinstance(outcome, ConfigError)
        assert outcome.message == f"{fifo}: config path is a FIFO, not a regular file"
        with pytest.raises(ConfigError):
            update_setting("theme", "nord", path=fifo)  # nothing written through it either
        assert stat.S_ISFIFO(fifo.stat().st_mode)

    @pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
    def test_device_is_refused(self) -> None:
        outcome = load_in_thread(Path("/dev/zero"))  # would never end if read
        assert isinstance(outcome, ConfigError)
        assert outcome.message == "/dev/zero: config path is a device, not a regular file"

    def test_huge_file_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "c.toml"
        with open(path, "wb") as fh:
            fh.truncate(config.MAX_CONFIG_BYTES + 1)
        with pytest.raises(ConfigError) as excinfo:
            load_settings(path, env={})
        assert error_of(excinfo) == f"{path}: config file is larger than 1024 kB"

    def test_utf8_bom_is_accepted(self, tmp_path: Path) -> None:
        path = tmp_path / "c.toml"
        path.write_bytes(b'\xef\xbb\xbf# saved by Notepad\r\nmodel = "claude-sonnet-4-6"\r\n')
        assert load_settings(path, env={}).model == "claude-sonnet-4-6"
        update_setting("theme", "nord", path=path)
        text = path.read_bytes()
        assert text.startswith(b'# saved by Notepad\r\nmodel = "claude-sonnet-4-6"\r\n')  # line ends kept
        assert load_settings(path, env={}).theme == "nord"

    def test_a_bom_in_the_middle_is_still_an_error(self, tmp_path: Path) -> None:
        path = tmp_path / "c.toml"
        path.write_bytes(b'model = "m"\n\xef\xbb\xbftheme = "x"\n')
        with pytest.raises(ConfigError) as excinfo:
            load_settings(path, env={})
        assert error_of(excinfo).startswith(f"{path}: invalid TOML at line 2")


@posix_only
class TestPermissionWarnings:
    def test_private_file_and_dir_give_no_warning(self, tmp_path: Path) -> None:
        path = save_settings(Settings(auth_code=CODE), tmp_path / "cfg" / "config.toml")
        path.parent.chmod(0o700)
        assert config.config_permission_warnings(path) == []

    def test_readable_file_is_warned(self, tmp_path: Path) -> None:
        path = write(tmp_path / "cfg" / "config.toml", "")
        path.parent.chmod(0o700)
        path.chmod(0o644)
        assert config.config_permission_warnings(path) == [
            f"{path} can be read by other users and holds your auth code: chmod 600 it."
        ]
        path.chmod(0o620)
        assert config.config_permission_warnings(path) == [
            f"{path} can be changed by other users and holds your auth code: chmod 600 it."
        ]

    @pytest.mark.parametrize("mode", [0o770, 0o707, 0o777, 0o1777, 0o720])
    def test_writable_dir_is_warned(self, tmp_path: Path, mode: int) -> None:
        directory = tmp_path / "cfg"
        path = save_settings(Settings(auth_code=CODE), directory / "config.toml")
        directory.chmod(mode)
        try:
            assert config.config_dir_is_loose(directory)
            assert config.config_permission_warnings(path) == [
                f"{directory} can be written by other users, who could replace your config: chmod 700 it."
            ]
            # The warning does not need the file to exist: others could plant one.
            path.unlink()
            assert len(config.config_permission_warnings(path)) == 1
        finally:
            directory.chmod(0o700)

    @pytest.mark.parametrize("mode", [0o700, 0o750, 0o755, 0o705])
    def test_readable_dir_is_fine(self, tmp_path: Path, mode: int) -> None:
        directory = tmp_path / "cfg"
        directory.mkdir()
        directory.chmod(mode)
        assert not config.config_dir_is_loose(directory)
        assert not config.config_dir_is_loose(tmp_path / "missing")


# ---------------------------------------------------------------- the writer keeps the user's file


USER_FILE = """\
# My liaobots settings. Edited by hand.

# Which gateway to use first:
base_urls = [
    "https://ai.liaobots.work",   # primary
    "https://ai.liaobots2.work",
]

model = "claude-sonnet-4-6"  # my usual
theme = "nord"    # dark and calm

# A system prompt over several lines, in a literal string:
system_prompt = '''
Be brief.
Answer in English.'''
# end of file
"""


class TestWriterKeepsComments:
    def test_update_setting_changes_one_line_only(self, tmp_path: Path) -> None:
        path = write(tmp_path / "c.toml", USER_FILE)
        update_setting("theme", "gruvbox", path=path)
        assert path.read_text(encoding="utf-8") == USER_FILE.replace(
            'theme = "nord"    # dark and calm', 'theme = "gruvbox"    # dark and calm'
        )

    def test_new_key_is_added_and_removing_one_keeps_the_rest(self, tmp_path: Path) -> None:
        path = write(tmp_path / "c.toml", USER_FILE)
        update_setting("image_mode", "halfcell", path=path)
        text = path.read_text(encoding="utf-8")
        assert text.startswith(USER_FILE) and text.endswith('image_mode = "halfcell"\n')
        update_setting("image_mode", None, path=path)
        update_setting("theme", None, path=path)
        text = path.read_text(encoding="utf-8")
        assert "theme" not in text and "image_mode" not in text
        for line in USER_FILE.splitlines():
            if "theme" not in line:
                assert line in text.splitlines()

    def test_auth_code_saved_from_the_app_keeps_comments_and_is_private(self, tmp_path: Path) -> None:
        path = write(tmp_path / "c.toml", USER_FILE)
        path.chmod(0o644)
        update_setting("auth_code", CODE, path=path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        text = path.read_text(encoding="utf-8")
        assert text.startswith(USER_FILE) and text.endswith(f'auth_code = "{CODE}"\n')
        assert load_settings(path, env={}).auth_code == CODE

    def test_save_settings_edits_in_place(self, tmp_path: Path) -> None:
        path = write(tmp_path / "c.toml", USER_FILE)
        settings = load_settings(path, env={})
        settings.source = None
        settings.temperature = 0.3
        settings.model = "gpt-5.4"  # back to the default: the key goes
        save_settings(settings, path)
        text = path.read_text(encoding="utf-8")
        assert "model =" not in text and text.endswith("temperature = 0.3\n")
        assert "# my usual" not in text and "# primary" in text and "# dark and calm" in text
        assert "Be brief.\nAnswer in English.'''" in text  # unchanged keys keep their own style
        again = load_settings(path, env={})
        again.source = None
        assert again == settings

    def test_a_default_written_out_by_the_user_stays(self, tmp_path: Path) -> None:
        path = write(tmp_path / "c.toml", '# pinned on purpose\nmodel = "gpt-5.4"\n')
        save_settings(Settings(model="gpt-5.4", theme="nord"), path)
        assert path.read_text(encoding="utf-8") == '# pinned on purpose\nmodel = "gpt-5.4"\ntheme = "nord"\n'

    def test_multiline_prompt_round_trips_through_an_existing_file(self, tmp_path: Path) -> None:
        path = write(tmp_path / "c.toml", USER_FILE)
        prompt = 'Line "one"\n\tline \\two\\\n\n"""triple"""\x01'
        update_setting("system_prompt", prompt, path=path)
        assert load_settings(path, env={}).system_prompt == prompt
        assert path.read_text(encoding="utf-8").startswith(USER_FILE.split("# A system prompt")[0])


class TestOneAuthCodeValidator:
    def test_problems(self) -> None:
        assert config.auth_code_problem("sk-abc123") is None
        assert config.auth_code_problem("") == "the auth code is empty"
        for bad in ("two words", "naïve", "tab\there", "nul\x00", "\x7f"):
            assert config.auth_code_problem(bad) == config.AUTH_CODE_CHARS_PROBLEM

    def test_every_config_source_uses_it(self, tmp_path: Path) -> None:
        path = write(tmp_path / "c.toml", 'auth_code = "two words"\n')
        with pytest.raises(ConfigError) as excinfo:
            load_settings(path, env={})
        assert error_of(excinfo) == f"{path}: key 'auth_code': {config.AUTH_CODE_CHARS_PROBLEM}"
        with pytest.raises(ConfigError) as excinfo:
            load_settings(tmp_path / "none.toml", env={"LIAOBOTS_AUTH_CODE": "naïve-code"})
        assert error_of(excinfo) == f"LIAOBOTS_AUTH_CODE: {config.AUTH_CODE_CHARS_PROBLEM}"
        with pytest.raises(ConfigError) as excinfo:
            load_settings(tmp_path / "none.toml", env={}, auth_code="a b")
        assert error_of(excinfo) == f"auth code: {config.AUTH_CODE_CHARS_PROBLEM}"
