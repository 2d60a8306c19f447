"""The `liaobots` command: the app by default, and scripting subcommands for pipes.

Exit codes: 0 ok, 1 API or network error (partial output kept on stdout),
2 usage or configuration error, 130 interrupted. Every error is one line on
stderr (``liaobots: Title: message``), never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import sys
from collections.abc import Sequence
from contextlib import aclosing
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NoReturn, TextIO

from liaobots_tui import __version__, cli_chats, paths, presets_cli
from liaobots_tui.api.messages import (
    ASPECT_RATIOS,
    FORMATS,
    IMAGE_SIZES,
    ErrorEvent,
    FinishEvent,
    ImageEvent,
    ImageOptions,
    ReasoningDelta,
    RetryEvent,
    TextDelta,
    Thinking,
    format_for_model,
    parse_thinking,
)
from liaobots_tui.api.sanitize import TerminalGuard, terminal_json
from liaobots_tui.cli_render import PlainText, ReplyText
from liaobots_tui.config import Settings, load_settings
from liaobots_tui.errors import ConfigError, InputError, LiaobotsError
from liaobots_tui.presets import apply_preset, load_preset

if TYPE_CHECKING:
    from liaobots_tui.conversations import ConversationController
    from liaobots_tui.store import Store
    from liaobots_tui.store.records import MessageRecord

EXIT_OK, EXIT_API, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
DEFAULT_IMAGE_MODEL = "gemini-3.1-flash-image-preview"
DEMO_DELTA_DELAY = 0.015


#: `serve-demo --help`: the fake gateway's fault switches (demo.gateway.Faults) and how to flip them.
DEMO_FAULTS_HELP = """\
fault switches (all off at start; they apply to every domain until reset):
  dead_domains=[0]          these domains (0 = primary) refuse connections
  html_502_domains=[0]      these domains answer a CDN's HTML 502 page
  status_503_domains=[0]    these domains answer a proxy's plain-text 503
  rate_limit=2              the next N chats get 429 (with Retry-After: retry_after=5)
  overloaded=1              the next N chats get 529 overloaded (503 outside Anthropic)
  mid_stream_error_after=20 an error event in the format's shape after N deltas
  drop_after=20             the connection is cut after N deltas
  stall_after=20            the stream stalls after N deltas for stall_seconds (30)
  out_of_credit=true        chats get the out-of-credit answer
  delta_delay=0.05          seconds between deltas (a slow stream)

turn them on while it runs (a JSON object of switches, sent to any live domain's port,
8765 to 8768 by default: once domain 0 is dead, use 8766):
  curl -X POST localhost:8765/_fake/faults -d '{"dead_domains": [0], "rate_limit": 2}'
  curl -X POST localhost:8765/_fake/reset      # all off, recorded requests cleared
  curl localhost:8765/_fake/faults             # what is on now
  curl localhost:8765/_fake/requests           # what the client sent
"""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line (plus a hint), exit 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"liaobots: {message} (see `{self.prog} --help`)\n")
        raise SystemExit(EXIT_USAGE)


def _common(*, suppress: bool) -> argparse.ArgumentParser:
    """Global flags, accepted before or after the subcommand.

    The subcommand's copy uses SUPPRESS defaults so it does not overwrite a value
    given before the subcommand (argparse applies subparser defaults last).
    """
    default: Any = argparse.SUPPRESS if suppress else None
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--base-url", action="append", metavar="URL", default=default,
        help="gateway domain; repeat for backups, first is primary (default: the Liaobots domains)",
    )  # fmt: skip
    common.add_argument("--config", type=Path, metavar="FILE", default=default, help="config file")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common(suppress=True)
    parser = _Parser(
        prog="liaobots",
        description="Terminal client for the Liaobots LLM gateway.",
        parents=[_common(suppress=False)],
    )
    parser.add_argument("--version", action="version", version=f"liaobots-tui {__version__}")
    sub: Any = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    ask = sub.add_parser("ask", parents=[common], help="send one prompt, stream the reply to stdout")
    ask.add_argument("prompt", nargs="?", help="the prompt; read from stdin when omitted or '-'")
    ask.add_argument(
        "-m", "--model", action="append",
        help="model id (default: config, or the continued conversation's); "
        "repeat to compare 2 to 4 models side by side",
    )  # fmt: skip
    ask.add_argument(
        "-f", "--format", help=f"wire format: {', '.join(FORMATS)} (default: from the model name)"
    )
    ask.add_argument("-s", "--system", help="system prompt")
    ask.add_argument(
        "-a", "--attach", action="append", default=[], metavar="FILE", help="attach an image, text or PDF"
    )
    ask.add_argument(
        "-e", "--editor", action="store_true", help="compose the prompt in $VISUAL/$EDITOR"
    )
    ask.add_argument("-p", "--preset", metavar="NAME", help="start from a preset (see `liaobots presets`)")
    ask.add_argument("--no-stream", action="store_true", help="ask for the whole reply at once")
    ask.add_argument("--json", action="store_true", help="print one JSON object at the end")
    ask.add_argument(
        "--plain", action="store_true", help="plain text even on a terminal (piped output always is)"
    )
    cont = ask.add_mutually_exclusive_group()
    cont.add_argument(
        "-c", "--continue", dest="cont", action="store_true", help="continue the latest conversation"
    )
    cont.add_argument("--cid", type=int, metavar="ID", help="continue conversation ID")
    ask.add_argument(
        "--keep", metavar="MODEL",
        help="comparing (several -m): MODEL's reply continues the chat, the others become its versions"
        " (default with -c/--cid: the first model whose reply completed)",
    )  # fmt: skip
    ask.add_argument("-o", "--output-dir", type=Path, metavar="DIR", help="also save generated images here")
    ask.add_argument("--temperature", type=_temperature, metavar="T", help="0 to 2; saved for the chat")
    ask.add_argument("--show-thinking", action="store_true", help="print reasoning to stderr")
    ask.add_argument(
        "--thinking", nargs="?", const="on", metavar="LEVEL",
        help="ask the model to think: on, low, medium, high, a token budget (>= 1024) or off; "
        "saved for the chat (default: the chat's own setting)",
    )  # fmt: skip
    _add_image_options(ask)
    ask.set_defaults(no_text=False)

    image = sub.add_parser("image", parents=[common], help="generate images with a Gemini image model")
    image.add_argument("prompt", help="what to draw")
    image.add_argument("-m", "--model", default=DEFAULT_IMAGE_MODEL, help=f"default: {DEFAULT_IMAGE_MODEL}")
    image.add_argument("-a", "--attach", action="append", default=[], metavar="FILE", help="image to edit")
    image.add_argument("-o", "--output-dir", type=Path, metavar="DIR", help="where to save (default: .)")
    image.add_argument("--no-text", action="store_true", help="ask for images only")
    # `image` is an `ask` turn without the chat options: give them their neutral values.
    image.set_defaults(
        system=None, format=None, temperature=None, cid=None, cont=False,
        no_stream=False, show_thinking=False, thinking=None, plain=True,
    )  # fmt: skip
    _add_image_options(image)

    credits_cmd = sub.add_parser("credits", parents=[common], help="show the balance")
    credits_cmd.add_argument("--json", action="store_true")

    usage = sub.add_parser("usage", parents=[common], help="list usage records, newest first")
    usage.add_argument("--page-size", type=int, default=50, metavar="N")
    lim = usage.add_mutually_exclusive_group()
    lim.add_argument("--limit", type=int, default=None, metavar="N", help="at most N records (default 50)")
    lim.add_argument("--all", action="store_true", help="every record")
    out = usage.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="the records as the gateway gives them")
    out.add_argument("--csv", action="store_true", help="CSV, the same as the app's export")
    # The usage screen's filters (usage_stats.filter_records): a model, local days inclusive.
    usage.add_argument("--model", metavar="M", help="only this model's records")
    usage.add_argument("--since", metavar="DATE", help="from this local day on (YYYY-MM-DD)")
    usage.add_argument("--until", metavar="DATE", help="up to and including this local day (YYYY-MM-DD)")

    models = sub.add_parser("models", parents=[common], help="list the gateway's models")
    models.add_argument("--json", action="store_true")

    serve = sub.add_parser(
        "serve-demo", parents=[common], help="run the built-in fake gateway",
        epilog=DEMO_FAULTS_HELP, formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--auth-code", default="demo")
    serve.add_argument("--delta-delay", type=float, default=0.0, metavar="S", help="seconds between deltas")

    sub.add_parser("demo", parents=[common], help="open the app against the built-in fake gateway")
    presets_cli.add_parser(sub, common)
    cli_chats.add_parser(sub, common)
    return parser


def _temperature(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not 0 <= value <= 2:
        raise argparse.ArgumentTypeError(f"temperature must be a number from 0 to 2, not {text!r}")
    return value


def _add_image_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--aspect-ratio", metavar="R", help=f"image aspect ratio: {' '.join(ASPECT_RATIOS)}")
    p.add_argument("--image-size", metavar="S", help=f"image size: {' '.join(IMAGE_SIZES)}")
    p.add_argument("--search", action="store_true", help="ground with Google Search")


def _err(text: str) -> None:
    sys.stderr.write(f"liaobots: {' '.join(text.split())}\n")
    sys.stderr.flush()


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    if args.command not in (None, "demo"):  # the app draws with escapes of its own, on its own stream
        # The last guard: whatever the gateway sent, no byte printed below can drive a terminal.
        sys.stdout, sys.stderr = TerminalGuard.wrap(sys.stdout), TerminalGuard.wrap(sys.stderr)
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        _err("interrupted")
        return EXIT_INTERRUPTED
    except (ConfigError, InputError) as exc:
        _err(exc.one_line())
        return EXIT_USAGE
    except LiaobotsError as exc:
        _err(exc.one_line())
        return EXIT_API
    except BrokenPipeError:
        # `liaobots ask … | head`: the reader left; not an error worth a traceback.
        sys.stderr.close()
        return EXIT_OK


def _settings(args: argparse.Namespace, **overrides: Any) -> Settings:
    return load_settings(args.config, base_urls=args.base_url, required=args.config is not None, **overrides)


#: Arguments that are file paths: on POSIX these may hold any bytes, so they are not checked as text.
_PATH_ARGS = frozenset({"attach", "config", "output_dir"})


def _check_text_args(args: argparse.Namespace) -> None:
    """Reject text arguments that are not UTF-8.

    Python hands undecodable argv bytes over as lone surrogates (PEP 383); SQLite
    and JSON cannot encode those, so a prompt typed in Latin-1 would otherwise end
    in a traceback halfway through the turn.
    """
    for name, value in vars(args).items():
        if name in _PATH_ARGS:
            continue
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, str):
                continue
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                code = ord(item[exc.start])
                byte = f" (byte 0x{code - 0xDC00:02x})" if 0xDC80 <= code <= 0xDCFF else ""
                raise InputError(f"the {name.replace('_', '-')} argument is not valid UTF-8{byte}") from None


def _dispatch(args: argparse.Namespace) -> int:
    _check_text_args(args)
    command = args.command
    if command == "serve-demo":
        from liaobots_tui.demo.gateway import serve_forever

        serve_forever(port=args.port, auth_code=args.auth_code, delta_delay=args.delta_delay)
        return EXIT_OK
    if command == "demo":
        return _run_demo(args)
    if command == "presets":
        return presets_cli.run(args)
    settings = _settings(args)
    if command == "chats":  # the history only: no auth code needed
        return cli_chats.run(args)
    if command is None:
        from liaobots_tui.ui.gc_pause import held_for_start

        with held_for_start():  # until the first chat is painted: see ui/gc_pause.py
            from liaobots_tui.ui.app import run_app

            return run_app(settings)
    if not settings.auth_code:
        raise ConfigError(
            f"no auth code: set LIAOBOTS_AUTH_CODE or auth_code in {paths.config_file()} (or run `liaobots`)"
        )
    runner = {"ask": _ask, "image": _image, "credits": _credits, "usage": _usage, "models": _models}[command]
    return asyncio.run(runner(args, settings))


def _run_demo(args: argparse.Namespace) -> int:
    from liaobots_tui.demo.gateway import FakeGateway
    from liaobots_tui.ui.gc_pause import held_for_start

    # Paced like a real model (about 60 deltas/s), so a new user sees a reply stream in.
    with FakeGateway(auth_code="demo", delta_delay=DEMO_DELTA_DELAY) as gateway, held_for_start():
        from liaobots_tui.ui.app import run_app

        settings = _settings(args, auth_code="demo")
        settings.base_urls = list(gateway.urls)
        return run_app(settings, demo_gateway_urls=list(gateway.urls))


# ---------------------------------------------------------------- ask / image


def _read_prompt(prompt: str | None) -> str:
    if prompt is not None and prompt != "-":
        return prompt
    if sys.stdin.isatty():
        raise InputError("no prompt: give one as an argument or pipe it on stdin")
    raw = sys.stdin.buffer.read()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"stdin is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from None


def _image_options(args: argparse.Namespace, current: ImageOptions, *, want_text: bool) -> ImageOptions:
    """The chat's image options with the ones given on the command line applied."""
    if args.image_size:
        args.image_size = args.image_size.upper()  # the API wants "2K"; "2k" is what people type
    if args.aspect_ratio and args.aspect_ratio not in ASPECT_RATIOS:
        raise InputError(f"invalid aspect ratio {args.aspect_ratio!r}; use one of {' '.join(ASPECT_RATIOS)}")
    if args.image_size and args.image_size not in IMAGE_SIZES:
        raise InputError(f"invalid image size {args.image_size!r}; use one of {' '.join(IMAGE_SIZES)}")
    return replace(
        current,
        aspect_ratio=args.aspect_ratio or current.aspect_ratio,
        image_size=args.image_size or current.image_size,
        google_search=True if args.search else current.google_search,
        want_text=want_text and current.want_text,  # only `image --no-text` changes it here
    )


def _thinking_arg(args: argparse.Namespace) -> Thinking | None | Literal["keep"]:
    """``--thinking [VALUE]``: keep the chat's own when absent.

    A bare ``--thinking`` followed by the prompt makes argparse take the prompt as
    the value; when that value is no thinking level and no prompt was given, it
    is the prompt.
    """
    value = args.thinking
    if value is None:
        return "keep"
    try:
        return parse_thinking(value)
    except ValueError as exc:
        if args.prompt is None:
            args.prompt = value
            return parse_thinking("on")
        raise InputError(str(exc)) from None


async def _ask(args: argparse.Namespace, settings: Settings) -> int:
    thinking = _thinking_arg(args)
    if args.editor:
        from liaobots_tui.editor import edit_text

        prompt = edit_text(_read_prompt(args.prompt) if args.prompt is not None else "")
    else:
        prompt = _read_prompt(args.prompt)
    if args.model and len(args.model) > 1:
        from liaobots_tui.attachments import attachment_limit, load_attachment
        from liaobots_tui.cli_compare import run_compare

        limit = attachment_limit(settings)
        attachments = [load_attachment(Path(a), limit) for a in args.attach]
        if not prompt.strip() and not attachments:
            raise InputError("the prompt is empty")
        return await run_compare(args, settings, prompt=prompt, attachments=attachments, thinking=thinking)
    if args.keep is not None:
        raise InputError("--keep picks one of the compared models: give -m two to four times")
    args.model = args.model[0] if args.model else None
    # A prompt from stdin or the editor exists nowhere else: one lost with its chat is printed back.
    on_command_line = not args.editor and args.prompt not in (None, "-")
    return await _turn(args, settings, prompt=prompt, json_out=args.json, image_dir=args.output_dir,
                       thinking=thinking, prompt_on_command_line=on_command_line)  # fmt: skip


async def _image(args: argparse.Namespace, settings: Settings) -> int:
    return await _turn(args, settings, prompt=args.prompt, json_out=False,
                       image_dir=args.output_dir or Path.cwd(), images_to_stdout=True,
                       thinking="keep")  # fmt: skip


async def _open_chat_asked_for(
    controller: ConversationController, store: Store, args: argparse.Namespace
) -> None:
    """``-c`` opens the newest chat, ``--cid N`` that one (InputError for an unknown id); else a new chat."""
    if args.cont:
        latest = store.latest_conversation_id()
        if latest is None:
            raise InputError("there is no conversation to continue yet")
        await controller.open(latest)
    elif args.cid is not None:
        await controller.open(args.cid)


def _apply_flags(
    controller: ConversationController,
    args: argparse.Namespace,
    thinking: Thinking | None | Literal["keep"],
) -> None:
    """Flags given on the command line become the chat's settings, as the same change in the app would.

    A model given without ``--format`` goes back to auto (the format follows the
    model); ``--format`` alone keeps the chat's model.
    """
    current = controller.settings
    fmt = next((f for f in FORMATS if f == args.format), None)
    if args.model or args.format:
        notice = controller.choose_model(args.model or current.model, fmt)
        if notice:
            _err(notice)
    updated = controller.settings
    if args.system is not None:
        updated = replace(updated, system=args.system)
    if args.temperature is not None:
        updated = replace(updated, temperature=args.temperature)
    if thinking != "keep":
        updated = replace(updated, thinking=thinking)
    updated = replace(updated, image=_image_options(args, updated.image, want_text=not args.no_text))
    if updated != controller.settings:
        controller.update(updated)


async def _turn(
    args: argparse.Namespace,
    settings: Settings,
    *,
    prompt: str,
    json_out: bool,
    image_dir: Path | None,
    thinking: Thinking | None | Literal["keep"],
    images_to_stdout: bool = False,
    prompt_on_command_line: bool = True,
) -> int:
    from liaobots_tui.api.transport import GatewayClient, Timeouts
    from liaobots_tui.chat import ChatEvent, ChatSession
    from liaobots_tui.conversations import ConversationController, defaults_from
    from liaobots_tui.store import Store

    if args.format and args.format not in FORMATS:
        raise InputError(f"unknown format {args.format!r}; choose one of {', '.join(FORMATS)}")
    if image_dir is not None and image_dir.exists() and not image_dir.is_dir():
        raise InputError(f"output directory {str(image_dir)!r} is not a directory")
    preset = load_preset(args.preset) if getattr(args, "preset", None) else None
    if args.attach:  # Pillow and the image checks load only for a turn with attachments
        from liaobots_tui.attachments import attachment_limit, load_attachment

        limit = attachment_limit(settings)
        attachments = [load_attachment(Path(a), limit) for a in args.attach]
    else:
        attachments = []
    if not prompt.strip() and not attachments:
        raise InputError("the prompt is empty")

    timeouts = Timeouts(connect=settings.connect_timeout, read=settings.read_timeout)
    out = sys.stdout
    # The text of one network read goes out in one write, queued behind that read's deltas (the
    # loop runs it when the turn awaits the socket again): no syscall per delta even under
    # PYTHONUNBUFFERED. The writer flushes a terminal once per write; a pipe keeps its buffer.
    # `image` keeps stdout for the saved paths alone, so `$(liaobots image …)` is a list of files.
    text = _reply_text(sys.stderr if images_to_stdout else out, markdown=not args.plain)
    loop = asyncio.get_running_loop()
    pending: list[str] = []
    write_queued = False
    saved: list[str] = []
    error: ErrorEvent | None = None

    #: A reader that left (`ask … | head`): kept here because a loop callback's error is only logged.
    broken: list[BrokenPipeError] = []

    def write_read() -> None:
        nonlocal write_queued
        write_queued = False
        if pending:
            chunk = "".join(pending)
            pending.clear()
            try:
                text.write(chunk)
            except BrokenPipeError as exc:
                broken.append(exc)

    async def show(event: ChatEvent) -> None:
        nonlocal write_queued, error
        if type(event) is TextDelta:  # the hot path: keep the text, nothing more
            if event.text and not json_out:
                pending.append(event.text)
                if not write_queued:
                    if broken:  # raised in the turn, which ends it as cancelled with what arrived
                        raise broken[0]
                    write_queued = True
                    loop.call_soon(write_read)
            return
        write_read()  # whatever this event prints comes after the text before it
        if broken:
            raise broken[0]
        if isinstance(event, ReasoningDelta):
            if args.show_thinking:
                sys.stderr.write(event.text)
                sys.stderr.flush()
        elif isinstance(event, ImageEvent) and event.image.path:
            saved.append(_export_image(Path(event.image.path), image_dir))
            if not json_out:
                if images_to_stdout and isinstance(text, PlainText):
                    text.break_line()  # the path goes on a line of its own in a shared terminal
                (out if images_to_stdout else sys.stderr).write(f"{saved[-1]}\n")
        elif isinstance(event, RetryEvent):
            _err(f"{event.reason}, retrying in {event.delay:.0f} s (attempt {event.attempt})")
        elif isinstance(event, ErrorEvent):
            error = event
        elif isinstance(event, FinishEvent) and event.reason not in ("stop", "tool") and not json_out:
            _err(f"reply ended: {event.reason}" + (f" ({event.raw})" if event.raw else ""))

    with Store(paths.db_file(), paths.images_dir()) as store:
        async with GatewayClient(settings.base_urls, settings.auth_code, timeouts=timeouts) as client:
            session = ChatSession(client, store)
            controller = ConversationController(
                store, lambda: session, defaults_from(settings), client=lambda: client
            )
            await _open_chat_asked_for(controller, store, args)
            if preset is not None:  # the preset first: flags given with it override it
                if notice := apply_preset(controller, preset):
                    _err(notice)
            _apply_flags(controller, args, thinking)
            # Image options go to image models; to another Gemini model only when asked for in this call
            # (search grounding, say), never because an image chat once saved them.
            asked = bool(args.aspect_ratio or args.image_size or args.search)
            turn = controller.send(
                prompt, attachments, show, stream=not args.no_stream, image_for_any_model=asked
            )
            try:
                reply = await turn
            finally:
                write_read()  # an interrupted or failed turn keeps the text that arrived
                # Ends the line (a shell prompt should not follow the reply), and shows text held back
                # for a whole Markdown block even when the turn stopped early.
                text.end()
            # A chat whose only turn failed before any reply byte holds nothing worth keeping.
            failed = reply is not None and reply.status == "failed"
            dropped = failed and controller.discard_if_never_answered()

    if json_out and reply is not None:
        _print_json(out, reply, saved, controller.conversation_id, controller.settings.format)
    out.flush()
    if error is not None:
        _err(error.one_line())
    if dropped and not prompt_on_command_line:
        # The prompt is in the history no more, nor in the shell's: it goes back to the user.
        _err("no reply arrived, so the chat was not kept; your prompt was:")
        sys.stderr.write(prompt if prompt.endswith("\n") else f"{prompt}\n")
        sys.stderr.flush()
    if error is not None or dropped:
        return EXIT_API
    return EXIT_OK


def _reply_text(stream: TextIO, *, markdown: bool) -> ReplyText:
    """Markdown drawn when asked for and ``stream`` is a terminal; plain text otherwise (pipes)."""
    if markdown and _isatty(stream):
        from liaobots_tui.ui.terminal_markdown import MarkdownText

        return MarkdownText(stream)
    return PlainText(stream)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or odd stream: treat as a pipe
        return False


def _export_image(path: Path, image_dir: Path | None) -> str:
    """Copy a saved picture into ``image_dir`` under its own name, numbered rather than replacing a file."""
    if image_dir is None:
        return str(path)
    image_dir.mkdir(parents=True, exist_ok=True)
    data = path.read_bytes()
    for n in itertools.count(1):
        target = image_dir / (path.name if n == 1 else f"{path.stem}-{n}{path.suffix}")
        try:
            with open(target, "xb") as fh:  # "x": an earlier run's picture of the same name stays
                fh.write(data)
        except FileExistsError:
            continue
        return str(target)
    raise AssertionError("unreachable")


def _print_json(
    out: TextIO, reply: MessageRecord, images: list[str], conversation_id: int | None, fmt: str
) -> None:
    out.write(terminal_json(reply_json(reply, images, conversation_id, fmt)) + "\n")


def reply_json(
    reply: MessageRecord, images: list[str], conversation_id: int | None, fmt: str
) -> dict[str, Any]:
    """The object `ask --json` prints for one reply."""
    usage = reply.usage.to_dict() if reply.usage else {"input_tokens": 0, "output_tokens": 0}
    obj = {
        "text": reply.text,
        "thinking": reply.reasoning,
        "images": images,
        "usage": usage,
        "finish_reason": reply.finish_reason,
        "status": reply.status,
        "error": reply.error,
        "sources": [{"uri": s.uri, "title": s.title} for s in reply.sources],
        "model": reply.model,
        "format": fmt,
        "conversation_id": conversation_id,
    }
    return obj


# ---------------------------------------------------------------- account


async def _credits(args: argparse.Namespace, settings: Settings) -> int:
    from liaobots_tui.api.account import fetch_credits
    from liaobots_tui.api.transport import GatewayClient
    from liaobots_tui.cli_usage import balance_line

    async with GatewayClient(settings.base_urls, settings.auth_code) as client:
        balance = await fetch_credits(client)
    if args.json:
        print(json.dumps({"balance": balance.balance, "amount": balance.amount}))
    else:
        print(balance_line(balance.balance, balance.amount))
    return EXIT_OK


async def _usage(args: argparse.Namespace, settings: Settings) -> int:
    from liaobots_tui.api.account import iter_usage
    from liaobots_tui.api.transport import GatewayClient
    from liaobots_tui.cli_usage import UsageQuery, print_records

    query = UsageQuery(args)  # bad dates or limits: one line, exit 2, before any request
    async with GatewayClient(settings.base_urls, settings.auth_code) as client:
        # With filters, the limit counts matching records: walk on until enough match.
        walk_limit = None if query.filtered else query.limit
        walk = iter_usage(client, page_size=query.page_size, limit=walk_limit)
        async with aclosing(walk):  # type: ignore[type-var]  # an async generator: it has aclose()
            records = await query.collect(walk)
    print_records(records, args, sys.stdout)
    return EXIT_OK


async def _models(args: argparse.Namespace, settings: Settings) -> int:
    from liaobots_tui.api.models import list_models
    from liaobots_tui.api.transport import GatewayClient

    async with GatewayClient(settings.base_urls, settings.auth_code) as client:
        ids, from_gateway = await list_models(client)
    if not from_gateway:
        _err("the gateway did not list its models; showing the built-in list")
    if args.json:
        print(terminal_json([{"id": m, "format": format_for_model(m)} for m in ids]))
    else:
        for m in ids:
            print(f"{m:<40} {format_for_model(m)}")
    return EXIT_OK
