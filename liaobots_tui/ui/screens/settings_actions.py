"""SettingsActions: the chat screen's actions on the open chat's settings.

The model and its format (the picker), a preset, thinking, the image options and
the chat settings dialog (system prompt, temperature, thinking). The rules (which
format a model can use, what is saved where) are the controller's
(:class:`~liaobots_tui.conversations.ConversationController`); this class asks it
to change a setting, shows a refusal as a toast and the result in the status bar.
A base of :class:`~liaobots_tui.ui.screens.chat.ChatScreen`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on

from liaobots_tui.api.messages import Format, Thinking
from liaobots_tui.ui.preset_picker import offer_on_new_chat, pick_preset
from liaobots_tui.ui.screens.version_actions import VersionActions
from liaobots_tui.ui.widgets.image_options import ImageOptionsBar

if TYPE_CHECKING:  # the dialogs are imported when first opened: not part of the start-up
    from liaobots_tui.ui.screens.chat_settings import ChatSettings
    from liaobots_tui.ui.screens.model_picker import ModelChoice


class SettingsActions(VersionActions):
    """See the module docstring; not used on its own."""

    def select_model(self, model: str, fmt: Format | None = None) -> None:
        """Use ``model`` (format ``fmt``, None: auto) for the next message: picker, palette, tests."""
        with self.guard("change the model"):
            notice = self.controller.choose_model(model, fmt)
            self.notify(notice or f"Next message: {model} ({self.controller.settings.format})", timeout=4)
        self._update_status()

    def action_pick_model(self) -> None:
        from liaobots_tui.ui.screens.model_picker import ModelPickerModal

        def done(choice: ModelChoice | None) -> None:
            if choice is not None:
                self.select_model(choice.model, choice.format)
            self.prompt.focus()

        settings = self.controller.settings
        picker = ModelPickerModal(
            self.lapp.models, current_model=settings.model, current_format=settings.format_choice,
            from_gateway=self.lapp.models_from_gateway,
        )  # fmt: skip
        self.app.push_screen(picker, done)

    def action_pick_preset(self) -> None:
        pick_preset(self, self._update_status)

    async def action_new_chat(self) -> None:
        await super().action_new_chat()
        offer_on_new_chat(self, self._update_status)

    def action_toggle_thinking(self) -> None:
        with self.guard("save the chat settings"):
            thinking = self.controller.toggle_thinking()
            self.notify(f"Thinking {thinking.label() if thinking else 'off'} for this chat", timeout=3)
        self._update_status()

    def set_thinking(self, thinking: Thinking | None) -> None:
        with self.guard("save the chat settings"):
            self.controller.set_thinking(thinking)
        self._update_status()

    @on(ImageOptionsBar.Changed)
    def _image_options_changed(self, event: ImageOptionsBar.Changed) -> None:
        event.stop()
        with self.guard("save the chat settings"):
            self.controller.set_image_options(event.options)

    def action_chat_settings(self) -> None:
        from liaobots_tui.ui.screens.chat_settings import ChatSettingsModal

        def done(result: ChatSettings | None) -> None:
            if result is None:
                return
            with self.guard("save the chat settings"):
                self.controller.set_system(result.system)
                self.controller.set_temperature(result.temperature)
                self.controller.set_thinking(result.thinking)
                self.notify("Chat settings saved", timeout=3)
            self._update_status()

        s = self.controller.settings
        self.app.push_screen(ChatSettingsModal(s.system, s.temperature, s.thinking), done)
