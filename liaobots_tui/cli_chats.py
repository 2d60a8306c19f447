"""``liaobots chats``: the saved chats from the shell — list, search, show, delete, export.

    liaobots chats [--limit N] [--offset N] [--json]        newest first
    liaobots chats --search TEXT [--limit N] [--json]       full-text, one line per matching message
    liaobots chats show ID                                  the chat as Markdown on stdout
    liaobots chats export ID [-o FILE] [--force]            the chat as a Markdown file
    liaobots chats delete ID [--yes]

Works without an auth code: only the history database is read. Everything printed
came from the database, which holds what the gateway sent: titles, models and
snippets are cut to one clean line here, and the CLI's terminal guard sees every byte.
A chat with versions shows and exports its chosen ones, with a note of the others.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path
from typing import Any, TextIO

from liaobots_tui import paths
from liaobots_tui.api.sanitize import clean_line, terminal_json
from liaobots_tui.errors import InputError
from liaobots_tui.store import ConversationSummary, SearchHit, Store

LIST_LIMIT = 50
SEARCH_LIMIT = 20
TITLE_WIDTH = 50


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add ``chats`` and its subcommands to the CLI's subparsers."""
    chats = sub.add_parser("chats", parents=[common], help="list, search, show, delete or export saved chats")
    chats.add_argument("--search", metavar="TEXT", help="find messages holding every word (as prefixes)")
    chats.add_argument(
        "--limit", type=_count, default=None, metavar="N", help="at most N lines (50; search 20)"
    )
    chats.add_argument("--offset", type=_count, default=0, metavar="N", help="skip the first N")
    chats.add_argument("--json", action="store_true", help="a JSON list instead of lines")
    actions = chats.add_subparsers(dest="chats_command", metavar="ACTION", parser_class=type(chats))
    show = actions.add_parser("show", help="print a chat as Markdown")
    show.add_argument("id", type=_count, metavar="ID")
    export = actions.add_parser("export", help="save a chat as a Markdown file")
    export.add_argument("id", type=_count, metavar="ID")
    export.add_argument("-o", "--output", type=Path, metavar="FILE", help="default: chat-ID-title.md here")
    export.add_argument("--force", action="store_true", help="replace FILE if it exists")
    delete = actions.add_parser("delete", help="delete a chat, its messages and its images")
    delete.add_argument("id", type=_count, metavar="ID")
    delete.add_argument(
        "-y", "--yes", action="store_true", help="do not ask (needed when stdin is no terminal)"
    )


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {value}")
    return value


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run ``liaobots chats …``; returns the exit code. Raises InputError for an unknown chat."""
    out = out or sys.stdout
    action = getattr(args, "chats_command", None)
    if action is not None and args.search:
        raise InputError("--search lists hits; it does not go with show, export or delete")
    with Store(paths.db_file(), paths.images_dir()) as store:
        if action == "show":
            out.write(_markdown(store, args.id))
        elif action == "export":
            return _export(store, args, out)
        elif action == "delete":
            return _delete(store, args, out)
        elif args.search is not None:
            _search(store, args, out)
        else:
            _list(store, args, out)
    return 0


def _local(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp).astimezone()


def _when(timestamp: float) -> str:
    return _local(timestamp).strftime("%Y-%m-%d %H:%M") if timestamp > 0 else "?"


def _iso(timestamp: float) -> str | None:
    return _local(timestamp).isoformat(timespec="seconds") if timestamp > 0 else None


def _list(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    limit = LIST_LIMIT if args.limit is None else args.limit
    summaries = store.list_conversations(limit=limit, offset=args.offset)
    if args.json:
        out.write(terminal_json([_summary_json(s) for s in summaries]) + "\n")
        return
    if not summaries:
        out.write("no saved chats\n" if args.offset == 0 else "no more chats\n")
        return
    ids = max(len(str(s.id)) for s in summaries)
    out.write(f"{'ID':>{ids}}  {'UPDATED':<16}  {'MSGS':>4}  {'MODEL':<24}  TITLE\n")
    for s in summaries:
        model = clean_line(s.model or "?", 24)
        title = clean_line(s.title or "(untitled)", TITLE_WIDTH)
        out.write(f"{s.id:>{ids}}  {_when(s.updated_at):<16}  {s.message_count:>4}  {model:<24}  {title}\n")
    total = store.count_conversations()
    if args.offset + len(summaries) < total:
        out.write(f"… {total - args.offset - len(summaries)} more: --offset {args.offset + len(summaries)}\n")


def _summary_json(s: ConversationSummary) -> dict[str, Any]:
    return {
        "id": s.id,
        "title": s.title,
        "model": s.model,
        "format": s.format,
        "messages": s.message_count,
        "created_at": _iso(s.created_at),
        "updated_at": _iso(s.updated_at),
    }


def _search(store: Store, args: argparse.Namespace, out: TextIO) -> None:
    if not args.search.strip():
        raise InputError("--search needs some text to look for")
    limit = SEARCH_LIMIT if args.limit is None else args.limit
    # One more than asked: whether to say there are more, without counting every hit.
    hits = store.search_messages(args.search, limit=limit + 1, offset=args.offset)
    more = len(hits) > limit
    hits = hits[:limit]
    if args.json:
        out.write(terminal_json([_hit_json(h) for h in hits]) + "\n")
        return
    if not hits:
        out.write(f"no message matches {clean_line(args.search, 60)!r}\n")
        return
    for hit in hits:
        model = clean_line(hit.model, 32) if hit.model else ""
        # A prompt that matched still names the chat's model: every hit line says which model.
        who = (f"you ({model})" if model else "you") if hit.role == "user" else model or "assistant"
        out.write(f"#{hit.conversation_id}  {_when(hit.created_at)}  {who}  {clean_line(hit.title, 40)}\n")
        out.write(f"    {hit.snippet}\n")
    if more:
        out.write(f"… more: --offset {args.offset + len(hits)}\n")


def _hit_json(hit: SearchHit) -> dict[str, Any]:
    return {
        "conversation_id": hit.conversation_id,
        "message_id": hit.message_id,
        "title": hit.title,
        "role": hit.role,
        "model": hit.model,
        "date": _iso(hit.created_at),
        "snippet": hit.snippet,
        "highlights": [list(span) for span in hit.highlights],
    }


def _markdown(store: Store, conversation_id: int) -> str:
    # The app's exporter; it needs neither textual nor rich.
    from liaobots_tui.markdown_export import conversation_markdown

    conversation = store.load_conversation(conversation_id)  # InputError: no conversation N
    return conversation_markdown(conversation, versions=store.versions(conversation_id))


def _slug(title: str) -> str:
    slug = re.sub(r"[^\w]+", "-", title.lower(), flags=re.ASCII).strip("-")
    return slug[:40].rstrip("-") or "chat"


def _export(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    text = _markdown(store, args.id)
    target: Path = args.output or Path(f"chat-{args.id}-{_slug(store.load_conversation(args.id).title)}.md")
    if str(target) == "-":
        out.write(text)
        return 0
    try:
        # "x": an export never replaces a file unless told to.
        with open(target, "w" if args.force else "x", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    except FileExistsError:
        raise InputError(f"{target} exists: choose another name with -o, or add --force") from None
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror or exc}") from None
    out.write(f"{target}\n")
    return 0


def _delete(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    conversation = store.load_conversation(args.id)  # InputError: no conversation N
    title = clean_line(conversation.title or "(untitled)", 60)
    if not args.yes:
        if not sys.stdin.isatty():
            raise InputError(f"not deleting chat {args.id} without asking: add --yes")
        sys.stderr.write(f"Delete chat {args.id} {title!r} ({len(conversation.messages)} messages)? [y/N] ")
        sys.stderr.flush()
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            sys.stderr.write("kept\n")
            return 1
    store.delete_conversation(args.id)
    out.write(f"deleted chat {args.id} {title!r}\n")
    return 0
