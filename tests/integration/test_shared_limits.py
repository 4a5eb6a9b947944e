"""What the product enforces as a whole holds however many processes serve it (issue #14).

Login throttling is a security property: three processes must not allow three times the
guesses, nor a burst of simultaneous guesses slip past the count while their passwords
are being checked.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from support.api import PASSWORD, admin_cli
from support.postgres import PostgresCluster
from support.server import ServerProcess

pytestmark = pytest.mark.postgres

FREE_FAILURES = 5
BURST = 16
# Slow password checks (many iterations, little memory), and enough of them at once that
# every guess of the burst is being checked at the same time if the count lets it.
SLOW_CHECKS = {
    "DOCSHELF_PASSWORD_TIME_COST": "40",
    "DOCSHELF_PASSWORD_MEMORY_KIB": "8192",
    "DOCSHELF_MAX_PASSWORD_CHECKS": str(BURST),
    "DOCSHELF_LOGIN_FREE_FAILURES": str(FREE_FAILURES),
}


@pytest.fixture
def pair(pg_cluster: PostgresCluster, tmp_path: Path) -> Iterator[tuple[ServerProcess, ...]]:
    name = f"docshelf_limits_{uuid.uuid4().hex[:12]}"
    url = pg_cluster.create_database(name)
    servers = tuple(ServerProcess(tmp_path / f"s{i}", url, env=SLOW_CHECKS) for i in range(2))
    try:
        servers[0].start()
        servers[1].start()
        created = admin_cli(
            ["create-user", "root", "--role", "sys", "--password-stdin"],
            data_dir=str(tmp_path),
            database_url=url,
            stdin=PASSWORD + "\n",
        )
        assert created.returncode == 0, created.stderr
        yield servers
    finally:
        for server in servers:
            server.stop()
        pg_cluster.drop_database(name)


def test_a_burst_of_guesses_over_two_processes_is_throttled_as_one(
    pair: tuple[ServerProcess, ...],
) -> None:
    start = threading.Barrier(BURST)

    def guess(i: int) -> httpx.Response:
        server = pair[i % 2]
        with httpx.Client(trust_env=False, timeout=120) as http:
            start.wait()
            return http.post(
                f"{server.url}/api/v1/auth/login",
                json={"login": "root", "password": f"wrong-{i}", "device_name": "x"},
            )

    with ThreadPoolExecutor(max_workers=BURST) as pool:
        answers = list(pool.map(guess, range(BURST)))
    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {401, 429}, [a.text for a in answers]
    # Only the free failures had their password checked, spread over both processes;
    # every other guess was refused by the shared count before its check.
    assert statuses.count(401) == FREE_FAILURES, statuses
    refused = [a for a in answers if a.status_code == 429]
    assert all(a.json()["code"] == "too_many_requests" for a in refused)
    assert all(int(a.headers["Retry-After"]) >= 1 for a in refused)
    # The right password too waits for the lock-out: guessing in parallel gained nothing.
    right = httpx.post(
        f"{pair[1].url}/api/v1/auth/login",
        json={"login": "root", "password": PASSWORD, "device_name": "x"},
        trust_env=False,
        timeout=120,
    )
    assert right.status_code in (200, 429)
