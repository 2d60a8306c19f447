"""Outside text is shown as written: never parsed as markup, never able to drive the terminal.

Hostile strings (``[/]``, ``[b]``, ``[@click=app.quit]``, ``[link=file:///etc/passwd]``
and escape sequences: OSC 52 clipboard, CSI 2J, a C1 CSI) go through every place the
app shows text it did not write: a streamed reply and its thinking, the error line and
toast of a failed request (through the real transport, adapter and chat service, from
a gateway on a mock transport), model ids, the usage table and its model filter,
sources, the status bar, chat titles, dialogs. The app must keep running and show the
markup literally, with the escape bytes removed.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.content import Content
from textual.fuzzy import Matcher
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import DataTable, Select, Static

from liaobots_tui.api.account import UsagePage, UsageRecord
from liaobots_tui.api.messages import Message, Source, TextPart
from liaobots_tui.api.sanitize import clean_line
from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.store import ConversationSummary, MessageRecord, Store
from liaobots_tui.ui.app import LiaobotsApp
from liaobots_tui.ui.plain import highlighted, markup_escaped
from liaobots_tui.ui.screens.dialogs import ConfirmModal
from liaobots_tui.ui.screens.error import ErrorModal
from liaobots_tui.ui.screens.usage import UsageScreen
from liaobots_tui.ui.widgets.conversation_list import ConversationList
from liaobots_tui.ui.widgets.message_box import MessageBox, ThinkingBlock
from liaobots_tui.ui.widgets.sources import SourcesList
from liaobots_tui.ui.widgets.status_bar import StatusBar
from tests.ui.conftest import AppFactory, offline_client, offline_settings
from tests.ui.driving import chat, send, settle, type_text

pytestmark = pytest.mark.ui

#: Markup that would close a tag that is not open, style, run an action, or link a local file.
MARKUP = "[/] [b]bold?[/b] [@click=app.quit]click me[/] [link=file:///etc/passwd]x[/link]"
#: OSC 52 (set the clipboard), CSI 2J (clear the screen), a C1 CSI, a bare CR.
ESCAPES = "\x1b]52;c;Y3VybCBldmlsLnNofHNo\x07\x1b[2J\u009b2J\r"
HOSTILE = f"{MARKUP}{ESCAPES} end"
SHOWN = f"{MARKUP}]52;c;Y3VybCBldmlsLnNofHNo[2J2J end"
#: Fragments of MARKUP that must appear on screen as written.
LITERAL = ("[/] [b]bold?[/b]", "[@click=app.quit]click me[/]", "[link=file:///etc/passwd]x[/link]")
#: In an error body this became a clickable action that overwrote a file of the server's choosing.
CLICK = "[@click=app.screenshot('victim.txt','/tmp')]run[/]"
WIDE = (220, 50)
#: A model id holds no whitespace (the models list drops one that does), but can hold every tag.
MODEL_ID = "[/][b]bold?[/b][@click=app.quit]click-me[/][link=file:///etc/passwd]x[/link]"


def screen_lines(app: App[Any]) -> list[str]:
    """What the terminal shows, one string per row (from the SVG screenshot)."""
    svg = app.export_screenshot()
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", svg), "a control character reached the screen"
    rows: dict[float, list[tuple[float, str]]] = {}
    for x, y, text in re.findall(r'<text[^>]*?x="([\d.]+)"[^>]*?y="([\d.]+)"[^>]*>(.*?)</text>', svg):
        rows.setdefault(float(y), []).append((float(x), html.unescape(text).replace("\xa0", " ")))
    return ["".join(t for _, t in sorted(row)) for _, row in sorted(rows.items())]


def assert_shown_literally(app: App[Any], *fragments: str) -> None:
    lines = "\n".join(screen_lines(app))
    for fragment in fragments:
        assert fragment in lines, f"{fragment!r} is not on screen"


def no_click_actions(app: App[Any]) -> None:
    """Nothing drawn carries a click action or a file link smuggled in by outside text."""
    drawn = 0
    for widget in app.screen.walk_children(with_self=True):
        if not isinstance(widget, Widget) or not widget.display or not widget.size.area:
            continue
        for strip in widget.render_lines(Region(0, 0, widget.size.width, widget.size.height)):
            for segment in strip:
                style = segment.style
                if style is None:
                    continue
                drawn += 1
                click = str(style.meta.get("@click", "")) if style.meta else ""
                assert "app.quit" not in click and "app.screenshot" not in click, click
                assert not (style.link or "").startswith("file:"), style.link
    assert drawn  # the check looked at something


# ---------------------------------------------------------------- a gateway with hostile answers


class HostileGateway:
    """Answers like the Liaobots gateway (OpenAI Chat format), with hostile text everywhere."""

    def __init__(self) -> None:
        self.chats = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/models"):
            return httpx.Response(200, json={"data": [{"id": "gpt-5.4"}, {"id": MODEL_ID}]})
        if path.endswith("/credits"):
            return httpx.Response(200, json={"balance": 10, "amount": 20})
        if path.endswith("/chat/completions"):
            self.chats += 1
            if self.chats > 1:
                # The action first: the api layer may cut a long error body short.
                message = f"{CLICK} {HOSTILE}"
                return httpx.Response(400, json={"error": {"message": message, "type": "invalid_request"}})
            return httpx.Response(200, content=self._stream(), headers={"content-type": "text/event-stream"})
        return httpx.Response(404, json={"error": {"message": "no"}})

    def _stream(self) -> bytes:
        def chunk(delta: dict[str, Any]) -> str:
            return "data: " + json.dumps({"choices": [{"index": 0, "delta": delta}]}) + "\n\n"

        body = chunk({"reasoning_content": f"thinking {HOSTILE}"})
        body += chunk({"content": f"Reply {HOSTILE}\n\n"})
        body += chunk({"content": "A [md link](file:///etc/passwd) and `[b]code[/b]`.\n"})
        return (body + "data: [DONE]\n\n").encode()

    def client(self, base_urls: Any, auth_code: str) -> GatewayClient:
        return GatewayClient(
            list(base_urls), auth_code, transport=httpx.MockTransport(self.handle), max_retries=0
        )


async def test_hostile_reply_thinking_and_error_are_shown_literally(make_app: AppFactory) -> None:
    """Then, in the same app, the gateway's model ids in the picker, the status line and the palette
    (was test_model_ids_from_the_gateway_are_listed_literally, its own boot on the same gateway)."""
    gateway = HostileGateway()
    app = make_app(offline_settings(), client_factory=gateway.client)
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(app, pilot)
        await send(app, pilot, "hello")
        reply = chat(app).view.boxes()[-1]
        assert reply.message.status == "complete"
        assert f"Reply {SHOWN}" in reply.copy_text
        assert "\x1b" not in reply.streamed_text and "\x9b" not in reply.streamed_text
        thinking = reply.query_one(ThinkingBlock)
        thinking.collapsed = False
        await pilot.pause()
        assert_shown_literally(app, *LITERAL, "[b]code[/b]")
        no_click_actions(app)

        # A failed request: the gateway's error text in the notice line and in a toast.
        await send(app, pilot, "again")
        failed = chat(app).view.boxes()[-1]
        assert failed.message.status == "failed"
        assert app.return_code is None  # still running: no MarkupError
        toasts = [n for n in app._notifications if n.severity == "error"]
        assert toasts and all(not n.markup for n in toasts)
        assert f"{CLICK} [/] [b]bold?[/b]" in toasts[-1].message
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", toasts[-1].message)
        await pilot.pause()
        assert_shown_literally(app, CLICK)  # in the toast and on the reply's error line
        no_click_actions(app)

        # Model ids from the gateway are listed literally.
        assert MODEL_ID in app.models
        await pilot.press("ctrl+o")  # the model picker
        await settle(app, pilot)
        assert_shown_literally(app, MODEL_ID)
        no_click_actions(app)
        await pilot.press("escape")
        chat(app).status.model = HOSTILE
        await pilot.pause()
        assert_shown_literally(app, "[@click=app.quit]click me[/]")
        # The command palette lists models too (it parses prompts as markup: this crashed).
        await pilot.press("ctrl+p")
        await type_text(pilot, "model")  # one search; key by key ran one per letter
        assert app.return_code is None
        assert_shown_literally(app, "[@click=app.quit]click me[/]")
        no_click_actions(app)


# ---------------------------------------------------------------- toasts


async def test_toasts_are_plain_scrubbed_and_bounded(make_app: AppFactory, hostile_store: Store) -> None:
    """First, a stored reply from an older version is cleaned when shown (was
    test_a_stored_reply_from_an_older_version_is_cleaned_when_shown, its own boot)."""
    app = make_app(
        offline_settings(auth_code="secret-code-123"), client_factory=offline_client, store=hostile_store
    )
    async with app.run_test(size=WIDE, notifications=True) as pilot:
        await settle(app, pilot)
        assert_shown_literally(app, "Stored reply [/] [b]bold?[/b]", "Title [/] [b]bold?[/b]")
        no_click_actions(app)
        assert app.return_code is None

        # Widget.notify passes markup=True by default: the app must not honour it.
        chat(app).notify(HOSTILE, title=f"title {HOSTILE}")
        app.notify("[/] and the code secret-code-123 " + "x" * 5000, markup=True)
        await pilot.pause()
        assert app.return_code is None
        first, second = list(app._notifications)[-2:]
        assert first.message == SHOWN and not first.markup
        assert first.title.startswith(f"title {MARKUP}") and len(first.title) <= 120  # one line
        assert not re.search(r"[\x00-\x1f\x7f-\x9f]", first.title)
        assert "secret-code-123" not in second.message and "[auth code]" in second.message
        assert len(second.message) <= LiaobotsApp.TOAST_CHARS + 1
        assert_shown_literally(app, "[@click=app.quit]click me[/]")
        no_click_actions(app)


# ---------------------------------------------------------------- usage table and filter


def hostile_records() -> list[UsageRecord]:
    return [
        UsageRecord(i, model, 30, 10, 20, 0, 0, 0.5, 1_767_225_600_000 + i * 1000)
        for i, model in enumerate([HOSTILE, "gpt-5.4", MARKUP])
    ]


class UsageApp(App[None]):
    def on_mount(self) -> None:
        async def fetch(next_id: str) -> UsagePage:
            return UsagePage(hostile_records(), "")

        self.push_screen(UsageScreen(fetch))


async def test_usage_table_and_model_filter_show_model_names_literally() -> None:
    app = UsageApp()
    async with app.run_test(size=WIDE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, UsageScreen)
        table = screen.query_one("#usage-table", DataTable)
        cells = [table.get_row_at(i)[1] for i in range(table.row_count)]
        assert all(isinstance(c, Text) for c in cells)
        assert {c.plain for c in cells} == {clean_line(HOSTILE), "gpt-5.4", MARKUP}
        models = screen.query_one("#usage-models", DataTable)
        assert {models.get_row_at(i)[0].plain for i in range(models.row_count)} >= {MARKUP}
        assert_shown_literally(app, "[@click=app.quit]click me[/]")
        select = screen.query_one("#usage-model", Select)
        select.focus()
        await pilot.press("enter")  # open the filter's list
        await pilot.pause()
        assert_shown_literally(app, *LITERAL)
        no_click_actions(app)
        await pilot.press("down", "enter")  # pick the first model: the table filters, nothing breaks
        await pilot.pause()
        assert select.value in {r.model for r in hostile_records()}
        assert app.return_code is None


# ---------------------------------------------------------------- widgets fed directly


class Harness(App[None]):
    def __init__(self, *widgets: Any) -> None:
        super().__init__()
        self._widgets = widgets

    def compose(self) -> ComposeResult:
        yield from self._widgets


async def test_message_chrome_sources_status_and_chat_list_are_plain() -> None:
    failed = MessageRecord(
        Message(
            "assistant",
            [TextPart(f"Partial {HOSTILE}")],
            model=HOSTILE,
            sources=[Source(f"https://example.com/{ESCAPES}", f"Title {HOSTILE}")],
        ),
        status="failed",
        error=f"Gateway said: {HOSTILE}",
    )
    user = MessageRecord(Message("user", [TextPart(f"pasted {HOSTILE}")]))
    status = StatusBar()
    status.model, status.domain, status.notice = HOSTILE, HOSTILE, f"Retrying: {HOSTILE}"
    chats = ConversationList()
    app = Harness(MessageBox(user), MessageBox(failed), status, chats)
    async with app.run_test(size=WIDE) as pilot:
        chats.set_conversations(
            [
                ConversationSummary(
                    id=1,
                    title=f"Chat {HOSTILE}",
                    created_at=0.0,
                    updated_at=0.0,
                    model=HOSTILE,
                    format=None,
                    message_count=2,
                )
            ],
            total=1,
        )
        await pilot.pause()
        assert app.return_code is None
        assert_shown_literally(app, *LITERAL)
        lines = "\n".join(screen_lines(app))
        for shown in ("Partial [/] [b]bold?[/b]", "pasted [/]", "✗ Gateway said: [/]", "Title [/]"):
            assert shown in lines
        no_click_actions(app)
        sources = app.query_one(SourcesList)
        tooltip = app.query_one(".source", Static).tooltip
        assert isinstance(tooltip, Content) and "\x1b" not in tooltip.plain
        assert sources.display


async def test_dialogs_show_outside_text_literally() -> None:
    app = Harness(Static("x"))
    async with app.run_test(size=WIDE) as pilot:
        await app.push_screen(ErrorModal(f"Title {HOSTILE}", f"Message {HOSTILE}", f"detail {HOSTILE}"))
        await pilot.pause()
        assert_shown_literally(app, "Message [/] [b]bold?[/b]", "[@click=app.quit]click me[/]")
        no_click_actions(app)
        app.pop_screen()
        await app.push_screen(ConfirmModal(f"Delete {HOSTILE}?", f"Chat {HOSTILE}"))
        await pilot.pause()
        assert_shown_literally(app, "Chat [/] [b]bold?[/b]")
        assert app.return_code is None


@pytest.fixture
def hostile_store(store: Store) -> Iterator[Store]:
    conversation_id = store.create_conversation(title=f"Title {MARKUP}")
    store.add_message(conversation_id, Message("user", [TextPart("hi")]))
    store.add_message(
        conversation_id,
        Message("assistant", [TextPart(f"Stored reply {HOSTILE}")], model=MARKUP),
    )
    yield store


def test_palette_helpers_keep_outside_text_literal() -> None:
    # The command palette parses prompts, help and highlighted text as markup.
    content = highlighted(Matcher("gp"), f"gpt {HOSTILE}")
    assert content.plain == clean_line(f"gpt {HOSTILE}")
    assert not any("@click" in str(span.style) for span in content.spans)
    assert Content.from_markup(markup_escaped(HOSTILE)).plain == clean_line(HOSTILE)
