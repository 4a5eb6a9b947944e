"""Shared fixtures: a real PostgreSQL cluster, per-test databases and real server processes."""

from __future__ import annotations

import functools
import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.api import FAST_HASHING, PASSWORD, LiveServer, admin_cli, login
from support.postgres import PostgresBinariesMissing, PostgresCluster, find_pg_bindir
from support.seaweed import SeaweedS3
from support.server import MakeServer, ServerProcess

# Clients in tests keep their tokens in a private file, never in a desktop keyring.
os.environ["DOCSHELF_KEYRING"] = "0"
# The corpus generator of the benchmarks serves the large-sync tests as well.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))


@functools.cache
def _pg_bindir_or_error() -> Path | str:
    try:
        return find_pg_bindir()
    except PostgresBinariesMissing as exc:
        return str(exc)


def _require_pg_bindir() -> Path:
    found = _pg_bindir_or_error()
    if isinstance(found, str):
        # A skip would let CI pass without ever touching PostgreSQL; make it fail instead.
        pytest.fail(found, pytrace=False)
    return found


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres") is not None:
        _require_pg_bindir()


# Files, not tests, are what the workers share out (--dist loadfile): a run's length is
# decided by its longest files, so they are listed beside the slowest tests.
SLOWEST_FILES = 15


def pytest_terminal_summary(terminalreporter: Any) -> None:
    seconds: dict[str, float] = {}
    tests: dict[str, int] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            nodeid = getattr(report, "nodeid", "")
            duration = getattr(report, "duration", None)
            if not nodeid or duration is None:
                continue
            path = nodeid.split("::", 1)[0]
            seconds[path] = seconds.get(path, 0.0) + duration
            if getattr(report, "when", None) == "call":
                tests[path] = tests.get(path, 0) + 1
    if not seconds:
        return
    terminalreporter.write_sep("=", f"slowest {SLOWEST_FILES} files (set-up, tests, tear-down)")
    total = sum(seconds.values())
    for path, spent in sorted(seconds.items(), key=lambda item: -item[1])[:SLOWEST_FILES]:
        terminalreporter.write_line(
            f"{spent:8.1f}s {spent * 100 / total:5.1f} %  {tests.get(path, 0):4d} tests  {path}"
        )
    terminalreporter.write_line(f"{total:8.1f}s in all, on all workers together")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    """One PostgreSQL server for the whole session (per xdist worker)."""
    with PostgresCluster(_require_pg_bindir()) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def seaweed() -> Iterator[SeaweedS3]:
    """One S3 server (SeaweedFS on loopback) for the session (per xdist worker)."""
    with SeaweedS3() as s3:
        yield s3


@pytest.fixture
def s3_bucket(seaweed: SeaweedS3) -> str:
    """A fresh, empty bucket on the session's S3 server."""
    name = f"docshelf-{uuid.uuid4().hex[:12]}"
    seaweed.create_bucket(name)
    return name


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None for SQLite (the server's default, in its data dir), else a fresh PostgreSQL DB."""
    if request.param == "sqlite":
        yield None
        return
    # Looked up lazily so that SQLite-only runs never start PostgreSQL.
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    name = f"docshelf_test_{uuid.uuid4().hex[:16]}"
    url = cluster.create_database(name)
    try:
        yield url
    finally:
        cluster.drop_database(name)


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[MakeServer]:
    """Factory that starts `docshelf server` processes; all are stopped at teardown.

    `make_server(database_url=None, *, data_dir=None, timeout=30, **kwargs)`; kwargs go to
    ServerProcess (env, extra_args, command, port). Each server gets its own data dir
    under tmp_path unless `data_dir` is given (e.g. to start a second process on the
    same data).
    """
    servers: list[ServerProcess] = []

    def factory(
        database_url: str | None = None,
        *,
        data_dir: Path | None = None,
        timeout: float = 30,
        **kwargs: Any,
    ) -> ServerProcess:
        if data_dir is None:
            data_dir = tmp_path / f"server-{len(servers)}"
        server = ServerProcess(data_dir, database_url, **kwargs)
        # Registered before start() so a half-started server is still cleaned up.
        servers.append(server)
        server.start(timeout=timeout)
        return server

    yield factory

    errors: list[BaseException] = []
    for server in reversed(servers):
        try:
            server.stop()
        except Exception as exc:
            errors.append(exc)
    if errors:
        raise errors[0]


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ],
)
def backend_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """Like ``database_url``, shared by the tests of one module."""
    if request.param == "sqlite":
        yield None
        return
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    name = f"docshelf_mod_{uuid.uuid4().hex[:16]}"
    url = cluster.create_database(name)
    try:
        yield url
    finally:
        cluster.drop_database(name)


@pytest.fixture(scope="module")
def live(backend_url: str | None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server process per module and database, with a system administrator signed in.

    The administrator is created with the admin CLI before the server starts, as an
    installation would do it.
    """
    data_dir = tmp_path_factory.mktemp("live")
    created = admin_cli(
        ["create-user", "root", "--role", "sys", "--password-stdin"],
        data_dir=str(data_dir),
        database_url=backend_url,
        stdin=PASSWORD + "\n",
    )
    assert created.returncode == 0, created.stderr
    process = ServerProcess(data_dir, backend_url, env=FAST_HASHING)
    process.start()
    server = LiveServer(process, backend_url, login(process.url, "root"))
    try:
        yield server
    finally:
        server.close()
        process.stop()


@pytest.fixture
def own_database_url(live: LiveServer, request: pytest.FixtureRequest) -> Iterator[str | None]:
    """A database of its own on the module's backend, for a server the test may stop
    (SQLite: None, the server's own file)."""
    if live.database_url is None:
        yield None
        return
    cluster = request.getfixturevalue("pg_cluster")
    name = f"docshelf_own_{uuid.uuid4().hex[:12]}"
    url: str = cluster.create_database(name)
    try:
        yield url
    finally:
        cluster.drop_database(name)
