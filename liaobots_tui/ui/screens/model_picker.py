"""ModelPickerModal: choose the model (searchable) and the wire format for the next message.

Typing filters the gateway's model list with Textual's fuzzy matcher; a name
that is not in the list can still be used as typed (new models appear on the
gateway before the list is refreshed). The format defaults to "auto", which
follows the model name (claude → anthropic, gemini → gemini, else openai).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.fuzzy import Matcher
from textual.message import Message as TextualMessage
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, RadioButton, RadioSet, Static
from textual.widgets.option_list import Option

from liaobots_tui.api.messages import FORMATS, Format, format_for_model, is_image_model
from liaobots_tui.ui.plain import highlighted, plain_line
from liaobots_tui.ui.widgets.ordered_input import OrderedInput


@dataclass(frozen=True)
class ModelChoice:
    """What the picker returns: a model id and a format (None = from the model name)."""

    model: str
    format: Format | None


def filter_models(models: list[str], query: str) -> list[tuple[str, Content]]:
    """Models matching ``query`` (best first) with the matched letters highlighted."""
    query = query.strip()
    if not query:
        return [(m, plain_line(m)) for m in models]
    matcher = Matcher(query)
    scored = [(matcher.match(m), m) for m in models]
    hits = sorted((s for s in scored if s[0] > 0), key=lambda s: -s[0])
    return [(m, highlighted(matcher, m)) for _, m in hits]


def format_named(button_id: str | None) -> Format | None:
    """The format a radio button of the picker stands for (None: auto, from the model name)."""
    name = (button_id or "").removeprefix("fmt-")
    return next((f for f in FORMATS if f == name), None)


class FormatSet(RadioSet):
    """The format radio buttons; Enter picks the highlighted one and closes the picker, as the hint says."""

    BINDINGS = [Binding("enter", "pick", "Pick", show=False)]

    class Picked(TextualMessage):
        """Enter on the row: ``button_id`` is the highlighted format's button."""

        def __init__(self, button_id: str | None) -> None:
            super().__init__()
            self.button_id = button_id

    def action_pick(self) -> None:
        # RadioSet marks the button under its keyboard cursor with "-selected" (its documented CSS);
        # with none highlighted yet, Enter takes the pressed one.
        under_cursor = self.query("RadioButton.-selected")
        highlighted = under_cursor.first(RadioButton) if under_cursor else self.pressed_button
        self.post_message(self.Picked(highlighted.id if highlighted is not None else None))


class SearchInput(OrderedInput):
    """The model filter: ↑/↓ move the list from here, in key order with the Enter that picks."""

    KEY_ACTIONS: ClassVar[dict[str, str]] = {"down": "screen.move(1)", "up": "screen.move(-1)"}


class ModelPickerModal(ModalScreen[ModelChoice | None]):
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
        Binding("ctrl+o", "cancel", "Close", show=False),
    ]

    def __init__(
        self, models: list[str], *, current_model: str, current_format: Format | None, from_gateway: bool
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.models = list(dict.fromkeys(models))
        if current_model not in self.models:
            self.models.insert(0, current_model)
        self.current_model = current_model
        self.current_format = current_format
        self.from_gateway = from_gateway
        self._shown: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog model-dialog"):
            yield Static(Content("Model and format"), classes="dialog-title")
            yield SearchInput(placeholder="Type to search models…", id="model-search")  # filters per key
            yield OptionList(id="model-list")
            yield Static(Content.styled(self._count_line(len(self.models)), "dim"), id="model-source")
            with Horizontal(id="format-row"):
                yield Static(Content("Format:"), id="format-label")
                with FormatSet(id="format-set"):
                    yield RadioButton("auto", value=self.current_format is None, id="fmt-auto")
                    for fmt in FORMATS:
                        yield RadioButton(fmt, value=self.current_format == fmt, id=f"fmt-{fmt}")
            yield Static(Content.styled("Enter picks · ↑↓ move · Tab to format · Esc cancels", "dim"))

    def _count_line(self, matching: int) -> str:
        source = "from the gateway" if self.from_gateway else "built-in list (gateway list unavailable)"
        total = len(self.models)
        if matching == total:
            return f"{total} models, {source}"
        return f"{matching} of {total} models match, {source}"

    def on_mount(self) -> None:
        self._refill("")
        self.query_one("#model-search", Input).focus()

    def _refill(self, query: str) -> None:
        options = self.query_one("#model-list", OptionList)
        hits = filter_models(self.models, query)
        self.query_one("#model-source", Static).update(Content.styled(self._count_line(len(hits)), "dim"))
        self._shown = [m for m, _ in hits]
        items: list[Option] = []
        for model, label in hits:
            suffix = "  ▣ image" if is_image_model(model) else ""
            mark = "● " if model == self.current_model else "  "
            items.append(Option(Content.assemble(mark, label, Content.styled(suffix, "dim"))))
        typed = query.strip()
        if typed and typed not in self.models:
            # Last, so Enter picks the best match; a brand-new model id can still be used as typed.
            self._shown.append(typed)
            items.append(Option(Content.assemble("  Use ", Content.styled(typed, "bold"), " as typed")))
        options.clear_options()
        options.add_options(items)
        if self._shown:
            keep = not typed and self.current_model in self._shown
            options.highlighted = self._shown.index(self.current_model) if keep else 0
        self._update_auto_label()

    def _highlighted_model(self) -> str | None:
        index = self.query_one("#model-list", OptionList).highlighted
        if index is None or not 0 <= index < len(self._shown):
            return None
        return self._shown[index]

    def _update_auto_label(self) -> None:
        model = self._highlighted_model() or self.current_model
        self.query_one("#fmt-auto", RadioButton).label = f"auto ({format_for_model(model)})"

    def _format(self) -> Format | None:
        pressed = self.query_one("#format-set", RadioSet).pressed_button
        return format_named(pressed.id if pressed is not None else None)

    @on(Input.Changed, "#model-search")
    def _search(self, event: Input.Changed) -> None:
        self._refill(event.value)

    @on(Input.Submitted, "#model-search")
    def _submit(self, event: Input.Submitted) -> None:
        event.stop()
        self._choose(self._format())

    @on(OptionList.OptionHighlighted, "#model-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._update_auto_label()

    @on(OptionList.OptionSelected, "#model-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choose(self._format())

    @on(FormatSet.Picked)
    def _format_picked(self, event: FormatSet.Picked) -> None:
        event.stop()
        self._choose(format_named(event.button_id))

    def _choose(self, fmt: Format | None) -> None:
        model = self._highlighted_model()
        if model is None:
            self.app.bell()
            return
        self.dismiss(ModelChoice(model, fmt))

    def action_move(self, delta: int) -> None:
        options = self.query_one("#model-list", OptionList)
        if self.focused is self.query_one("#format-set"):
            return
        if delta > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)
