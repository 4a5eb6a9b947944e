"""Three server processes behind HAProxy on one PostgreSQL, with real clients.

One cluster for the module, started by the same code as `make cluster`
(support/cluster.py), holding a corpus that takes a client a few seconds to pull. Clients
talk only to the load balancer, which spreads their requests over the processes with no
stickiness. Waits are on events (a client's progress, HAProxy's view of a server, a
client's cache) with generous deadlines; nothing assumes the machine's speed.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from corpus import BENCH_PASSWORD, BENCH_USER, CorpusSpec, build

from docshelf.client.app import Client
from docshelf.client.engine import SyncResult
from docshelf.client.paths import Home
from docshelf.client.status import Status, read_status_file
from docshelf.client.store import LocalStore
from support.api import FAST_HASHING, Api, login
from support.cluster import Cluster
from support.sync import client_view

pytestmark = pytest.mark.postgres

DEADLINE = 120.0
MINUTE_MS = 60_000
# Small pages and many files: a first sync is many requests long, so a kill lands inside.
PAGE = 40
SPEC = CorpusSpec(records=1200, files=40, min_file=50_000, max_file=300_000, seed=14)


def wait_until(condition: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("cluster")
    with Cluster(root, servers=3, env=FAST_HASHING, seed_demo=False) as running:
        # Written into the database and the servers' file store while they run.
        with running.blobs() as blobs:
            build(running.root, SPEC, running.database_url, blobs)
        yield running


@pytest.fixture(scope="module")
def admin(cluster: Cluster) -> Iterator[Api]:
    api = login(cluster.url, BENCH_USER, BENCH_PASSWORD)
    yield api
    api.close()


@pytest.fixture
def all_up(cluster: Cluster) -> Iterator[None]:
    """Each test starts and leaves with every process running and in the balancer."""
    yield
    for i, process in enumerate(cluster.processes):
        if not process.running:
            process.start()
        cluster.put_back(i)


def new_client(cluster: Cluster, home: Path) -> Client:
    client = Client(Home(home), page_size=PAGE)
    client.login(cluster.url, BENCH_USER, BENCH_PASSWORD, device_name=home.name)
    return client


def served_requests(cluster: Cluster) -> dict[str, int]:
    """Requests each server has answered so far, as HAProxy counts them."""
    return {name: int(row["stot"]) for name, row in cluster.api.stats().items()}


class Syncing(threading.Thread):
    """A client's syncs in a thread: one, or one after another until told to stop."""

    def __init__(self, client: Client, *, repeat: bool = False) -> None:
        super().__init__(daemon=True)
        self.client = client
        self.repeat = repeat
        self.started_pulling = threading.Event()
        self.stop = threading.Event()
        self.results: list[SyncResult] = []

    def _progress(self, status: Status) -> None:
        if status.items_done or status.bytes_done:
            self.started_pulling.set()

    def run(self) -> None:
        while True:
            self.results.append(self.client.sync(listener=self._progress))
            if not self.repeat or self.stop.is_set():
                return

    def failures(self) -> list[str]:
        return [f"{r.error_code}: {r.error}" for r in self.results if r.status != "ok"]


def test_no_request_sticks_to_a_process(cluster: Cluster, tmp_path: Path) -> None:
    before = served_requests(cluster)
    client = new_client(cluster, tmp_path / "spread")
    try:
        result = client.sync()
        assert result.status == "ok", result.error
    finally:
        client.close()
    after = served_requests(cluster)
    # One client's first sync was answered by all three: nothing needed the same process.
    assert all(after[name] > before[name] for name in after), (before, after)


def test_a_token_from_one_process_works_on_every_other(cluster: Cluster) -> None:
    first, *others = cluster.processes
    signed_in = login(cluster.url, BENCH_USER, BENCH_PASSWORD, device="lb")
    try:
        for process in cluster.processes:
            direct = Api(process.url, signed_in.token)
            assert direct.ok("GET", "/me")["login"] == BENCH_USER
            direct.close()
        # Signed out through one process: the others know at once (no cache per process).
        Api(first.url, signed_in.token).ok("POST", "/auth/logout")
        for process in others:
            assert Api(process.url, signed_in.token).get("/me").status_code == 401
        assert signed_in.get("/me").status_code == 401
    finally:
        signed_in.close()


@pytest.mark.usefixtures("all_up")
def test_a_process_killed_during_initial_syncs_costs_no_client_anything(
    cluster: Cluster, tmp_path: Path
) -> None:
    clients = [new_client(cluster, tmp_path / f"desk{i}") for i in range(3)]
    runs = [Syncing(client) for client in clients]
    try:
        for run in runs:
            run.start()
        for run in runs:
            assert run.started_pulling.wait(DEADLINE), "a client never started pulling"
        victim = _busiest(cluster, runs)
        cluster.processes[victim].kill()  # SIGKILL, with the clients' requests in flight
        for run in runs:
            run.join(DEADLINE)
            assert not run.is_alive(), "a sync did not finish"
            assert run.failures() == []

        fresh = new_client(cluster, tmp_path / "fresh")
        try:
            assert fresh.sync().status == "ok"
            expected = client_view(fresh)
            files = fresh.store.referenced_files(set())
            assert len(expected) >= SPEC.records and files
            for client in clients:
                assert client_view(client) == expected
                assert all(client.files.has(sha) for sha in files)
        finally:
            fresh.close()
    finally:
        for client in clients:
            client.close()


@pytest.mark.usefixtures("all_up")
def test_a_rolling_restart_under_load_fails_no_sync(
    cluster: Cluster, admin: Api, tmp_path: Path
) -> None:
    clients = [new_client(cluster, tmp_path / f"steady{i}") for i in range(3)]
    for client in clients:
        assert client.sync().status == "ok"
    runs = [Syncing(client, repeat=True) for client in clients]
    try:
        for run in runs:
            run.start()
        for i in range(len(cluster.processes)):
            done = sum(len(run.results) for run in runs)
            _edit(admin, f"Während Neustart {i}")
            cluster.restart(i)
            # The load went on while this process was out and back.
            wait_until(lambda done=done: sum(len(r.results) for r in runs) > done + 3, "syncs")
    finally:
        for run in runs:
            run.stop.set()
        for run in runs:
            run.join(DEADLINE)
    try:
        assert all(run.results for run in runs)
        assert [run.failures() for run in runs] == [[], [], []]
        titles = {r["titles"]["de"] for r in clients[0].store.records("template")}
        assert {f"Während Neustart {i}" for i in range(3)} <= titles
    finally:
        for client in clients:
            client.close()


def _busiest(cluster: Cluster, runs: list[Syncing]) -> int:
    """The process answering most of the clients' requests just now."""
    while True:
        assert any(run.is_alive() for run in runs), "the syncs ended before the kill"
        current = {name: int(row["scur"]) for name, row in cluster.api.stats().items()}
        name, busiest = max(current.items(), key=lambda item: item[1])
        if busiest:
            return int(name.removeprefix("s")) - 1


def _edit(admin: Api, title: str) -> None:
    body = {"kind": "docx", "titles": {"de": title}, "status": "released"}
    admin.ok("POST", "/admin/templates", json=body)


@pytest.mark.usefixtures("all_up")
def test_a_hint_reaches_a_client_held_on_another_process(
    cluster: Cluster, admin: Api, tmp_path: Path
) -> None:
    admin.ok(
        "PATCH",
        "/admin/settings",
        json={
            "values": {
                # Nothing but the hint can bring the change within the test's deadline.
                "ClientSyncInterval": 15 * MINUTE_MS,
                "ClientSyncMaxDelayAfterStart": 0,
                "ClientHintMaxDelay": 0,
                "ClientHintsEnabled": True,
            }
        },
    )
    home = tmp_path / "held"
    client = new_client(cluster, home)
    assert client.sync().status == "ok"
    client.close()
    # Only process 2 in the balancer while the daemon connects: its stream is held there.
    cluster.take_out(0)
    cluster.take_out(2)
    daemon = _daemon(home)
    try:
        wait_until(lambda: _hints(home) == "connected", "the hint stream")
        cluster.put_back(0)
        cluster.put_back(2)
        through_first = Api(cluster.processes[0].url, admin.token)
        _edit(through_first, "Über Prozess 1")
        through_first.close()
        wait_until(lambda: "Über Prozess 1" in _titles(home), "the change in the held client")
    finally:
        daemon.terminate()
        daemon.communicate(timeout=60)


def _daemon(home: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "docshelf", "--home", str(home), "daemon"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _hints(home: Path) -> Any:
    status = read_status_file(home / "status.json")
    return None if status is None else status.hints


def _titles(home: Path) -> set[str]:
    store = LocalStore(home / "cache.db")
    try:
        return {r["titles"].get("de") for r in store.records("template")}
    finally:
        store.close()


def test_readyz_through_the_balancer(cluster: Cluster) -> None:
    answer = httpx.get(f"{cluster.url}/readyz", trust_env=False)
    assert answer.status_code == 200
    assert answer.json()["database"] == "postgresql"
