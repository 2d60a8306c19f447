"""The memory release after a reply also asks the app's store to hand its page cache back."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.app import App

from liaobots_tui.store import Store
from liaobots_tui.ui import gc_pause, memory_release


class WithStore(App[None]):
    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Store]]:
    """The stores asked to release memory, in order (the real release runs too)."""
    asked: list[Store] = []
    real = Store.release_memory

    def release_memory(store: Store) -> bool:
        asked.append(store)
        return real(store)

    monkeypatch.setattr(Store, "release_memory", release_memory)
    yield asked
    while gc_pause.streaming():
        gc_pause.stream_ended()
    gc.unfreeze()


def test_the_release_asks_the_store(recorded: list[Store], tmp_path: Path) -> None:
    with Store(tmp_path / "h.db", tmp_path / "images") as store:
        assert memory_release.release(WithStore(store)) is True
        assert recorded == [store]


def test_not_while_a_reply_streams(recorded: list[Store], tmp_path: Path) -> None:
    with Store(tmp_path / "h.db", tmp_path / "images") as store:
        gc_pause.stream_started()
        assert memory_release.release(WithStore(store)) is False
        assert recorded == []


def test_an_app_without_a_store_is_released_as_before(recorded: list[Store]) -> None:
    assert memory_release.release(App()) is True
    assert recorded == []
