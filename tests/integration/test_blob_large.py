"""A 500 MB file up and down through a real server, on both stores, in constant memory:
the server process's peak resident memory (VmHWM) grows by far less than the file."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.api import FAST_HASHING, LiveServer, start_live
from support.seaweed import SeaweedS3
from support.server import MakeServer

MiB = 1024 * 1024
SIZE = 500 * MiB
# Buffers (an 8 MiB write buffer with two parts in flight on S3, 1 MiB reads, the
# request's own), not the file.
GROWTH_LIMIT = 120 * MiB

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/<pid>/status"),
]


def _content() -> Iterator[bytes]:
    block = hashlib.sha256(b"docshelf").digest() * (MiB // 32)
    for i in range(SIZE // MiB):
        yield i.to_bytes(8, "big") + block[8:]


def _peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


@pytest.fixture(params=["local", "s3"])
def server(request: pytest.FixtureRequest, make_server: MakeServer) -> Iterator[LiveServer]:
    env = dict(FAST_HASHING)
    args: list[str] = []
    if request.param == "s3":
        s3: SeaweedS3 = request.getfixturevalue("seaweed")
        env.update(s3.env())
        args = ["--blob-store", f"s3://{request.getfixturevalue('s3_bucket')}/large"]
    live = start_live(make_server(env=env, extra_args=args))
    try:
        yield live
    finally:
        live.close()


def test_a_500_mb_file_costs_the_server_constant_memory(server: LiveServer) -> None:
    digest = hashlib.sha256()
    for chunk in _content():
        digest.update(chunk)
    sha = digest.hexdigest()
    warm = b"PK\x03\x04 warm up"
    server.admin.upload(warm)
    assert server.admin.get(f"/blobs/{hashlib.sha256(warm).hexdigest()}").content == warm
    pid = server.process.pid  # type: ignore[attr-defined]
    before = _peak_rss(pid)

    timeout = httpx.Timeout(300.0)
    with httpx.Client(base_url=server.url + "/api/v1", timeout=timeout, trust_env=False) as http:
        http.headers["Authorization"] = server.admin.http.headers["Authorization"]
        put = http.put(f"/blobs/{sha}", content=_content())
        assert put.status_code == 200, put.text
        received = hashlib.sha256()
        size = 0
        with http.stream("GET", f"/blobs/{sha}") as answer:
            assert answer.status_code == 200
            for chunk in answer.iter_bytes():
                received.update(chunk)
                size += len(chunk)
    assert (size, received.hexdigest()) == (SIZE, sha)
    growth = _peak_rss(pid) - before
    assert growth < GROWTH_LIMIT, f"peak memory grew by {growth / MiB:.0f} MiB"
