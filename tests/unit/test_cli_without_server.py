"""The client CLI on a home that never signed in, and with unusual user data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from docshelf.client.planner import Upsert
from docshelf.client.store import LocalStore


def docshelf(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "docshelf", "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_sync_before_login_exits_4_with_one_json_object(tmp_path: Path) -> None:
    done = docshelf(tmp_path / "h", "sync", "--json")
    assert done.returncode == 4
    answer = json.loads(done.stdout)
    assert answer["status"] == "error" and "docshelf login" in answer["error"]


def test_status_before_login_says_not_signed_in(tmp_path: Path) -> None:
    done = docshelf(tmp_path / "h", "status", "--json")
    assert done.returncode == 0
    assert json.loads(done.stdout)["state"] == "not_signed_in"


def test_titles_are_shown_as_typed_not_as_markup(tmp_path: Path) -> None:
    home = tmp_path / "h"
    home.mkdir()
    store = LocalStore(home / "cache.db")
    record = {
        "id": "t1",
        "version": 1,
        "group_id": None,
        "kind": "docx",
        "status": "released",
        "active": True,
        "titles": {"de": "Offerte [Entwurf]"},
        "descriptions": {},
        "use_rights": ["*"],
        "change_rights": [],
        "files": {},
        "order": 0,
    }
    with store.transaction() as db:
        LocalStore.write_upserts(db, [Upsert("template", "t1", 1, "h", record)])
    store.close()
    done = docshelf(home, "templates")
    assert "Offerte [Entwurf]" in done.stdout, done.stdout


DEEP = 100_000


def _no_crash(done: subprocess.CompletedProcess[str]) -> str:
    output = done.stdout + done.stderr
    assert "Traceback" not in output and "RecursionError" not in output, output
    return output


def test_a_deeply_nested_config_file_is_told_as_damaged(tmp_path: Path) -> None:
    home = tmp_path / "h"
    home.mkdir()
    (home / "config.json").write_text("[" * DEEP + "]" * DEEP)
    done = docshelf(home, "status")
    assert done.returncode != 0
    output = _no_crash(done)
    assert "config.json cannot be read" in output and "nested deeper than 64" in output, output


def test_a_deeply_nested_record_in_the_cache_is_told_as_damaged(tmp_path: Path) -> None:
    home = tmp_path / "h"
    home.mkdir()
    store = LocalStore(home / "cache.db")
    with store.transaction() as db:
        db.execute(
            "INSERT INTO records (kind, id, version, hash, data) VALUES (?, ?, ?, ?, ?)",
            ("template", "t1", 1, "h", "[" * DEEP + "]" * DEEP),
        )
    store.close()
    done = docshelf(home, "templates")
    assert done.returncode != 0
    output = _no_crash(done)
    assert "cache.db is damaged" in output and "nested deeper than 64" in output, output
