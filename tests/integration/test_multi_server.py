"""Several server processes share one PostgreSQL: nothing lives only in one process."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from support.api import FAST_HASHING, PASSWORD, Api, admin_cli, login
from support.postgres import PostgresCluster
from support.server import ServerProcess

pytestmark = pytest.mark.postgres


@pytest.fixture
def pair(pg_cluster: PostgresCluster, tmp_path: Path) -> Iterator[tuple[ServerProcess, ...]]:
    """Two servers started at the same moment on a fresh database (migrations race)."""
    name = f"docshelf_pair_{uuid.uuid4().hex[:12]}"
    url = pg_cluster.create_database(name)
    env = {**FAST_HASHING, "DOCSHELF_BLOB_DIR": str(tmp_path / "shared-blobs")}
    servers = tuple(ServerProcess(tmp_path / f"s{i}", url, env=env) for i in range(2))
    threads = [threading.Thread(target=s.start) for s in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert all(s.running for s in servers), [s.log_text() for s in servers]
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


def test_a_token_from_one_server_works_on_the_other(pair: tuple[ServerProcess, ...]) -> None:
    a, b = pair
    on_a = login(a.url, "root")
    on_b = Api(b.url, on_a.token)
    assert on_b.ok("GET", "/me")["login"] == "root"
    # Revoked through B: A must know at once, it keeps no cache of its own.
    on_b.ok("POST", "/auth/logout")
    assert on_a.get("/me").status_code == 401


def test_failed_logins_count_across_servers(pair: tuple[ServerProcess, ...]) -> None:
    statuses = []
    for i in range(8):
        server = pair[i % 2]
        response = httpx.post(
            f"{server.url}/api/v1/auth/login",
            json={"login": "root", "password": "wrong"},
            trust_env=False,
        )
        statuses.append(response.status_code)
    assert statuses[:5] == [401] * 5
    assert statuses[-1] == 429


def test_changes_and_files_written_on_one_server_are_served_by_the_other(
    pair: tuple[ServerProcess, ...],
) -> None:
    a, b = pair
    admin_a, admin_b = login(a.url, "root"), login(b.url, "root")
    data = b"PK\x03\x04" + uuid.uuid4().bytes * 100
    sha = admin_a.upload(data)
    template = admin_a.ok("POST", "/admin/templates", json={"kind": "docx", "titles": {"de": "T"}})
    admin_b.ok(
        "PUT", f"/admin/templates/{template['id']}/files/de", json={"sha256": sha, "filename": "t"}
    )
    assert admin_b.get(f"/blobs/{sha}").content == data
    assert admin_a.ok("GET", f"/admin/templates/{template['id']}")["version"] == 2


def test_concurrent_writes_on_both_servers_get_gap_free_change_numbers(
    pair: tuple[ServerProcess, ...],
) -> None:
    clients = [login(s.url, "root") for s in pair]

    def create(i: int) -> int:
        client = clients[i % 2]
        return client.post(
            "/admin/groups", json={"name": f"g{i}-{uuid.uuid4().hex[:6]}"}
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(create, range(40)))
    assert statuses == [201] * 40
    url = pair[0].database_url
    assert url is not None
    engine = create_engine(url)
    with engine.connect() as conn:
        seqs = [row[0] for row in conn.execute(text("SELECT seq FROM commits ORDER BY seq"))]
        counter = conn.execute(text("SELECT value FROM counters")).scalar_one()
    engine.dispose()
    assert seqs == list(range(1, len(seqs) + 1))
    assert counter == seqs[-1]
