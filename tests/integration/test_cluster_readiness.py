"""Without its database a process is not ready, and HAProxy takes it out; it stays alive."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.cluster import Cluster

pytestmark = pytest.mark.postgres


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    with Cluster(tmp_path / "c", servers=2, seed_demo=False) as running:
        yield running


def test_stopping_postgresql_takes_every_process_out(cluster: Cluster) -> None:
    assert set(cluster.api.statuses().values()) == {"UP"}
    assert httpx.get(f"{cluster.url}/readyz", trust_env=False).status_code == 200

    cluster.postgres.stop()

    for i, process in enumerate(cluster.processes):
        ready = httpx.get(f"{process.url}/readyz", trust_env=False, timeout=60)
        assert ready.status_code == 503
        assert ready.json()["code"] == "unavailable"
        assert "database is not reachable" in ready.json()["detail"]
        # Alive: a supervisor must not restart it, the database is what is missing.
        assert httpx.get(f"{process.url}/healthz", trust_env=False).status_code == 200
        cluster.api.wait_for(cluster.name(i), "DOWN")
    # No process left to send to: the balancer answers for them.
    assert httpx.get(f"{cluster.url}/readyz", trust_env=False).status_code == 503
