"""ImageOptionsBar: Nano Banana generation options, shown in the input area for image models.

Aspect ratio (every value in ``ASPECT_RATIOS``, blank = model default), image
size (``IMAGE_SIZES``, blank = default 1K), Google Search grounding and "text
too" (responseModalities TEXT+IMAGE instead of IMAGE only).

Integration (ChatScreen):

1. Mount one ``ImageOptionsBar()`` above or beside the prompt; set
   ``bar.display = is_image_model(model)`` whenever the model changes.
2. When a conversation opens: ``bar.set_options(saved or ImageOptions())`` (does not post Changed).
3. Handle ``ImageOptionsBar.Changed`` (``event.options``) to store the options in the
   conversation's settings; when sending to an image model, pass
   ``RequestOptions(..., image=bar.options)``.
"""

from __future__ import annotations

from dataclasses import replace

from textual import on
from textual.app import ComposeResult
from textual.containers import Container
from textual.message import Message
from textual.widgets import Label, Select, Switch

from liaobots_tui.api.messages import ASPECT_RATIOS, IMAGE_SIZES, ImageOptions


class ImageOptionsBar(Container):
    """Two rows of image options; ``options`` reads them, ``set_options`` writes them."""

    # Two rows of label/control pairs: one row of all four is ~90 columns and the
    # switches fell off the end of the conversation pane between the two sidebars.
    DEFAULT_CSS = """
    ImageOptionsBar {
        layout: grid; grid-size: 4; grid-columns: auto 13 auto 13; grid-rows: 1;
        height: 2; background: $surface; padding: 0 1;
    }
    ImageOptionsBar > Label { padding: 0 1; color: $text-muted; }
    /* One-row switches: the default bordered switch is 3 rows tall. */
    ImageOptionsBar > Switch { width: auto; height: 1; border: none; padding: 0; }
    /* Narrow chat column: one label/control pair a row, so no label is cut to its first letter. */
    ImageOptionsBar.-narrow { grid-size: 2; grid-columns: auto 13; height: 4; }
    """

    #: Narrower than this, the two pairs of a row do not fit side by side.
    TWO_PAIRS_WIDTH = 52

    class Changed(Message):
        """The user changed an option; ``options`` is the full new set."""

        def __init__(self, bar: ImageOptionsBar, options: ImageOptions) -> None:
            super().__init__()
            self.bar = bar
            self.options = options

        @property
        def control(self) -> ImageOptionsBar:
            return self.bar

    def __init__(self, options: ImageOptions | None = None, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self._initial = options or ImageOptions()
        #: Last options announced (or restored): widgets echo Changed while mounting; those are not news.
        self._last = replace(self._initial)

    def compose(self) -> ComposeResult:
        o = self._initial
        yield Label("Ratio")
        yield Select(
            [(r, r) for r in ASPECT_RATIOS],
            prompt="default",
            value=o.aspect_ratio if o.aspect_ratio in ASPECT_RATIOS else Select.NULL,
            id="image-aspect",
            compact=True,
        )
        yield Label("Size")
        yield Select(
            [(s, s) for s in IMAGE_SIZES],
            prompt="default",
            value=o.image_size if o.image_size in IMAGE_SIZES else Select.NULL,
            id="image-size",
            compact=True,
        )
        yield Label("Google Search")
        yield Switch(value=o.google_search, id="image-search")
        yield Label("Text too")
        yield Switch(value=o.want_text, id="image-text")

    def on_resize(self, event: object) -> None:
        self.set_class(self.size.width < self.TWO_PAIRS_WIDTH, "-narrow")

    @property
    def options(self) -> ImageOptions:
        """The options as currently shown."""
        aspect = self.query_one("#image-aspect", Select).value
        size = self.query_one("#image-size", Select).value
        return ImageOptions(
            aspect_ratio=aspect if isinstance(aspect, str) else None,
            image_size=size if isinstance(size, str) else None,
            google_search=self.query_one("#image-search", Switch).value,
            want_text=self.query_one("#image-text", Switch).value,
        )

    def set_options(self, options: ImageOptions) -> None:
        """Show ``options`` (values the widgets do not know fall back to default) without posting Changed."""
        self._initial = replace(options)
        self._last = replace(options)
        if not self.children:  # not composed yet
            return
        with self.prevent(Select.Changed, Switch.Changed):
            aspect = self.query_one("#image-aspect", Select)
            aspect.value = options.aspect_ratio if options.aspect_ratio in ASPECT_RATIOS else Select.NULL
            size = self.query_one("#image-size", Select)
            size.value = options.image_size if options.image_size in IMAGE_SIZES else Select.NULL
            self.query_one("#image-search", Switch).value = options.google_search
            self.query_one("#image-text", Switch).value = options.want_text

    @on(Select.Changed)
    @on(Switch.Changed)
    def _changed(self, event: Select.Changed | Switch.Changed) -> None:
        event.stop()
        options = self.options
        if options != self._last:
            self._last = options
            self.post_message(self.Changed(self, options))
