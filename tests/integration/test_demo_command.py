"""`docshelf demo` (what `make demo` runs): seeds once, serves, anna can sign in."""

from __future__ import annotations

import sys
from pathlib import Path

from support.api import login
from support.server import ServerProcess


def test_demo_seeds_once_and_serves(tmp_path: Path) -> None:
    demo = ServerProcess(tmp_path / "demo", command=[sys.executable, "-m", "docshelf", "demo"])
    demo.start(timeout=60)
    try:
        assert "Seeded the demo content" in demo.log_text()
        assert f"{demo.url}/dashboard" in demo.log_text()
        for account in ("admin", "layouter", "org", "anna", "ben", "clara", "david", "eva"):
            assert account in demo.log_text()
        anna = login(demo.url, "anna", "demo")
        me = anna.ok("GET", "/me")
        assert me["login"] == "anna"
        assert me["groups"], "anna belongs to demo groups"
        admin = login(demo.url, "admin", "demo")
        templates = admin.ok("GET", "/admin/templates", params={"limit": 1000})
        assert 20 <= len(templates) <= 30
        assert {t["status"] for t in templates} == {"in_progress", "in_test", "released"}
        demo.restart(timeout=60)
        assert "kept as is" in demo.log_text(current_run_only=True)
        assert len(admin.ok("GET", "/admin/templates", params={"limit": 1000})) == len(templates)
    finally:
        demo.stop()
