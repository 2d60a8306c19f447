"""host_of reads a plain base URL without httpx, and says what httpx's reading said for every URL.

(httpx is imported on first use, and the status bar shows the domain before any request.)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from liaobots_tui.api.failover import host_of


def httpx_reading(base_url: str) -> str:
    """What host_of said when it always asked httpx."""
    try:
        url = httpx.URL(base_url)
    except httpx.InvalidURL:
        return base_url
    host = url.host or base_url
    return f"{host}:{url.port}" if url.port else host


URLS = [
    "https://ai.liaobots.work", "https://AI.Liaobots.work/v1", "http://127.0.0.1:8080", "http://127.0.0.1:9/x",
    "https://a:443", "http://a:80", "https://a:80", "http://a:443", "https://a:0443", "https://a:00080",
    "https://host:0", "https://a:65535", "https://a:65536", "https://a:99999", "https://a:abc",
    "http://[::1]:8080", "http://[::1]", "http://[1::2::3]:80", "http://[::1", "https://bücher.de",
    "https://xn--bcher-kva.de", "ai.liaobots.work", "", "https://user:pw@host:81/p", "HTTPS://HOST:443",
    "https://a b", "https://host.:8080", "https://-a.b:1", "https://a..b", "https://a:8080/p?q#f",
    "https://a:8080?q", "ftp://a:21",
]  # fmt: skip


@pytest.mark.parametrize("base_url", URLS)
def test_host_of_says_what_httpx_read(base_url: str) -> None:
    assert host_of(base_url) == httpx_reading(base_url)


@given(
    st.sampled_from(["http", "https", "HTTP", "ftp"]),
    st.from_regex(r"[a-zA-Z0-9.\-]{0,12}", fullmatch=True),
    st.one_of(st.none(), st.integers(min_value=0, max_value=99999).map(str), st.just("0080")),
    st.sampled_from(["", "/", "/v1", "/a b", "?q", "#f"]),
)
def test_any_url_reads_as_httpx_read_it(scheme: str, name: str, port: str | None, tail: str) -> None:
    base_url = f"{scheme}://{name}{'' if port is None else ':' + port}{tail}"
    assert host_of(base_url) == httpx_reading(base_url)


def test_a_plain_url_is_read_without_importing_httpx() -> None:
    script = (
        "import sys\nfrom liaobots_tui.api.failover import host_of\n"
        "hosts = host_of('https://ai.liaobots.work'), host_of('http://127.0.0.1:8080/v1')\n"
        "print(*hosts, 'httpx' in sys.modules)\n"
    )
    root = str(Path(__file__).resolve().parent.parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env)
    assert done.stdout.split() == ["ai.liaobots.work", "127.0.0.1:8080", "False"]
