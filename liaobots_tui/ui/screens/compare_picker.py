"""ComparePickerModal: choose the two to four models a prompt is compared across.

Typing filters the gateway's model list (fuzzy, as in the model picker); Space
in the filter ticks the best match, Space or a click on the list the model there,
in the order ticked; a letter typed on the list filters again; Enter compares the ticked models
(refused with a line saying why unless there are two to four). Model ids come
from the gateway: shown plain, never as markup.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message as TextualMessage
from textual.screen import ModalScreen
from textual.widgets import Input, SelectionList, Static
from textual.widgets.selection_list import Selection

from liaobots_tui.api.messages import format_for_model
from liaobots_tui.api.sanitize import clean_line
from liaobots_tui.conversations.compare import MAX_MODELS, MIN_MODELS
from liaobots_tui.ui.plain import plain_line
from liaobots_tui.ui.screens.model_picker import filter_models
from liaobots_tui.ui.widgets.ordered_input import OrderedInput

HELP = "Type to filter · Space ticks the best match · ↓ to the list · Enter compares · Esc cancels"


class FilterInput(OrderedInput):
    """The filter. Space ticks the best match (model ids hold no spaces) and empties the filter
    for the next name ("gpt-5.4 claude-son " ticks two), from the filter itself.

    Typed quickly, "gpt-5.4", ↓ and Space went wrong: the ↓ reached the screen's binding only
    after bubbling up, while the Space, forwarded to the still focused filter, was typed into it.
    The text filtered is sent along, since the list may not show it yet (``Input.Changed`` bubbles
    up behind).
    """

    KEY_ACTIONS: ClassVar[dict[str, str]] = {"down": "screen.to_list"}

    class TickBest(TextualMessage):
        def __init__(self, query: str) -> None:
            super().__init__()
            self.query = query

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "space":
            event.stop()
            event.prevent_default()
            if self.value.strip():
                self.post_message(self.TickBest(self.value))
                self.value = ""  # here, in key order: the next model's name is typed from scratch
            return
        await super()._on_key(event)


class ComparePickerModal(ModalScreen[list[str] | None]):
    """Returns the ticked models (2 to 4, in the order ticked), or None when cancelled."""

    DEFAULT_CSS = """
    ComparePickerModal .compare-dialog { width: 80; }
    ComparePickerModal #compare-models { height: 16; border: none; }
    ComparePickerModal #compare-chosen { margin-top: 1; }
    ComparePickerModal #compare-why { color: $text-error; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("enter", "compare", "Compare", priority=True),
        Binding("down", "to_list", "List", show=False),
    ]

    def __init__(self, models: list[str], chosen: list[str]) -> None:
        super().__init__(classes="dialog-screen")
        self.models = list(dict.fromkeys([*chosen, *models]))
        #: The ticked models, in the order they were ticked.
        self.chosen: list[str] = [m for m in dict.fromkeys(chosen) if m][:MAX_MODELS]
        self._shown: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog compare-dialog"):
            yield Static(Content(f"Compare {MIN_MODELS} to {MAX_MODELS} models"), classes="dialog-title")
            yield FilterInput(
                placeholder="Type to filter models…", id="compare-search", select_on_focus=False
            )  # filters per key; the letter typed on the list (on_key) is not selected
            yield SelectionList[str](id="compare-models")
            yield Static("", id="compare-chosen")
            yield Static("", id="compare-why")
            yield Static(Content.styled(HELP, "dim"))

    def on_mount(self) -> None:
        self._refill("")
        self._show_chosen()
        self.query_one("#compare-search", Input).focus()

    @property
    def model_list(self) -> SelectionList[str]:
        return self.query_one("#compare-models", SelectionList)

    def _refill(self, query: str) -> None:
        hits = filter_models(self.models, query)
        self._shown = [m for m, _ in hits]
        options = [
            Selection(Content.assemble(label, Content.styled(f"  {format_for_model(m)}", "dim")), m,
                      m in self.chosen)
            for m, label in hits
        ]  # fmt: skip
        with self.prevent(SelectionList.SelectedChanged, SelectionList.SelectionToggled):
            self.model_list.clear_options()
            self.model_list.add_options(options)
            if options:
                self.model_list.highlighted = 0  # Space after ↓ ticks the best match

    def _show_chosen(self) -> None:
        label = Content.assemble(
            Content.styled("Chosen: ", "bold"),
            plain_line(", ".join(self.chosen)) if self.chosen else Content.styled("none yet", "dim"),
        )
        self.query_one("#compare-chosen", Static).update(label)

    @on(Input.Changed, "#compare-search")
    def _filter(self, event: Input.Changed) -> None:
        self._refill(event.value)

    @on(FilterInput.TickBest)
    def _tick_best(self, event: FilterInput.TickBest) -> None:
        hits = filter_models(self.models, event.query)
        if not hits:
            return
        model = hits[0][0]
        if model in self.chosen:  # typing a chosen model's name again must not drop it
            self._why(f"{clean_line(model, 60)} is ticked already (Space on the list unticks it).")
            return
        if len(self.chosen) >= MAX_MODELS:
            self._why(f"At most {MAX_MODELS} models: untick one first.")
            return
        self.chosen.append(model)
        self._why("")
        # The ticks shown come from self.chosen: the list is refilled for the filter as it is now.
        self._refill(self.query_one("#compare-search", Input).value)
        self._show_chosen()

    @on(SelectionList.SelectionToggled)
    def _toggled(self, event: SelectionList.SelectionToggled[str]) -> None:
        model = event.selection.value
        if model in self.chosen:
            self.chosen.remove(model)
        elif len(self.chosen) >= MAX_MODELS:
            with self.prevent(SelectionList.SelectedChanged, SelectionList.SelectionToggled):
                self.model_list.deselect(model)
            self._why(f"At most {MAX_MODELS} models: untick one first.")
            return
        else:
            self.chosen.append(model)
        self._why("")
        self._show_chosen()

    def _why(self, text: str) -> None:
        self.query_one("#compare-why", Static).update(Content(text))

    def on_key(self, event: events.Key) -> None:
        # A letter typed on the list goes on filtering (Space still ticks): after ticking one model
        # the next is found by typing its name, not by going back to the filter with shift+tab first.
        if self.focused is not self.model_list or not event.is_printable or event.character in (None, " "):
            return  # keys for the list (Space ticks) or the screen
        event.stop()
        field = self.query_one("#compare-search", Input)
        field.value = event.character or ""  # a new name: the filter starts again from this letter
        field.cursor_position = len(field.value)
        field.focus()

    def action_to_list(self) -> None:
        self.model_list.focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_compare(self) -> None:
        if self.focused is self.model_list and len(self.chosen) < MIN_MODELS:
            # Enter on the list with too few ticked: tick the highlighted model, as a user expects.
            self.model_list.action_select()
            return
        if not MIN_MODELS <= len(self.chosen) <= MAX_MODELS:
            self._why(f"Tick {MIN_MODELS} to {MAX_MODELS} models (Space), then Enter.")
            return
        self.dismiss(list(self.chosen))
