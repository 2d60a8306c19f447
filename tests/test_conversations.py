"""The conversation controller's rules, headless: a Store on tmp_path and the demo gateway on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

import pytest

from liaobots_tui.api.messages import (
    ImageOptions,
    Message,
    RequestOptions,
    TextDelta,
    Thinking,
)
from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.chat import ChatEvent, ChatSession, TurnEnded, TurnStarted
from liaobots_tui.conversations import (
    ConversationController,
    ConversationSettings,
    FormatRefused,
    TurnBusy,
)
from liaobots_tui.demo.gateway import FakeGateway
from liaobots_tui.errors import InputError
from liaobots_tui.store import Store

AUTH = "controller-test-code"
IMAGE_MODEL = "gemini-3-pro-image-preview"


@pytest.fixture
def auth_code() -> str:
    return AUTH


class HeldSession:
    """The real chat service, held after the first text delta until the test lets go (or cancels)."""

    def __init__(self, inner: ChatSession) -> None:
        self.inner = inner
        self.first_text = asyncio.Event()
        self.release = asyncio.Event()
        self.hold = True

    async def _held(self, events: AsyncIterator[ChatEvent]) -> AsyncIterator[ChatEvent]:
        async with aclosing(events) as inner:  # type: ignore[type-var]
            async for event in inner:
                yield event
                if isinstance(event, TextDelta) and self.hold and not self.first_text.is_set():
                    self.first_text.set()
                    await self.release.wait()

    def send(self, *args: Any, **kwargs: Any) -> AsyncIterator[ChatEvent]:
        return self._held(self.inner.send(*args, **kwargs))

    def regenerate(self, *args: Any, **kwargs: Any) -> AsyncIterator[ChatEvent]:
        return self._held(self.inner.regenerate(*args, **kwargs))

    def edit(self, *args: Any, **kwargs: Any) -> AsyncIterator[ChatEvent]:
        return self._held(self.inner.edit(*args, **kwargs))


@pytest.fixture
def held(client: GatewayClient, store: Store) -> HeldSession:
    return HeldSession(ChatSession(client, store))


def controller_for(store: Store, backend: Any, **defaults: Any) -> ConversationController:
    settings = ConversationSettings(model=defaults.pop("model", "gpt-5.4"), **defaults)
    return ConversationController(store, lambda: backend, settings)


class Recorder:
    """A listener that keeps every event of a turn."""

    def __init__(self) -> None:
        self.events: list[ChatEvent] = []

    async def __call__(self, event: ChatEvent) -> None:
        self.events.append(event)

    def ended(self) -> list[Message]:
        return [e.reply for e in self.events if isinstance(e, TurnEnded)]


def posted(gw: FakeGateway) -> list[dict[str, Any]]:
    return [r.json for r in gw.requests if r.json is not None and r.method == "POST"]


# ---------------------------------------------------------------- turns


async def test_a_turn_saves_the_chat_with_its_settings(
    store: Store, client: GatewayClient, gw: FakeGateway
) -> None:
    controller = controller_for(store, ChatSession(client, store), temperature=1.0, system="Be brief.")
    listener = Recorder()
    reply = await controller.send("hello", listener=listener)
    assert reply is not None and reply.status == "complete"
    assert reply.text == gw.reply_text_for("gpt-5.4", "hello")
    assert reply.ended_at is not None and reply.ended_at >= reply.created_at
    assert isinstance(listener.events[0], TurnStarted) and listener.ended() == [reply]
    cid = controller.conversation_id
    assert cid is not None and controller.title == "hello"
    assert [m.role for m in controller.messages] == ["user", "assistant"]
    assert controller.messages[-1] is reply
    saved = store.conversation_settings(cid)
    assert (saved["model"], saved["format_choice"], saved["temperature"]) == ("gpt-5.4", None, 1.0)
    assert store.load_conversation(cid).system == "Be brief."
    assert posted(gw)[-1]["temperature"] == 1.0


@pytest.mark.parametrize("switch", ["new", "open", "delete"])
async def test_switching_mid_stream_keeps_the_partial_reply_as_cancelled(
    store: Store, held: HeldSession, switch: str
) -> None:
    controller = controller_for(store, held)
    other = store.create_conversation(title="other")
    listener = Recorder()
    turn = controller.send("tell me a long story", listener=listener)
    await held.first_text.wait()
    cid = controller.conversation_id
    assert cid is not None and controller.streaming

    if switch == "new":
        await controller.new_chat()
        assert controller.conversation_id is None and controller.messages == []
    elif switch == "open":
        await controller.open(other)
        assert controller.conversation_id == other
    else:
        assert await controller.delete(cid) is True
        assert controller.conversation_id is None

    # The turn was over before the switch: its end was reported, and nothing streams any more.
    assert turn.cancelled() and not controller.streaming
    (ended,) = listener.ended()
    assert ended.status == "cancelled" and ended.text  # the partial text is kept
    if switch != "delete":
        saved = store.load_conversation(cid).messages[-1]
        assert (saved.status, saved.text) == ("cancelled", ended.text)
    else:
        with pytest.raises(InputError):
            store.load_conversation(cid)


async def test_switching_before_the_turn_started_still_ends_its_reply(
    store: Store, client: GatewayClient
) -> None:
    controller = controller_for(store, ChatSession(client, store))
    listener = Recorder()
    controller.send("hello", listener=listener)
    cid = controller.conversation_id
    assert cid is not None
    await controller.new_chat()  # the turn's task has not run yet
    (ended,) = listener.ended()
    assert ended.status == "cancelled"
    # Not left "streaming" (which a later read would show as interrupted): ended as cancelled.
    assert [m.status for m in store.load_conversation(cid).messages] == ["complete", "cancelled"]


async def test_cancel_then_send_again(store: Store, held: HeldSession, gw: FakeGateway) -> None:
    controller = controller_for(store, held)
    controller.send("first")
    await held.first_text.wait()
    with pytest.raises(TurnBusy):
        controller.send("second")
    await controller.cancel()
    held.hold = False
    reply = await controller.send("second")
    assert reply is not None and reply.status == "complete"
    assert [m.status for m in controller.messages] == ["complete", "cancelled", "complete", "complete"]


async def test_regenerate_and_edit_replace_what_follows(store: Store, client: GatewayClient) -> None:
    controller = controller_for(store, ChatSession(client, store))
    await controller.send("one")
    await controller.send("two")
    first_prompt = controller.messages[0]
    assert first_prompt.id is not None
    reply = await controller.regenerate()
    assert reply is not None and len(controller.messages) == 4 and controller.messages[-1] is reply
    reply = await controller.edit(first_prompt.id, "one, again")
    assert reply is not None
    assert [m.text for m in controller.messages if m.role == "user"] == ["one, again"]
    assert [m.id for m in store.load_conversation(controller.conversation_id or 0).messages] == [
        m.id for m in controller.messages
    ]


async def test_empty_prompt_and_regenerate_without_prompt_are_refused(store: Store) -> None:
    controller = controller_for(store, object())
    with pytest.raises(InputError):
        controller.send("   ")
    with pytest.raises(InputError):
        controller.regenerate()
    assert store.count_conversations() == 0


# ---------------------------------------------------------------- format rules


async def test_explicit_format_for_an_image_model_is_refused_before_anything_is_sent(
    store: Store, client: GatewayClient, gw: FakeGateway
) -> None:
    controller = controller_for(store, ChatSession(client, store), model=IMAGE_MODEL)
    charged = len(gw.usage_records)
    with pytest.raises(FormatRefused, match="gemini"):
        controller.choose_model(IMAGE_MODEL, "openai")
    # A chat saved with such a choice (older version, hand edit) is refused at send time too.
    controller.settings = ConversationSettings(model=IMAGE_MODEL, format_choice="openai")
    with pytest.raises(FormatRefused):
        controller.send("draw a cat")
    assert posted(gw) == [] and store.count_conversations() == 0 and len(gw.usage_records) == charged


async def test_a_hand_picked_format_does_not_stick_to_a_model_that_cannot_use_it(store: Store) -> None:
    controller = controller_for(store, object(), model="claude-sonnet-4-6")
    assert controller.choose_model("claude-sonnet-4-6", "openai") == ""
    assert controller.settings.format == "openai"
    notice = controller.choose_model(IMAGE_MODEL, "openai")  # the picker hands back the carried choice
    assert "auto" in notice and controller.settings.format_choice is None
    assert controller.settings.format == "gemini"
    assert controller.choose_model("gpt-5.4", "responses") == ""
    assert controller.settings.format_label() == "responses"


async def test_settings_changes_are_saved_for_a_saved_chat(store: Store, client: GatewayClient) -> None:
    controller = controller_for(store, ChatSession(client, store))
    await controller.send("hi")
    cid = controller.conversation_id
    assert cid is not None
    controller.choose_model("claude-sonnet-4-6", "responses")
    controller.set_temperature(1.5)
    controller.set_thinking(Thinking(effort="high"))
    controller.set_image_options(ImageOptions(aspect_ratio="16:9"))
    controller.set_system("Answer in French.")
    reopened = controller_for(store, object())
    await reopened.open(cid)
    assert reopened.settings == ConversationSettings(
        model="claude-sonnet-4-6",
        format_choice="responses",
        system="Answer in French.",
        temperature=1.5,
        thinking=Thinking(effort="high"),
        image=ImageOptions(aspect_ratio="16:9"),
    )


async def test_new_chat_keeps_model_and_thinking_and_resets_the_rest(store: Store) -> None:
    controller = controller_for(store, object(), temperature=0.2, system="default system")
    controller.choose_model("claude-opus-4-6", "anthropic")
    controller.set_thinking(Thinking())
    controller.set_temperature(1.0)
    controller.set_system("chat system")
    await controller.new_chat()
    s = controller.settings
    assert (s.model, s.format_choice, s.thinking) == ("claude-opus-4-6", "anthropic", Thinking())
    assert (s.temperature, s.system) == (0.2, "default system")


def test_request_options_carry_thinking_and_image_options_for_image_models(store: Store) -> None:
    controller = controller_for(store, object())
    controller.set_image_options(ImageOptions(image_size="2K"))
    assert controller.request_options() == RequestOptions(model="gpt-5.4")
    assert controller.toggle_thinking() == Thinking()
    controller.choose_model(IMAGE_MODEL, None)
    options = controller.request_options()
    assert options.image == ImageOptions(image_size="2K") and options.thinking == Thinking()
    assert controller.toggle_thinking() is None


# ---------------------------------------------------------------- thinking on the wire


@pytest.mark.parametrize(
    ("model", "fmt"),
    [("gpt-5.4", "openai"), ("claude-sonnet-4-6", "anthropic"), ("gpt-5.4", "responses"),
     ("gemini-3-pro-preview", "gemini")],
)  # fmt: skip
async def test_thinking_is_asked_for_and_shown_in_every_format(
    store: Store, client: GatewayClient, gw: FakeGateway, model: str, fmt: str
) -> None:
    controller = controller_for(store, ChatSession(client, store))
    controller.choose_model(model, fmt)  # type: ignore[arg-type]
    controller.set_thinking(Thinking(effort="high"))
    reply = await controller.send("why is the sky blue?")
    assert reply is not None and reply.status == "complete" and reply.reasoning
    body = posted(gw)[-1]
    if fmt == "openai":
        assert body["reasoning_effort"] == "high"
    elif fmt == "anthropic":
        # 4.6 models take adaptive thinking with the effort beside it (budgets: see the next test).
        assert body["thinking"] == {"type": "adaptive"} and body["output_config"] == {"effort": "high"}
    elif fmt == "responses":
        assert body["reasoning"] == {"effort": "high", "summary": "auto"}
    else:
        assert body["generationConfig"]["thinkingConfig"] == {
            "thinkingLevel": "HIGH",
            "includeThoughts": True,
        }


async def test_no_thinking_asked_when_off(store: Store, client: GatewayClient, gw: FakeGateway) -> None:
    controller = controller_for(store, ChatSession(client, store), model="claude-sonnet-4-6")
    await controller.send("hi")
    assert "thinking" not in posted(gw)[-1]
    assert controller.messages[-1].reasoning == ""


@pytest.mark.parametrize(
    ("fmt", "model", "thinking", "expected"),
    [
        ("anthropic", "claude-sonnet-4-5", Thinking(budget=2048),
         {"type": "enabled", "budget_tokens": 2048}),
        ("anthropic", "claude-3-7-sonnet", Thinking(effort="low"),
         {"type": "enabled", "budget_tokens": 2048}),
        ("anthropic", "claude-sonnet-4-6", Thinking(), {"type": "adaptive"}),
        ("openai", "gpt-5.4", Thinking(), "medium"),
        ("openai", "gpt-5.4", Thinking(budget=20000), "high"),
        ("responses", "gpt-5.4", Thinking(), {"summary": "auto"}),
        ("responses", "gpt-5.4", Thinking(budget=2000), {"effort": "low", "summary": "auto"}),
        ("gemini", "gemini-3-pro-preview", Thinking(budget=4096),
         {"thinkingBudget": 4096, "includeThoughts": True}),
        ("gemini", "gemini-2.5-flash", Thinking(effort="medium"),
         {"thinkingBudget": 8192, "includeThoughts": True}),
        ("gemini", "gemini-3-pro-preview", Thinking(), {"includeThoughts": True}),
    ],
)  # fmt: skip
def test_thinking_maps_onto_each_format(fmt: str, model: str, thinking: Thinking, expected: object) -> None:
    from liaobots_tui.api.messages import Conversation, TextPart
    from liaobots_tui.api.registry import get_adapter

    conversation = Conversation([Message("user", [TextPart("hi")])])
    body = get_adapter(fmt).build_request(conversation, RequestOptions(model, thinking=thinking)).json  # type: ignore[arg-type]
    assert body is not None
    field = {
        "anthropic": lambda: body["thinking"],
        "openai": lambda: body["reasoning_effort"],
        "responses": lambda: body["reasoning"],
        "gemini": lambda: body["generationConfig"]["thinkingConfig"],
    }[fmt]()
    assert field == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("off", None), ("on", Thinking()), ("HIGH", Thinking(effort="high")), ("8000", Thinking(budget=8000))],
)
def test_thinking_values_shared_by_the_app_and_the_cli(text: str, expected: Thinking | None) -> None:
    from liaobots_tui.api.messages import parse_thinking

    assert parse_thinking(text) == expected
    for bad in ("12", "lots", "-5"):
        with pytest.raises(ValueError, match="thinking must be"):
            parse_thinking(bad)


# ---------------------------------------------------------------- the one reader


def test_saved_settings_are_read_tolerantly() -> None:
    from liaobots_tui.conversations import read_settings

    defaults = ConversationSettings(model="gpt-5.4", temperature=0.7)
    junk = {
        "model": 42, "format_choice": "telepathy", "temperature": "hot", "thinking": "yes please",
        "image_options": {"aspect_ratio": "7:3", "image_size": "2K", "google_search": "no",
                          "want_text": False},
    }  # fmt: skip
    assert read_settings(junk, None, defaults) == ConversationSettings(
        model="gpt-5.4", image=ImageOptions(image_size="2K", want_text=False)
    )
    # What older versions wrote: "format" as last used; it is a choice only when the model implies another.
    older = {"model": "claude-sonnet-4-6", "format": "anthropic", "temperature": 3}
    assert read_settings(older, "Be brief.", defaults) == ConversationSettings(
        model="claude-sonnet-4-6", system="Be brief."
    )
    assert (
        read_settings({"model": "claude-sonnet-4-6", "format": "openai"}, None, defaults).format == "openai"
    )
    # A choice an image model cannot use, saved before the rule existed, reads as auto.
    assert read_settings({"model": IMAGE_MODEL, "format_choice": "openai"}, None, defaults).format == "gemini"
    # Nothing saved: the config's defaults, thinking included.
    assert read_settings({}, None, defaults).temperature == 0.7
