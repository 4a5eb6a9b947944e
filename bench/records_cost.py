"""The records' cost of a first sync, measured in one process (see docs/performance.md,
round 7): steadier on a loaded machine than the wall clock of ``sync_bench.py``.

Needs a corpus that ``sync_bench.py --keep`` left (its server data dir); starts a server
on it with the code on ``PYTHONPATH``, then measures, best of ``--rounds``:

* the client: a first sync into a fresh home in this process (``Client.sync``), its CPU
  and wall time, and those of the pull and of the templates' tags after it;
* the server: the whole feed read through ``service.poll`` and dumped as the route does,
  in this process (CPU).

To compare two versions, run it alternately with each on ``PYTHONPATH`` (the code of a
commit: ``git archive <commit> src | tar -x -C <dir>``):

    PYTHONPATH=$PWD/src .venv/bin/python bench/records_cost.py --data-dir .bench/full/server
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sync_bench import API, BENCH_PASSWORD, BENCH_USER, PYTHON, api_login, docshelf_server

from docshelf.client import Client, resolve_home
from docshelf.client import app as client_app
from docshelf.client import engine as client_engine
from docshelf.server.db.engine import Database
from docshelf.server.sync import service


def _timed(owner: Any, name: str, into: dict[str, tuple[float, float]]) -> None:
    """Note the wall and CPU time of each call of ``owner.name`` (the last call's)."""
    original: Callable[..., Any] = getattr(owner, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            into[name] = (time.perf_counter() - wall, time.process_time() - cpu)

    setattr(owner, name, timed)


def first_sync(base: str, home: Path) -> dict[str, tuple[float, float]]:
    shutil.rmtree(home, ignore_errors=True)
    login = [PYTHON, "-m", "docshelf", "--home", str(home), "login", "--server", base]
    login += ["--user", BENCH_USER, "--password-stdin"]
    subprocess.run(login, input=BENCH_PASSWORD + "\n", text=True, check=True, capture_output=True)
    times = _TIMES
    times.clear()
    client = Client(resolve_home(str(home)))
    wall, cpu = time.perf_counter(), time.process_time()
    result = client.sync()
    times["sync"] = (time.perf_counter() - wall, time.process_time() - cpu)
    client.close()
    if result.status != "ok":
        raise RuntimeError(f"sync failed: {result.error}")
    return dict(times)


# The parts of a sync timed (each once wrapped, see main), the last sync's.
_TIMES: dict[str, tuple[float, float]] = {}


def feed_cpu(db: Database, token: str) -> float:
    cpu = time.process_time()
    cursor = None
    while True:
        page = service.poll(db, token, cursor, 500)
        assert page is not None
        page.model_dump_json(warnings=False)
        cursor = page.cursor
        if not page.has_more:
            return time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="a kept corpus's server")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    data_dir: Path = args.data_dir.resolve()
    _timed(client_engine.SyncEngine, "pull", _TIMES)
    _timed(client_app.Client, "_fetch_document_files", _TIMES)
    scratch = Path(tempfile.mkdtemp(prefix="docshelf-records-"))
    try:
        with docshelf_server(data_dir, None) as server:
            syncs = [first_sync(server.base, scratch / "home") for _ in range(args.rounds)]
            token = api_login(server.base, "records-cost").headers["Authorization"].split()[1]
            db = Database(f"sqlite:///{data_dir / 'docshelf.db'}")
            feeds = [feed_cpu(db, token) for _ in range(args.rounds * 2)]
            db.dispose()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for part in ("sync", "pull", "_fetch_document_files"):
        walls = [times[part][0] for times in syncs if part in times]
        cpus = [times[part][1] for times in syncs if part in times]
        print(
            f"client {part}: CPU {min(cpus):.2f} s, wall {min(walls):.2f} s (best of {len(cpus)})"
        )
    print(f"server feed ({API}/sync/changes): CPU {min(feeds):.2f} s (best of {len(feeds)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
