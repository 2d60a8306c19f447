"""Store.add_turn: a prompt with several replies as versions, in one transaction (a comparison's turn)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from liaobots_tui.api.messages import Message, TextPart
from liaobots_tui.errors import InputError
from liaobots_tui.store import MessageRecord, Store, Version


def user(text: str) -> Message:
    return Message("user", [TextPart(text)])


def reply(text: str, model: str) -> MessageRecord:
    return MessageRecord(Message("assistant", [TextPart(text)], model=model), created_at=1.0, ended_at=2.0)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "history.sqlite3", tmp_path / "images") as opened:
        yield opened


def test_the_chosen_reply_continues_and_the_others_are_its_versions_in_order(store: Store) -> None:
    cid = store.create_conversation()
    written = store.add_turn(cid, user("which?"), [reply("a", "m1"), reply("b", "m2"), reply("c", "m3")], 1)
    assert [r.text for r in written] == ["which?", "a", "b", "c"] and all(r.id for r in written)
    chosen = store.load_conversation(cid)
    assert [m.text for m in chosen.messages] == ["which?", "b"] and chosen.title == "which?"
    assert store.versions(cid) == {written[2].id: Version(2, 3)}
    aside = store.replies_set_aside(cid)
    assert [(m.model, m.created_at, m.ended_at) for m in aside] == [("m1", 1.0, 2.0), ("m3", 1.0, 2.0)]
    # What is appended next follows the chosen reply.
    store.add_message(cid, user("next"))
    assert [m.text for m in store.load_conversation(cid).messages] == ["which?", "b", "next"]


def test_a_turn_set_aside_waits_as_a_version_of_the_next_prompt(store: Store) -> None:
    cid = store.create_conversation(title="kept title")
    first = store.add_messages(cid, [user("q1"), reply("a1", "m1")])
    store.add_turn(cid, user("compared"), [reply("x", "m1"), reply("y", "m2")], None)
    assert [m.text for m in store.load_conversation(cid).messages] == ["q1", "a1"]
    assert store.versions(cid) == {} and len(store.replies_set_aside(cid)) == 2
    # Choosing the first message again walks down the path last chosen, not into the set-aside prompt.
    assert store.choose_version(cid, first[0].id or 0) == first[0].id
    assert [m.text for m in store.load_conversation(cid).messages] == ["q1", "a1"]
    asked = store.add_message(cid, user("asked again"))
    assert store.versions(cid) == {asked.id: Version(2, 2)}
    compared = store.choose_version(cid, asked.id or 0, -1)
    assert compared is not None
    shown = store.load_conversation(cid).messages
    # Below the compared prompt no reply was ever chosen: the first model's shows, ‹ 1/2 ›.
    assert [m.text for m in shown] == ["q1", "a1", "compared", "x"]
    assert store.versions(cid)[shown[3].id or 0] == Version(1, 2)
    assert store.load_conversation(cid).title == "kept title"


def test_a_turn_for_a_missing_chat_writes_nothing(store: Store) -> None:
    with pytest.raises(InputError, match="no conversation"):
        store.add_turn(99, user("q"), [reply("a", "m1"), reply("b", "m2")], 0)
    with sqlite3.connect(store.db_path) as db:
        assert db.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 0
