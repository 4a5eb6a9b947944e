"""A process never serves a database a newer docshelf has migrated further than it knows:
it refuses to start, and one already running answers /readyz 503 (the load balancer takes
it out) with a message that says what to do."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from support.server import MakeServer, ServerProcess, ServerStartError

FUTURE = "ffff0000future"


def _pretend_newer(database_url: str | None, data_dir: Path) -> None:
    """What a newer version's start leaves behind: a revision this code does not know."""
    url = database_url or f"sqlite:///{data_dir / 'docshelf.db'}"
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": FUTURE})
    finally:
        engine.dispose()


def test_a_database_migrated_by_a_newer_version_is_refused(
    database_url: str | None, make_server: MakeServer, tmp_path: Path
) -> None:
    running = make_server(database_url)
    if database_url is None:
        assert (running.data_dir / "docshelf.db").exists()
    _pretend_newer(database_url, running.data_dir)

    ready = httpx.get(f"{running.url}/readyz", trust_env=False)
    assert ready.status_code == 503
    assert FUTURE in ready.json()["detail"]
    assert "newer version" in ready.json()["detail"]
    assert httpx.get(f"{running.url}/healthz", trust_env=False).status_code == 200

    data_dir = running.data_dir if database_url is None else tmp_path / "second"
    second = ServerProcess(data_dir, database_url)
    with pytest.raises(ServerStartError):
        second.start(timeout=60)
    log = second.log_text(current_run_only=True)
    assert FUTURE in log and "does not know" in log
    assert second.returncode not in (None, 0)
