"""Cluster benchmark: one and three server processes behind HAProxy on PostgreSQL.

For each size the cluster is started as `make cluster` starts it (tests/support/cluster.py),
on a fresh PostgreSQL, and measured through the load balancer only:

1. initial syncs: ``--syncs`` real ``docshelf sync`` processes at once, each into an empty
   home, pull a corpus (``--records``, ``--files``); initial syncs per minute;
2. no-change polls per second: ``--pollers`` processes poll ``/sync/changes`` flat out
   with an up-to-date cursor (as sync_bench.py does against one process);
3. the herd (bench/herd.py): ``--herd-clients`` simulated clients hold hint streams
   spread over the processes, a package for everyone arrives; how long until they hold it.

The 1-process run is the baseline of the same run; the table gives 3-process / 1-process
ratios. Every process, HAProxy, PostgreSQL and the load generators share this machine's
cores: on a small machine the ratio says how much the processes' overhead costs, not how
far more machines would carry (see docs/performance.md).

    .venv/bin/python bench/cluster.py
    .venv/bin/python bench/cluster.py --quick      # a smoke run, a few minutes
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from corpus import CorpusSpec, build
from sync_bench import (
    Server,
    api_login,
    cli,
    client_login,
    machine_facts,
    poll_throughput,
    run_measured,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import herd  # noqa: E402

from docshelf.server.db.engine import Database  # noqa: E402
from support.cluster import Cluster  # noqa: E402

FAST_HASHING = {"DOCSHELF_PASSWORD_TIME_COST": "1", "DOCSHELF_PASSWORD_MEMORY_KIB": "8192"}


class ClusterServer(Server):
    """The load balancer's address; CPU time summed over every server process."""

    pids: tuple[int, ...] = ()

    def cpu_seconds(self) -> float:
        return sum(Server(self.base, pid).cpu_seconds() for pid in self.pids)


def cluster_server(cluster: Cluster) -> ClusterServer:
    server = ClusterServer(cluster.url, cluster.processes[0].pid)
    object.__setattr__(server, "pids", tuple(p.pid for p in cluster.processes))
    return server


@dataclass
class Result:
    processes: int
    syncs_per_minute: float
    sync_wall_s: float
    polls_per_s: float
    poll_errors: int
    herd_p50_s: float
    herd_p95_s: float
    herd_all_s: float
    herd_failed: int
    server_cpu_s: float


def newest_cursor(base: str) -> str:
    http = api_login(base, "bench-cursor")
    try:
        params: dict[str, str | int] = {"limit": 5000}
        while True:
            page = http.get("/sync/changes", params=params).json()
            params["cursor"] = page["cursor"]
            if not page["has_more"]:
                return str(page["cursor"])
    finally:
        http.close()


def initial_syncs(base: str, count: int, scratch: Path) -> float:
    """Wall seconds for ``count`` first syncs at once (each a `docshelf sync` process)."""
    homes = [scratch / f"home{i}" for i in range(count)]
    for home in homes:
        client_login(base, home)

    def one(home: Path) -> None:
        done = run_measured(cli(home, "sync", "--json"))
        if done.returncode != 0:
            raise RuntimeError(f"sync failed ({done.returncode}): {done.stdout} {done.stderr}")

    started = time.perf_counter()
    with ThreadPoolExecutor(count) as pool:
        list(pool.map(one, homes))
    wall = time.perf_counter() - started
    for home in homes:
        shutil.rmtree(home, ignore_errors=True)
    return wall


def measure(processes: int, args: argparse.Namespace, scratch: Path) -> Result:
    root = scratch / f"cluster{processes}"
    env = {**FAST_HASHING, "DOCSHELF_MAX_HINT_STREAMS": str(args.herd_clients + 100)}
    print(f"{processes} process(es): starting the cluster", flush=True)
    with Cluster(root, servers=processes, env=env, seed_demo=False) as cluster:
        server = cluster_server(cluster)
        cpu = server.cpu_seconds()
        # The herd first, on its own users and content: the corpus would make each of its
        # clients' first syncs large.
        db = Database(cluster.database_url)
        try:
            seeded = herd.seed(db, args.herd_clients, args.herd_users)
        finally:
            db.dispose()
        print("  herd", flush=True)
        herd_args = herd.parse(["--clients", str(args.herd_clients)])
        herd_args.users = args.herd_users
        herd_args.interval = args.herd_interval
        outcomes = asyncio.run(herd.measure(server, seeded, herd_args))
        package = next(o for o in outcomes if o.scenario == "package, delay 0")
        arrivals = sorted(package.arrivals)

        print("  corpus", flush=True)
        spec = CorpusSpec(records=args.records, files=args.files, seed=3)
        with cluster.blobs() as blobs:
            build(cluster.root, spec, cluster.database_url, blobs)
        print("  initial syncs", flush=True)
        wall = initial_syncs(cluster.url, args.syncs, scratch / "homes")
        print("  polls", flush=True)
        polls, errors = poll_throughput(
            cluster.url, newest_cursor(cluster.url), args.pollers, args.seconds
        )
        return Result(
            processes,
            args.syncs / wall * 60,
            wall,
            polls,
            errors,
            herd.percentile(arrivals, 0.5) if arrivals else float("nan"),
            herd.percentile(arrivals, 0.95) if arrivals else float("nan"),
            arrivals[-1] if arrivals else float("nan"),
            package.failed,
            server.cpu_seconds() - cpu,
        )


HEADER = ["measure", "1 process", "3 processes", "ratio 3/1"]


def table(one: Result, three: Result, args: argparse.Namespace) -> list[list[str]]:
    measures = [
        (f"initial syncs per minute ({args.syncs} at once)", "syncs_per_minute", ".1f"),
        ("  wall time of those syncs (s)", "sync_wall_s", ".1f"),
        (f"no-change polls per second ({args.pollers} pollers)", "polls_per_s", ".0f"),
        (f"herd: package held by 50 % (s, K={args.herd_clients})", "herd_p50_s", ".2f"),
        ("herd: held by 95 % (s)", "herd_p95_s", ".2f"),
        ("herd: held by all (s)", "herd_all_s", ".2f"),
        ("server CPU, all processes (s)", "server_cpu_s", ".1f"),
    ]
    rows = []
    for label, name, fmt in measures:
        a, b = float(getattr(one, name)), float(getattr(three, name))
        rows.append([label, format(a, fmt), format(b, fmt), f"{b / a:.2f}" if a else ""])
    rows.append(
        [
            "errors: polls / herd failed syncs",
            f"{one.poll_errors} / {one.herd_failed}",
            f"{three.poll_errors} / {three.herd_failed}",
            "",
        ]
    )
    return rows


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--syncs", type=int, default=6, help="initial syncs at once")
    parser.add_argument("--pollers", type=int, default=6, help="polling processes")
    parser.add_argument("--seconds", type=float, default=20, help="polling time")
    parser.add_argument("--herd-clients", type=int, default=500)
    parser.add_argument("--herd-users", type=int, default=50)
    parser.add_argument("--herd-interval", type=float, default=30.0)
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    parser.add_argument("--markdown", type=Path, help="also write the table as Markdown here")
    args = parser.parse_args(argv)
    if args.quick:
        args.records, args.files, args.syncs, args.pollers, args.seconds = 800, 20, 3, 3, 8
        args.herd_clients, args.herd_users, args.herd_interval = 100, 10, 10.0
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    herd.raise_open_files()
    os.environ.setdefault("DOCSHELF_KEYRING", "0")
    started = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="cluster-bench-"))
    try:
        one = measure(1, args, scratch)
        three = measure(3, args, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    rows = table(one, three, args)
    herd.print_table_with(HEADER, rows)
    facts = [
        *machine_facts(),
        "PostgreSQL, HAProxy (leastconn), the server processes and the load generators on"
        " this one machine",
        f"corpus {args.records} records, {args.files} files",
    ]
    for fact in facts:
        print(f"  {fact}")
    if args.markdown:
        args.markdown.write_text(
            herd.markdown_with(HEADER, rows, facts, time.monotonic() - started)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
