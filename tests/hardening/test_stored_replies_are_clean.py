"""A reply is clean when it is stored: what the hostile gateway sends is cleaned before the store sees it.

So reading a stored reply need not clean it again (``store/big_text.py`` only checks the bytes
of a huge one, for files written by older versions or edited by hand). Each turn goes through
the real chat service (transport, adapter, store) against
:class:`~tests.hardening.hostile_gateway.HostileGateway` sending escapes in text and thinking;
the row is then read with plain SQL, past every read path.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from liaobots_tui.api.messages import Message, RequestOptions, TextPart
from liaobots_tui.api.transport import GatewayClient
from liaobots_tui.chat import ChatSession, TurnEnded
from liaobots_tui.store import Store
from tests.hardening.hostile_gateway import MARKUP, Attack, HostileGateway, has_controls

CODE = "lbx-H0stile-5c7e9a1b3d5f7a9c"


@pytest.fixture
def hostile() -> Iterator[HostileGateway]:
    with HostileGateway(Attack.ESCAPES, CODE) as gateway:
        yield gateway


@pytest.mark.parametrize(
    ("model", "fmt"), [("gpt-5.4", "openai"), ("gemini-3-pro-preview", "gemini")], ids=["openai", "gemini"]
)
async def test_the_stored_rows_of_a_hostile_reply_hold_no_controls(
    hostile: HostileGateway, store: Store, model: str, fmt: str
) -> None:
    async with GatewayClient([hostile.url], CODE, max_retries=0) as client:
        session = ChatSession(client, store)
        events = [
            e
            async for e in session.send(
                None, Message("user", [TextPart("hello")]), RequestOptions(model), format=fmt
            )
        ]
    ended = events[-1]
    assert isinstance(ended, TurnEnded) and ended.reply.id is not None
    with store._read() as db:  # the rows as written, past every read path
        rows = db.execute(
            "SELECT kind, text FROM parts WHERE message_id = ?"
            " UNION ALL SELECT 'chunk', text FROM part_chunks WHERE message_id = ?",
            (ended.reply.id, ended.reply.id),
        ).fetchall()
    texts = [text for kind, text in rows if kind in ("text", "reasoning", "chunk")]
    assert texts and any(MARKUP in text for text in texts)  # the attack's text did arrive
    assert not any(has_controls(text) for text in texts), texts
