"""A docshelf cluster on loopback: PostgreSQL, SeaweedFS (S3), several server processes,
HAProxy in front.

`make cluster` (scripts/cluster.py) and the cluster tests start it through the same code:
:class:`Cluster`. Everything lives in one directory; ``cluster.json`` there records what
was started (pids, ports, the PostgreSQL directory), so that :func:`stop_recorded` stops
exactly that, also from another process.

Where the servers keep files is the ``blob_store`` parameter, passed to every server
(see :func:`blob_store_options`): by default a bucket of a SeaweedFS started with the
cluster, as in production on object storage; or a directory all of them share.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from docshelf.server.blobstore import BlobStore, open_blob_store
from support.haproxy import Backend, RuntimeApi, render_config, start_haproxy
from support.postgres import PostgresCluster, free_port
from support.seaweed import SeaweedS3, kill_weed, remove_leftovers
from support.server import ServerProcess

STATE_FILE = "cluster.json"
DATABASE = "docshelf"
BUCKET = "docshelf"
BUCKET_URL = f"s3://{BUCKET}/cluster"


def blob_store_options(blob_store: str) -> dict[str, str]:
    """The environment that tells a server process where the files are: a bucket of object
    storage (``s3://…``) or a directory every process shares."""
    if blob_store.startswith("s3://"):
        return {"DOCSHELF_BLOB_STORE": blob_store}
    return {"DOCSHELF_BLOB_DIR": blob_store}


@dataclass
class Cluster:
    """``root`` holds everything; ``servers`` processes; ``env`` goes to every server."""

    root: Path
    servers: int = 3
    port: int | None = None
    # None: object storage, a SeaweedFS of the cluster's own (``object_storage``), else a
    # directory in ``root``; or a given ``s3://…`` (with its env) or directory.
    blob_store: str | None = None
    object_storage: bool = True
    env: dict[str, str] = field(default_factory=dict)
    seed_demo: bool = True
    # HAProxy's health-check interval; the tests and the bench use the default.
    check_ms: int = 1000

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()
        self.postgres = PostgresCluster()
        self.processes: list[ServerProcess] = []
        self.seaweed: SeaweedS3 | None = None
        self.haproxy: Any = None
        self.database_url = ""
        self.api = RuntimeApi(self.root / "haproxy.sock")

    # --- what it is -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The load balancer's address: what clients are given."""
        assert self.port is not None
        return f"http://127.0.0.1:{self.port}"

    @staticmethod
    def name(index: int) -> str:
        return f"s{index + 1}"

    def describe(self) -> list[str]:
        lines = [f"postgresql: {self.database_url}"]
        if self.seaweed is not None:
            lines.append(
                f"object storage: {self.seaweed.endpoint} ({BUCKET_URL}) pid {self.seaweed.pid}"
            )
        for i, server in enumerate(self.processes):
            lines.append(f"server {i + 1}: {server.url} pid {server.pid}")
        lines.append(f"load balancer: {self.url} pid {self.haproxy.pid}")
        return lines

    # --- start and stop -------------------------------------------------------------------

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if (self.root / STATE_FILE).exists():
            raise RuntimeError(f"a cluster is recorded in {self.root} already; stop it first")
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        self.postgres.start()
        self.database_url = self.postgres.create_database(DATABASE)
        self._record()
        blob_store = self.blob_store
        if blob_store is None and self.object_storage:
            self.seaweed = SeaweedS3()
            self.seaweed.start()
            self.seaweed.create_bucket(BUCKET)
            self._record()
            blob_store = BUCKET_URL
            self.env = {**self.env, **self.seaweed.env()}
        blob_store = blob_store or str(self.root / "blobs")
        self.blob_store = blob_store
        env = {**self.env, **blob_store_options(blob_store)}
        self.processes = [
            ServerProcess(self.root / self.name(i), self.database_url, env=env, port=free_port())
            for i in range(self.servers)
        ]
        # All at once, as after a deployment: the migrations lock lets one migrate.
        _in_parallel([p.start for p in self.processes])
        self._record()
        if self.seed_demo:
            _seed(self.database_url, blob_store, self.root, self.env)
        self.port = self.port or free_port()
        config = self.root / "haproxy.cfg"
        backends = [Backend(self.name(i), p.port) for i, p in enumerate(self.processes)]
        config.write_text(render_config(self.port, backends, self.api.socket_path, self.check_ms))
        self.haproxy = start_haproxy(config, self.root / "haproxy.log")
        self._record()
        for i in range(self.servers):
            self.api.wait_for(self.name(i), "UP", process=self.haproxy)

    def stop(self) -> None:
        if self.haproxy is not None:
            _end(self.haproxy.pid)
            self.haproxy.wait()
            self.haproxy = None
        for process in self.processes:
            process.stop()
        if self.seaweed is not None:
            self.seaweed.stop()
        self.postgres.stop()
        (self.root / STATE_FILE).unlink(missing_ok=True)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @contextlib.contextmanager
    def blobs(self) -> Iterator[BlobStore]:
        """The servers' file store, opened here (to write content in beside them)."""
        assert self.blob_store is not None, "start the cluster first"
        with _environment(self.env):
            yield open_blob_store(self.blob_store)

    def _record(self) -> None:
        """Written after each part starts, so a start that fails half-way is still undone."""
        state = {
            "postgres": {
                "base_dir": str(self.postgres.base_dir),
                "bindir": str(self.postgres.bindir),
            },
            "database_url": self.database_url,
            "object_storage": None
            if self.seaweed is None
            else {
                "pid": self.seaweed.pid,
                "base_dir": str(self.seaweed.base_dir),
                "ports": self.seaweed.ports,
            },
            "servers": [
                {"pid": p.pid, "port": p.port, "data_dir": str(p.data_dir)}
                for p in self.processes
                if p.running
            ],
            "haproxy": None if self.haproxy is None else {"pid": self.haproxy.pid},
            "url": self.url if self.port else None,
        }
        (self.root / STATE_FILE).write_text(json.dumps(state, indent=2) + "\n")

    # --- operating it ---------------------------------------------------------------------

    def take_out(self, index: int) -> None:
        """No new requests to this process (HAProxy maintenance); open ones go on."""
        self.api.set_state(self.name(index), "maint")
        self.api.wait_for(self.name(index), "MAINT")

    def put_back(self, index: int) -> None:
        """Back in once its health checks pass."""
        self.api.set_state(self.name(index), "ready")
        self.api.wait_for(self.name(index), "UP")

    def restart(self, index: int) -> None:
        """One step of a rolling restart: take out, restart, wait ready, put back."""
        self.take_out(index)
        self.processes[index].restart()
        self.put_back(index)
        self._record()


def _in_parallel(calls: list[Any]) -> None:
    errors: list[BaseException] = []

    def run(call: Any) -> None:
        try:
            call()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def _seed(database_url: str, blob_store: str, root: Path, env: dict[str, str]) -> None:
    """The demo content, once (seed_demo leaves a database with content as it is)."""
    from docshelf.server.config import ServerSettings
    from docshelf.server.db.connect import open_database
    from docshelf.server.demo.seed import seed_demo
    from docshelf.server.state import ServerState

    # The store's endpoint and credentials come from the environment, as in the servers.
    with _environment(env):
        settings = ServerSettings(
            data_dir=root / "seed", database_url=database_url, blob_store=blob_store
        )
        state = ServerState.build(settings, db=open_database(database_url))
    try:
        seed_demo(state.db, state.blobs, state.passwords)
    finally:
        state.db.dispose()


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# --- stopping a recorded cluster from another process (`make cluster-down`) ---------------


def stop_recorded(root: Path, timeout: float = 15) -> list[str]:
    """Stop what ``root/cluster.json`` records; returns what was stopped, one line each."""
    path = Path(root) / STATE_FILE
    if not path.exists():
        return []
    state = json.loads(path.read_text())
    done: list[str] = []
    pids = []
    if state.get("haproxy"):
        pids.append(("load balancer", state["haproxy"]["pid"], "haproxy"))
    for i, server in enumerate(state.get("servers", [])):
        pids.append((f"server {i + 1}", server["pid"], "docshelf"))
    for label, pid, expected in pids:
        if _is_ours(pid, expected):
            _end(pid, timeout)
            done.append(f"{label}: stopped pid {pid}")
    store = state.get("object_storage")
    if store:
        if _is_ours(store["pid"], "weed"):
            # Its directory goes next: no graceful stop (which takes weed 15 s).
            kill_weed(store["pid"])
        remove_leftovers(Path(store["base_dir"]), store["ports"])
        done.append(f"object storage: stopped pid {store['pid']}, {store['base_dir']} removed")
    base_dir = state.get("postgres", {}).get("base_dir")
    if base_dir:
        pg = PostgresCluster.attach(Path(state["postgres"]["bindir"]), Path(base_dir))
        pg.stop()
        done.append(f"postgresql: stopped, {base_dir} removed")
    path.unlink()
    return done


def _is_ours(pid: int, expected: str) -> bool:
    """The pid still runs the program we started (a pid may have been reused since)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return expected.encode() in cmdline


def _end(pid: int, timeout: float = 15) -> None:
    """SIGTERM to the process group (it leads one), SIGKILL after ``timeout`` seconds."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
