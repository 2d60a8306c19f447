"""Refining with a Gemini image model sends back only the latest picture, signed; text models get all."""

from __future__ import annotations

import base64
import json
from typing import Any

from liaobots_tui.api.gemini import GeminiAdapter
from liaobots_tui.api.messages import Conversation, ImagePart, Message, RequestOptions, TextPart
from tests.api.test_gemini import IMAGE_MODEL, MODEL, make_png

PICTURES = [make_png((4 + n, 3)) for n in range(3)]
ATTACHED = make_png((9, 9))


def _signed(data: bytes, n: int) -> ImagePart:
    return ImagePart(data, generated=True, provider_data={"gemini": {"thoughtSignature": f"c2ln{n}"}})


def refine_chat(turns: int = 3) -> Conversation:
    """A picture asked for (a photo attached), then ``turns - 1`` refinements, each answered with one."""
    messages = [Message("user", [TextPart("a fox like this one"), ImagePart(ATTACHED)])]
    for n in range(turns):
        reply_parts = [TextPart("Here.", provider_data={"gemini": {"thoughtSignature": f"dGV4{n}"}})]
        messages.append(Message("assistant", [*reply_parts, _signed(PICTURES[n], n)], format="gemini"))
        messages.append(Message("user", [TextPart(f"refinement {n + 1}")]))
    return Conversation(messages)


def _inline(body: dict[str, Any]) -> list[tuple[str, bytes, str | None]]:
    """(role, bytes, signature) of every inline picture in the request, in order."""
    return [
        (turn["role"], base64.b64decode(part["inlineData"]["data"]), part.get("thoughtSignature"))
        for turn in body["contents"]
        for part in turn["parts"]
        if "inlineData" in part
    ]


def _body(conversation: Conversation, model: str) -> dict[str, Any]:
    return GeminiAdapter().build_request(conversation, RequestOptions(model=model)).json


def test_an_image_model_gets_the_attachment_and_only_the_latest_picture_with_its_signature() -> None:
    sent = _inline(_body(refine_chat(3), IMAGE_MODEL))
    assert sent == [("user", ATTACHED, None), ("model", PICTURES[2], "c2ln2")]


def test_earlier_replies_keep_their_text_and_its_signature() -> None:
    body = _body(refine_chat(3), IMAGE_MODEL)
    model_turns = [turn for turn in body["contents"] if turn["role"] == "model"]
    assert [turn["parts"][0] for turn in model_turns] == [
        {"text": "Here.", "thoughtSignature": f"dGV4{n}"} for n in range(3)
    ]
    assert [turn["role"] for turn in body["contents"]] == ["user", "model"] * 3 + ["user"]


def test_a_text_reply_after_the_picture_does_not_lose_the_picture() -> None:
    earlier = refine_chat(2)
    chat = Conversation(
        [
            *earlier.messages,
            Message("assistant", [TextPart("Which moon?")], format="gemini"),
            Message("user", [TextPart("a full one")]),
        ]
    )
    assert _inline(_body(chat, IMAGE_MODEL))[-1] == ("model", PICTURES[1], "c2ln1")


def test_an_unsigned_picture_from_another_format_follows_the_same_rule() -> None:
    chat = Conversation(
        [
            Message("user", [TextPart("draw")]),
            Message("assistant", [ImagePart(PICTURES[0], generated=True)], format="openai"),
            Message("user", [TextPart("again")]),
            Message("assistant", [ImagePart(PICTURES[1], generated=True)], format="openai"),
            Message("user", [TextPart("once more")]),
        ]
    )
    assert _inline(_body(chat, IMAGE_MODEL)) == [("user", PICTURES[1], None)]


def test_a_text_model_still_sees_every_picture() -> None:
    sent = _inline(_body(refine_chat(3), MODEL))
    assert [data for _, data, _ in sent] == [ATTACHED, *PICTURES]


def test_the_third_refinement_body_is_smaller_by_the_earlier_pictures() -> None:
    chat = refine_chat(3)
    small = len(json.dumps(_body(chat, IMAGE_MODEL)))
    full = len(json.dumps(_body(chat, MODEL)))
    dropped = sum(len(base64.b64encode(p)) for p in PICTURES[:2])
    assert full - small >= dropped
