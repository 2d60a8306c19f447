"""StatusBar: model, format, thinking and active domain; while streaming, tokens so far and elapsed time.

The model id, the domain and the retry notice come from the gateway: they are shown
as plain, terminal-safe single lines (see :mod:`liaobots_tui.ui.plain`).
"""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from liaobots_tui.api.sanitize import clean_line


def format_elapsed(seconds: float) -> str:
    """``4.2 s`` under a minute, ``1:05`` above."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


class StatusBar(Static):
    """One line above the footer. The screen sets the reactives; no clock runs while idle."""

    model: reactive[str] = reactive("")
    format: reactive[str] = reactive("")
    domain: reactive[str] = reactive("")
    #: How thinking is asked for ("on", "high", "8000 tokens"); "" when off.
    thinking: reactive[str] = reactive("")
    streaming: reactive[bool] = reactive(False)
    tokens: reactive[int] = reactive(0)
    #: True while ``tokens`` is an estimate from the characters received (no usage report yet).
    estimated: reactive[bool] = reactive(True)
    elapsed: reactive[float] = reactive(0.0)
    notice: reactive[str] = reactive("")

    def render(self) -> Content:
        parts = [
            Content.styled(clean_line(self.model, 80) or "no model", "bold"),
            Content(" · "),
            Content(clean_line(self.format, 40) or "auto"),
        ]
        if self.thinking:
            parts += [Content(" · "), Content.styled(f"thinking {self.thinking}", "$accent")]
        if self.domain:
            parts += [Content(" · "), Content.styled(clean_line(self.domain, 80), "dim")]
        if self.streaming:
            approx = "~" if self.estimated else ""
            parts += [
                Content("   "),
                Content.styled("● streaming", "$accent"),
                Content(f"  {approx}{self.tokens:,} tok · {format_elapsed(self.elapsed)}  (esc stops)"),
            ]
        if self.notice:
            parts += [Content("   "), Content.styled(clean_line(self.notice, 160), "$warning")]
        return Content("").join(parts)
