"""The SQLite history store: round trips, images on disk, listing, deletion, concurrency, schema."""

from __future__ import annotations

import io
import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from liaobots_tui.api.messages import (
    ImagePart,
    Message,
    ReasoningPart,
    Source,
    TextPart,
    Usage,
)
from liaobots_tui.errors import InputError, StorageError
from liaobots_tui.store import SCHEMA_VERSION, ConversationSummary, MessageRecord, Store, title_from_text
from liaobots_tui.store import database as store_module


def image_bytes(fmt: str, colour: tuple[int, int, int] = (200, 30, 10)) -> bytes:
    """A real, tiny image in Pillow format ``fmt`` (the store checks what the bytes are)."""
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), colour).save(buffer, format=fmt)
    return buffer.getvalue()


PNG = image_bytes("PNG")
JPEG = image_bytes("JPEG")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "history.sqlite3"


@pytest.fixture
def images(tmp_path: Path) -> Path:
    return tmp_path / "data" / "images"


@pytest.fixture
def store(db_path: Path, images: Path) -> Iterator[Store]:
    with Store(db_path, images) as s:
        yield s


def user(text: str, *extra: TextPart | ImagePart) -> Message:
    return Message(role="user", parts=[TextPart(text), *extra])


def assistant(text: str, **kwargs: object) -> Message:
    return Message(role="assistant", parts=[TextPart(text)], model="gpt-5.4", format="openai", **kwargs)  # type: ignore[arg-type]


def raw(db_path: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    """Read the file with a separate connection, as another process would."""
    with closing(sqlite3.connect(db_path)) as db:
        return db.execute(sql, params).fetchall()


# ---------------------------------------------------------------- schema and lifecycle


class TestSchema:
    def test_new_file_has_schema_version_and_wal(self, store: Store, db_path: Path) -> None:
        assert raw(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
        assert SCHEMA_VERSION == 3
        assert raw(db_path, "PRAGMA journal_mode") == [("wal",)]
        assert store._db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert store._db.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
        tables = {r[0] for r in raw(db_path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
        # message_text is the FTS5 index; its shadow tables (message_text_data, …) are SQLite's.
        assert {t for t in tables if not t.startswith("message_text_")} == {
            "conversations", "messages", "parts", "part_chunks", "message_text"
        }

    @pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
    def test_db_file_private(self, store: Store, db_path: Path) -> None:
        assert stat.S_IMODE(db_path.stat().st_mode) == 0o600

    def test_reopen_existing(self, db_path: Path, images: Path) -> None:
        with Store(db_path, images) as s:
            cid = s.create_conversation(title="kept")
            s.add_message(cid, user("hello"))
        with Store(db_path, images) as s:
            conv = s.load_conversation(cid)
            assert (conv.id, conv.title, [m.text for m in conv.messages]) == (cid, "kept", ["hello"])
            assert s.add_message(cid, assistant("hi")).id == 2
        assert raw(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]

    def test_migration_runs_from_empty_file(self, db_path: Path, images: Path) -> None:
        db_path.parent.mkdir(parents=True)
        sqlite3.connect(db_path).close()  # an existing, empty database (version 0)
        with Store(db_path, images) as s:
            assert s.count_conversations() == 0
        assert raw(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]

    def test_newer_schema_refused(self, db_path: Path, images: Path) -> None:
        Store(db_path, images).close()
        with closing(sqlite3.connect(db_path)) as db:
            db.execute("PRAGMA user_version = 99")
        with pytest.raises(StorageError) as excinfo:
            Store(db_path, images)
        assert str(excinfo.value) == (
            f"{db_path}: history database has schema version 99, newer than this liaobots-tui"
            " understands (3); upgrade liaobots-tui"
        )

    def test_not_a_database(self, db_path: Path, images: Path) -> None:
        db_path.parent.mkdir(parents=True)
        db_path.write_bytes(b"this is not sqlite" * 100)
        with pytest.raises(StorageError) as excinfo:
            Store(db_path, images)
        assert str(excinfo.value) == f"{db_path}: cannot use history database (file is not a database)"

    def test_context_manager_closes(self, db_path: Path, images: Path) -> None:
        with Store(db_path, images) as s:
            pass
        with pytest.raises(sqlite3.ProgrammingError):
            s.count_conversations()
        s.close()  # twice is fine


# ---------------------------------------------------------------- round trips


class TestRoundTrip:
    def test_every_part_kind(self, store: Store, images: Path) -> None:
        cid = store.create_conversation(system="Be terse.", settings={"model": "gemini-3-pro"})
        question = Message(
            role="user",
            parts=[TextPart("Draw a cat"), ImagePart(PNG, mime_type="image/png")],
        )
        answer = Message(
            role="assistant",
            parts=[
                ReasoningPart("Thinking about cats", provider_data={"anthropic": {"signature": "sig-abc=="}}),
                ReasoningPart("", provider_data={"anthropic": {"redacted": "opaque-blob"}}),
                TextPart("Here it is", provider_data={"gemini": {"thoughtSignature": "c2lnLTE="}}),
                ImagePart(
                    JPEG,
                    mime_type="image/jpeg",
                    generated=True,
                    provider_data={"gemini": {"thoughtSignature": "c2lnLTI="}},
                ),
                ReasoningPart(
                    "r", provider_data={"responses": {"id": "rs_1", "encrypted_content": "enc"}, "gemini": {}}
                ),
            ],
            model="gemini-3-pro-image",
            format="gemini",
            usage=Usage(input_tokens=10, output_tokens=20, reasoning_tokens=5, cache_read_tokens=1),
            finish_reason="stop",
            sources=[Source("https://a.example/x", "A"), Source("https://b.example")],
        )
        saved_q = store.add_message(cid, MessageRecord(question, created_at=1000.0))
        saved_a = store.add_message(cid, MessageRecord(answer, created_at=1001.5, ended_at=1002.0))
        qid, aid = saved_q.id, saved_a.id
        assert (saved_q.message.role, saved_a.status, saved_a.created_at, saved_a.ended_at) == (
            "user",
            "complete",
            1001.5,
            1002.0,
        )

        conv = store.load_conversation(cid)
        assert (conv.id, conv.system, conv.title) == (cid, "Be terse.", "Draw a cat")
        assert len(conv.messages) == 2
        loaded_q, loaded_a = conv.messages

        # Images come back lazy: same everything, but no bytes in memory.
        def lazy(m: MessageRecord) -> MessageRecord:
            return m.revised(parts=[replace(p, data=b"") if isinstance(p, ImagePart) else p for p in m.parts])

        assert loaded_q == lazy(saved_q)
        assert loaded_a == lazy(saved_a)
        assert loaded_a.message == lazy(saved_a).message
        assert loaded_q.parts[1].load() == PNG  # type: ignore[union-attr]
        assert loaded_a.parts[3].load() == JPEG  # type: ignore[union-attr]
        assert loaded_a.images[0].path == str(images / str(cid) / f"{aid}-3.jpg")
        assert loaded_q.images[0].path == str(images / str(cid) / f"{qid}-1.png")
        assert store.conversation_settings(cid) == {"model": "gemini-3-pro"}

    def test_failed_and_cancelled_messages(self, store: Store) -> None:
        cid = store.create_conversation()
        store.add_message(cid, user("q"))
        failed = MessageRecord(
            assistant("partial", finish_reason="error"), status="failed", error="Out of credits: balance 0"
        )
        cancelled = MessageRecord(assistant("", finish_reason="cancelled"), status="cancelled")
        store.add_message(cid, failed)
        store.add_message(cid, cancelled)
        loaded = store.load_conversation(cid).messages
        assert [(m.status, m.error, m.finish_reason, m.text) for m in loaded] == [
            ("complete", None, None, "q"),
            ("failed", "Out of credits: balance 0", "error", "partial"),
            ("cancelled", None, "cancelled", ""),
        ]
        assert loaded[1].usage is None and loaded[1].sources == ()

    def test_created_at_set_when_missing(self, store: Store) -> None:
        cid = store.create_conversation()
        m = store.add_message(cid, user("q"))
        assert m.created_at > 0
        assert store.load_conversation(cid).messages[0].created_at == m.created_at

    def test_unicode_and_large_text(self, store: Store) -> None:
        cid = store.create_conversation()
        text = "你好 🌍 ünïcode\x00nul " * 5000
        store.add_message(cid, user(text))
        assert store.load_conversation(cid).messages[0].text == text

    def test_reply_text_stored_by_an_older_version_reads_terminal_safe(
        self, store: Store, db_path: Path
    ) -> None:
        cid = store.create_conversation()
        store.add_message(cid, assistant("safe"))
        with closing(sqlite3.connect(db_path)) as db, db:
            db.execute("UPDATE parts SET text = ?", ("title\x1b]2;pwned\x07 and \x9b2J clear\n",))
            db.execute(
                "UPDATE messages SET error = ?, model = ?", ("bad\x1b[31m", "gpt\x1b]52;c;Y3VybA==\x07")
            )
        reply = store.load_conversation(cid).messages[0]
        assert reply.text == "title]2;pwned and 2J clear\n"
        assert reply.error == "bad [31m" and reply.model == "gpt ]52;c;Y3VybA=="

    def test_missing_conversation(self, store: Store) -> None:
        for call in (
            lambda: store.load_conversation(42),
            lambda: store.conversation_settings(42),
            lambda: store.add_message(42, user("x")),
            lambda: store.rename_conversation(42, "t"),
            lambda: store.update_conversation(42, system=None),
        ):
            with pytest.raises(InputError) as excinfo:
                call()
            assert str(excinfo.value) == "no conversation 42"


class TestImages:
    def test_written_before_rows_and_lazily_loaded(self, store: Store, images: Path) -> None:
        cid = store.create_conversation()
        part = ImagePart(PNG)
        given = user("look", part)
        message = store.add_message(cid, given)
        mid = message.id
        expected = images / str(cid) / f"{mid}-1.png"
        # Parts are values: the saved record points at the file; the message given stays as it was.
        assert part.path is None and given.images[0].path is None and message.images[0].path == str(expected)
        assert expected.read_bytes() == PNG
        assert raw(store.db_path, "SELECT path FROM parts WHERE kind = 'image'") == [(f"{cid}/{mid}-1.png",)]
        loaded = store.load_conversation(cid).messages[0].images[0]
        assert (loaded.data, loaded.path, loaded.mime_type) == (b"", str(expected), "image/png")
        assert loaded.load() == PNG

    def test_extension_comes_from_the_bytes_never_the_mime_type(self, store: Store, images: Path) -> None:
        cid = store.create_conversation()
        parts = [
            ImagePart(image_bytes("WEBP"), mime_type="image/png"),
            ImagePart(image_bytes("GIF"), mime_type="application/hta"),
            ImagePart(JPEG, mime_type="image/svg+xml"),
            ImagePart(b"<html><script>alert(1)</script>", mime_type="text/html"),
            ImagePart(image_bytes("BMP"), mime_type="image/bmp"),
        ]
        message = store.add_message(cid, Message(role="user", parts=list(parts)))
        mid = message.id
        assert [Path(p.path or "").name for p in message.images] == [
            f"{mid}-0.webp",
            f"{mid}-1.gif",
            f"{mid}-2.jpg",
            f"{mid}-3.bin",
            f"{mid}-4.bin",
        ]

    def test_attachment_outside_store_is_copied(self, store: Store, images: Path, tmp_path: Path) -> None:
        original = tmp_path / "photos" / "cat.png"
        original.parent.mkdir()
        original.write_bytes(PNG)
        cid = store.create_conversation()
        message = store.add_message(cid, user("see", ImagePart(b"", path=str(original))))
        assert message.images[0].path == str(images / str(cid) / f"{message.id}-1.png")
        original.unlink()
        assert store.load_conversation(cid).messages[0].images[0].load() == PNG

    def test_missing_file_without_bytes_keeps_reference(self, store: Store, tmp_path: Path) -> None:
        cid = store.create_conversation()
        gone = str(tmp_path / "gone.png")
        store.add_message(cid, user("x", ImagePart(b"", path=gone)))
        assert store.load_conversation(cid).messages[0].images[0].path == gone

    def test_save_image_then_record(self, store: Store, images: Path) -> None:
        cid = store.create_conversation()
        part = store.save_generated_image(cid, ImagePart(JPEG, mime_type="image/png", generated=True))
        assert part.path is not None and part.data == b"" and part.mime_type == "image/jpeg"
        saved = Path(part.path)
        assert saved.parent == images / str(cid)
        assert saved.suffix == ".jpg"
        assert saved.read_bytes() == JPEG
        second = Path(store.save_generated_image(cid, ImagePart(PNG, generated=True)).path or "")
        assert second != saved
        store.add_message(cid, Message(role="assistant", parts=[part]))
        # Recorded where it is, not copied again.
        assert part.path == str(saved)
        assert sorted(p.name for p in (images / str(cid)).iterdir()) == sorted([saved.name, second.name])
        assert raw(store.db_path, "SELECT path FROM parts") == [(f"{cid}/{saved.name}",)]

    def test_image_from_another_conversation_is_copied(self, store: Store, images: Path) -> None:
        a = store.create_conversation()
        b = store.create_conversation()
        first = store.add_message(a, user("x", ImagePart(PNG)))
        again = store.add_message(b, user("again", ImagePart(b"", path=first.images[0].path)))
        assert again.images[0].path == str(images / str(b) / f"{again.id}-1.png")
        store.delete_conversation(a)
        assert store.load_conversation(b).messages[0].images[0].load() == PNG

    def test_name_clash_never_overwrites(self, store: Store, images: Path) -> None:
        cid = store.create_conversation()
        message = store.add_message(
            cid, MessageRecord(Message(role="assistant", parts=[ImagePart(PNG)]), status="streaming")
        )
        mid = message.id
        first = message.parts[0]
        # A reordered update puts a new image at index 0, where the old file's name would go.
        other = image_bytes("PNG", (0, 90, 200))
        store.update_message(message.revised(parts=[ImagePart(other), first]))
        names = sorted(p.name for p in (images / str(cid)).iterdir())
        assert names == [f"{mid}-0-2.png", f"{mid}-0.png"]
        loaded = store.load_conversation(cid).messages[0].images
        assert [i.load() for i in loaded] == [other, PNG]

    def test_relative_paths_survive_moving_the_data_dir(self, tmp_path: Path) -> None:
        old = tmp_path / "old"
        with Store(old / "h.sqlite3", old / "images") as s:
            cid = s.create_conversation()
            s.add_message(cid, user("x", ImagePart(PNG)))
        new = tmp_path / "new"
        old.rename(new)
        with Store(new / "h.sqlite3", new / "images") as s:
            image = s.load_conversation(cid).messages[0].images[0]
            assert image.path is not None and image.path.startswith(str(new))
            assert image.load() == PNG


# ---------------------------------------------------------------- titles


class TestTitles:
    def test_first_user_text_becomes_title(self, store: Store) -> None:
        cid = store.create_conversation()
        store.add_message(cid, Message(role="user", parts=[ImagePart(PNG)]))  # no text yet
        assert store.load_conversation(cid).title == ""
        store.add_message(cid, user("\n\n  How do   I parse\tTOML?  \nsecond line"))
        store.add_message(cid, user("later question"))
        assert store.load_conversation(cid).title == "How do I parse TOML?"

    def test_assistant_text_does_not_title(self, store: Store) -> None:
        cid = store.create_conversation()
        store.add_message(cid, assistant("hello"))
        assert store.load_conversation(cid).title == ""

    def test_given_title_kept(self, store: Store) -> None:
        cid = store.create_conversation(title="Mine")
        store.add_message(cid, user("question"))
        assert store.load_conversation(cid).title == "Mine"

    def test_title_truncated(self) -> None:
        long = "word " * 30
        title = title_from_text(long)
        assert len(title) == 60
        assert title == ("word " * 12).rstrip()[:59].rstrip() + "…"
        assert title_from_text("x" * 60) == "x" * 60
        assert title_from_text("x" * 61) == "x" * 59 + "…"
        assert title_from_text("  \n \n") == ""

    def test_rename_and_update(self, store: Store) -> None:
        cid = store.create_conversation(title="a", system="s", settings={"model": "m"})
        store.rename_conversation(cid, "b")
        store.update_conversation(cid, settings={"model": "n", "format": "anthropic"})
        conv = store.load_conversation(cid)
        assert (conv.title, conv.system) == ("b", "s")  # system untouched when not given
        store.update_conversation(cid, system=None)
        assert store.load_conversation(cid).system is None
        assert store.conversation_settings(cid) == {"model": "n", "format": "anthropic"}
        store.update_conversation(cid, system="new", title="c")
        conv = store.load_conversation(cid)
        assert (conv.title, conv.system) == ("c", "new")


# ---------------------------------------------------------------- listing


class TestListing:
    def test_newest_first_and_touch_order(self, store: Store) -> None:
        a = store.create_conversation(title="A")
        b = store.create_conversation(title="B")
        c = store.create_conversation(title="C")
        assert [s.id for s in store.list_conversations()] == [c, b, a]
        store.add_message(a, user("bump"))
        assert [s.id for s in store.list_conversations()] == [a, c, b]
        assert store.latest_conversation_id() == a
        # Metadata changes do not reorder the history.
        store.rename_conversation(b, "B2")
        store.update_conversation(b, settings={"model": "x"})
        assert [s.id for s in store.list_conversations()] == [a, c, b]

    def test_summary_fields(self, store: Store) -> None:
        a = store.create_conversation(title="A", settings={"model": "claude-opus-4-7", "format": "anthropic"})
        b = store.create_conversation(title="B")
        store.add_message(b, user("q"))
        store.add_message(b, assistant("x"))
        reply = Message(role="assistant", parts=[TextPart("y")], model="gemini-3-pro", format="gemini")
        store.add_message(b, reply)
        summaries = {s.id: s for s in store.list_conversations()}
        sa, sb = summaries[a], summaries[b]
        assert (sa.model, sa.format, sa.message_count) == ("claude-opus-4-7", "anthropic", 0)
        assert (sb.title, sb.model, sb.format, sb.message_count) == ("B", "gemini-3-pro", "gemini", 3)
        assert isinstance(sb, ConversationSummary)
        assert sb.updated_at > sb.created_at

    def test_empty(self, store: Store) -> None:
        assert store.list_conversations() == []
        assert store.count_conversations() == 0
        assert store.latest_conversation_id() is None

    def test_search(self, store: Store) -> None:
        t = store.create_conversation(title="TOML parsing")
        body = store.create_conversation(title="other")
        store.add_message(body, user("question"))
        store.add_message(body, assistant("Use tomllib to parse it"))
        hidden = store.create_conversation(title="reasoning only")
        store.add_message(
            hidden, Message(role="assistant", parts=[ReasoningPart("toml thoughts"), TextPart("answer")])
        )
        pct = store.create_conversation(title="100% sure")
        under = store.create_conversation(title="snake_case")
        assert [s.id for s in store.list_conversations(search="toml")] == [body, t]
        assert [s.id for s in store.list_conversations(search="TOMLLIB")] == [body]
        assert store.count_conversations(search="toml") == 2
        assert [s.id for s in store.list_conversations(search="%")] == [pct]
        assert [s.id for s in store.list_conversations(search="e_c")] == [under]
        assert store.list_conversations(search="nothing here") == []
        assert store.count_conversations(search="nothing here") == 0
        assert len(store.list_conversations(search="")) == 5  # empty search = no filter

    def test_paging(self, store: Store) -> None:
        ids = [store.create_conversation(title=f"c{i}") for i in range(7)]
        newest_first = ids[::-1]
        assert [s.id for s in store.list_conversations(limit=3)] == newest_first[:3]
        assert [s.id for s in store.list_conversations(limit=3, offset=3)] == newest_first[3:6]
        assert [s.id for s in store.list_conversations(limit=3, offset=6)] == newest_first[6:]
        assert store.list_conversations(limit=3, offset=7) == []
        assert store.count_conversations() == 7

    def test_ten_thousand_conversations_are_paged(self, store: Store, db_path: Path) -> None:
        # Bulk insert through a second connection, as another process would.
        with closing(sqlite3.connect(db_path)) as db, db:
            db.executemany(
                "INSERT INTO conversations (title, settings_json, created_at, updated_at)"
                " VALUES (?, '{}', ?, ?)",
                [(f"conv {i}", float(i), float(i)) for i in range(10_000)],
            )
        assert store.count_conversations() == 10_000
        assert store.count_conversations(search="conv 99") == 111  # 99, 990-999, 9900-9999
        page = store.list_conversations(limit=50, offset=9_990)
        assert [s.title for s in page] == [f"conv {i}" for i in range(9, -1, -1)]
        assert [s.title for s in store.list_conversations(limit=2)] == ["conv 9999", "conv 9998"]
        # The listing walks the updated_at index: no sort of the whole table.
        plan = " | ".join(
            str(row[-1])
            for row in store._db.execute(
                "EXPLAIN QUERY PLAN " + store_module._SUMMARY_SQL + " ORDER BY c.updated_at DESC, c.id DESC"
                " LIMIT 100 OFFSET 0"
            )
        )
        assert "conversations_by_updated" in plan
        assert "TEMP B-TREE" not in plan


# ---------------------------------------------------------------- updates and deletion


class TestUpdatesAndDeletion:
    def test_update_message_streaming_flushes(self, store: Store) -> None:
        cid = store.create_conversation()
        store.add_message(cid, user("q"))
        reply = store.add_message(
            cid,
            MessageRecord(
                Message(role="assistant", parts=[], model="claude-x", format="anthropic"), status="streaming"
            ),
        )
        mid = reply.id
        chunk = "x" * 1000
        for i in range(1, 101):  # a 100 kB reply flushed as it grows
            reply = store.update_message(reply.revised(parts=[ReasoningPart("think"), TextPart(chunk * i)]))
        final = replace(
            reply.revised(
                parts=[*reply.parts, TextPart("tail", provider_data={"anthropic": {"x": 1}})],
                finish_reason="stop",
                usage=Usage(input_tokens=3, output_tokens=4),
                sources=[Source("https://s.example", "S")],
            ),
            status="complete",
            ended_at=5.0,
        )
        assert store.update_message(final) == final
        loaded = store.load_conversation(cid).messages[1]
        assert loaded == final
        assert loaded.id == mid
        assert len(loaded.text) == 100_004
        assert raw(store.db_path, "SELECT COUNT(*) FROM parts WHERE message_id = ?", mid) == [(3,)]

    def test_update_message_fewer_parts(self, store: Store) -> None:
        cid = store.create_conversation()
        m = store.add_message(cid, Message(role="assistant", parts=[TextPart("a"), TextPart("b")]))
        store.update_message(m.revised(parts=[TextPart("c")]).failed("Network error: reset"))
        loaded = store.load_conversation(cid).messages[0]
        assert (loaded.text, loaded.status, loaded.error) == ("c", "failed", "Network error: reset")

    def test_update_message_moves_conversation_up(self, store: Store) -> None:
        a = store.create_conversation()
        m = store.add_message(a, assistant("x"))
        b = store.create_conversation()
        assert store.latest_conversation_id() == b
        store.update_message(m)
        assert store.latest_conversation_id() == a

    def test_update_unsaved_or_missing(self, store: Store) -> None:
        with pytest.raises(ValueError, match="id is None"):
            store.update_message(MessageRecord(assistant("x")))
        with pytest.raises(InputError) as excinfo:
            store.update_message(MessageRecord(assistant("x"), id=999))
        assert str(excinfo.value) == "no message 999"

    def test_delete_conversation_removes_images(self, store: Store, images: Path, db_path: Path) -> None:
        keep = store.create_conversation()
        store.add_message(keep, user("k", ImagePart(PNG)))
        gone = store.create_conversation()
        store.add_message(gone, user("g", ImagePart(PNG)))
        store.save_generated_image(gone, ImagePart(JPEG, generated=True))  # saved but not yet recorded
        assert (images / str(gone)).is_dir()
        store.delete_conversation(gone)
        assert not (images / str(gone)).exists()
        assert (images / str(keep)).is_dir()
        with pytest.raises(InputError):
            store.load_conversation(gone)
        assert raw(db_path, "SELECT COUNT(*) FROM messages") == [(1,)]
        assert raw(db_path, "SELECT COUNT(*) FROM parts") == [(2,)]
        store.delete_conversation(gone)  # already gone: no error
        assert [s.id for s in store.list_conversations()] == [keep]

    def test_delete_messages_from(self, store: Store, db_path: Path) -> None:
        cid = store.create_conversation()
        other = store.create_conversation()
        ids = [
            store.add_message(cid, m).id
            for m in (user("1"), assistant("2"), user("3", ImagePart(PNG)), assistant("4"))
        ]
        other_id = store.add_message(other, user("elsewhere")).id
        assert other_id is not None and ids[0] is not None and ids[2] is not None
        store.delete_messages_from(cid, other_id)  # not in this conversation: nothing happens
        assert len(store.load_conversation(other).messages) == 1
        image_path = store.load_conversation(cid).messages[2].images[0].path
        store.delete_messages_from(cid, ids[2])
        assert [m.text for m in store.load_conversation(cid).messages] == ["1", "2"]
        assert raw(db_path, "SELECT COUNT(*) FROM parts p JOIN messages m ON p.message_id = m.id"
                   " WHERE m.conversation_id = ?", cid) == [(2,)]  # fmt: skip
        # The file stays so edit & resend can re-add the same attachment.
        assert image_path is not None and Path(image_path).read_bytes() == PNG
        resent = store.add_message(cid, user("3 edited", ImagePart(b"", path=image_path)))
        conv = store.load_conversation(cid)
        assert [m.text for m in conv.messages] == ["1", "2", "3 edited"]
        assert conv.messages[2] == resent
        assert conv.messages[2].images[0].load() == PNG
        store.delete_messages_from(cid, ids[0])
        assert store.load_conversation(cid).messages == ()


# ---------------------------------------------------------------- crashes and concurrency


class TestInterruptedAndConcurrent:
    def test_stale_streaming_message_loads_as_interrupted(self, db_path: Path, images: Path) -> None:
        s = Store(db_path, images)
        cid = s.create_conversation()
        s.add_message(cid, user("q"))
        reply = s.add_message(
            cid, MessageRecord(Message(role="assistant", parts=[TextPart("half a rep")]), status="streaming")
        )
        s._db.close()  # the process dies without finishing the reply (no final update)
        with Store(db_path, images) as again:
            loaded = again.load_conversation(cid).messages[1]
            assert (loaded.status, loaded.error, loaded.text) == ("failed", "interrupted", "half a rep")
        # Only the reading is mapped; the row is untouched, so a live writer can still finish it.
        assert raw(db_path, "SELECT status, error FROM messages WHERE id = ?", reply.id) == [
            ("streaming", None)
        ]

    def test_stale_streaming_keeps_its_error(self, store: Store) -> None:
        cid = store.create_conversation()
        stale = MessageRecord(assistant("x"), status="streaming", error="Rate limited: retrying")
        store.add_message(cid, stale)
        loaded = store.load_conversation(cid).messages[0]
        assert (loaded.status, loaded.error) == ("failed", "Rate limited: retrying")

    def test_two_stores_alternating(self, db_path: Path, images: Path) -> None:
        with Store(db_path, images) as app, Store(db_path, images) as cli:
            cid = app.create_conversation()
            for i in range(20):
                writer = app if i % 2 == 0 else cli
                writer.add_message(cid, user(f"m{i}"))
            # Each sees the other's writes immediately.
            assert [m.text for m in app.load_conversation(cid).messages] == [f"m{i}" for i in range(20)]
            assert cli.latest_conversation_id() == cid
            assert raw(db_path, "SELECT seq FROM messages ORDER BY seq") == [(i,) for i in range(1, 21)]

    def test_two_stores_writing_at_once(self, db_path: Path, images: Path) -> None:
        Store(db_path, images).close()
        with Store(db_path, images) as setup:
            cid = setup.create_conversation()
        errors: list[BaseException] = []
        barrier = threading.Barrier(2)

        def write_many(tag: str) -> None:
            try:
                with Store(db_path, images) as s:
                    barrier.wait()
                    for i in range(50):
                        m = MessageRecord(
                            Message(role="assistant", parts=[TextPart(f"{tag}{i}")]), status="streaming"
                        )
                        s.update_message(replace(s.add_message(cid, m), status="complete"))
                        s.create_conversation(title=f"{tag}{i}")
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=write_many, args=(t,)) for t in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        with Store(db_path, images) as s:
            texts = [m.text for m in s.load_conversation(cid).messages]
            assert sorted(texts) == sorted([f"a{i}" for i in range(50)] + [f"b{i}" for i in range(50)])
            assert [t for t in texts if t.startswith("a")] == [f"a{i}" for i in range(50)]
            assert {m.status for m in s.load_conversation(cid).messages} == {"complete"}
            assert s.count_conversations() == 101

    def test_one_store_shared_by_threads(self, store: Store) -> None:
        cid = store.create_conversation()
        threads = [
            threading.Thread(target=lambda n=n: [store.add_message(cid, user(f"{n}-{i}")) for i in range(25)])
            for n in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(store.load_conversation(cid).messages) == 100


def test_prompt_recall_reads_no_pasted_giant(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """↑ is read at start-up: a prompt holding a text past RECALL_CHARS is left out, the rest stay."""
    monkeypatch.setattr(store_module, "RECALL_CHARS", 50)
    cid = store.create_conversation(title="t")
    store.add_messages(
        cid,
        [
            Message("user", [TextPart("short one")]),
            Message("user", [TextPart("x" * 51), TextPart("tail")]),
            Message("user", [TextPart("newest")]),
        ],
    )
    assert store.recent_prompts() == ["newest", "short one"]
