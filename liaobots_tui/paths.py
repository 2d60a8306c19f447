"""Where liaobots-tui keeps its files: config, history database, images, themes, cache.

Lookup order for each directory, checked every time a function is called (never
at import), so tests and ``LIAOBOTS_HOME=… liaobots`` can change it on the fly:

1. ``LIAOBOTS_HOME``: one directory holding everything (portable installs, tests).
   Config and data live directly in it, the cache in ``$LIAOBOTS_HOME/cache``.
2. ``XDG_CONFIG_HOME`` / ``XDG_DATA_HOME`` / ``XDG_CACHE_HOME`` + ``/liaobots``,
   on every OS. platformdirs honours these on Linux only; people who set them on
   macOS expect them to win over ``~/Library/Application Support`` too.
3. platformdirs' native location for the OS.

``LIAOBOTS_CONFIG_FILE`` overrides just the config file (the themes dir stays in
:func:`config_dir`). Nothing here creates directories; :func:`ensure_dir` does,
for the code that is about to write.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import platformdirs

APP_NAME = "liaobots"

ENV_HOME = "LIAOBOTS_HOME"
ENV_CONFIG_FILE = "LIAOBOTS_CONFIG_FILE"

CONFIG_FILE_NAME = "config.toml"
DB_FILE_NAME = "history.sqlite3"


def _env_path(name: str) -> Path | None:
    """A path from an app-specific variable; empty means unset, ``~`` and relative paths allowed."""
    value = os.environ.get(name, "")
    if not value:
        return None
    return Path(value).expanduser().absolute()


def _xdg(name: str) -> Path | None:
    """An XDG base directory, or None. The XDG spec says relative values are invalid and ignored."""
    value = os.environ.get(name, "")
    if not value:
        return None
    path = Path(value)
    return path if path.is_absolute() else None


def home_override() -> Path | None:
    """``LIAOBOTS_HOME`` as an absolute path, when set."""
    return _env_path(ENV_HOME)


def _app_dir(xdg_variable: str, native: Callable[..., Path], under_home: str = "") -> Path:
    """The lookup order of the module docstring, for one kind of directory."""
    home = home_override()
    if home is not None:
        return home / under_home
    xdg = _xdg(xdg_variable)
    if xdg is not None:
        return xdg / APP_NAME
    return native(APP_NAME, appauthor=False)


def config_dir() -> Path:
    """Directory of the config file (by default) and of user themes."""
    return _app_dir("XDG_CONFIG_HOME", platformdirs.user_config_path)


def data_dir() -> Path:
    """Directory of the history database and saved images."""
    return _app_dir("XDG_DATA_HOME", platformdirs.user_data_path)


def cache_dir() -> Path:
    """Directory for throw-away files (model lists, thumbnails)."""
    return _app_dir("XDG_CACHE_HOME", platformdirs.user_cache_path, under_home="cache")


def config_file() -> Path:
    """The TOML settings file: ``LIAOBOTS_CONFIG_FILE`` or ``config_dir()/config.toml``."""
    explicit = _env_path(ENV_CONFIG_FILE)
    if explicit is not None:
        return explicit
    return config_dir() / CONFIG_FILE_NAME


def db_file() -> Path:
    """The SQLite history database."""
    return data_dir() / DB_FILE_NAME


def images_dir() -> Path:
    """Root of saved images (one subdirectory per conversation)."""
    return data_dir() / "images"


def demo_dir() -> Path:
    """Everything ``liaobots demo`` saves: its own history and images, apart from the user's."""
    return data_dir() / "demo"


def history_paths(*, demo: bool = False) -> tuple[Path, Path]:
    """The history database and the images directory: the user's, or the demo's own."""
    if demo:
        return demo_dir() / DB_FILE_NAME, demo_dir() / "images"
    return db_file(), images_dir()


def user_themes_dir() -> Path:
    """The user's own ``*.toml`` themes, loaded next to the built-in ones."""
    return config_dir() / "themes"


def ensure_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if missing, private to the user, and return it.

    New directories get mode 0700 because they hold the auth code and chat
    history; existing ones are left as the user set them.
    """
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path
