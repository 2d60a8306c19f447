"""A huge reply comes from the store unread, and every reader still gets its exact whole text.

``Store.load_conversation`` hands out a reply's text part over ``big_text.DEFER_BYTES`` as a
``DeferredTextPart``: its text is read the first time it is asked for. Here the threshold is
scaled down (the path is the same), and the text is checked through every way it is used:
the record's text (copy), the request's history, export, replace, equality; its end read
alone starts at a whole character; text written unclean by an older version comes back clean;
a write that deletes or rewrites the row first reads what is still pending.
"""

from __future__ import annotations

import dataclasses
import threading

import pytest

from liaobots_tui.api import sanitize
from liaobots_tui.api.messages import Message, TextPart
from liaobots_tui.markdown_export import contained, conversation_markdown
from liaobots_tui.store import MessageRecord, Store, big_text
from liaobots_tui.store.big_text import DeferredTextPart, StoredText

#: The scaled-down threshold (bytes) and a reply a few times over it, with multi-byte characters.
DEFER = 4_000
REPLY = "".join(f"## Part {n}\n\nSome prose, 中文 and é, line {n}.\n\n" for n in range(400)) + "The end.\n"


@pytest.fixture(autouse=True)
def small_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(big_text, "DEFER_BYTES", DEFER)
    monkeypatch.setattr(big_text, "PIECE_BYTES", 1_000)  # several pieces, cut inside characters


def stored_chat(store: Store, reply: str = REPLY, prompt: str = "Write a lot") -> int:
    cid = store.create_conversation(title="huge")
    store.add_messages(
        cid, [Message("user", [TextPart(prompt)]), Message("assistant", [TextPart(reply)], model="m")]
    )
    return cid


def unread(part: object) -> bool:
    return isinstance(part, DeferredTextPart) and "text" not in vars(part)


def test_a_huge_reply_comes_back_unread_and_reads_whole_on_first_use(store: Store) -> None:
    assert len(REPLY.encode()) > 3 * DEFER
    cid = stored_chat(store)
    conversation = store.load_conversation(cid)
    prompt, reply = conversation.messages
    part = reply.parts[0]
    assert unread(part) and isinstance(part, TextPart)
    assert isinstance(part, DeferredTextPart) and part.stored.size == len(REPLY.encode())
    assert not unread(prompt.parts[0])  # small: read as before
    assert reply.text == REPLY  # what copy copies
    assert not unread(part)
    assert part.stored.loaded and part.text is part.stored.load()  # read once, one string


def test_every_reader_gets_the_exact_whole_text(store: Store) -> None:
    cid = stored_chat(store)
    conversation = store.load_conversation(cid)
    request = conversation.request()
    assert request.messages[1].text == REPLY  # the history sent with the next prompt
    assert contained(REPLY) in conversation_markdown(store.load_conversation(cid))  # export
    part = store.load_conversation(cid).messages[1].parts[0]
    assert part == TextPart(REPLY) and TextPart(REPLY) == part
    assert part != TextPart(REPLY + "x")
    changed = dataclasses.replace(part, provider_data={"openai": {"id": "x"}})
    assert changed.text == REPLY and changed.provider_data == {"openai": {"id": "x"}}
    assert REPLY[:50] not in repr(part)  # a repr never reads (or prints) 50 MB


def test_the_end_alone_starts_at_a_whole_character_and_is_how_the_text_ends(store: Store) -> None:
    cid = stored_chat(store)
    part = store.load_conversation(cid).messages[1].parts[0]
    assert isinstance(part, DeferredTextPart)
    for size in range(1, 40):  # every cut position around the multi-byte characters
        tail = part.stored.tail(size)
        assert REPLY.endswith(tail) and len(tail.encode()) <= size
        assert "\ufffd" not in tail
    assert unread(part)  # reading the end does not read the whole


def test_text_written_unclean_by_an_older_version_comes_back_clean(store: Store) -> None:
    dirty = REPLY.replace("line 7.", "line \x1b[2J7\x9b.") + "bye\x07\n"
    cid = stored_chat(store, reply="placeholder")
    with store._write() as db:  # as an older version, or a hand edit, left it
        db.execute("UPDATE parts SET text = ? WHERE text = 'placeholder'", (dirty,))
    part = store.load_conversation(cid).messages[1].parts[0]
    assert isinstance(part, DeferredTextPart)
    assert part.stored.tail(20) == sanitize.clean_text(dirty)[-len(part.stored.tail(20)) :]
    assert "\x07" not in part.stored.tail(20)
    assert part.text == sanitize.clean_text(dirty)


def test_the_check_for_controls_finds_what_clean_text_removes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(big_text, "_CHECK_BYTES", 7)  # windows cut inside characters
    for code in [*range(0x200), 0x4E2D, 0x1F600, 0x2028]:  # ASCII, C1, Latin, CJK, emoji
        char = chr(code)
        expected = sanitize.clean_text(char) != char
        assert big_text._has_unsafe(char.encode()) == expected, hex(code)
        assert big_text._has_unsafe(f"中文 text {char} é".encode()) == expected, hex(code)


def test_a_users_huge_prompt_is_read_as_before(store: Store) -> None:
    cid = stored_chat(store, reply="short", prompt=REPLY)
    prompt = store.load_conversation(cid).messages[0]
    assert type(prompt.parts[0]) is TextPart and prompt.text == REPLY


def test_an_interrupted_reply_with_chunks_is_read_whole(store: Store) -> None:
    cid = store.create_conversation()
    (_, reply) = store.add_messages(
        cid, [Message("user", [TextPart("go")]), MessageRecord(Message("assistant", []), status="streaming")]
    )
    writer = store.reply_writer(reply)
    writer.flush(reply.revised(parts=(TextPart(REPLY[:5000]),)))
    writer.flush(reply.revised(parts=(TextPart(REPLY),)))  # the rest as a chunk; the process "dies"
    loaded = store.load_conversation(cid).messages[1]
    assert type(loaded.parts[0]) is TextPart and loaded.text == REPLY and loaded.status == "failed"


@pytest.mark.parametrize("write", ["delete_from", "update", "delete_chat", "keep_versions", "fork"])
def test_a_write_reads_pending_texts_first_so_none_is_lost(store: Store, write: str) -> None:
    cid = stored_chat(store)
    reply = store.load_conversation(cid).messages[1]
    assert unread(reply.parts[0]) and reply.id is not None
    if write == "delete_from":
        store.delete_messages_from(cid, reply.id)
    elif write == "update":
        store.update_message(reply.revised(parts=(TextPart("rewritten"),)))
    elif write == "delete_chat":
        store.delete_conversation(cid)
    elif write == "keep_versions":
        store.keep_versions_from(cid, reply.id)
    else:
        fork = store.fork_conversation(cid, reply.id)
        assert store.load_conversation(fork).messages[1].text == REPLY
    assert reply.text == REPLY


def test_the_whole_text_can_be_read_in_a_thread_while_the_store_is_used(store: Store) -> None:
    cid = stored_chat(store)
    part = store.load_conversation(cid).messages[1].parts[0]
    assert isinstance(part, DeferredTextPart)
    read: list[str] = []
    thread = threading.Thread(target=lambda: read.append(part.stored.load()))
    thread.start()
    for _ in range(20):  # the UI thread's own calls meanwhile
        assert store.list_conversations()[0].id == cid
    thread.join()
    assert read == [REPLY] and part.text is read[0]


def test_a_row_deleted_by_another_process_reads_as_empty(store: Store) -> None:
    cid = stored_chat(store)
    part = store.load_conversation(cid).messages[1].parts[0]
    assert isinstance(part, DeferredTextPart)
    with store._lock:  # another process: the store's own writes would read it first
        store._db.execute("DELETE FROM parts WHERE id = ?", (part.stored.part_rowid,))
    assert part.text == ""


def test_stored_text_knows_its_size_without_reading(store: Store) -> None:
    cid = stored_chat(store)
    part = store.load_conversation(cid).messages[1].parts[0]
    assert isinstance(part, DeferredTextPart) and isinstance(part.stored, StoredText)
    assert "bytes" in repr(part.stored) and not part.stored.loaded
