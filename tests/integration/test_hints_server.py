"""Change hints, server side: held SSE streams over real server processes, SQLite and
PostgreSQL, read with plain httpx the way a client does."""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from docshelf.protocol.cursor import Cursor
from support.api import API, FAST_HASHING, PASSWORD, Api, LiveServer, admin_cli, login
from support.hints import HintReader, drain
from support.postgres import PostgresCluster
from support.server import ServerProcess
from support.sync import make_template

DEADLINE = 30.0


@pytest.fixture
def readers() -> Iterator[list[HintReader]]:
    opened: list[HintReader] = []
    yield opened
    for reader in opened:
        reader.close()


def hints_of(readers: list[HintReader], url: str, api: Api, cursor: str | None) -> HintReader:
    assert api.token is not None
    reader = HintReader(url, api.token, cursor)
    readers.append(reader)
    return reader


def seq_now(live: LiveServer) -> int:
    """The newest change number (the administrator sees every change)."""
    return Cursor.decode(drain(live.admin)).seq


def set_hints(live: LiveServer, enabled: bool) -> None:
    live.admin.ok("PATCH", "/admin/settings", json={"values": {"ClientHintsEnabled": enabled}})


def test_a_hint_reaches_only_whom_the_change_concerns(
    live: LiveServer, readers: list[HintReader]
) -> None:
    tag = secrets.token_hex(3)
    closed = live.admin.ok("POST", "/admin/groups", json={"name": f"closed-{tag}"})
    anna, _ = live.new_user(login_name=f"anna{tag}")
    stream = hints_of(readers, live.url, anna, drain(anna))
    assert stream.response.headers["content-type"].startswith("text/event-stream")
    ready = stream.expect("ready")
    assert ready["heartbeat_s"] > 0
    make_template(live, "Hidden", use=[f"group:{closed['id']}"])
    hidden_seq = seq_now(live)
    make_template(live, "Open", use=["*"])
    open_seq = seq_now(live)
    assert open_seq > hidden_seq
    hint = stream.expect("hint")
    # The first hint is the visible change's: the hidden one woke nobody.
    assert hint["seq"] == open_seq
    assert hint["max_delay_ms"] >= 1000


def test_a_template_taken_back_to_test_wakes_those_who_saw_it(
    live: LiveServer, readers: list[HintReader]
) -> None:
    tag = secrets.token_hex(3)
    template = make_template(live, "Seen", use=["*"])
    anna, _ = live.new_user(login_name=f"anna{tag}")
    stream = hints_of(readers, live.url, anna, drain(anna))
    stream.expect("ready")
    live.admin.ok("POST", f"/admin/templates/{template['id']}/status", json={"status": "in_test"})
    assert stream.expect("hint")["seq"] == seq_now(live)


def test_a_profile_shared_with_anna_wakes_her(live: LiveServer, readers: list[HintReader]) -> None:
    tag = secrets.token_hex(3)
    anna, anna_record = live.new_user(login_name=f"anna{tag}")
    _, bert = live.new_user(login_name=f"bert{tag}")
    profile = live.admin.ok("POST", "/admin/profiles", json={"owner_id": bert["id"], "title": "B"})
    stream = hints_of(readers, live.url, anna, drain(anna))
    stream.expect("ready")
    live.admin.ok(
        "PATCH", f"/admin/profiles/{profile['id']}", json={"shared_with": [anna_record["id"]]}
    )
    assert stream.expect("hint")["seq"] == seq_now(live)


def test_a_cursor_behind_gets_a_hint_right_after_ready(
    live: LiveServer, readers: list[HintReader]
) -> None:
    tag = secrets.token_hex(3)
    anna, _ = live.new_user(login_name=f"anna{tag}")
    old = drain(anna)
    make_template(live, "Meanwhile", use=["*"])
    behind = seq_now(live)
    stream = hints_of(readers, live.url, anna, old)
    assert stream.expect("ready")["seq"] >= behind
    assert stream.expect("hint")["seq"] == behind


def test_switching_hints_off_refuses_and_ends_streams(
    live: LiveServer, readers: list[HintReader]
) -> None:
    tag = secrets.token_hex(3)
    anna, _ = live.new_user(login_name=f"anna{tag}")
    stream = hints_of(readers, live.url, anna, drain(anna))
    stream.expect("ready")
    set_hints(live, False)
    try:
        # Settings are organisation-wide: a hint may come first; then the stream ends.
        name, data = stream.next()
        while name == "hint":
            name, data = stream.next()
        assert (name, data["reason"]) == ("bye", "off")
        refused = hints_of(readers, live.url, anna, drain(anna))
        assert refused.response.status_code == 503
        refused.response.read()
        assert refused.response.json()["code"] == "hints_off"
    finally:
        set_hints(live, True)


def test_a_change_by_the_admin_cli_wakes_the_stream(
    live: LiveServer, readers: list[HintReader]
) -> None:
    """On SQLite the CLI's commit sends no in-process callback: the counter check finds it."""
    tag = secrets.token_hex(3)
    template = make_template(live, "ByCli", use=["*"])
    anna, _ = live.new_user(login_name=f"anna{tag}")
    stream = hints_of(readers, live.url, anna, drain(anna))
    stream.expect("ready")
    done = admin_cli(
        ["template", "set-status", template["id"], "in_test"],
        data_dir=str(live.process.data_dir),
        database_url=live.database_url,
    )
    assert done.returncode == 0, done.stderr
    assert stream.expect("hint")["seq"] == seq_now(live)


def test_a_damaged_cursor_or_no_token_is_refused(live: LiveServer) -> None:
    with httpx.Client(base_url=live.url + API, trust_env=False, timeout=60) as anon:
        assert anon.get("/sync/hints").status_code == 401
    anna, _ = live.new_user()
    assert anna.get("/sync/hints", params={"cursor": "bm90LWEtY3Vyc29y"}).status_code == 422


@pytest.mark.postgres
def test_a_change_through_one_process_wakes_a_stream_held_by_another(
    pg_cluster: PostgresCluster, tmp_path: Path, readers: list[HintReader]
) -> None:
    name = f"docshelf_hints_{uuid.uuid4().hex[:12]}"
    url = pg_cluster.create_database(name)
    env = {**FAST_HASHING, "DOCSHELF_BLOB_DIR": str(tmp_path / "blobs")}
    servers = [ServerProcess(tmp_path / f"s{i}", url, env=env) for i in range(2)]
    try:
        for server in servers:
            server.start()
        created = admin_cli(
            ["create-user", "root", "--role", "sys", "--password-stdin"],
            data_dir=str(tmp_path),
            database_url=url,
            stdin=PASSWORD + "\n",
        )
        assert created.returncode == 0, created.stderr
        a, b = servers
        on_a, on_b = login(a.url, "root"), login(b.url, "root")
        stream = hints_of(readers, a.url, on_a, drain(on_a))
        stream.expect("ready")
        on_b.ok("POST", "/admin/templates", json={"kind": "docx", "titles": {"de": "B"}})
        assert stream.expect("hint")["seq"] == Cursor.decode(drain(on_b)).seq
        on_a.close()
        on_b.close()
    finally:
        for reader in readers:
            reader.close()
        readers.clear()
        for server in servers:
            server.stop()
        pg_cluster.drop_database(name)


def test_stopping_the_server_says_bye(
    make_server: Any, database_url: str | None, readers: list[HintReader]
) -> None:
    server = make_server(database_url, env=FAST_HASHING)
    created = admin_cli(
        ["create-user", "root", "--role", "sys", "--password-stdin"],
        data_dir=str(server.data_dir),
        database_url=database_url,
        stdin=PASSWORD + "\n",
    )
    assert created.returncode == 0, created.stderr
    root = login(server.url, "root")
    stream = hints_of(readers, server.url, root, drain(root))
    stream.expect("ready")
    stopping = threading.Thread(target=server.stop)
    stopping.start()
    assert stream.expect("bye")["reason"] == "shutdown"
    stopping.join()
    root.close()
