"""Theme files: the built-in ``themes/*.toml`` plus the user's own, validated before registering.

A theme file holds :class:`textual.theme.Theme` fields at the top level (``name``,
``primary``, ``background``, ``dark`` …) and an optional ``[variables]`` table of
extra CSS variables. Textual registers a theme with a bad colour silently and
crashes later when it is applied, so every colour is parsed here first and a
bad file is skipped with a reason the app shows as a warning.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from textual.color import Color, ColorParseError
from textual.theme import Theme

DEFAULT_THEME = "liaobots-dark"

_FIELDS = {f.name for f in dataclasses.fields(Theme)}
_COLOR_KEYS = (
    "primary", "secondary", "accent", "warning", "error", "success",
    "foreground", "background", "surface", "panel", "boost",
)  # fmt: skip
_FLOAT_KEYS = ("luminosity_spread", "text_alpha")
_BOOL_KEYS = ("dark", "ansi")


class ThemeFileError(ValueError):
    """A theme file that cannot be used; the message names the file and the reason."""


def builtin_themes_dir() -> Path | None:
    """Where the shipped themes are: ``themes/`` in a checkout, ``_themes/`` inside a wheel."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_themes", package.parent / "themes"):
        if candidate.is_dir():
            return candidate
    return None


def _check_color(path: Path, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise ThemeFileError(f"{path.name}: {key} must be a colour string")
    # Variables may carry an alpha suffix ("#5B9CF6 35%"); the colour is the first word.
    try:
        Color.parse(value.split()[0] if value.strip() else value)
    except ColorParseError as exc:
        raise ThemeFileError(f"{path.name}: {key} = {value!r} is not a colour") from exc
    return value


def parse_theme(path: Path, data: dict[str, Any]) -> Theme:
    """Build a Theme from decoded TOML, checking keys, types and every colour.

    Raises:
        ThemeFileError: an unknown key, a wrong type or a colour Textual cannot parse.
    """
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise ThemeFileError(f"{path.name}: unknown keys {', '.join(unknown)}")
    values: dict[str, Any] = {"name": data.get("name", path.stem)}
    if not isinstance(values["name"], str) or not values["name"].strip():
        raise ThemeFileError(f"{path.name}: name must be a non-empty string")
    if "primary" not in data:
        raise ThemeFileError(f"{path.name}: primary is required")
    for key in _COLOR_KEYS:
        if key in data:
            values[key] = _check_color(path, key, data[key])
    for key in _FLOAT_KEYS:
        if key in data:
            if not isinstance(data[key], int | float) or isinstance(data[key], bool):
                raise ThemeFileError(f"{path.name}: {key} must be a number")
            values[key] = float(data[key])
    for key in _BOOL_KEYS:
        if key in data:
            if not isinstance(data[key], bool):
                raise ThemeFileError(f"{path.name}: {key} must be true or false")
            values[key] = data[key]
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise ThemeFileError(f"{path.name}: [variables] must be a table")
    checked: dict[str, str] = {}
    for key, value in variables.items():
        if not isinstance(value, str):
            raise ThemeFileError(f"{path.name}: variables.{key} must be a string")
        # Only values that look like colours are checked; styles ("bold", "none") pass through.
        if value.startswith(("#", "rgb", "hsl")):
            _check_color(path, f"variables.{key}", value)
        checked[str(key)] = value
    values["variables"] = checked
    return Theme(**values)


def load_theme_file(path: Path) -> Theme:
    """Read and validate one ``*.toml`` theme file.

    Raises:
        ThemeFileError: unreadable file, bad TOML or an invalid theme.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ThemeFileError(f"{path.name}: cannot read ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ThemeFileError(f"{path.name}: not valid TOML ({exc})") from exc
    return parse_theme(path, data)


def load_themes(directories: Iterable[Path | None]) -> tuple[list[Theme], list[str]]:
    """Every valid theme from ``directories`` in order (later files override earlier names).

    Returns:
        The themes, and one problem line per skipped file.
    """
    themes: dict[str, Theme] = {}
    problems: list[str] = []
    for directory in directories:
        if directory is None or not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.toml")):
            try:
                theme = load_theme_file(path)
            except ThemeFileError as exc:
                problems.append(str(exc))
                continue
            themes[theme.name] = theme
    return list(themes.values()), problems
