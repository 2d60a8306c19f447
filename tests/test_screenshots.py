"""Where the palette's screenshot is saved when ~/Downloads is there, and when it is not."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from liaobots_tui.errors import LiaobotsError
from liaobots_tui.screenshots import save_screenshot, screenshot_dir


def test_downloads_is_used_when_it_exists(tmp_path: Path) -> None:
    (tmp_path / "home" / "Downloads").mkdir(parents=True)
    assert screenshot_dir(tmp_path / "home", tmp_path / "data") == tmp_path / "home" / "Downloads"


def test_without_downloads_the_data_directory_is_used_and_created(tmp_path: Path) -> None:
    where = screenshot_dir(tmp_path / "home", tmp_path / "data")
    assert where == tmp_path / "data" / "screenshots" and where.is_dir()


def test_saving_never_overwrites_and_says_why_it_failed(tmp_path: Path) -> None:
    now = datetime(2026, 1, 2, 3, 4, 5)
    first = save_screenshot("<svg/>", tmp_path, now=now)
    second = save_screenshot("<svg>2</svg>", tmp_path, now=now)
    assert first != second and first.read_text() == "<svg/>" and second.read_text() == "<svg>2</svg>"
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(LiaobotsError, match="Cannot save the screenshot"):
        save_screenshot("<svg/>", blocker / "sub", now=now)
