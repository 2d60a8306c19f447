"""What the fake gateway says: its model list, canned Markdown replies, deltas, tokens and signatures.

Everything here is deterministic: the same model and prompt always give the same
reply, split into the same deltas, so tests can compare what a client assembled
with :func:`reply_text`. A prompt containing ``[[deltas=N]]`` gets a reply of
exactly N text deltas (canned Markdown repeated), for streaming benchmarks.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class ModelInfo:
    """One model the gateway serves: who owns it, what it costs, whether it thinks."""

    id: str
    owned_by: str
    #: Credits charged per million input / output tokens.
    input_rate: float
    output_rate: float
    #: Spends reasoning tokens on every request (gpt-5, o-series, Gemini 3, DeepSeek R1).
    always_reasons: bool = False
    created: int = 1_760_000_000


# Rates are chosen so that gpt-5.4 with 800 in / 400 out costs 0.12 credits, as in the Liaobots docs.
MODELS: dict[str, ModelInfo] = {
    m.id: m
    for m in (
        ModelInfo("gpt-5.4", "openai", 50, 200, always_reasons=True, created=1_767_225_600),
        ModelInfo("gpt-5.4-mini", "openai", 10, 40, always_reasons=True, created=1_767_225_600),
        ModelInfo("claude-sonnet-4-6", "anthropic", 60, 300, created=1_768_003_200),
        ModelInfo("claude-opus-4-6", "anthropic", 100, 500, created=1_768_003_200),
        ModelInfo("gemini-3-pro-preview", "google", 40, 240, always_reasons=True, created=1_763_510_400),
        ModelInfo("gemini-3-flash-preview", "google", 10, 60, always_reasons=True, created=1_765_843_200),
        ModelInfo(
            "gemini-3-pro-image-preview", "google", 40, 240, always_reasons=True, created=1_763_683_200
        ),
        ModelInfo(
            "gemini-3.1-flash-image-preview", "google", 10, 60, always_reasons=True, created=1_771_891_200
        ),
        ModelInfo("o4-mini", "openai", 22, 88, always_reasons=True, created=1_744_761_600),
        ModelInfo("deepseek-r1", "deepseek", 11, 44, always_reasons=True, created=1_737_331_200),
    )
}

#: Rates for image models that are not in the list (any name containing "image" is served).
_UNLISTED_IMAGE_MODEL = ModelInfo("", "google", 10, 60, always_reasons=True)


def is_image_model(model: str) -> bool:
    """The gateway treats any model whose name contains "image" as an image generator."""
    return "image" in model.lower()


def model_info(model: str) -> ModelInfo | None:
    """The model's entry, or None when the gateway does not serve it (→ 404)."""
    if model in MODELS:
        return MODELS[model]
    if is_image_model(model):
        return ModelInfo(
            model, "google", _UNLISTED_IMAGE_MODEL.input_rate, _UNLISTED_IMAGE_MODEL.output_rate, True
        )
    return None


def price(model: str, input_tokens: int, output_tokens: int) -> float:
    """Credits charged for one request."""
    info = model_info(model) or _UNLISTED_IMAGE_MODEL
    return round((input_tokens * info.input_rate + output_tokens * info.output_rate) / 1_000_000, 6)


def count_tokens(text: str) -> int:
    """A rough tokenizer: about four characters per token, CJK counted one per character."""
    if not text:
        return 0
    wide = sum(1 for ch in text if ord(ch) > 0x2E80)
    return wide + math.ceil((len(text) - wide) / 4)


# ---------------------------------------------------------------- canned replies

_REPLIES: tuple[str, ...] = (
    """## Reading a large file in Python

Read it **lazily**, one line at a time, so memory stays flat however big the file is:

```python
from pathlib import Path


def count_errors(path: Path) -> int:
    total = 0
    with path.open(encoding="utf-8") as fh:
        for line in fh:  # the file object is its own iterator
            if "ERROR" in line:
                total += 1
    return total
```

Things to keep in mind:

- `readlines()` loads everything at once; avoid it for logs.
- Pass `encoding=` explicitly, the default depends on the platform.
- For binary data, iterate over `fh.read(65536)` chunks instead.

| Approach | Memory | Speed |
|---|---|---|
| `for line in fh` | constant | fast |
| `fh.readlines()` | whole file | fast |
| `mmap` | paged | fastest for random access |
""",
    """## Ownership in Rust, in three rules

1. Each value has exactly **one owner**.
2. When the owner goes out of scope, the value is dropped.
3. You may lend it out: many `&T` readers *or* one `&mut T` writer.

```rust
fn longest<'a>(a: &'a str, b: &'a str) -> &'a str {
    if a.len() >= b.len() { a } else { b }
}

fn main() {
    let name = String::from("ferris");
    let shown = longest(&name, "crab");
    println!("{shown}");
}
```

> The borrow checker is a compile-time proof that no reference outlives its data.

| Type | Owns data | Copy on assign |
|---|---|---|
| `String` | yes | no (moved) |
| `&str` | no | yes |
| `i32` | yes | yes |

小结：所有权规则让 Rust 在没有垃圾回收的情况下保证内存安全。
""",
    """## 流式输出（SSE）是怎么工作的

服务器不等整段回答生成完，而是把每个小片段作为一个事件立即发送：

- 每个事件以 `data:` 开头，以空行结束；
- 以 `:` 开头的行是注释，用来保持连接；
- 客户端必须跨读取缓冲，因为一个事件可能被拆成好几个网络包。

```text
data: {"delta": "你好"}

data: {"delta": "，世界"}

data: [DONE]
```

| 格式 | 结束标志 |
|---|---|
| OpenAI Chat | `data: [DONE]` |
| Anthropic | `message_stop` |
| Gemini | 连接关闭 |

In short: **render deltas as they arrive**, and treat a stream without its terminal event as failed.
""",
    """## A safe way to undo a pushed commit

If the commit is already on a shared branch, **revert** it instead of rewriting history:

```bash
git log --oneline -5          # find the commit
git revert --no-edit a1b2c3d  # add a commit that undoes it
git push origin main
```

Steps that keep teammates happy:

1. Never `push --force` to a branch others have pulled.
2. Explain *why* in the revert message.
3. If the change must come back later, revert the revert.

| Command | Rewrites history | Safe on shared branches |
|---|---|---|
| `git revert` | no | yes |
| `git reset --hard` | yes | no |
| `git commit --amend` | yes | only before pushing |
""",
    """## Comparing the four chat formats

All four stream **deltas**, but each wraps them differently:

```json
{"type": "content_block_delta", "index": 0,
 "delta": {"type": "text_delta", "text": "Hello"}}
```

- *OpenAI Chat* sends `choices[0].delta.content` and ends with `[DONE]`.
- *Anthropic* names every event and closes with `message_stop`.
- *Responses* numbers its events with `sequence_number`.
- *Gemini* repeats `usageMetadata` in every chunk and just closes.

| Format | Auth header | System prompt |
|---|---|---|
| Chat | `Authorization: Bearer` | a `system` message |
| Anthropic | `x-api-key` | top-level `system` |
| Gemini | `x-goog-api-key` | `systemInstruction` |

备注：Gemini 的 `contents` 里不能出现 `system` 角色，否则返回 400。
""",
)

_IMAGE_CAPTION = """Here is the image for **{subject}**.

- Rendered as a PNG with a soft gradient and a few shapes.
- Ask for another aspect ratio or size to see it re-rendered.
"""

_DELTAS_MARK = re.compile(r"\[\[deltas=(\d{1,7})\]\]")
# A word with the whitespace after it; a whitespace-only run (leading indentation) stands alone.
_WORDS = re.compile(r"\S+\s*|\s+")
_LONGEST_DELTA = 10


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).digest()


def _header(model: str) -> str:
    return f"*{model}* · demo reply\n\n"


def split_deltas(text: str) -> list[str]:
    """Cut text into streaming deltas: a word each, long runs (CJK, URLs) in few-character pieces."""
    out: list[str] = []
    for word in _WORDS.findall(text):
        if len(word) <= _LONGEST_DELTA:
            out.append(word)
        else:
            step = 3 if ord(word[0]) > 0x2E80 else 6
            out.extend(word[i : i + step] for i in range(0, len(word), step))
    return out


def subject_of(prompt: str, words: int = 6) -> str:
    """The prompt's first few words (image captions, text drawn on generated images)."""
    clean = _DELTAS_MARK.sub("", prompt).split()
    return " ".join(clean[:words]) or "an empty prompt"


def _canned_body(model: str, prompt: str) -> str:
    if is_image_model(model):
        return _IMAGE_CAPTION.format(subject=subject_of(prompt))
    return _REPLIES[_digest(model, prompt)[0] % len(_REPLIES)]


def reply_deltas(model: str, prompt: str) -> list[str]:
    """The reply's text deltas in order; ``"".join`` of them is :func:`reply_text`."""
    mark = _DELTAS_MARK.search(prompt)
    if mark is None:
        return split_deltas(_header(model) + _canned_body(model, prompt))
    wanted = int(mark.group(1))
    # Cycle through all canned replies so long benchmark streams still look like Markdown.
    pool = [_header(model), *(r + "\n" for r in _REPLIES)]
    pieces: Iterator[str] = itertools.chain.from_iterable(itertools.cycle(split_deltas(p) for p in pool))
    return list(itertools.islice(pieces, wanted))


def reply_text(model: str, prompt: str) -> str:
    """The deterministic canned reply for this model and prompt."""
    return "".join(reply_deltas(model, prompt))


def reasoning_text(model: str, prompt: str, images: int = 0) -> str:
    """Short deterministic "thinking" shown before the answer."""
    subject = subject_of(prompt, 10)
    seen = f" They attached {images} image{'s' if images != 1 else ''}." if images else ""
    return (
        f"The user asks about “{subject}”.{seen} I should answer in Markdown: a heading, "
        "a short example, a list and a small table. 先列出要点，再给出例子。"
    )


def signature(kind: str, *seed: str, size: int = 48) -> str:
    """An opaque, valid-base64 signature (thought signatures, encrypted reasoning)."""
    raw = b""
    counter = 0
    while len(raw) < size:
        raw += _digest(kind, str(counter), *seed)
        counter += 1
    return base64.b64encode(raw[:size]).decode("ascii")


def short_id(*seed: str, length: int = 24) -> str:
    """A deterministic hex id suffix (msg_…, resp_…, chatcmpl-…)."""
    return hashlib.sha256("\x00".join(seed).encode("utf-8")).hexdigest()[:length]
