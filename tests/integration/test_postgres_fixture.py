"""The PostgreSQL test harness itself: binary discovery, cluster lifecycle, fixtures."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from support.postgres import (
    BINDIR_ENV,
    PostgresBinariesMissing,
    PostgresCluster,
    PostgresStartError,
    find_pg_bindir,
    free_port,
)


def _fake_bindir(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for tool in ("initdb", "pg_ctl"):
        script = directory / tool
        script.write_text("#!/bin/sh\nexit 1\n")
        script.chmod(0o755)
    return directory


@pytest.fixture
def no_pg_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Hide any installed PostgreSQL from PATH and the env override."""
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.delenv(BINDIR_ENV, raising=False)
    monkeypatch.setenv("PATH", str(empty))


def _assert_clear_message(exc: BaseException) -> None:
    message = str(exc)
    assert "PostgreSQL server binaries are missing" in message
    assert "apt-get install postgresql" in message
    assert BINDIR_ENV in message


@pytest.mark.postgres
def test_installed_bindir_is_found() -> None:
    bindir = find_pg_bindir()
    assert (bindir / "initdb").is_file()
    assert (bindir / "pg_ctl").is_file()


def test_env_override_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bindir = _fake_bindir(tmp_path / "custom")
    monkeypatch.setenv(BINDIR_ENV, str(bindir))
    assert find_pg_bindir(debian_root=tmp_path / "nothing") == bindir


def test_env_override_pointing_nowhere_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(BINDIR_ENV, str(tmp_path / "does-not-exist"))
    with pytest.raises(RuntimeError) as info:
        find_pg_bindir()
    _assert_clear_message(info.value)
    assert str(tmp_path / "does-not-exist") in str(info.value)


def test_path_symlinks_are_resolved(
    no_pg_on_path: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    real = _fake_bindir(tmp_path / "real" / "bin")
    links = tmp_path / "links"
    links.mkdir()
    for tool in ("initdb", "pg_ctl"):
        (links / tool).symlink_to(real / tool)
    monkeypatch.setenv("PATH", str(links))
    assert find_pg_bindir(debian_root=tmp_path / "nothing") == real.resolve()


def test_debian_layout_picks_highest_version_numerically(
    no_pg_on_path: None, tmp_path: Path
) -> None:
    root = tmp_path / "postgresql"
    for version in ("9.6", "10", "12"):
        _fake_bindir(root / version / "bin")
    # Newer but incomplete (e.g. only the client package installed): must be skipped.
    (root / "17" / "bin").mkdir(parents=True)
    (root / "not-a-version" / "bin").mkdir(parents=True)
    assert find_pg_bindir(debian_root=root) == root / "12" / "bin"


def test_nothing_installed_is_a_clear_error(no_pg_on_path: None, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError) as info:
        find_pg_bindir(debian_root=tmp_path / "no-such-root")
    assert isinstance(info.value, PostgresBinariesMissing)
    _assert_clear_message(info.value)


def test_free_port_is_bindable() -> None:
    port = free_port()
    assert 0 < port < 65536
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", port))


def _server_version(url: str) -> tuple[int, str, str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            version_num = int(conn.execute(sa.text("show server_version_num")).scalar_one())
            version = conn.execute(sa.text("select version()")).scalar_one()
            database = conn.execute(sa.text("select current_database()")).scalar_one()
    finally:
        engine.dispose()
    return version_num, version, database


@pytest.mark.postgres
def test_created_database_is_reachable_with_sqlalchemy(pg_cluster: PostgresCluster) -> None:
    url = pg_cluster.create_database("harness_version_check")
    try:
        assert url == (
            f"postgresql+psycopg://{pg_cluster.superuser}@127.0.0.1:{pg_cluster.port}"
            "/harness_version_check"
        )
        assert url == pg_cluster.url_for("harness_version_check")
        version_num, version, database = _server_version(url)
    finally:
        pg_cluster.drop_database("harness_version_check")
    assert version.startswith("PostgreSQL ")
    assert version_num >= 150000, version
    assert database == "harness_version_check"


@pytest.mark.postgres
def test_databases_are_independent(pg_cluster: PostgresCluster) -> None:
    first = sa.create_engine(pg_cluster.create_database("harness_first"))
    second = sa.create_engine(pg_cluster.create_database("harness_second"))
    try:
        with first.begin() as conn:
            conn.execute(sa.text("create table shelf (id int primary key)"))
            conn.execute(sa.text("insert into shelf values (1)"))
        with second.connect() as conn:
            assert conn.execute(sa.text("select to_regclass('shelf')")).scalar() is None
        with second.begin() as conn:
            conn.execute(sa.text("create table shelf (id int primary key)"))
        with first.connect() as conn:
            assert conn.execute(sa.text("select count(*) from shelf")).scalar() == 1
        with second.connect() as conn:
            assert conn.execute(sa.text("select count(*) from shelf")).scalar() == 0
    finally:
        first.dispose()
        second.dispose()
        pg_cluster.drop_database("harness_first")
        pg_cluster.drop_database("harness_second")


@pytest.mark.postgres
def test_drop_database_removes_it_even_with_open_sessions(pg_cluster: PostgresCluster) -> None:
    pg_cluster.create_database("harness_dropped")
    # A server under test may still hold connections when its database is dropped.
    lingering = pg_cluster.connect("harness_dropped")
    try:
        pg_cluster.drop_database("harness_dropped")
    finally:
        lingering.close()
    with pg_cluster.connect() as conn:
        names = [row[0] for row in conn.execute("select datname from pg_database")]
    assert "harness_dropped" not in names


@pytest.mark.postgres
def test_cluster_lifecycle_cleans_up() -> None:
    with PostgresCluster() as cluster:
        base_dir, port = cluster.base_dir, cluster.port
        assert cluster.log_path.is_file()
        with cluster.connect() as conn:
            assert conn.execute("select current_user").fetchone() == (cluster.superuser,)
            # The settings that keep the harness fast must actually be applied.
            assert conn.execute("show fsync").fetchone() == ("off",)
        if os.geteuid() == 0:
            assert cluster.superuser == "postgres"
            assert base_dir.stat().st_uid != 0
    assert not base_dir.exists()
    assert not cluster.running
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(host="127.0.0.1", port=port, user="postgres", connect_timeout=2)


@pytest.mark.postgres
def test_failed_start_reports_server_log() -> None:
    cluster = PostgresCluster(settings={"shared_buffers": "not-a-size"})
    with pytest.raises(PostgresStartError, match=r"(?s)tail of .*shared_buffers"):
        cluster.start()
    assert not cluster.running


def test_database_url_fixture(database_url: str | None) -> None:
    if database_url is None:
        return
    assert database_url.startswith("postgresql+psycopg://")
    _, _, database = _server_version(database_url)
    assert database.startswith("docshelf_test_")
