"""A conversation's settings as one typed value, with its one reader and its one writer.

What a chat remembers between turns and between the app and the CLI: the model,
the wire format chosen (``None`` = "auto", follow the model), the system prompt,
the temperature, thinking and the Gemini image options. The store keeps them as
a JSON dict per conversation (and the system prompt in its own column);
:func:`read_settings` turns whatever is there (written by an older version,
edited by hand, or damaged) into a valid value, and :func:`saved_form` is the
only place that decides the JSON shape.

Format rules live here too: :func:`resolve_format` says which format a turn
goes out in, refusing an explicit choice the model cannot use *before* anything
is sent, saved or charged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from liaobots_tui.api.messages import (
    ASPECT_RATIOS,
    EFFORTS,
    FORMATS,
    IMAGE_SIZES,
    MIN_THINKING_BUDGET,
    Format,
    ImageOptions,
    Thinking,
    format_for_model,
    is_image_model,
)
from liaobots_tui.config import Settings
from liaobots_tui.errors import InputError


class FormatRefused(InputError):
    """An explicit format the model cannot answer in; raised before anything is sent or saved."""

    title = "Format not usable"


@dataclass(frozen=True)
class ConversationSettings:
    """Everything a turn of one conversation is sent with, besides its messages."""

    model: str
    #: The format picked by hand; None follows the model (see :func:`resolve_format`).
    format_choice: Format | None = None
    system: str = ""
    #: None: the model's default.
    temperature: float | None = None
    #: None: thinking off.
    thinking: Thinking | None = None
    #: Used by Gemini image models only; kept for the chat whatever the model.
    image: ImageOptions = field(default_factory=ImageOptions)

    @property
    def format(self) -> Format:
        """The format a turn goes out in (raises :class:`FormatRefused` when the choice cannot work)."""
        return resolve_format(self.model, self.format_choice)

    def format_label(self) -> str:
        """``anthropic (auto)`` or ``openai``: the status bar's words for the format."""
        if self.format_choice is None:
            return f"{format_for_model(self.model)} (auto)"
        return self.format_choice


def defaults_from(config: Settings) -> ConversationSettings:
    """What a new chat starts with: the config file's model, format, system prompt and temperature."""
    return ConversationSettings(
        model=config.model,
        format_choice=next((f for f in FORMATS if f == config.format), None),
        system=config.system_prompt,
        temperature=config.temperature,
    )


def usable_formats(model: str) -> tuple[Format, ...]:
    """The formats ``model`` can be asked through: image models only answer with images in Gemini's."""
    return ("gemini",) if is_image_model(model) else FORMATS


def resolve_format(model: str, choice: Format | None) -> Format:
    """The wire format for ``model``: its own for "auto", else the choice if the model can use it.

    Raises:
        FormatRefused: the choice cannot carry this model's reply (before anything is sent).
    """
    if choice is None:
        return format_for_model(model)
    if choice not in usable_formats(model):
        raise FormatRefused(
            f"{model} is an image model: it answers only in the gemini format, not {choice} "
            "(choose auto or gemini)"
        )
    return choice


def with_model(
    settings: ConversationSettings, model: str, choice: Format | None
) -> tuple[ConversationSettings, str]:
    """``settings`` for ``model`` with format ``choice``, and a notice for the user ("" when none).

    A choice the user just made that the model cannot use is refused
    (:class:`FormatRefused`). A choice carried over from the previous model (the
    same as before) that the new model cannot use falls back to auto, and the
    notice says so: a hand-picked format never sticks silently.
    """
    if choice is not None and choice not in usable_formats(model):
        if choice != settings.format_choice:
            resolve_format(model, choice)  # raises with the reason
        return (
            replace(settings, model=model, format_choice=None),
            f"Format back to auto ({format_for_model(model)}): {model} cannot use {choice}",
        )
    return replace(settings, model=model, format_choice=choice), ""


# ---------------------------------------------------------------- the one reader


def read_settings(
    saved: Mapping[str, Any], system: str | None, defaults: ConversationSettings
) -> ConversationSettings:
    """The settings stored for a conversation; anything missing or invalid takes the default.

    ``saved`` is the store's JSON dict, ``system`` the conversation's system prompt.
    Older versions wrote only ``format`` (the format last used); it counts as a
    choice only when it differs from what the model implies.
    """
    model = saved.get("model")
    model = model.strip() if isinstance(model, str) and model.strip() else defaults.model
    return ConversationSettings(
        model=model,
        format_choice=_read_format(saved, model),
        system=system if isinstance(system, str) else "",
        temperature=_read_temperature(saved.get("temperature", defaults.temperature)),
        thinking=read_thinking(saved.get("thinking")) if "thinking" in saved else defaults.thinking,
        image=read_image_options(saved.get("image_options")),
    )


def _read_format(saved: Mapping[str, Any], model: str) -> Format | None:
    if "format_choice" in saved:
        raw = saved["format_choice"]
    else:
        raw = saved.get("format")
        if raw == format_for_model(model):
            raw = None
    choice = next((f for f in FORMATS if f == raw), None)
    if choice is not None and choice not in usable_formats(model):
        return None  # saved before this rule existed: auto is what can work
    return choice


def _read_temperature(raw: object) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    value = float(raw)
    return value if math.isfinite(value) and 0 <= value <= 2 else None


def read_thinking(raw: object) -> Thinking | None:
    """``{"effort": "high"}``, ``{"budget": 8000}``, ``{}`` (on) or null (off); junk is off."""
    if not isinstance(raw, dict):
        return None
    budget = raw.get("budget")
    if isinstance(budget, int) and not isinstance(budget, bool) and budget >= MIN_THINKING_BUDGET:
        return Thinking(budget=budget)
    effort = raw.get("effort")
    return Thinking(effort=next((e for e in EFFORTS if e == effort), None))


def read_image_options(raw: object) -> ImageOptions:
    """Image options stored for a chat; unknown keys or values fall back to the defaults."""
    if not isinstance(raw, dict):
        return ImageOptions()
    aspect, size = raw.get("aspect_ratio"), raw.get("image_size")
    search, text = raw.get("google_search"), raw.get("want_text")
    return ImageOptions(
        aspect_ratio=aspect if aspect in ASPECT_RATIOS else None,
        image_size=size if size in IMAGE_SIZES else None,
        google_search=search if isinstance(search, bool) else False,
        want_text=text if isinstance(text, bool) else True,
    )


# ---------------------------------------------------------------- the one writer


def saved_form(settings: ConversationSettings, previous: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON dict to store: ``previous`` (keys a newer version may have added) updated with ours.

    The system prompt is not in it: the store keeps it in its own column.
    """
    thinking: dict[str, Any] | None = None
    if settings.thinking is not None:
        thinking = {}
        if settings.thinking.budget is not None:
            thinking["budget"] = settings.thinking.budget
        if settings.thinking.effort is not None:
            thinking["effort"] = settings.thinking.effort
    image = settings.image
    return {
        **previous,
        "model": settings.model,
        "format_choice": settings.format_choice,
        "temperature": settings.temperature,
        "thinking": thinking,
        "image_options": {
            "aspect_ratio": image.aspect_ratio,
            "image_size": image.image_size,
            "google_search": image.google_search,
            "want_text": image.want_text,
        },
    }
