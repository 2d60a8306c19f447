"""SourcesList: the grounding sources (Gemini Google Search) of a reply, as clickable links.

Each source is one line ``[n] title — host`` (the full URI as its tooltip). Gemini's
URIs are redirects through its own grounding host, which names no site: there the
title (Gemini gives the site's name, e.g. ``wikipedia.org``) stands alone. Clicking a
line opens it; on the focused list ↑/↓ pick a line, Enter opens it and ``c`` copies
its link. Opening goes through :meth:`SourcesList.action_open_source`:
only ``http``/``https`` URIs are opened, through ``app.open_url``; anything else
(``javascript:``, ``file:``…) is refused with a warning, since the URI comes from
the model's reply. Titles and URIs are shown as plain text, never parsed as markup.

Integration: ``MessageBox`` mounts ``SourcesList(message.sources)`` under a finished
reply when ``message.sources`` is non-empty (or on ``SourcesEvent`` while streaming:
``sources_list.sources = list(event.sources)``). ``SourcesList.Opened`` bubbles
after a link is opened; the app may ignore it.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.reactive import var
from textual.widgets import Static

from liaobots_tui.api.messages import Source
from liaobots_tui.api.sanitize import clean_line


def safe_url(uri: str) -> str | None:
    """The URI if it is an ``http(s)`` URL with a host, else None."""
    uri = uri.strip()
    try:
        parts = urlsplit(uri)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if any(ch.isspace() or ord(ch) < 32 for ch in uri):
        return None
    return uri


#: Hosts that only redirect to the real page (Gemini grounding): their name tells the reader nothing.
REDIRECT_HOSTS = frozenset({"vertexaisearch.cloud.google.com"})


def source_label(index: int, source: Source) -> str:
    """``[1] Title — example.com`` (the host alone when there is no title); one clean line.

    Behind a redirect host the title alone is shown: the host would be the same on every line.
    """
    try:
        host = urlsplit(source.uri).hostname or source.uri
    except ValueError:  # "http://[" and the like: show what the model sent
        host = source.uri
    host, title = clean_line(host, 80), clean_line(source.title, 200)
    if title and host.lower() in REDIRECT_HOSTS:
        return f"[{index + 1}] {title}"
    return f"[{index + 1}] {title} — {host}" if title and title != host else f"[{index + 1}] {host}"


class _SourceLine(Static):
    """One link line; the title is plain text (a title like ``[b]x[/]`` stays literal)."""

    def __init__(self, index: int, source: Source) -> None:
        super().__init__(Content(source_label(index, source)), classes="source")
        self.index = index
        self.tooltip = Content(clean_line(source.uri, 2000))  # a str tooltip is parsed as markup


class SourcesList(Vertical, can_focus=True):
    """Links under a reply; ``sources`` can be replaced while the reply streams."""

    DEFAULT_CSS = """
    SourcesList { height: auto; padding: 0 1; }
    SourcesList > .sources-title { color: $text-muted; }
    SourcesList > .source { color: $primary; }
    SourcesList > .source:hover { text-style: underline; }
    SourcesList:focus > .source.-cursor { text-style: bold reverse; }
    """

    BINDINGS = [
        Binding("enter", "open_current", "Open link", show=False),
        Binding("c", "copy_current", "Copy link", show=False),
        Binding("up", "move(-1)", "Previous link", show=False),
        Binding("down", "move(1)", "Next link", show=False),
    ]

    sources: var[list[Source]] = var(list, always_update=True)
    #: The line Enter opens and ``c`` copies.
    cursor: var[int] = var(0)

    class Opened(Message):
        """A source link was opened."""

        def __init__(self, uri: str) -> None:
            super().__init__()
            self.uri = uri

    def __init__(self, sources: Iterable[Source] = (), *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.set_reactive(SourcesList.sources, list(sources))

    def compose(self) -> ComposeResult:
        yield Static(Content("Sources"), classes="sources-title")
        yield from self._lines()

    def _lines(self) -> list[_SourceLine]:
        lines = [_SourceLine(i, source) for i, source in enumerate(self.sources)]
        for line in lines:
            line.set_class(line.index == self.cursor, "-cursor")
        return lines

    def watch_cursor(self, cursor: int) -> None:
        for line in self.query(_SourceLine):
            line.set_class(line.index == cursor, "-cursor")

    def action_move(self, delta: int) -> None:
        if self.sources:
            self.cursor = max(0, min(len(self.sources) - 1, self.cursor + delta))

    def action_open_current(self) -> None:
        self.action_open_source(self.cursor)

    def action_copy_current(self) -> None:
        self.action_copy_source(self.cursor)

    def action_copy_source(self, index: int) -> None:
        """Copy the link of source ``index`` (the URI as sent: Gemini's redirect opens the page)."""
        if not 0 <= index < len(self.sources):
            return
        uri = clean_line(self.sources[index].uri, 2000)
        self.app.copy_to_clipboard(uri)
        self.notify(f"Copied link {index + 1}: {uri}", timeout=3, markup=False)

    def on_click(self, event: events.Click) -> None:
        if isinstance(event.widget, _SourceLine):
            event.stop()
            self.cursor = event.widget.index
            self.action_open_source(event.widget.index)

    async def watch_sources(self, sources: list[Source]) -> None:
        if not self.children:  # not composed yet
            return
        await self.query(".source").remove()
        self.cursor = min(self.cursor, max(0, len(sources) - 1))
        await self.mount_all(self._lines())
        self.display = bool(sources)

    def on_mount(self) -> None:
        self.display = bool(self.sources)

    def action_open_source(self, index: int) -> None:
        if not 0 <= index < len(self.sources):
            return
        uri = self.sources[index].uri
        url = safe_url(uri)
        if url is None:
            shown = clean_line(uri, 200)
            self.notify(
                f"Not opening {shown!r}: only http(s) links are opened.", severity="warning", markup=False
            )
            return
        self.app.open_url(url)
        self.post_message(self.Opened(url))
