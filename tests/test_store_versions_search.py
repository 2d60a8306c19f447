"""Store schema 3: versions of messages (one path chosen) and full-text search, and the upgrade to it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from liaobots_tui.api.messages import Message, ReasoningPart, TextPart
from liaobots_tui.store import SCHEMA_VERSION, MessageRecord, Store, Version
from liaobots_tui.store.search import fts_query

V2_DUMP = Path(__file__).parent / "fixtures" / "history_v2.sql"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "history.sqlite3"


@pytest.fixture
def store(db_path: Path, tmp_path: Path) -> Iterator[Store]:
    with Store(db_path, tmp_path / "images") as s:
        yield s


def user(text: str) -> Message:
    return Message("user", [TextPart(text)])


def reply(text: str, model: str = "gpt-5.4") -> Message:
    return Message("assistant", [TextPart(text)], model=model, format="openai")


def texts(store: Store, cid: int) -> list[str]:
    return [m.text for m in store.load_conversation(cid).messages]


def ids(store: Store, cid: int) -> list[int]:
    return [m.id for m in store.load_conversation(cid).messages if m.id is not None]


# ---------------------------------------------------------------- versions


def test_regenerated_reply_keeps_the_earlier_one_as_a_version(store: Store) -> None:
    cid = store.create_conversation()
    store.add_messages(cid, [user("q"), reply("first answer")])
    first = ids(store, cid)[1]
    store.keep_versions_from(cid, first)
    assert texts(store, cid) == ["q"]
    store.add_message(cid, reply("second answer"))
    assert texts(store, cid) == ["q", "second answer"]
    second = ids(store, cid)[1]
    assert store.versions(cid) == {second: Version(2, 2)}
    assert store.load_conversation(cid).messages[1].text == "second answer"
    # Back to the first: it is what loads (and what the next turn sends).
    assert store.choose_version(cid, second, -1) == first
    assert texts(store, cid) == ["q", "first answer"]
    assert store.versions(cid) == {first: Version(1, 2)}
    assert store.choose_version(cid, first, -1) is None  # no wrap past the first
    assert texts(store, cid) == ["q", "first answer"]
    # A new turn continues from the chosen version; the list counts only the chosen path.
    store.add_messages(cid, [user("q2"), reply("a2")])
    assert texts(store, cid) == ["q", "first answer", "q2", "a2"]
    assert store.list_conversations()[0].message_count == 4


def test_an_edit_keeps_the_old_prompt_and_its_whole_tail_and_comes_back_to_it(store: Store) -> None:
    cid = store.create_conversation()
    store.add_messages(cid, [user("q1"), reply("a1"), user("old q2"), reply("old a2")])
    old_prompt = ids(store, cid)[2]
    # Below the old prompt: a regenerated reply, the second one chosen.
    store.keep_versions_from(cid, ids(store, cid)[3])
    store.add_message(cid, reply("old a2 again"))
    store.keep_versions_from(cid, old_prompt)
    store.add_messages(cid, [user("new q2"), reply("new a2")])
    new_prompt = ids(store, cid)[2]
    assert texts(store, cid) == ["q1", "a1", "new q2", "new a2"]
    assert store.versions(cid) == {new_prompt: Version(2, 2)}
    assert store.choose_version(cid, new_prompt, -1) == old_prompt
    # The old prompt comes back with the reply last chosen under it, and its own versions.
    assert texts(store, cid) == ["q1", "a1", "old q2", "old a2 again"]
    assert store.versions(cid)[old_prompt] == Version(1, 2)
    assert store.versions(cid)[ids(store, cid)[3]] == Version(2, 2)
    store.choose_version(cid, old_prompt, 1)
    assert texts(store, cid) == ["q1", "a1", "new q2", "new a2"]


def test_versions_persist_across_a_restart(db_path: Path, tmp_path: Path) -> None:
    with Store(db_path, tmp_path / "images") as store:
        cid = store.create_conversation()
        store.add_messages(cid, [user("q"), reply("one")])
        for text in ("two", "three"):
            store.keep_versions_from(cid, ids(store, cid)[1])
            store.add_message(cid, reply(text))
        store.choose_version(cid, ids(store, cid)[1], -1)
    with Store(db_path, tmp_path / "images") as store:
        assert texts(store, cid) == ["q", "two"]
        assert list(store.versions(cid).values()) == [Version(2, 3)]
        store.keep_versions_from(cid, ids(store, cid)[1])
        store.add_message(cid, reply("four"))
        assert list(store.versions(cid).values()) == [Version(4, 4)]


def test_an_empty_failed_reply_is_not_kept_as_a_version(store: Store) -> None:
    cid = store.create_conversation()
    failed = MessageRecord(Message("assistant", []), status="failed", error="502")
    store.add_messages(cid, [user("q"), failed])
    store.keep_versions_from(cid, ids(store, cid)[1])
    store.add_message(cid, reply("answer"))
    assert store.versions(cid) == {}
    assert texts(store, cid) == ["q", "answer"]


def test_deleting_messages_takes_their_versions_along(store: Store, db_path: Path) -> None:
    cid = store.create_conversation()
    store.add_messages(cid, [user("q"), reply("one")])
    store.keep_versions_from(cid, ids(store, cid)[1])
    store.add_message(cid, reply("two"))
    store.delete_messages_from(cid, ids(store, cid)[0])
    assert texts(store, cid) == []
    with closing(sqlite3.connect(db_path)) as db:
        assert db.execute("SELECT COUNT(*) FROM messages").fetchone() == (0,)
        assert db.execute("SELECT COUNT(*) FROM message_text").fetchone() == (0,)
    store.add_message(cid, user("fresh start"))  # seq restarts at 1 on an empty chosen path
    assert texts(store, cid) == ["fresh start"]


def test_choosing_a_message_of_another_conversation_changes_nothing(store: Store) -> None:
    a = store.create_conversation()
    b = store.create_conversation()
    store.add_messages(a, [user("qa"), reply("ra")])
    store.add_messages(b, [user("qb")])
    assert store.choose_version(b, ids(store, a)[1]) is None
    assert texts(store, b) == ["qb"]
    assert store.keep_versions_from(b, ids(store, a)[1]) is None
    assert texts(store, a) == ["qa", "ra"]


# ---------------------------------------------------------------- search


def test_search_finds_words_by_prefix_newest_first_with_a_marked_snippet(store: Store) -> None:
    a = store.create_conversation(settings={"model": "claude-sonnet-4-6"})
    store.add_messages(a, [user("How do lifetimes work?"), reply("Lifetimes bound references.")])
    b = store.create_conversation()
    store.add_messages(b, [user("tomato soup"), reply("Roast tomatoes; lifetime of a soup is 3 days")])
    hits = store.search_messages("lifetime")
    assert [(h.conversation_id, h.role) for h in hits] == [(b, "assistant"), (a, "assistant"), (a, "user")]
    assert hits[2].model == "claude-sonnet-4-6"  # a prompt: the chat's model
    assert hits[0].model == "gpt-5.4"
    top = hits[0]
    assert [top.snippet[s:e] for s, e in top.highlights] == ["lifetime"]
    assert store.search_messages("lifetimes work")[0].message_id == ids(store, a)[0]  # every word
    assert store.search_messages("lifetime", limit=1, offset=1)[0].conversation_id == a
    assert store.search_messages("nothing-like-this") == []


def test_what_the_user_types_is_never_fts_syntax(store: Store) -> None:
    cid = store.create_conversation()
    store.add_messages(cid, [user('use c++ and "quotes" NEAR( AND OR * ^col:x')])
    for query in ['"', "c++", "NEAR(", "AND", "*", "^col:x", ")(", "   ", ""]:
        store.search_messages(query)  # no error, whatever it finds
    assert len(store.search_messages('"quotes" NEAR(')) == 1
    assert fts_query("  ") is None and fts_query("++ --") is None
    assert fts_query('say "hi"') == '"say"* """hi"""*'


def test_search_sees_only_the_chosen_versions_and_follows_edits_and_deletes(store: Store) -> None:
    cid = store.create_conversation()
    store.add_messages(cid, [user("q"), reply("zebra answer")])
    store.keep_versions_from(cid, ids(store, cid)[1])
    store.add_message(cid, reply("giraffe answer"))
    assert store.search_messages("zebra") == []
    assert len(store.search_messages("giraffe")) == 1
    store.choose_version(cid, ids(store, cid)[1], -1)
    assert [h.message_id for h in store.search_messages("zebra")] == [ids(store, cid)[1]]
    message = store.load_conversation(cid).messages[1]
    store.update_message(message.revised(parts=[ReasoningPart("secret thoughts"), TextPart("okapi now")]))
    assert store.search_messages("zebra") == [] and store.search_messages("thoughts") == []
    assert len(store.search_messages("okapi")) == 1
    store.delete_conversation(cid)
    assert store.search_messages("okapi") == [] and store.search_messages("giraffe") == []


def test_a_streamed_reply_is_searchable_once_it_ends(store: Store) -> None:
    cid = store.create_conversation()
    placeholder = MessageRecord(Message("assistant", model="gpt-5.4", format="openai"), status="streaming")
    _, streaming = store.add_messages(cid, [user("q"), placeholder])
    writer = store.reply_writer(streaming)
    writer.flush(streaming.revised(parts=[TextPart("partial")]))
    streaming = streaming.revised(parts=[TextPart("partial then wombat")])
    writer.flush(streaming)
    writer.finish(streaming.ended("complete", 1.0))
    assert [h.message_id for h in store.search_messages("wombat")] == [streaming.id]


def test_hostile_text_comes_back_as_one_clean_bounded_line(store: Store) -> None:
    cid = store.create_conversation(title="t\x1b[31m")
    store.add_messages(cid, [reply("needle\x1b]0;pwned\x07 \x01x\x02 \n\n next line " + "word " * 500)])
    (hit,) = store.search_messages("needle")
    assert "\x1b" not in hit.snippet and "\n" not in hit.snippet and "\x01" not in hit.snippet
    assert "\x1b" not in hit.title
    assert len(hit.snippet) <= 240
    assert [hit.snippet[s:e] for s, e in hit.highlights] == ["needle"]


# ---------------------------------------------------------------- upgrade


def test_a_database_written_at_schema_2_upgrades_indexed_with_one_path(db_path: Path, tmp_path: Path) -> None:
    with closing(sqlite3.connect(db_path)) as db:
        db.executescript(V2_DUMP.read_text(encoding="utf-8"))
    with Store(db_path, tmp_path / "images") as store:
        assert [m.text for m in store.load_conversation(1).messages] == [
            "How do lifetimes work in Rust?",
            "Lifetimes tell the borrow checker how long references live.",
            "And elision?",
        ]
        assert store.versions(1) == {} and store.versions(2) == {}
        # Indexed on upgrade, the interrupted reply with its streamed chunks; thinking is not.
        assert {h.message_id for h in store.search_messages("lifetimes")} == {1, 2}
        assert [h.message_id for h in store.search_messages("basil")] == [5]
        assert store.search_messages("borrowck") == []
        # The old path goes on: a regenerate keeps the old reply as a version.
        store.keep_versions_from(1, 2)
        store.add_messages(1, [reply("Lifetimes, again.")])
        assert [m.text for m in store.load_conversation(1).messages][1:] == ["Lifetimes, again."]
        assert list(store.versions(1).values()) == [Version(2, 2)]
        store.choose_version(1, store.load_conversation(1).messages[1].id or 0, -1)
        assert [m.text for m in store.load_conversation(1).messages][2] == "And elision?"
    with closing(sqlite3.connect(db_path)) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        tree = db.execute("SELECT id, parent_id FROM messages WHERE conversation_id = 1 ORDER BY id")
        assert tree.fetchall() == [(1, None), (2, 1), (3, 2), (6, 1)]
