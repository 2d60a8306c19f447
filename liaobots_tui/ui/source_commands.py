"""Palette entries for a reply's grounding sources: ``Open source: [1] …`` and ``Copy source link: [1] …``.

The sources are those of the selected reply, else of the latest reply that has any;
each entry calls the :class:`~liaobots_tui.ui.widgets.sources.SourcesList` under
that reply, so opening keeps its http(s)-only rule and copying its notice.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from liaobots_tui.ui.plain import highlighted, plain_line
from liaobots_tui.ui.widgets.message_box import MessageBox, MessageHeader
from liaobots_tui.ui.widgets.sources import SourcesList, source_label


def _sources_list(provider: Provider) -> SourcesList | None:
    """The sources list of the selected reply, else of the latest reply showing one."""
    screen = provider.screen
    focused = screen.focused
    if isinstance(focused, MessageHeader) and focused.box.message.sources:
        found = focused.box.sources_list()
        if found is not None:
            return found
    for box in reversed(list(screen.query(MessageBox))):
        if box.message.sources:
            found = box.sources_list()
            if found is not None:
                return found
    return None


def _entries(sources: SourcesList) -> Iterator[tuple[str, partial[None], str]]:
    for index, source in enumerate(sources.sources):
        label = source_label(index, source)
        yield f"Open source: {label}", partial(sources.action_open_source, index), "Open in the browser"
        yield f"Copy source link: {label}", partial(sources.action_copy_source, index), "Copy this link"


class SourceCommands(Provider):
    """Open or copy the links a grounded reply cited."""

    async def search(self, query: str) -> Hits:
        sources = _sources_list(self)
        if sources is None:
            return
        matcher = self.matcher(query)
        for text, callback, help_text in _entries(sources):
            score = matcher.match(text)
            if score > 0:
                # Titles come from the gateway: highlighted() keeps them from being read as markup.
                yield Hit(score, highlighted(matcher, text), callback, help=help_text)

    async def discover(self) -> Hits:
        sources = _sources_list(self)
        if sources is None:
            return
        for text, callback, help_text in _entries(sources):
            yield DiscoveryHit(plain_line(text), callback, help=help_text)
