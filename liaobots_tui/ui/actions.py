"""The one list of chat actions: bindings, command palette entries and the help screen come from it.

Keeping them in one table is what guarantees that every action is both in the
palette (ctrl+p) and behind a key listed in the footer or the F1 help. Keys are
chosen to survive tmux and SSH: ctrl+letters the TextArea does not take
(Textual's TextArea binds most of the rest), F-keys terminals do not reserve, and Escape. ctrl+b is left
alone because it is tmux's prefix.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType


@dataclass(frozen=True)
class ChatAction:
    """One user-visible action of the chat screen."""

    action: str
    """Action name on ChatScreen (``action_<name>``), optionally with arguments."""
    title: str
    """Palette title and footer label."""
    help: str
    """One sentence for the palette and the help screen."""
    key: str
    """Textual key spec (comma-separated alternatives); "" for palette-only."""
    footer: bool = False
    """Show in the footer (only the most used ones, so the footer stays readable)."""
    key_label: str = ""
    """How the help screen writes the key, when the spec is not readable."""
    priority: bool = False
    """Bind with priority (beats a focused widget's own binding)."""
    short: str = ""
    """Footer label when the title is too long for it."""


CHAT_ACTIONS: tuple[ChatAction, ...] = (
    ChatAction(
        "stop",
        "Stop reply",
        "Stop the reply that is streaming; the partial text is kept.",
        "escape",
        footer=True,
        key_label="Esc",
        short="Stop",
    ),
    ChatAction("new_chat", "New chat", "Start a new conversation.", "ctrl+n", footer=True, short="New"),
    ChatAction(
        "pick_model",
        "Model and format",
        "Choose the model and wire format for the next message.",
        "ctrl+o",
        footer=True,
        short="Model",
    ),
    ChatAction(
        "regenerate",
        "Regenerate reply",
        "Ask again for the last reply.",
        "ctrl+r",
        footer=True,
        short="Regen",
    ),
    ChatAction(
        "focus_chats", "Chats", "Show and focus the list of saved conversations.", "ctrl+l", footer=True
    ),
    ChatAction(
        "attach",
        "Attach file",
        "Attach an image, text file or PDF to the next message (or paste its path).",
        "ctrl+f",
        footer=True,
        short="Attach",
    ),
    ChatAction(
        "pick_preset",
        "Use a preset",
        "Fill this chat's system prompt, model, format, temperature and thinking from a preset"
        " (ctrl+n offers it when you have presets).",
        "",
        # Short: the help's key column is MAX_KEY_CELLS wide, and the longer label ran into its text.
        key_label="palette, ctrl+n",
    ),
    ChatAction(
        "compose_in_editor",
        "Compose in editor",
        "Edit the prompt in $VISUAL or $EDITOR (vi); the saved text comes back, not sent.",
        "ctrl+e",
        # Beats the TextArea's own ctrl+e (line end; the End key still does that).
        priority=True,
    ),
    ChatAction(
        "focus_messages",
        "Go to messages",
        "Select the last message; then c copy, b copy code, e edit, r regenerate.",
        "ctrl+g",
    ),
    ChatAction(
        "chat_settings",
        "System prompt, temperature, thinking",
        "Edit this conversation's system prompt, temperature and thinking (off, a level or a budget).",
        "ctrl+t",
    ),
    ChatAction("export", "Export to Markdown", "Save the conversation as a Markdown file.", "ctrl+s"),
    ChatAction("rename_conversation", "Rename chat", "Rename the conversation.", "f2"),
    ChatAction(
        "scroll_latest", "Jump to latest", "Scroll to the newest message and follow the output.", "f3"
    ),
    ChatAction("edit_last", "Edit last prompt", "Edit your last message and resend it from there.", "f4"),
    # alt+, and alt+. (the < and > keys): reach the app as ESC , / ESC . through tmux and SSH.
    ChatAction(
        "version(-1)",
        "Previous version",
        "Show the previous version of the selected (else the last regenerated or edited) message.",
        "alt+comma",
        key_label="alt+,",
    ),
    ChatAction(
        "version(1)",
        "Next version",
        "Show the next version of the selected (else the last regenerated or edited) message.",
        "alt+full_stop",
        key_label="alt+.",
    ),
    ChatAction(
        "fork",
        "Fork from here",
        "Start a new chat with the history up to the selected (else the last) message.",
        "",
        key_label="f on a message",
    ),
    ChatAction("copy_last", "Copy last reply", "Copy the last reply to the clipboard (OSC 52).", "f5"),
    ChatAction("copy_code", "Copy code block", "Copy a code block of the selected or last reply.", "f8"),
    ChatAction("toggle_chats", "Show or hide chats", "Show or hide the conversations sidebar.", "f9"),
    # F10 and alt+letters: F6/F7 and most ctrl+letters belong to the prompt (TextArea),
    # F11 is full-screen in many terminals; alt+x reaches the app as ESC x through tmux and SSH.
    ChatAction(
        "toggle_credits", "Toggle credits", "Show or hide the credits sidebar.", "f10", short="Credits"
    ),
    ChatAction(
        "refresh_credits",
        "Refresh credits",
        "Fetch the balance and the cost of the last replies again.",
        "alt+r",
    ),
    ChatAction(
        "toggle_thinking",
        "Toggle thinking",
        "Ask this chat's model to think, shown above the reply, or stop asking (ctrl+t sets a level).",
        "alt+t",
        short="Think",
    ),
    ChatAction(
        "compare",
        "Compare models",
        "Send the prompt to 2 to 4 models at once and see the replies side by side; keep the best one.",
        "alt+c",
        short="Compare",
    ),
    ChatAction(
        "usage_history",
        "Usage history",
        "Browse, filter and export the usage records (what each reply cost).",
        "alt+u",
    ),
    ChatAction(
        "delete_conversation",
        "Delete chat",
        "Delete the conversation (asks first).",
        "",
        key_label="d (chats list)",
    ),
    ChatAction(
        "clear_attachments",
        "Remove attachments",
        "Remove every attached file and image.",
        "",
        key_label="Delete (chip)",
    ),
    ChatAction(
        "change_auth_code",
        "Set auth code",
        "Enter and check a new Liaobots auth code.",
        "ctrl+backslash",
        key_label="ctrl+\\",
    ),
    ChatAction("pick_theme", "Change theme", "Pick a colour theme; the choice is remembered.", "f12"),
    ChatAction("send", "Send message", "Send the prompt (with any attached files).", "", key_label="Enter"),
    ChatAction("help", "Help", "List every key.", "f1", footer=True, key_label="F1"),
)


def chat_bindings() -> list[BindingType]:
    """Bindings for ChatScreen built from :data:`CHAT_ACTIONS`."""
    return [
        Binding(a.key, a.action, a.short or a.title, show=a.footer, priority=a.priority, tooltip=a.help)
        for a in CHAT_ACTIONS
        if a.key
    ]


def key_label(action: ChatAction) -> str:
    """``ctrl+n`` → ``ctrl+n``; F-keys upper-cased; an explicit label wins."""
    if action.key_label:
        return action.key_label
    return " / ".join(
        k.upper() if k.startswith("f") and k[1:].isdigit() else k for k in action.key.split(",")
    )


#: Keys that belong to widgets rather than the screen, for the help screen.
WIDGET_KEYS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Prompt", (
        ("Enter", "Send the message"),
        ("ctrl+j", "New line (works in every terminal)"),
        ("shift+enter", "New line, where the terminal reports it (kitty, WezTerm, foot, Ghostty)"),
        ("↑ / ↓", "Earlier prompts, when the cursor is on the first / last line"),
        ("PageUp / PageDown", "Scroll the conversation"),
        ("paste a path", "Attach the image file it names"),
    )),
    ("Selected message (ctrl+g)", (
        ("↑ ↓ / k j", "Previous / next message"),
        ("c", "Copy the message"),
        ("b", "Copy a code block"),
        ("e", "Edit and resend (your messages)"),
        ("r", "Regenerate the last reply"),
        ("← / →", "Previous / next version (‹ 2/3 ›)"),
        ("f", "Fork: a new chat up to this message"),
        ("s", "Go to the reply's sources (grounding links)"),
        ("i / Esc", "Back to the prompt"),
    )),
    ("Thinking and images in a reply", (
        ("Tab, then Enter", "Open or close a \"Thinking\" block (or click its title)"),
        ("Enter / click", "Open an image in the viewer"),
    )),
    ("Sources under a reply", (
        ("↑ / ↓", "Pick a link"),
        ("Enter / click", "Open it in the browser"),
        ("c", "Copy its link (also: \"Copy source link\" in the palette)"),
    )),
    ("Chats list (ctrl+l)", (
        ("Enter", "Open the conversation"),
        ("r / F2", "Rename"),
        ("d / Delete", "Delete (asks first)"),
        ("/", "Search"),
        ("Esc", "Back to the prompt"),
    )),
    ("Model picker (ctrl+o)", (
        ("type", "Filter the models; an unknown name can be used as typed"),
        ("↑ / ↓", "Move in the list"),
        ("Enter", "Pick the model (on the format row: pick that format)"),
        ("Tab", "Go to the format row (← → choose)"),
        ("Esc / ctrl+o", "Close without changing anything"),
    )),
    ("Usage history (alt+u)", (
        ("f", "Filter by model or date"),
        ("l / a", "Load more / load all records"),
        ("e", "Export the records as CSV"),
        ("Home / End", "First / last record"),
        ("Esc", "Close"),
    )),
    ("Image viewer", (
        ("s", "Save the image as…"),
        ("o", "Open it in the system's image viewer"),
        ("c", "Copy its path"),
        ("Esc", "Close"),
    )),
    ("Everywhere", (
        ("ctrl+p", "Command palette: every action, models, chats, themes"),
        ("?", "Help, when the focus is not in a text field"),
        ("ctrl+q", "Quit"),
    )),
)  # fmt: skip
