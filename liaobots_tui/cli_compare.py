"""`liaobots ask -m A -m B …`: one prompt to two to four models at once, each reply under its own header.

The requests run in parallel (:mod:`liaobots_tui.conversations.compare`); the
output never interleaves. The first model to send anything streams live; the
others are buffered and each is printed whole, under its header, once the live
one ends; then the next still streaming goes live with what it has so far. A
failed model's error is printed in its own section. A one-line summary per model
follows (time to first token, total time, tokens, credits: exact when the
gateway's usage records match, else an estimate). ``--json`` prints a list of
the usual ``ask`` objects instead, with those figures added.

Where the replies are stored (each was charged, so each is stored, and a chat's
total counts every reply it holds, as the app's Compare does):

- Plain ``ask -m A -m B``: each reply is saved as a chat of its own (prompt and
  that reply, with that model's settings), so ``ask --cid N`` continues with
  whichever answer was best.
- With ``-c``/``--cid N`` (or ``--keep MODEL``, which alone starts one new chat):
  the comparison is one turn of that chat, as "Keep this one" in the app makes
  it. The reply of ``--keep MODEL`` continues the chat (default: the first model
  given whose reply completed), with its model; every other reply that holds
  anything is stored beside it as one of its versions (``‹ 2/3 ›`` in the app).
  When the chosen model sent nothing, no reply is kept: the prompt and the
  replies are set aside in the chat (an earlier version of its next prompt).

Exit 1 when any model failed (the others' output is printed all the same).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TextIO

from liaobots_tui.api.messages import (
    Attachment,
    ErrorEvent,
    ReasoningDelta,
    RetryEvent,
    TextDelta,
    Thinking,
    format_for_model,
)
from liaobots_tui.api.sanitize import clean_line, terminal_json

if TYPE_CHECKING:
    from liaobots_tui.api.transport import GatewayClient
    from liaobots_tui.config import Settings
    from liaobots_tui.conversations.compare import CompareEvent, Comparison, Lane

#: Streamed text is flushed at most this often (s), as single-model `ask` does.
FLUSH_EVERY = 0.03


def header(lane: Lane) -> str:
    """The line above a model's section."""
    return f"=== {clean_line(lane.model)} ({lane.format}) ==="


class SectionPrinter:
    """Prints each lane's reply in its own section, without interleaving; see the module docstring."""

    def __init__(self, out: TextIO, err: TextIO, *, show_thinking: bool) -> None:
        self.out, self.err = out, err
        self.show_thinking = show_thinking
        #: Per lane: what arrived and is not printed yet, as (to stderr?, text) pieces.
        self.pending: defaultdict[int, list[tuple[bool, str]]] = defaultdict(list)
        #: The comparison's lanes; set before its tasks first run.
        self.lanes: list[Lane] = []
        self.live: int | None = None
        self.printed: set[int] = set()
        self.ended: set[int] = set()
        self._at_line_start = True
        self._last_flush = 0.0

    async def __call__(self, lane: Lane, event: CompareEvent) -> None:
        from liaobots_tui.conversations.compare import LaneEnded

        index = lane.index
        if isinstance(event, TextDelta):
            self._add(index, False, event.text)
        elif isinstance(event, ReasoningDelta):
            if self.show_thinking:
                self._add(index, True, event.text)
        elif isinstance(event, RetryEvent):
            note = f"{event.reason}, retrying in {event.delay:.0f} s (attempt {event.attempt})"
            self._add(index, True, f"liaobots: {clean_line(lane.model)}: {note}\n")
        elif isinstance(event, ErrorEvent):
            self._add(index, False, ("\n" if lane.chars else "") + f"[error: {event.one_line()}]")
        elif isinstance(event, LaneEnded):
            self._ended(lane)

    def _add(self, index: int, to_err: bool, text: str) -> None:
        if not text:
            return
        if self.live is None and index not in self.printed:
            self._go_live(index)
        if self.live == index:
            self._write(to_err, text)
            now = time.monotonic()
            if now - self._last_flush >= FLUSH_EVERY:
                self.out.flush()
                self._last_flush = now
        else:
            self.pending[index].append((to_err, text))

    def _go_live(self, index: int) -> None:
        self.live = index
        self._section_start(self.lanes[index])
        for to_err, text in self.pending.pop(index, []):
            self._write(to_err, text)
        self.pending[index] = []

    def _ended(self, lane: Lane) -> None:
        self.ended.add(lane.index)
        if lane.reply.status == "cancelled" and lane.index not in self.printed:
            self._add(lane.index, False, "\n[cancelled]")
        if self.live is None:
            self._go_live(lane.index)
        if self.live != lane.index:
            return
        self._section_end(lane.index)
        # Every other lane that has ended is printed whole, then the next one still streaming goes live.
        for other in self.lanes:
            if other.index in self.ended and other.index not in self.printed:
                self._go_live(other.index)
                self._section_end(other.index)
        waiting = [x for x in self.lanes if x.index not in self.printed]
        if waiting:
            started = [x for x in waiting if self.pending[x.index]]
            self._go_live((started or waiting)[0].index)

    def _section_start(self, lane: Lane) -> None:
        if self.printed:
            self.out.write("\n")
        self.out.write(header(lane) + "\n")
        self._at_line_start = True

    def _section_end(self, index: int) -> None:
        if not self._at_line_start:
            self.out.write("\n")
        self._at_line_start = True
        self.printed.add(index)
        self.live = None
        self.out.flush()

    def _write(self, to_err: bool, text: str) -> None:
        if to_err:
            self.out.flush()
            self.err.write(text)
            self.err.flush()
            return
        self.out.write(text)
        self._at_line_start = text.endswith("\n")

    def finish(self) -> None:
        """Print whatever is left (lanes that never ended: interrupted), each in its section."""
        for lane in self.lanes:
            if lane.index not in self.printed:
                if self.live != lane.index:
                    self._go_live(lane.index)
                self._section_end(lane.index)


async def _settle_costs(comparison: Comparison, client: GatewayClient) -> None:
    """Make each model's credits exact from the gateway's newest usage records, when they match."""
    from liaobots_tui.api.account import fetch_usage_page
    from liaobots_tui.errors import LiaobotsError

    try:
        page = await fetch_usage_page(client, next_id="")
    except LiaobotsError:
        return  # the summary keeps the estimates, labelled as such
    comparison.settle_costs(page.records)


async def run_compare(
    args: argparse.Namespace,
    settings: Settings,
    *,
    prompt: str,
    attachments: list[Attachment],
    thinking: Thinking | None | Literal["keep"],
) -> int:
    """Run ``ask`` with several ``-m``; returns the exit code. Raises InputError for bad combinations."""
    from liaobots_tui import cli, paths
    from liaobots_tui.api.transport import GatewayClient, Timeouts
    from liaobots_tui.chat import ChatSession
    from liaobots_tui.conversations import ConversationController, defaults_from
    from liaobots_tui.conversations.compare import start_compare
    from liaobots_tui.errors import InputError
    from liaobots_tui.store import Store

    models: list[str] = list(args.model)
    keep: str | None = args.keep.strip() if args.keep is not None else None
    if keep is not None and keep not in [m.strip() for m in models]:
        raise InputError(f"--keep {keep!r} is not one of the compared models (-m)")
    one_chat = args.cont or args.cid is not None or keep is not None
    if args.format:
        raise InputError("--format picks one model's format: with several -m each model uses its own")
    image_dir: Path | None = args.output_dir
    if image_dir is not None and image_dir.exists() and not image_dir.is_dir():
        raise InputError(f"output directory {str(image_dir)!r} is not a directory")
    out, err = sys.stdout, sys.stderr
    timeouts = Timeouts(connect=settings.connect_timeout, read=settings.read_timeout)
    with Store(paths.db_file(), paths.images_dir()) as store:
        async with GatewayClient(settings.base_urls, settings.auth_code, timeouts=timeouts) as client:
            session = ChatSession(client, store)
            controller = ConversationController(
                store, lambda: session, defaults_from(settings), client=lambda: client
            )
            await cli._open_chat_asked_for(controller, store, args)
            args.model = None  # the chat-wide flags only: each lane gets its own model below
            cli._apply_flags(controller, args, thinking)
            printer = SectionPrinter(out, err, show_thinking=args.show_thinking)
            comparison = start_compare(
                controller, models, prompt, attachments, printer if not args.json else _quiet,
                stream=not args.no_stream,
            )  # fmt: skip
            printer.lanes = comparison.lanes  # before any lane runs: its tasks start at the next await
            try:
                await comparison.wait()
            except asyncio.CancelledError:
                # Ctrl-C: stop every model, save and show what arrived, then let the interrupt end the run.
                comparison.cancel_all()
                await comparison.wait()
                _store(comparison, image_dir, keep) if one_chat else _save(comparison, image_dir)
                raise
            finally:
                if not args.json:
                    printer.finish()
            await _settle_costs(comparison, client)
            saved = _store(comparison, image_dir, keep) if one_chat else _save(comparison, image_dir)
    if args.json:
        objects = [
            _lane_json(lane, *saved.get(lane.index, (None, [])), kept=_kept(comparison, lane, one_chat))
            for lane in comparison.lanes
        ]
        out.write(terminal_json(objects) + "\n")
    else:
        out.write("\n")
        for lane in comparison.lanes:
            out.write(lane.summary() + "\n")
        for _chat, images in saved.values():
            for image in images:
                err.write(f"{image}\n")
    out.flush()
    if one_chat:
        cli._err(_stored_note(comparison, saved, keep))
    failed = [lane for lane in comparison.lanes if lane.reply.status == "failed"]
    for lane in failed:
        cli._err(f"{lane.model}: {lane.reply.error or 'failed'}")
    return cli.EXIT_API if failed else cli.EXIT_OK


async def _quiet(lane: Lane, event: CompareEvent) -> None:
    return None


def _save(comparison: Comparison, image_dir: Path | None) -> dict[int, tuple[int, list[str]]]:
    """Save each reply that has anything in it as a chat of its own: lane → (chat id, image files)."""
    from liaobots_tui import cli

    saved: dict[int, tuple[int, list[str]]] = {}
    for lane in comparison.lanes:
        if not lane.reply.parts:
            continue  # a model that sent nothing (refused, failed at once) leaves no chat behind
        conversation_id = comparison.save_as_chat(lane.index)
        images = [cli._export_image(Path(p.path), image_dir) for p in lane.reply.images if p.path]
        saved[lane.index] = (conversation_id, images)
    return saved


def _chosen(comparison: Comparison, keep: str | None) -> int | None:
    """The lane whose reply continues the chat: ``--keep``'s, else the first complete, else the first
    that sent anything; None when that one sent nothing."""
    lanes = comparison.lanes
    if keep is not None:
        lane = next(x for x in lanes if x.model == keep)
        return lane.index if lane.reply.parts else None
    complete = [x for x in lanes if x.reply.status == "complete" and x.reply.parts]
    sent = complete or [x for x in lanes if x.reply.parts]
    return sent[0].index if sent else None


def _store(
    comparison: Comparison, image_dir: Path | None, keep: str | None
) -> dict[int, tuple[int, list[str]]]:
    """Store the comparison as one turn of the open chat (made when new): lane → (chat id, image files).

    The chosen reply continues the chat, the others that hold anything are its versions;
    with none to choose, they are set aside (see :mod:`liaobots_tui.conversations.kept_turns`).
    """
    from liaobots_tui import cli
    from liaobots_tui.conversations.kept_turns import charged

    index = _chosen(comparison, keep)
    if index is not None:
        comparison.keep(index)
    else:
        comparison.keep_none()
    conversation_id = comparison.controller.conversation_id
    saved: dict[int, tuple[int, list[str]]] = {}
    if conversation_id is None:
        return saved  # nothing kept in a chat not saved: nothing was stored
    for lane in comparison.lanes:
        if lane.reply.id is not None or (index is None and charged(lane.reply)):
            images = [cli._export_image(Path(p.path), image_dir) for p in lane.reply.images if p.path]
            saved[lane.index] = (conversation_id, images)
    return saved


def _kept(comparison: Comparison, lane: Lane, one_chat: bool) -> bool:
    """The lane's reply continues a chat: the kept one, or (one chat per reply) each one saved."""
    if one_chat:
        return comparison.kept is lane
    return lane.index in comparison.saved_chats


def _stored_note(comparison: Comparison, saved: dict[int, tuple[int, list[str]]], keep: str | None) -> str:
    """One line for stderr: which reply the chat goes on with, and where the others are."""
    kept = comparison.kept
    if not saved:
        return "no reply had anything in it: nothing was stored"
    conversation_id = next(iter(saved.values()))[0]
    if kept is None:
        why = f"{clean_line(keep)} sent nothing to keep" if keep is not None else "no reply to keep"
        return f"{why}: the replies are set aside in chat {conversation_id} (a version of its next prompt)"
    note = f"chat {conversation_id} goes on with {clean_line(kept.model)}'s reply"
    others = len(saved) - 1
    if others:
        versions = "is its version" if others == 1 else "are its versions"
        note += f"; the other {others} {versions} (‹ › in the app)"
    return note


def _lane_json(
    lane: Lane, conversation_id: int | None, images: list[str], *, kept: bool
) -> dict[str, object]:
    from liaobots_tui import cli

    obj = cli.reply_json(lane.reply, images, conversation_id, lane.format or format_for_model(lane.model))
    tokens, exact = lane.tokens
    cost = lane.cost
    obj.update(
        first_token_s=None if lane.ttft is None else round(lane.ttft, 3),
        total_s=round(lane.elapsed(), 3),
        output_tokens=tokens,
        tokens_exact=exact,
        credits=None if cost is None else cost.credits,
        credits_exact=cost is not None and cost.exact,
        kept=kept,
    )
    return obj
