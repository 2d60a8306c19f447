"""CreditsPanel: the right sidebar with the balance and what replies cost.

Shows the balance, the total received, a bar of what is left, the cost of the
last reply and of the open conversation, and one status line: ``refreshing…``,
``updated 3 min ago``, or ``couldn't refresh: <reason> · retry (r)`` — a failure
keeps the last known values on screen, with their age. A balance below the
``low_balance`` threshold is said in words under the balance ("Low balance: 3.20
credits left", not by colour alone) and announced once with ``app.notify`` (again
only after it went back above the threshold, e.g. after a top-up).

Costs come from the gateway's usage records, matched to replies by model and
time (:func:`liaobots_tui.usage_stats.reply_cost`); until a record is found the
cost is estimated from the reply's token counts and labelled ``≈ … estimate``.

Integration (app / ChatScreen):

1. Mount ``CreditsPanel(fetch, fetch_usage_page, settings.low_balance)`` into the
   container ``#sidebar``, where ``fetch = lambda: fetch_credits(client)`` and
   ``fetch_usage_page = lambda next_id: fetch_usage_page(client, next_id=next_id)``
   (``api/account.py``). It refreshes itself on mount.
2. Toggle it with a key: ``panel.display = not panel.display``.
3. After every reply (TurnEnded): ``panel.reply_finished(reply, conversation.messages, aside)``.
   When another conversation is opened: ``panel.set_conversation(conversation.messages, aside)``.
   ``aside`` are the chat's replies not shown (other versions: regenerated replies and a
   comparison's replies that were not kept): they were charged too, so "This chat" counts
   them, and says how many it counts ("5 replies charged, 3 not shown (other versions)").
   Opening a chat whose costs are not all exact yet fetches
   the usage records once (a restart turns yesterday's estimates exact without ``r``).
4. A global refresh key/palette command may call ``panel.refresh_credits()``; ``r``
   works when the panel has focus, and clicking the status line retries after a failure.
5. Optional: ``CreditsPanel.Refreshed`` / ``CreditsPanel.RefreshFailed`` bubble up
   (e.g. to show the balance in a header); ``CreditsPanel.CostsChanged`` carries every
   reply's cost by message id (for the line under each reply).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message as TextualMessage
from textual.widgets import ProgressBar, Static
from textual.worker import Worker

from liaobots_tui.api.account import Credits, UsagePage, UsageRecord
from liaobots_tui.api.sanitize import clean_line
from liaobots_tui.errors import LiaobotsError
from liaobots_tui.store import MessageRecord
from liaobots_tui.ui.plain import plain
from liaobots_tui.usage_stats import ReplyCost, format_credits, reply_cost, sum_costs

FetchCredits = Callable[[], Awaitable[Credits]]
FetchUsagePage = Callable[[str], Awaitable[UsagePage]]


def describe_error(exc: BaseException) -> str:
    """One line for the status: our errors' ``Title: message``, others their type and text.

    Terminal-safe and bounded: the text may quote the gateway's answer.
    """
    if isinstance(exc, LiaobotsError):
        return clean_line(exc.one_line())
    text = clean_line(str(exc))
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def age_text(seconds: float) -> str:
    """``just now``, ``3 min ago``, ``2 h ago``, ``4 d ago``."""
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} d ago"


class CreditsPanel(Vertical, can_focus=True):
    """Balance, what is left, and reply costs; refreshes on mount, after replies and on demand."""

    DEFAULT_CSS = """
    CreditsPanel { width: 32; height: auto; padding: 0 1; background: $surface; }
    CreditsPanel:focus { background: $boost; }
    CreditsPanel > .title { text-style: bold; color: $primary; }
    CreditsPanel > #credits-balance { text-style: bold; }
    CreditsPanel.-low > #credits-balance { color: $error; }
    CreditsPanel.-low > .title { color: $warning; }
    CreditsPanel > #credits-low { color: $text-warning; text-style: bold; display: none; }
    CreditsPanel.-low > #credits-low { display: block; }
    CreditsPanel > #credits-received { color: $text-muted; }
    CreditsPanel > ProgressBar { width: 1fr; }
    CreditsPanel > ProgressBar Bar { width: 1fr; }
    CreditsPanel > #credits-status { color: $text-muted; }
    CreditsPanel > #credits-status.-error { color: $error; }
    CreditsPanel > #credits-status.-loading { color: $accent; }
    CreditsPanel > .cost { margin-top: 1; }
    """

    BINDINGS = [Binding("r", "refresh_credits", "Refresh credits")]

    #: Seconds between updates of the "updated N min ago" text.
    AGE_TICK = 30.0
    #: Most usage pages fetched per refresh to find the records of the open conversation.
    MAX_USAGE_PAGES = 5
    #: Seconds between a reply's end and its usage record's charge time still counted as a match.
    MATCH_TOLERANCE = 120.0

    class Refreshed(TextualMessage):
        """New credits arrived."""

        def __init__(self, balance: Credits) -> None:
            super().__init__()
            self.credits = balance

    class CostsChanged(TextualMessage):
        """The replies' costs were recomputed: message id → cost, for the replies with one."""

        def __init__(self, costs: dict[int, ReplyCost]) -> None:
            super().__init__()
            self.costs = costs

    class RefreshFailed(TextualMessage):
        """A refresh failed; ``reason`` is the one-line text shown."""

        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(
        self,
        fetch: FetchCredits,
        fetch_usage_page: FetchUsagePage | None = None,
        low_balance: float = 5.0,
        *,
        clock: Callable[[], float] = time.time,
        id: str | None = "credits-panel",  # noqa: A002
    ) -> None:
        super().__init__(id=id)
        self._fetch = fetch
        self._fetch_usage_page = fetch_usage_page
        self.low_balance = low_balance
        self._clock = clock
        self.credits: Credits | None = None
        self.updated_at: float | None = None
        self.error: str | None = None
        self.fetching = False
        self._low_announced = False
        self._records: dict[int | str, UsageRecord] = {}
        self._conversation: list[MessageRecord] = []
        #: The open chat's replies that are not shown (earlier versions): charged all the same.
        self._aside: list[MessageRecord] = []
        #: Replies whose usage records were looked for already (a page walk reached back past them).
        self._looked_up: set[int] = set()
        #: Message id → what that reply cost, for the replies of the open chat with a known cost.
        self.reply_costs: dict[int, ReplyCost] = {}
        #: Usage record id → the reply it was matched to, in any chat opened this run: a reply of
        #: another chat that ended a minute later must not take it.
        self._claims: dict[int | str, int] = {}
        self._last_reply: MessageRecord | None = None
        self.last_cost: ReplyCost | None = None
        self.conversation_cost: ReplyCost | None = None
        self._replies_counted = 0

    def compose(self) -> ComposeResult:
        yield Static(Content("Credits"), classes="title")
        yield Static(Content("—"), id="credits-balance")
        yield Static(Content(""), id="credits-low")
        yield Static(Content(""), id="credits-received")
        yield ProgressBar(total=None, show_eta=False, id="credits-left")
        # Loading from the start: mounting fetches at once, and setting the class then
        # restyled the line again before the first paint.
        yield Static(Content(""), id="credits-status", classes="-loading")
        yield Static(Content("Last reply: —"), id="credits-last", classes="cost")
        yield Static(Content("This chat: —"), id="credits-chat")

    def on_mount(self) -> None:
        self.set_interval(self.AGE_TICK, self._show_status)
        self.refresh_credits()

    # ------------------------------------------------------------------ public API

    def refresh_credits(self) -> Worker[None]:
        """Fetch the balance (and usage records for the costs) in a worker; the latest call wins."""
        self.fetching = True
        self._show_status()
        return self._refresh()

    def action_refresh_credits(self) -> None:
        self.refresh_credits()

    def reply_finished(
        self, reply: MessageRecord, conversation: Sequence[MessageRecord], aside: Sequence[MessageRecord] = ()
    ) -> Worker[None]:
        """A reply ended: show its estimated cost at once, then refresh for the exact one.

        Replies are matched to usage records by their ``ended_at`` (saved with
        them); a reply without one is taken to have ended now. Replies are told
        apart by their store id (records are values: equal is not the same).
        """
        if reply.ended_at is None:
            stamped = replace(reply, ended_at=self._clock())
            conversation = [stamped if _same_reply(m, reply) else m for m in conversation]
            reply = stamped
        self._set_conversation(conversation, reply, aside)
        return self.refresh_credits()

    def set_conversation(
        self, conversation: Sequence[MessageRecord], aside: Sequence[MessageRecord] = ()
    ) -> None:
        """Another conversation is open: recompute its costs from the records already fetched.

        When some of its replies have no exact cost and their records were not looked
        for yet (the app just started), the records are fetched once.
        """
        last = next((m for m in reversed(conversation) if m.role == "assistant"), None)
        self._set_conversation(conversation, last, aside)
        if self._fetch_usage_page is not None and self._unmatched_not_looked_up():
            self.refresh_credits()

    def _replies(self) -> list[MessageRecord]:
        return [m for m in (*self._conversation, *self._aside) if m.role == "assistant"]

    def _unmatched_not_looked_up(self) -> bool:
        for reply in self._replies():
            cost = self.reply_costs.get(reply.id) if reply.id is not None else None
            if reply.model and (cost is None or not cost.exact) and reply.id not in self._looked_up:
                return True
        return False

    # ------------------------------------------------------------------ refresh

    @work(exclusive=True, group="credits", exit_on_error=False)
    async def _refresh(self) -> None:
        try:
            fetched = await self._fetch()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # every failure becomes the status line; the app must keep running
            self.fetching = False
            self.error = describe_error(exc)
            self._show_status()
            self.post_message(self.RefreshFailed(self.error))
            return
        self.credits = fetched
        self.updated_at = self._clock()
        self.error = None
        self._show_credits()
        if self._fetch_usage_page is not None and self._needs_records():
            try:
                await self._fetch_records()
            except asyncio.CancelledError:
                raise
            except Exception:  # costs stay estimates; the balance itself did refresh
                pass
            else:
                self._mark_looked_up()
            self._recompute_costs()
        self.fetching = False
        self._show_status()
        self.post_message(self.Refreshed(fetched))

    def _needs_records(self) -> bool:
        return bool(self._replies())

    def _mark_looked_up(self) -> None:
        """The records were walked back past these replies: looking again would find nothing new.

        A reply that ended within the match tolerance may still get its record later
        (the gateway writes it after the stream), so it is not marked.
        """
        settled = self._clock() - self.MATCH_TOLERANCE
        for reply in self._replies():
            if reply.id is not None and self._end_of(reply) < settled:
                self._looked_up.add(reply.id)

    def _earliest_needed(self) -> float:
        times = [self._end_of(m) for m in self._replies()]
        return min(times) - self.MATCH_TOLERANCE if times else self._clock()

    async def _fetch_records(self) -> None:
        assert self._fetch_usage_page is not None
        earliest_ms = self._earliest_needed() * 1000
        cursor = ""
        for _ in range(self.MAX_USAGE_PAGES):
            page = await self._fetch_usage_page(cursor)
            new = [r for r in page.records if r.id not in self._records]
            for r in page.records:
                self._records[r.id] = r
            if not page.next_id or not page.records or not new or page.next_id == cursor:
                return
            if min(r.create_time for r in page.records) < earliest_ms:
                return
            cursor = page.next_id

    # ------------------------------------------------------------------ costs

    @staticmethod
    def _end_of(message: MessageRecord) -> float:
        return message.ended_at if message.ended_at is not None else message.created_at

    def _set_conversation(
        self,
        conversation: Sequence[MessageRecord],
        last: MessageRecord | None,
        aside: Sequence[MessageRecord] = (),
    ) -> None:
        self._conversation = list(conversation)
        shown = {m.id for m in self._conversation if m.id is not None}
        # A reply both shown and set aside (a list read mid-change) is counted once.
        self._aside = [m for m in aside if m.role == "assistant" and m.id not in shown]
        self._last_reply = last
        self._recompute_costs()

    def _recompute_costs(self) -> None:
        records = sorted(self._records.values(), key=lambda r: r.create_time)
        replies = self._replies()
        here = {m.id for m in replies if m.id is not None}
        # This chat's replies are matched afresh; what other chats' replies took stays theirs.
        self._claims = {record: reply for record, reply in self._claims.items() if reply not in here}
        taken: set[int | str] = set(self._claims)
        in_chat = len(replies)
        last = self._last_reply
        at = None if last is None else next((i for i, m in enumerate(replies) if _same_reply(m, last)), None)
        if last is not None and at is None:
            at = len(replies)
            replies.append(last)  # a reply shown on its own (not in the conversation passed)
        costs: list[ReplyCost | None] = [None] * len(replies)
        # Oldest first (see reply_cost): a late record must not be stolen by the newest reply.
        for i in sorted(range(len(replies)), key=lambda i: self._end_of(replies[i])):
            m = replies[i]
            costs[i] = reply_cost(records, m, self._end_of(m), tolerance_s=self.MATCH_TOLERANCE, taken=taken)
        self.last_cost = costs[at] if at is not None else None
        self.conversation_cost = sum_costs(costs[:in_chat])
        pairs = zip(replies, costs, strict=True)
        self.reply_costs = {m.id: cost for m, cost in pairs if m.id is not None and cost is not None}
        for reply_id, cost in self.reply_costs.items():
            if cost.record is not None:
                self._claims[cost.record.id] = reply_id
        self._replies_counted = in_chat
        if self.children:  # composed (is_mounted is False until on_mount returns)
            self._show_costs()
            self.post_message(self.CostsChanged(dict(self.reply_costs)))

    # ------------------------------------------------------------------ display

    def _show_credits(self) -> None:
        now = self.credits
        if now is None:
            return
        self.query_one("#credits-balance", Static).update(Content(f"{format_credits(now.balance)} left"))
        received = f"of {format_credits(now.amount)} received" if now.amount > 0 else ""
        self.query_one("#credits-received", Static).update(Content(received))
        bar = self.query_one("#credits-left", ProgressBar)
        if now.amount > 0:
            bar.update(total=now.amount, progress=max(0.0, min(now.balance, now.amount)))
        bar.display = now.amount > 0
        low = now.balance < self.low_balance
        if low:
            self.query_one("#credits-low", Static).update(
                Content(f"Low balance: {format_credits(now.balance)} credits left")
            )
        self.set_class(low, "-low")
        if low and not self._low_announced:
            self._low_announced = True
            self.app.notify(
                f"{format_credits(now.balance)} credits left (below {format_credits(self.low_balance)}).",
                title="Low balance",
                severity="warning",
                markup=False,
            )
        elif not low:
            self._low_announced = False

    def _show_status(self) -> None:
        if not self.children:  # not composed yet
            return
        # On the status line, not the panel: a class changed on the panel restyles every widget
        # in it (11), twice per refresh (every Pilot test's start and every reply paid it).
        status = self.query_one("#credits-status", Static)
        status.set_class(self.fetching, "-loading")
        status.set_class(self.error is not None and not self.fetching, "-error")
        age = f"updated {age_text(self._clock() - self.updated_at)}" if self.updated_at is not None else ""
        if self.fetching:
            text = "refreshing…" + (f" ({age})" if age else "")
        elif self.error is not None:
            text = f"couldn't refresh: {self.error} · retry (r)" + (f"\nlast value {age}" if age else "")
        else:
            text = age
        status.update(plain(text))  # the error quotes the gateway

    def _show_costs(self) -> None:
        last = self.last_cost.label() if self.last_cost is not None else "—"
        chat = self.conversation_cost.label() if self.conversation_cost is not None else "—"
        self.query_one("#credits-last", Static).update(Content(f"Last reply: {last}"))
        replies = self._replies_counted
        if self._aside and self.conversation_cost is not None:
            # Replies not shown (regenerated, compared and not kept) were charged too: say so, or
            # the sum looks double-counted.
            chat += f"\n{replies} replies charged, {len(self._aside)} not shown (other versions)"
        self.query_one("#credits-chat", Static).update(Content(f"This chat: {chat}"))

    def on_click(self, event: events.Click) -> None:
        if self.error is not None and event.widget is self.query_one("#credits-status", Static):
            event.stop()
            self.refresh_credits()

    # ------------------------------------------------------------------ test/inspection helpers

    @property
    def status_text(self) -> str:
        return str(self.query_one("#credits-status", Static).content)

    @property
    def balance_text(self) -> str:
        return str(self.query_one("#credits-balance", Static).content)


def _same_reply(a: MessageRecord, b: MessageRecord) -> bool:
    """The same reply: the same store id; an unsaved one (no id) only matches an equal record."""
    if a.id is not None or b.id is not None:
        return a.id == b.id
    return a == b
