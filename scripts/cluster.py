#!/usr/bin/env python3
"""`make cluster` / `make cluster-down`: PostgreSQL, SeaweedFS (S3), three docshelf servers
and HAProxy on loopback (see docs/operations.md). The launcher itself is
tests/support/cluster.py, which the cluster tests use too.

    python scripts/cluster.py up   [--dir .docshelf-cluster] [--port 8480] [--servers 3]
                                   [--blob-store DIR]   (default: S3 on a SeaweedFS)
    python scripts/cluster.py down [--dir .docshelf-cluster]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.cluster import Cluster, stop_recorded


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["up", "down"])
    parser.add_argument("--dir", type=Path, default=Path(".docshelf-cluster"))
    parser.add_argument("--port", type=int, default=8480, help="the load balancer's port")
    parser.add_argument("--servers", type=int, default=3)
    parser.add_argument(
        "--blob-store",
        default=None,
        help="a directory the servers share instead of the cluster's own object storage",
    )
    args = parser.parse_args()
    if args.action == "down":
        stopped = stop_recorded(args.dir)
        _say(stopped or [f"No cluster recorded in {args.dir}."])
        return 0
    cluster = Cluster(args.dir, servers=args.servers, port=args.port, blob_store=args.blob_store)
    try:
        cluster.start()
    except Exception as exc:  # a readable line for `make`, not a traceback
        sys.stderr.write(f"make cluster failed: {exc}\n")
        return 1
    _say(cluster.describe())
    _say(["Demo accounts: admin, anna, ... (password: demo). Stop with `make cluster-down`."])
    return 0


def _say(lines: list[str]) -> None:
    sys.stdout.write("".join(line + "\n" for line in lines))


if __name__ == "__main__":
    sys.exit(main())
