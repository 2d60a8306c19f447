"""Driving the CLI in tests: a fake gateway the CLI finds through the environment, and one
in-process run of ``liaobots`` with its exit code and captured output."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from liaobots_tui import cli
from liaobots_tui.demo.gateway import FakeGateway


@contextmanager
def gateway_in_env(monkeypatch: pytest.MonkeyPatch, auth_code: str) -> Iterator[FakeGateway]:
    """A fake gateway accepting ``auth_code``, set as the CLI's code and domains."""
    with FakeGateway(auth_code=auth_code) as gateway:
        monkeypatch.setenv("LIAOBOTS_AUTH_CODE", auth_code)
        monkeypatch.setenv("LIAOBOTS_BASE_URL", ",".join(gateway.urls))
        yield gateway


@dataclass
class Result:
    code: int
    out: str
    err: str

    def __repr__(self) -> str:
        return f"Result({self.code}, out={self.out[-200:]!r}, err={self.err!r})"


def run_cli(
    capsys: pytest.CaptureFixture[str],
    *argv: str,
    stdin: bytes | None = None,
    monkeypatch: pytest.MonkeyPatch | None = None,
) -> Result:
    """``liaobots ARGV`` in this process; ``stdin`` (raw bytes) replaces standard input."""
    if stdin is not None:
        assert monkeypatch is not None, "replacing stdin needs monkeypatch"
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)
