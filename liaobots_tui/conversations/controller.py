"""ConversationController: the rules of a conversation, shared by the app and the CLI.

One object owns the open conversation (its id, title, messages and
:class:`ConversationSettings`) and the turn that may be streaming. Front ends
call it and render what it reports; they hold no conversation logic:

- **Turns**: :meth:`send`, :meth:`regenerate`, :meth:`edit` check everything
  first (a format the model cannot use, an empty prompt, a turn already
  running, attachments past the model's known context window), so a refused
  turn sends, saves and charges nothing. They then run the turn in its own
  task and hand every event to the caller's listener.
- **One rule for switching while a reply streams**: :meth:`new_chat`,
  :meth:`open` and :meth:`delete` first :meth:`cancel` the turn, which the chat
  service ends as a *cancelled* reply with its partial text saved, and only then
  switch. The listener sees that reply's :class:`TurnEnded` before the switch.
- **Settings**: changed only through this object, saved at once through the one
  writer (:func:`saved_form`) when the conversation exists, or with the
  conversation when its first turn creates it.
- **Versions and forks**: :meth:`choose_version` moves a prompt or reply to its
  previous or next version (what the next turn sends follows); :meth:`fork` opens a
  new chat holding the history up to a message. The store keeps both (see
  :mod:`liaobots_tui.store.versions`); :attr:`ConversationController.versions` says
  which messages have versions, for the ``‹ 2/3 ›`` a front end shows. A comparison's
  replies become versions too (:mod:`.kept_turns`); one closed with none kept is
  :meth:`set_aside` in the chat it was started from.
- **Account**: :meth:`fetch_credits` and :meth:`fetch_usage_page` for the
  balance and the costs a front end refreshes after each turn.

No textual or rich here: tests drive it in milliseconds against a Store on a
temporary directory and the demo gateway or a MockTransport.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import aclosing
from dataclasses import replace

from liaobots_tui.api.account import Credits, UsagePage, fetch_credits, fetch_usage_page
from liaobots_tui.api.messages import (
    Attachment,
    FilePart,
    Format,
    ImageOptions,
    ImagePart,
    Message,
    RequestOptions,
    TextPart,
    Thinking,
    is_image_model,
)
from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.attachment_sizes import check_fits
from liaobots_tui.chat import ChatBackend, ChatEvent, TurnEnded, TurnStarted
from liaobots_tui.conversations.failed_turns import failed_before_any_reply, resent_failed_prompt
from liaobots_tui.conversations.kept_turns import SetAsideTurn, store_turn
from liaobots_tui.conversations.settings import (
    ConversationSettings,
    read_settings,
    saved_form,
    with_model,
)
from liaobots_tui.errors import InputError, LiaobotsError
from liaobots_tui.store import MessageRecord, Store, Version

#: Receives every event of a turn, in order; awaited, so a front end may update its widgets.
TurnListener = Callable[[ChatEvent], Awaitable[None]]
#: A turn's task: its result is the final reply (complete, failed or cancelled), or None.
Turn = asyncio.Task[MessageRecord | None]

#: The turn task yields to the event loop at least this often (s), however fast events come:
#: a local stream must not starve key handling and screen updates.
YIELD_EVERY = 0.02


class TurnBusy(InputError):
    """A turn was asked for while another one streams."""

    title = "A reply is streaming"


async def _ignore(event: ChatEvent) -> None:
    return None


class ConversationController:
    """The open conversation and its turn; see the module docstring.

    Args:
        store: the history store.
        backend: returns the chat service to use now (the app rebuilds it when the auth code changes).
        defaults: the settings a new chat starts with (from the config file).
        client: returns the gateway client for account calls; None when there is none.
    """

    def __init__(
        self,
        store: Store,
        backend: Callable[[], ChatBackend],
        defaults: ConversationSettings,
        *,
        client: Callable[[], GatewayClient] | None = None,
    ) -> None:
        self.store = store
        self._backend = backend
        self._client = client
        self.defaults = defaults
        self.settings = defaults
        self.conversation_id: int | None = None
        self.title = ""
        #: The conversation's records as stored, oldest first; the streaming reply is last while a turn
        #: runs. Records are values: a reply that ends is replaced here by its final record.
        self.messages: list[MessageRecord] = []
        #: Message id → which of its versions it is, for the messages that have more than one.
        self.versions: dict[int, Version] = {}
        self._task: Turn | None = None
        #: The running turn reported TurnStarted (it may be cancelled from then on).
        self._started = False
        #: A cancel asked for before that: done as soon as the turn starts.
        self._cancel_pending = False
        #: The chat :meth:`discard_if_never_answered` deleted last (a front end's list drops it).
        self.discarded: int | None = None
        #: Turns set aside (:meth:`set_aside`) while the chat was not saved: stored when it is.
        self.set_aside_pending: list[SetAsideTurn] = []

    # ------------------------------------------------------------------ state

    @property
    def streaming(self) -> bool:
        """A turn is running (from the moment it is started until its task ends)."""
        return self._task is not None and not self._task.done()

    def request_options(self, *, stream: bool = True, image_for_any_model: bool = False) -> RequestOptions:
        """What the next turn is sent with. Image options go to image models only, unless asked."""
        s = self.settings
        wants_image = is_image_model(s.model) or (image_for_any_model and s.image != ImageOptions())
        return RequestOptions(
            model=s.model,
            stream=stream,
            temperature=s.temperature,
            image=s.image if wants_image else None,
            thinking=s.thinking,
        )

    # ------------------------------------------------------------------ switching

    async def cancel(self) -> None:
        """Stop the streaming turn and wait until its partial reply is saved as cancelled."""
        task = self._task
        if self.request_cancel():
            assert task is not None
            await asyncio.wait([task])

    def request_cancel(self) -> bool:
        """Ask the streaming turn to stop without waiting (Esc); True when one was running.

        A turn is stopped only once the chat service has reported its start: cancelled
        any earlier, the service's stream would never run, and the reply it saved as
        "streaming" would never be ended. Until then the request is remembered.
        """
        if self._task is None or self._task.done():
            return False
        if self._started:
            self._task.cancel()
        else:
            self._cancel_pending = True
        return True

    def discard_if_never_answered(self) -> bool:
        """Delete the open chat when its only turn failed before any reply byte; True when it went.

        Front ends call it when the user leaves such a chat (the CLI after its one
        turn); :meth:`new_chat` and :meth:`open` do it themselves.
        """
        if self.conversation_id is None or self.streaming or not failed_before_any_reply(self.messages):
            return False
        if self.replies_set_aside():
            return False  # it holds replies that were charged (a comparison set aside): it stays
        try:
            self.store.delete_conversation(self.conversation_id)
        except LiaobotsError:
            return False  # gone already (another process): nothing left behind
        self.discarded = self.conversation_id
        self.conversation_id, self.title, self.messages = None, "", []
        return True

    async def new_chat(self) -> None:
        """Cancel any turn, then start an unsaved chat: same model, format, thinking; else defaults."""
        await self.cancel()
        self.discard_if_never_answered()
        self.conversation_id, self.title, self.messages = None, "", []
        self.versions = {}
        self.set_aside_pending = []
        self.settings = replace(
            self.defaults,
            model=self.settings.model,
            format_choice=self.settings.format_choice,
            thinking=self.settings.thinking,
        )

    async def open(self, conversation_id: int) -> list[MessageRecord]:
        """Cancel any turn, then make ``conversation_id`` the open chat with its saved settings.

        Returns its messages. Raises LiaobotsError (unknown id) or sqlite3.Error
        with the previous chat still open.
        """
        await self.cancel()
        conversation = self.store.load_conversation(conversation_id)
        if conversation_id != self.conversation_id:
            self.discard_if_never_answered()
        saved = self.store.conversation_settings(conversation_id)
        self.settings = read_settings(saved, conversation.system, self.defaults)
        if conversation_id != self.conversation_id:
            self.set_aside_pending = []
        self.conversation_id, self.title = conversation_id, conversation.title
        self.messages = list(conversation.messages)
        self.versions = self.store.versions(conversation_id)
        return list(self.messages)

    def set_aside(self, turn: SetAsideTurn) -> None:
        """Keep a turn none of whose replies continues the chat (a comparison closed with none kept).

        Its replies were charged: a saved chat stores the turn at once, set aside (its prompt
        becomes a version of the next prompt); a chat not saved yet stores it when its first
        turn saves the chat. Leaving an unsaved chat drops it (the usage history still has it).
        """
        if not turn.replies:
            return
        if self.conversation_id is None:
            self.set_aside_pending.append(turn)
            return
        store_turn(self.store, self.conversation_id, turn.prompt, turn.replies, None)

    def store_set_aside_pending(self) -> None:
        """The chat was just saved: store the turns set aside before (see :meth:`set_aside`)."""
        assert self.conversation_id is not None
        for turn in self.set_aside_pending:
            store_turn(self.store, self.conversation_id, turn.prompt, turn.replies, None)
        self.set_aside_pending = []

    def replies_set_aside(self) -> list[MessageRecord]:
        """The open chat's replies that are not shown (earlier versions): they cost credits too."""
        if self.conversation_id is None:
            return []
        try:
            return self.store.replies_set_aside(self.conversation_id)
        except (LiaobotsError, sqlite3.Error):
            return []  # the costs shown leave them out; nothing else depends on them

    # ------------------------------------------------------------------ versions and forks

    def choose_version(self, message_id: int, step: int) -> list[MessageRecord] | None:
        """Show the version ``step`` places from message ``message_id`` (-1 previous, 1 next).

        The messages after it become those last shown under that version, and the next
        turn sends them. Returns the conversation's messages now, or None when there is
        no such version (the first or last already). Raises TurnBusy while a reply streams.
        """
        if self.streaming:
            raise TurnBusy("A reply is still streaming: Esc stops it.")
        if self.conversation_id is None:
            return None
        if self.store.choose_version(self.conversation_id, message_id, step) is None:
            return None
        self.messages = list(self.store.load_conversation(self.conversation_id).messages)
        self.versions = self.store.versions(self.conversation_id)
        return list(self.messages)

    async def fork(self, message_id: int) -> list[MessageRecord]:
        """Open a new chat holding this chat's history up to and with ``message_id``.

        A streaming reply is first stopped (as when switching chats); the fork copies the
        settings and system prompt, and its title and settings name its origin. Returns
        the fork's messages; the fork is now the open chat.
        """
        if self.conversation_id is None:
            raise InputError("there is nothing to fork yet: send a prompt first")
        await self.cancel()
        fork_id = self.store.fork_conversation(self.conversation_id, message_id)
        return await self.open(fork_id)

    async def delete(self, conversation_id: int) -> bool:
        """Delete a chat; the open one is first cancelled and closed. True when the open chat went."""
        current = conversation_id == self.conversation_id
        if current:
            await self.cancel()
        self.store.delete_conversation(conversation_id)
        if current:
            await self.new_chat()
        return current

    def rename(self, conversation_id: int, title: str) -> None:
        title = title.strip()
        if not title:
            raise InputError("a chat needs a title")
        self.store.rename_conversation(conversation_id, title)
        if conversation_id == self.conversation_id:
            self.title = title

    # ------------------------------------------------------------------ settings

    def choose_model(self, model: str, format_choice: Format | None) -> str:
        """Use ``model`` with format ``format_choice`` (None: auto) for the next turns.

        Returns a notice for the user ("" when none): a carried-over format the
        model cannot use goes back to auto. Raises FormatRefused for a format
        chosen now that the model cannot use.
        """
        model = model.strip()
        if not model:
            raise InputError("the model name is empty")
        settings, notice = with_model(self.settings, model, format_choice)
        self._apply(settings)
        return notice

    def set_system(self, system: str) -> None:
        self._apply(replace(self.settings, system=system))

    def set_temperature(self, temperature: float | None) -> None:
        self._apply(replace(self.settings, temperature=temperature))

    def set_thinking(self, thinking: Thinking | None) -> None:
        self._apply(replace(self.settings, thinking=thinking))

    def toggle_thinking(self) -> Thinking | None:
        """Thinking off → on (the model's default depth); on → off. Returns the new value."""
        self.set_thinking(None if self.settings.thinking is not None else Thinking())
        return self.settings.thinking

    def set_image_options(self, image: ImageOptions) -> None:
        self._apply(replace(self.settings, image=image))

    def update(self, settings: ConversationSettings) -> None:
        """Take a whole settings value at once (the CLI's flags, the settings modal)."""
        settings.format  # noqa: B018  # refuses a format the model cannot use, before saving
        self._apply(settings)

    def _apply(self, settings: ConversationSettings) -> None:
        self.settings = settings
        if self.conversation_id is not None:
            self._save_settings(self.conversation_id)

    def _save_settings(self, conversation_id: int) -> None:
        previous = self.store.conversation_settings(conversation_id)
        self.store.update_conversation(
            conversation_id,
            system=self.settings.system or None,
            settings=saved_form(self.settings, previous),
        )

    # ------------------------------------------------------------------ turns

    def send(
        self,
        text: str,
        images: Sequence[Attachment] = (),
        listener: TurnListener = _ignore,
        *,
        stream: bool = True,
        image_for_any_model: bool = False,
    ) -> Turn:
        """Start a turn with a new user message; see the module docstring for what is checked first."""
        user = self._user_message(text, images)
        fmt = self.check_turn()
        check_fits(self.settings.model, images, text)  # before anything is saved
        options = self.request_options(stream=stream, image_for_any_model=image_for_any_model)
        resent = resent_failed_prompt(self.messages, text, images)
        if resent is not None and self.conversation_id is not None:
            # Resending the prompt whose reply failed: the retry takes the failed pair's place.
            events = self._backend().edit(self.conversation_id, resent, user, options, format=fmt)
            return self._start(events, listener, self.messages[:-2])
        created = self.conversation_id is None
        if self.conversation_id is None:
            self.conversation_id = self.store.create_conversation(
                system=self.settings.system or None, settings=saved_form(self.settings, {})
            )
        pending = self.set_aside_pending
        try:
            if created:
                self.store_set_aside_pending()
            events = self._backend().send(self.conversation_id, user, options, format=fmt)
        except BaseException:
            if created:  # the turn never started: leave no empty chat behind
                self.store.delete_conversation(self.conversation_id)
                self.conversation_id = None
                self.set_aside_pending = pending
            raise
        return self._start(events, listener, self.messages)

    def regenerate(self, listener: TurnListener = _ignore) -> Turn:
        """Drop the replies after the last prompt and ask for a new one."""
        fmt = self.check_turn()
        last_user = next((i for i in range(len(self.messages) - 1, -1, -1)
                          if self.messages[i].role == "user"), None)  # fmt: skip
        if self.conversation_id is None or last_user is None:
            raise InputError("there is no prompt to regenerate a reply for yet")
        events = self._backend().regenerate(self.conversation_id, self.request_options(), format=fmt)
        return self._start(events, listener, self.messages[: last_user + 1])

    def edit(
        self, message_id: int, text: str, images: Sequence[Attachment] = (), listener: TurnListener = _ignore
    ) -> Turn:
        """Replace prompt ``message_id`` and everything after it with a new prompt, and resend."""
        user = self._user_message(text, images)
        fmt = self.check_turn()
        check_fits(self.settings.model, images, text)
        index = next((i for i, m in enumerate(self.messages) if m.id == message_id), None)
        if self.conversation_id is None or index is None or self.messages[index].role != "user":
            raise InputError("that message is not one of your saved prompts in this chat")
        options = self.request_options()
        events = self._backend().edit(self.conversation_id, message_id, user, options, format=fmt)
        return self._start(events, listener, self.messages[:index])

    def check_turn(self) -> Format:
        """The format the next turn goes out in; raises TurnBusy or FormatRefused when it cannot start."""
        if self.streaming:
            raise TurnBusy("A reply is still streaming: Esc stops it.")
        return self.settings.format  # FormatRefused before anything is saved

    @staticmethod
    def _user_message(text: str, attached: Sequence[Attachment]) -> Message:
        # Files go before the question (the providers advise long documents first), images after it as always.
        parts: list[TextPart | Attachment] = [p for p in attached if isinstance(p, FilePart)]
        if text.strip():
            parts.append(TextPart(text))
        parts.extend(p for p in attached if isinstance(p, ImagePart))
        if not parts:
            raise InputError("the prompt is empty")
        return Message("user", parts=parts)

    def _start(
        self, events: AsyncIterator[ChatEvent], listener: TurnListener, keep: list[MessageRecord]
    ) -> Turn:
        self.messages = list(keep)
        self._started = self._cancel_pending = False
        task: Turn = asyncio.create_task(self._run(events, listener))
        self._task = task
        return task

    async def _run(self, events: AsyncIterator[ChatEvent], listener: TurnListener) -> MessageRecord | None:
        started: TurnStarted | None = None
        final: MessageRecord | None = None
        listener_failed = False
        last_yield = time.monotonic()
        try:
            async with aclosing(events):  # type: ignore[type-var]  # the service's streams are generators
                async for event in events:
                    if isinstance(event, TurnStarted):
                        started = event
                        if event.user_message is not None:
                            self.messages.append(event.user_message)
                        self.messages.append(event.reply)
                    elif isinstance(event, TurnEnded):
                        final = self._settle(event.reply)
                        event = TurnEnded(final)
                    try:
                        await listener(event)
                    except Exception:
                        listener_failed = True
                        raise
                    if started is not None and not self._started:
                        self._started = True
                        if self._cancel_pending and self._task is not None:
                            self._task.cancel()  # asked before the start: stop at the next await
                    now = time.monotonic()
                    if now - last_yield > YIELD_EVERY:
                        await asyncio.sleep(0)
                        last_yield = now
        except asyncio.CancelledError:
            # The service saved the partial reply as cancelled when its stream was closed.
            if started is not None and final is None:
                final = self._settle(self._reloaded(started.reply))
                await listener(TurnEnded(final))
            raise
        except Exception:
            # The service saved the reply as failed; show it so, then let the front end report the bug.
            if started is not None and final is None and not listener_failed:
                final = self._settle(self._reloaded(started.reply))
                await listener(TurnEnded(final))
            raise
        finally:
            self._after_turn()
        return final

    def _settle(self, reply: MessageRecord) -> MessageRecord:
        """Put the final ``reply`` in place of its placeholder (same store id); stamp its end if unstamped."""
        if reply.ended_at is None:
            reply = replace(reply, ended_at=time.time())
        for i in range(len(self.messages) - 1, -1, -1):
            if self.messages[i].id == reply.id:
                self.messages[i] = reply
                break
        else:
            self.messages.append(reply)
        return reply

    def _reloaded(self, reply: MessageRecord) -> MessageRecord:
        """The reply as the store has it now (after the service ended it), else the one we hold."""
        if self.conversation_id is None or reply.id is None:
            return reply
        try:
            stored = self.store.load_conversation(self.conversation_id).find(reply.id)
        except (LiaobotsError, OSError):
            return reply
        return reply if stored is None else stored

    def _after_turn(self) -> None:
        if self.conversation_id is not None:
            try:
                self.versions = self.store.versions(self.conversation_id)
            except LiaobotsError:
                self.versions = {}
        if self.conversation_id is not None and not self.title:
            try:
                self.title = self.store.load_conversation(self.conversation_id).title
            except LiaobotsError:
                self.title = ""

    # ------------------------------------------------------------------ account

    def gateway(self) -> GatewayClient:
        """The gateway client in use now; LiaobotsError when not connected."""
        return self._gateway()

    def _gateway(self) -> GatewayClient:
        if self._client is None:
            raise LiaobotsError("Not connected: set the auth code first (ctrl+p → Set auth code).")
        return self._client()

    async def fetch_credits(self) -> Credits:
        """The balance, from the client in use now (setup may have rebuilt it with a new auth code)."""
        return await fetch_credits(self._gateway())

    async def fetch_usage_page(self, next_id: str) -> UsagePage:
        """One page of usage records, newest first; ``next_id`` "" for the first."""
        return await fetch_usage_page(self._gateway(), next_id=next_id)
