"""User settings: defaults < TOML config file < ``LIAOBOTS_*`` environment < explicit arguments.

The file is read with stdlib :mod:`tomllib` (only a regular file: a FIFO or device
is refused unread; a UTF-8 byte-order mark is accepted) and written with
:mod:`tomlkit`, which edits the user's own file in place: comments, blank lines and
key order survive a save from the app. Writes are atomic, with mode 0600 because
the file may hold the auth code.

Every problem becomes a one-line :class:`~liaobots_tui.errors.ConfigError` that
names the file (or variable) and the key, and, for a broken file, the line. The
auth code never appears in an error, a repr or the display dict: errors never
echo values of auth-like keys, and any message is scrubbed of every auth code
we have seen before it leaves this module.

This module sits below ``api/`` in the layering, so it keeps its own copy of the
format names instead of importing ``api.messages``.
"""

from __future__ import annotations

import contextlib
import difflib
import math
import os
import re
import stat
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from liaobots_tui import paths
from liaobots_tui.api.sanitize import scrub_secret
from liaobots_tui.errors import ConfigError
from liaobots_tui.regular_files import NotARegularFile, open_regular

if TYPE_CHECKING:  # tomlkit is imported only to write: every CLI command reads the config, few save it
    import tomlkit
    from tomlkit.items import Item

DEFAULT_BASE_URLS = [
    "https://ai.liaobots.work",
    "https://ai.liaobots1.work",
    "https://ai.liaobots2.work",
    "https://ai.liaobots3.work",
]

#: Wire formats (same values as ``api.messages.FORMATS``); "auto" means infer from the model.
FORMATS: tuple[str, ...] = ("openai", "anthropic", "responses", "gemini")
IMAGE_MODES: tuple[str, ...] = ("auto", "halfcell", "unicode", "off")

ENV_AUTH_CODE = "LIAOBOTS_AUTH_CODE"
ENV_BASE_URL = "LIAOBOTS_BASE_URL"
ENV_MODEL = "LIAOBOTS_MODEL"
ENV_FORMAT = "LIAOBOTS_FORMAT"


def _default_base_urls() -> list[str]:
    return list(DEFAULT_BASE_URLS)


@dataclass
class Settings:
    """Everything the app and the CLI read from config; plain values, no behaviour."""

    auth_code: str = field(default="", repr=False)
    """Liaobots auth (login) code, sent as the Bearer token; never shown, logged or repr'd."""

    base_urls: list[str] = field(default_factory=_default_base_urls)
    """Gateway origins to try in order (failover); the first is the primary."""

    model: str = "gpt-5.4"
    """Model for new conversations."""

    format: str | None = None
    """Wire format (openai, anthropic, responses, gemini); None infers it from the model name."""

    system_prompt: str = ""
    """System prompt for new conversations; empty sends none."""

    temperature: float | None = None
    """Sampling temperature; None leaves it to the model (reasoning models reject it)."""

    theme: str = "liaobots-dark"
    """Name of the colour theme (built-in or from the user themes dir)."""

    image_mode: str = "auto"
    """How images are drawn in the terminal: auto, halfcell, unicode or off."""

    low_balance: float = 5.0
    """Credits threshold below which the app warns about a low balance."""

    connect_timeout: float = 10.0
    """Seconds to wait for a connection before failing over to the next domain."""

    read_timeout: float = 120.0
    """Seconds a reply may stall (no bytes) before it counts as stalled."""

    max_attachment_mb: float = 20.0
    """Largest file (MiB) that may be attached; the providers reject far larger inline files."""

    export_dir: str = ""
    """Folder the app offers for Markdown and CSV exports; empty: the download folder, else the data dir."""

    show_chats: bool | None = None
    """The chats sidebar open (true) or closed (false) as last chosen in the app; unset: by width.
    Open still folds away on a terminal too narrow for it."""

    show_credits: bool | None = None
    """The credits sidebar open or closed as last chosen in the app; unset: by width."""

    source: Path | None = None
    """Which config file was read (None: no file); informational, never written."""

    def redacted(self) -> dict[str, object]:
        """All fields for display (``liaobots config``), with the auth code masked."""
        out: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "auth_code":
                value = mask_auth_code(value)
            elif isinstance(value, list):
                value = list(value)
            elif isinstance(value, Path):
                value = str(value)
            out[f.name] = value
        return out


#: Keys a config file may hold (every field except ``source``).
KEYS: tuple[str, ...] = tuple(f.name for f in fields(Settings) if f.name != "source")
_DEFAULTS = Settings()


def mask_auth_code(code: str) -> str:
    """``sk-…abcd``: the last 4 characters (and a public ``sk-`` prefix) only when the code is long.

    Codes of 8 characters or fewer show as ``…`` alone (set, but nothing revealed);
    an empty code stays empty (not set). Only the well-known ``sk-`` prefix is
    kept: any other leading text may be part of the secret.
    """
    if not code:
        return ""
    if len(code) <= 8:
        return "…"
    prefix = "sk-" if code.startswith("sk-") and len(code) > 11 else ""
    return f"{prefix}…{code[-4:]}"


# ---------------------------------------------------------------- validation


def _type_name(value: object) -> str:
    """TOML-ish name of a value's type, so errors can say what was found without echoing it."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return "a date/time"


def _check_base_url(value: str, where: str) -> str:
    """Normalise one base URL to ``scheme://host[:port]`` or raise naming it."""
    url = value.strip()
    while url.endswith("/"):
        url = url[:-1]
    # Echo the value only when it looks like a URL attempt: a bare token could be
    # an auth code pasted into the wrong place.
    shown = f" {value.strip()!r}" if ("://" in value or "." in value) else ""
    problem = f"{where}: invalid base URL{shown}; expected http(s)://host[:port] with no path"
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a non-numeric or out-of-range port
    except ValueError:
        raise ConfigError(problem) from None
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.hostname
        or parts.path
        or parts.query
        or parts.fragment
        or "?" in url
        or "#" in url
        or parts.username is not None
        or parts.password is not None
        or any(c.isspace() for c in url)
        or (port is not None and port == 0)
    ):
        raise ConfigError(problem)
    return f"{parts.scheme.lower()}://{parts.netloc}"


def known_domains() -> list[str]:
    """The hosts of the built-in gateway domains (``ai.liaobots.work`` …)."""
    return [urlsplit(url).hostname or "" for url in DEFAULT_BASE_URLS]


def base_urls_from_input(text: str) -> list[str]:
    """The base URLs for what a user typed as "the gateway": a URL, or one of the known domains.

    A known domain (with or without ``https://``) becomes the primary, the other
    built-in domains stay as backups; any other ``http(s)://host[:port]`` (a proxy, a
    self-hosted gateway) is used alone. Empty means the built-in list.

    Raises:
        ConfigError: one line saying what is wrong with ``text``.
    """
    typed = text.strip()
    if not typed:
        return list(DEFAULT_BASE_URLS)
    if "://" not in typed:
        host = typed.rstrip("/").lower()
        if host not in known_domains():
            raise ConfigError(
                f"{typed!r} is not a Liaobots domain ({', '.join(known_domains())}); "
                "type a full http:// or https:// URL for another gateway"
            )
        typed = f"https://{host}"
    url = _check_base_url(typed, "Gateway")
    if url.lower() in DEFAULT_BASE_URLS:  # host names ignore case
        url = url.lower()
        return [url, *(other for other in DEFAULT_BASE_URLS if other != url)]
    return [url]


def _check_base_urls(value: object, where: str) -> list[str]:
    if isinstance(value, str):
        items: list[object] = [value]
    elif isinstance(value, list):
        items = list(value)
    else:
        raise ConfigError(f"{where}: expected a list of URL strings, found {_type_name(value)}")
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ConfigError(f"{where}: expected a list of URL strings, found {_type_name(item)} in it")
        url = _check_base_url(item, where)
        if url not in out:  # a duplicate would only repeat the same failed attempt
            out.append(url)
    if not out:
        raise ConfigError(f"{where}: needs at least one base URL")
    return out


def _check_format(value: object, where: str) -> str | None:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a string, found {_type_name(value)}")
    name = value.strip().lower()
    if name in ("", "auto"):
        return None
    if name not in FORMATS:
        choices = ", ".join(FORMATS)
        raise ConfigError(f"{where}: unknown format {value.strip()!r}; use one of {choices} (or auto)")
    return name


#: What :func:`auth_code_problem` says about a code that cannot go into an HTTP header.
AUTH_CODE_CHARS_PROBLEM = "the auth code contains spaces or non-ASCII characters"


def auth_code_problem(code: str) -> str | None:
    """Why ``code`` (already stripped) cannot be used as the auth code, or None when it can.

    The one auth-code check: config files, ``LIAOBOTS_AUTH_CODE``, ``--auth-code`` and the
    app's setup screen all go through it. The code goes into an HTTP header: anything
    but printable ASCII would fail later with the code in the HTTP library's error text.
    """
    if not code:
        return "the auth code is empty"
    if any(not (33 <= ord(c) <= 126) for c in code):
        return AUTH_CODE_CHARS_PROBLEM
    return None


def _check_auth_code(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a string, found {_type_name(value)}")
    code = value.strip()  # pasted codes often carry a newline
    problem = auth_code_problem(code) if code else None  # an empty code means "not set" here
    if problem:
        raise ConfigError(f"{where}: {problem}")
    return code


def _check_str(value: object, where: str, *, non_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a string, found {_type_name(value)}")
    if non_empty and not value.strip():
        raise ConfigError(f"{where}: must not be empty")
    return value.strip() if non_empty else value


def _check_number(
    value: object, where: str, *, minimum: float, above: bool = False, maximum: float | None = None
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: expected a number, found {_type_name(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise ConfigError(f"{where}: must be a finite number")
    if number < minimum or (above and number == minimum):
        raise ConfigError(f"{where}: must be {'greater than' if above else 'at least'} {minimum:g}")
    if maximum is not None and number > maximum:
        raise ConfigError(f"{where}: must be at most {maximum:g}")
    return number


def _check(key: str, value: object, where: str) -> Any:
    """Validate and normalise one setting; ``where`` names its origin for the error message."""
    if key == "auth_code":
        return _check_auth_code(value, where)
    if key == "base_urls":
        return _check_base_urls(value, where)
    if key == "format":
        return _check_format(value, where)
    if key in ("model", "theme"):
        return _check_str(value, where, non_empty=True)
    if key in ("system_prompt", "export_dir"):
        return _check_str(value, where)
    if key == "image_mode":
        mode = _check_str(value, where).strip().lower()
        if mode not in IMAGE_MODES:
            raise ConfigError(f"{where}: unknown image mode; use one of {', '.join(IMAGE_MODES)}")
        return mode
    if key == "temperature":
        return _check_number(value, where, minimum=0.0, maximum=2.0)
    if key == "low_balance":
        return _check_number(value, where, minimum=0.0)
    if key == "max_attachment_mb":
        return _check_number(value, where, minimum=0.0, maximum=512.0, above=True)
    if key in ("connect_timeout", "read_timeout"):
        return _check_number(value, where, minimum=0.0, above=True)
    if key in ("show_chats", "show_credits"):
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false, got {_type_name(value)}")
        return value
    raise ConfigError(f"{where}: unknown setting")


def _unknown_key_error(where: str, key: str) -> ConfigError:
    hint = difflib.get_close_matches(key, KEYS, n=1)
    suffix = f" (did you mean {hint[0]!r}?)" if hint else ""
    return ConfigError(f"{where}: unknown key {key!r}{suffix}; known keys: {', '.join(KEYS)}")


def _scrub(message: str, secrets: Iterable[object]) -> str:
    """Mask every known auth code in ``message`` (the one scrubber: ``api/sanitize.py``)."""
    for secret in secrets:
        message = scrub_secret(message, secret) if isinstance(secret, str) else message
    return " ".join(message.split())


# ---------------------------------------------------------------- reading


def _decode_error(path: Path, text: str, exc: tomllib.TOMLDecodeError) -> ConfigError:
    """One line naming the file and the line; 3.11's TOMLDecodeError has only its message."""
    message = str(exc)
    m = re.search(r"\s*\(at line (\d+), column (\d+)\)\s*$", message)
    if m:
        line, col = int(m.group(1)), int(m.group(2))
        reason = message[: m.start()]
    else:
        reason = re.sub(r"\s*\(at end of document\)\s*$", "", message)
        lines = text.split("\n")
        line, col = len(lines), len(lines[-1]) + 1
        if len(lines) > 1 and lines[-1] == "":  # a final newline: report the last real line
            line, col = len(lines) - 1, len(lines[-2]) + 1
    return ConfigError(f"{path}: invalid TOML at line {line}, column {col}: {reason}")


#: A config file larger than this is not ours (ours is a dozen lines); refusing it bounds memory.
MAX_CONFIG_BYTES = 1024 * 1024


def _read_text(path: Path) -> str:
    """The config file's text: a regular file only, bounded, UTF-8 with an optional byte-order mark."""
    try:
        with open_regular(path) as fh:
            raw_bytes = fh.read(MAX_CONFIG_BYTES + 1)
    except NotARegularFile as exc:
        raise ConfigError(f"{path}: config path is {exc.what}, not a regular file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc.strerror or type(exc).__name__})") from None
    if len(raw_bytes) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: config file is larger than {MAX_CONFIG_BYTES // 1024} kB")
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: config file is not UTF-8 text") from None
    # Windows editors (Notepad) start UTF-8 files with a BOM, which TOML readers reject.
    return text.removeprefix("\ufeff")


def _read_file(path: Path) -> dict[str, Any]:
    """Parse and validate a config file into ``{key: normalised value}`` (only keys present)."""
    return _parse_text(path, _read_text(path))


def _parse_text(path: Path, text: str) -> dict[str, Any]:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _decode_error(path, text, exc) from None
    secret = raw.get("auth_code")
    try:
        values: dict[str, Any] = {}
        for key, value in raw.items():
            if key not in KEYS:
                raise _unknown_key_error(str(path), key)
            values[key] = _check(key, value, f"{path}: key {key!r}")
        return values
    except ConfigError as exc:
        raise ConfigError(_scrub(exc.message, [secret])) from None


def _env_values(env: Mapping[str, str]) -> dict[str, Any]:
    """Settings given by ``LIAOBOTS_*`` variables; empty variables count as unset."""
    values: dict[str, Any] = {}
    code = env.get(ENV_AUTH_CODE, "")
    if code.strip():
        values["auth_code"] = _check_auth_code(code, ENV_AUTH_CODE)
    urls = [u.strip() for u in env.get(ENV_BASE_URL, "").split(",") if u.strip()]
    if urls:
        values["base_urls"] = _check_base_urls(urls, ENV_BASE_URL)
    model = env.get(ENV_MODEL, "")
    if model.strip():
        values["model"] = model.strip()
    fmt = env.get(ENV_FORMAT, "")
    if fmt.strip():
        values["format"] = _check_format(fmt, ENV_FORMAT)
    return values


def load_settings(
    path: Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    base_urls: list[str] | None = None,
    auth_code: str | None = None,
    model: str | None = None,
    format: str | None = None,  # noqa: A002 - the CLI flag is called --format
    required: bool = False,
) -> Settings:
    """Build the effective settings: defaults < file < environment < these arguments.

    Args:
        path: config file; default :func:`paths.config_file`. A missing file means
            defaults (first run), unless ``required``.
        env: environment to read ``LIAOBOTS_*`` from; default ``os.environ``;
            pass ``{}`` to ignore the environment.
        base_urls, auth_code, model, format: explicit values (command-line flags);
            None means not given. ``format`` may be ``"auto"``.
        required: raise when the file does not exist (an explicit ``--config``).

    Raises:
        ConfigError: one line naming the file or variable, the key, and for broken
            TOML the line; never containing the auth code.
    """
    environ: Mapping[str, str] = os.environ if env is None else env
    target = path if path is not None else paths.config_file()
    secrets: list[object] = [auth_code, environ.get(ENV_AUTH_CODE)]
    try:
        settings = Settings()
        layers: list[dict[str, Any]] = []
        if target.exists():
            file_values = _read_file(target)
            secrets.append(file_values.get("auth_code"))
            layers.append(file_values)
            settings.source = target
        elif required:
            raise ConfigError(f"{target}: config file does not exist")
        layers.append(_env_values(environ))
        explicit: dict[str, Any] = {}
        if base_urls is not None:
            explicit["base_urls"] = _check_base_urls(list(base_urls), "base URL")
        if auth_code is not None:
            explicit["auth_code"] = _check_auth_code(auth_code, "auth code")
        if model is not None:
            explicit["model"] = _check_str(model, "model", non_empty=True)
        if format is not None:
            explicit["format"] = _check_format(format, "format")
        layers.append(explicit)
        for layer in layers:
            for key, value in layer.items():
                setattr(settings, key, value)
        return settings
    except ConfigError as exc:
        raise ConfigError(_scrub(exc.message, secrets)) from None


# ---------------------------------------------------------------- writing

#: First line of a config file we create; a file the user wrote keeps its own header.
HEADER = "liaobots-tui settings (TOML). Edit freely: saving from the app keeps your comments and order."


def _toml_item(value: object) -> Item:
    """A tomlkit item for one of our values; multi-line text becomes a triple-quoted string."""
    import tomlkit

    if isinstance(value, str):
        # A triple-quoted string keeps its line breaks raw, and TOML reads a raw CRLF back as LF:
        # text holding a CR stays on one escaped line so it round-trips exactly.
        return tomlkit.string(value, multiline="\n" in value and "\r" not in value)
    if isinstance(value, list | tuple):
        array = tomlkit.array()
        array.extend(_toml_item(v) for v in value)
        return array
    if isinstance(value, bool | int | float):
        return tomlkit.item(value)
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def dumps_toml(values: Mapping[str, object]) -> str:
    """A new config file: the header comment, then ``key = value`` for each value (None skipped)."""
    import tomlkit

    doc = tomlkit.document()
    doc.add(tomlkit.comment(HEADER))
    for key, value in values.items():
        if value is not None:
            doc.add(key, _toml_item(value))
    return tomlkit.dumps(doc)


def _document(path: Path, text: str) -> tomlkit.TOMLDocument:
    """The user's file as an editable document (already validated by :func:`_parse_text`)."""
    import tomlkit
    import tomlkit.exceptions

    try:
        return tomlkit.parse(text)
    except tomlkit.exceptions.TOMLKitError as exc:  # tomllib read it, so this is a tomlkit gap
        problem = f"cannot edit this config file ({type(exc).__name__}); edit it by hand"
        raise ConfigError(f"{path}: {problem}") from None


def _edit_file(target: Path, changes: Mapping[str, object]) -> None:
    """Apply ``changes`` (``None`` removes a key) to the file, keeping everything else the user wrote.

    Values must already be validated. A missing file is created with :data:`HEADER`.
    """
    text = _read_text(target) if target.exists() else None
    if text is None or not text.strip():
        fresh = {k: v for k, v in changes.items() if v is not None}
        _write_atomic(target, dumps_toml(fresh))
        return
    import tomlkit

    current = _parse_text(target, text)  # a broken file is reported, never overwritten
    doc = _document(target, text)
    for key, value in changes.items():
        if value is None:
            if key in doc:
                del doc[key]
        elif key not in current or current[key] != value:
            # In place when the key exists (its comment and position stay), else appended.
            doc[key] = _toml_item(value)
    _write_atomic(target, tomlkit.dumps(doc))


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write ``settings`` to the config file and return its path.

    Only fields that differ from the defaults are written, so a later change of a
    default (a newer model) still reaches the user; a key the file already holds with
    the same value is left exactly as written, and a key set back to its default is
    removed. Everything else in the file (comments, order) stays. Save settings loaded
    without the environment (``env={}``), or the environment's auth code ends up in the file.

    Raises:
        ConfigError: a field holds an invalid value, or the existing file is broken (nothing is written).
    """
    target = path if path is not None else paths.config_file()
    wanted: dict[str, Any] = {}
    try:
        for key in KEYS:
            value = getattr(settings, key)
            is_default = value is None or value == getattr(_DEFAULTS, key)
            wanted[key] = None if is_default else _check(key, value, f"setting {key!r}")
    except ConfigError as exc:
        raise ConfigError(_scrub(exc.message, [settings.auth_code])) from None
    current = _read_file(target) if target.exists() else {}
    changes: dict[str, Any] = {}
    for key, value in wanted.items():
        if value is not None:
            changes[key] = value
        elif key in current and current[key] != getattr(_DEFAULTS, key):
            changes[key] = None  # back to the default; a default the user wrote out stays
    _edit_file(target, changes)
    return target


def update_setting(key: str, value: object, *, path: Path | None = None) -> None:
    """Set one key in the config file, keeping every other line as the user wrote it (theme persistence).

    Reads the file without the environment, so nothing from ``LIAOBOTS_*`` is
    written back. ``value=None`` removes the key (back to the default).

    Raises:
        ConfigError: unknown key, invalid value, or the existing file is broken.
    """
    target = path if path is not None else paths.config_file()
    if key not in KEYS:
        raise _unknown_key_error("setting", key)
    checked: object = None
    if value is not None:
        try:
            checked = _check(key, value, f"setting {key!r}")
        except ConfigError as exc:
            secrets = [value]
            if target.exists():
                with contextlib.suppress(ConfigError):
                    secrets.append(_read_file(target).get("auth_code"))
            raise ConfigError(_scrub(exc.message, secrets)) from None
    _edit_file(target, {key: checked})


def _write_atomic(path: Path, text: str) -> Path:
    """Write via a temp file in the same directory and ``os.replace``; mode 0600.

    Always 0600, not only when the file holds an auth code: nobody else needs to
    read it, and a later save may add the code. A symlinked config (dotfile
    managers) is followed so the link survives.
    """
    target = path.resolve() if path.is_symlink() else path
    paths.ensure_dir(target.parent)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()  # left by a crashed save of this same pid number
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return path


def _mode(path: Path) -> int | None:
    if os.name == "nt":  # POSIX mode bits mean nothing there
        return None
    try:
        return path.stat().st_mode
    except OSError:
        return None


def config_file_is_loose(path: Path) -> bool:
    """True when group or others may read or change the file (the app then warns: it holds the auth code)."""
    mode = _mode(path)
    return mode is not None and stat.S_ISREG(mode) and bool(mode & 0o066)


def config_dir_is_loose(directory: Path) -> bool:
    """True when group or others may write to the directory: they could swap the config file for theirs."""
    mode = _mode(directory)
    return mode is not None and stat.S_ISDIR(mode) and bool(mode & 0o022)


def config_permission_warnings(path: Path) -> list[str]:
    """One line per permission problem of the config file and its directory (the app shows each)."""
    warnings: list[str] = []
    mode = _mode(path)
    if mode is not None and config_file_is_loose(path):
        who = "read" if mode & 0o044 else "changed"
        warnings.append(f"{path} can be {who} by other users and holds your auth code: chmod 600 it.")
    if config_dir_is_loose(path.parent):
        warnings.append(
            f"{path.parent} can be written by other users, who could replace your config: chmod 700 it."
        )
    return warnings
