"""Presets: named TOML files that fill a chat's settings (system prompt, model, format, temperature…).

A preset lives in ``<config dir>/presets/NAME.toml``; two ship with the package
(``liaobots_tui/preset_files/``) and can be copied there to be edited. A user file of
the same name wins over a shipped one. Every key is optional:

.. code-block:: toml

    description = "Careful code review"
    model = "claude-sonnet-4-6"
    format = "anthropic"      # or auto; default: from the model name
    temperature = 0.2
    thinking = "medium"       # off, on, low, medium, high, or a token budget (>= 1024)
    system = "You are a senior engineer…"

Any problem (unknown name, bad TOML, unknown key, a value of the wrong kind) is one
:class:`ConfigError` line naming the file and the problem.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from liaobots_tui import paths
from liaobots_tui.api.messages import FORMATS, Format, Thinking, parse_thinking
from liaobots_tui.errors import ConfigError
from liaobots_tui.regular_files import open_regular

if TYPE_CHECKING:  # the CLI lists presets without loading the controller and the store
    from liaobots_tui.conversations import ConversationController

KEYS = ("description", "system", "model", "format", "temperature", "thinking")
#: A preset is a few lines; anything this large is not one (and reading it is bounded).
MAX_PRESET_BYTES = 256 * 1024
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class Preset:
    """One preset; None (and ``thinking_set`` False) means the key was not given."""

    name: str
    path: Path
    description: str = ""
    system: str | None = None
    model: str | None = None
    #: "auto" is kept as None with ``format_set``: follow the model.
    format: Format | None = None
    format_set: bool = False
    temperature: float | None = None
    thinking: Thinking | None = None
    thinking_set: bool = False
    shipped: bool = False


def user_presets_dir() -> Path:
    return paths.config_dir() / "presets"


def _shipped_dir() -> Path:
    return Path(str(resources.files("liaobots_tui") / "preset_files"))


def _files() -> dict[str, tuple[Path, bool]]:
    """Every preset file by name: shipped ones first, the user's replacing them."""
    found: dict[str, tuple[Path, bool]] = {}
    for directory, shipped in ((_shipped_dir(), True), (user_presets_dir(), False)):
        if directory.is_dir():
            for path in sorted(directory.glob("*.toml")):
                if _NAME.fullmatch(path.stem):
                    found[path.stem] = (path, shipped)
    return found


def load_preset(name: str) -> Preset:
    """The preset called ``name``.

    Raises:
        ConfigError: no such preset, or its file is malformed (one line naming it).
    """
    files = _files()
    if name not in files:
        known = ", ".join(sorted(files)) or "none"
        where = user_presets_dir() / f"{name}.toml" if _NAME.fullmatch(name) else user_presets_dir()
        raise ConfigError(f"{where}: no such preset {name[:64]!r} (known: {known})")
    path, shipped = files[name]
    return read_preset(path, shipped=shipped)


def list_presets() -> tuple[list[Preset], list[ConfigError]]:
    """All presets by name, and one error per file that could not be read."""
    good: list[Preset] = []
    bad: list[ConfigError] = []
    for path, shipped in _files().values():
        try:
            good.append(read_preset(path, shipped=shipped))
        except ConfigError as exc:
            bad.append(exc)
    return sorted(good, key=lambda p: p.name), bad


def read_preset(path: Path, *, shipped: bool = False) -> Preset:
    """Parse one preset file. Raises ConfigError naming the file and the problem."""
    try:
        with open_regular(path) as fh:
            raw = fh.read(MAX_PRESET_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read preset: {exc.strerror or exc}") from None
    if len(raw) > MAX_PRESET_BYTES:
        raise ConfigError(f"{path}: preset is larger than {MAX_PRESET_BYTES // 1024} KB")
    try:
        table = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: preset is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {' '.join(str(exc).split())}") from None
    return _preset_from(table, path, shipped)


def _preset_from(table: dict[str, Any], path: Path, shipped: bool) -> Preset:
    for key in table:
        if key not in KEYS:
            raise ConfigError(f"{path}: unknown key {key!r}; a preset may set {', '.join(KEYS)}")
    preset = Preset(name=path.stem, path=path, shipped=shipped)
    for key in ("description", "system", "model"):
        if key in table and not isinstance(table[key], str):
            raise ConfigError(f"{path}: {key} must be a string")
    preset = replace(
        preset,
        description=" ".join(table.get("description", "").split()),
        system=table["system"].strip() if "system" in table else None,
        model=table["model"].strip() or None if "model" in table else None,
    )
    if "format" in table:
        value = table["format"]
        if value != "auto" and value not in FORMATS:
            choices = ", ".join(FORMATS)
            raise ConfigError(f"{path}: format must be auto or one of {choices}, not {str(value)[:40]!r}")
        preset = replace(preset, format=next((f for f in FORMATS if f == value), None), format_set=True)
    if "temperature" in table:
        value = table["temperature"]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 2:
            raise ConfigError(f"{path}: temperature must be a number from 0 to 2")
        preset = replace(preset, temperature=float(value))
    if "thinking" in table:
        value = table["thinking"]
        text = {True: "on", False: "off"}.get(value, value) if isinstance(value, bool) else value
        if isinstance(text, int):
            text = str(text)
        if not isinstance(text, str):
            raise ConfigError(f"{path}: thinking must be off, on, low, medium, high or a token budget")
        try:
            preset = replace(preset, thinking=parse_thinking(text), thinking_set=True)
        except ValueError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    return preset


def apply_preset(controller: ConversationController, preset: Preset) -> str:
    """Fill the controller's chat settings from ``preset``; returns a notice for the user ("" when none).

    Keys the preset does not set keep the chat's values. A model without a format goes
    back to auto, as choosing a model by hand does.

    Raises:
        FormatRefused: the preset's format cannot carry its model (nothing changed then).
    """
    current = controller.settings
    notice = ""
    if preset.model is not None or preset.format_set:
        model = preset.model or current.model
        fmt = preset.format if preset.format_set else None
        notice = controller.choose_model(model, fmt)
    updated = controller.settings
    if preset.system is not None:
        updated = replace(updated, system=preset.system)
    if preset.temperature is not None:
        updated = replace(updated, temperature=preset.temperature)
    if preset.thinking_set:
        updated = replace(updated, thinking=preset.thinking)
    if updated != controller.settings:
        controller.update(updated)
    return notice


def copy_shipped(name: str) -> Path:
    """Copy shipped preset ``name`` into the user's presets dir (never over an existing file)."""
    source = _shipped_dir() / f"{name}.toml"
    if not _NAME.fullmatch(name) or not source.is_file():
        shipped = ", ".join(sorted(p.stem for p in _shipped_dir().glob("*.toml")))
        raise ConfigError(f"{source}: no shipped preset {name[:64]!r} (shipped: {shipped})")
    target = paths.ensure_dir(user_presets_dir()) / f"{name}.toml"
    if target.exists():
        raise ConfigError(f"{target}: already exists; edit it or remove it first")
    shutil.copyfile(source, target)
    return target
