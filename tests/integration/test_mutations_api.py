"""Uploading edits (``POST /sync/mutations``) and files in pieces, against a live server.

Architecture property 5: pushes are idempotent and never lose an edit. Each test talks
to a real server process, on SQLite and on PostgreSQL (the ``live`` fixture).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from docshelf.domain.edits import CREATE_ONLY, EDITABLE, Edit, EditKind, Op, Shape
from docshelf.domain.errors import InvalidInput
from docshelf.server.blobstore import LocalBlobStore
from docshelf.server.db.engine import Database
from docshelf.server.maintenance import purge_applied_mutations, purge_partial_uploads
from docshelf.server.sync.edit_patches import checked
from support.api import Api, LiveServer

PROBLEM = "application/problem+json"


def _id() -> str:
    return secrets.token_hex(8)


def _mutation(kind: str, op: str, target: str, **parts: Any) -> dict[str, Any]:
    return {"id": parts.pop("id", None) or _id(), "kind": kind, "op": op, "target": target, **parts}


def _send(client: Api, *mutations: dict[str, Any]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = client.ok(
        "POST", "/sync/mutations", json={"mutations": list(mutations)}
    )["results"]
    assert [r["id"] for r in results] == [m["id"] for m in mutations]
    return results


def _one(client: Api, mutation: dict[str, Any]) -> dict[str, Any]:
    return _send(client, mutation)[0]


def _field(live: LiveServer, type_: str = "text", scope: str = "user") -> str:
    key = f"f{secrets.token_hex(4)}"
    live.admin.ok("POST", "/admin/fields", json={"key": key, "scope": scope, "type": type_})
    return key


def _new_profile(client: Api, **values: Any) -> str:
    target = _id()
    result = _one(client, _mutation("profile", "create", target, set={"title": "Work", **values}))
    assert result["outcome"] == "applied" and result["version"] == 1, result
    return target


def _cursor(client: Api) -> str:
    page = client.ok("GET", "/sync/changes", params={"limit": 5000})
    while page["has_more"]:
        page = client.ok("GET", "/sync/changes", params={"cursor": page["cursor"], "limit": 5000})
    return str(page["cursor"])


def _office_file(label: str) -> bytes:
    # Enough of a .docx for the server's type check (a zip archive's first bytes).
    return b"PK\x03\x04" + label.encode() + secrets.token_bytes(64)


# --- profiles: two devices of one user ----------------------------------------------------


def test_edits_of_two_devices_merge_and_clash_only_on_the_same_field(live: LiveServer) -> None:
    phone, room = _field(live, "phone"), _field(live)
    laptop, user = live.new_user()
    desk = live.login(user["login"], device="desk")
    pid = _new_profile(laptop, **{f"overrides.{phone}": "+41 44 000 00 00"})
    seen = laptop.ok("GET", f"/admin/profiles/{pid}")

    # Offline, each device changes another field of the same profile: both survive.
    first = _one(
        laptop, _mutation("profile", "update", pid, set={"title": "Office"}, base={"title": "Work"})
    )
    second = _one(
        desk,
        _mutation(
            "profile",
            "update",
            pid,
            set={f"overrides.{room}": "3.14"},
            base={f"overrides.{room}": None},
        ),
    )
    assert (first["outcome"], first["version"]) == ("applied", 2)
    assert (second["outcome"], second["version"]) == ("applied", 3)
    merged = laptop.ok("GET", f"/admin/profiles/{pid}")
    assert merged["title"] == "Office"
    assert merged["overrides"] == {phone: "+41 44 000 00 00", room: "3.14"}

    # The same field, to another value, from what both saw before: a conflict. The server
    # keeps its version and says what it holds.
    clash = _one(
        desk,
        _mutation("profile", "update", pid, set={"title": "Home"}, base={"title": seen["title"]}),
    )
    assert clash["outcome"] == "conflict"
    assert clash["theirs"] == {"title": "Office"}
    assert clash["version"] is None and "title" in clash["reason"]
    assert laptop.ok("GET", f"/admin/profiles/{pid}") == merged

    # The same field to the same value: equal content is no conflict, and nothing to write.
    equal = _one(
        desk,
        _mutation("profile", "update", pid, set={"title": "Office"}, base={"title": seen["title"]}),
    )
    assert (equal["outcome"], equal["version"]) == ("applied", 3)
    assert laptop.ok("GET", f"/admin/profiles/{pid}")["version"] == 3


def test_a_repeated_mutation_is_applied_once(live: LiveServer) -> None:
    client, user = live.new_user()
    pid = _new_profile(client)
    cursor = _cursor(client)
    edit = _mutation("profile", "update", pid, set={"title": "Once"}, base={"title": "Work"})

    first = _one(client, edit)
    # The answer was lost; the client sends the same edit again, then once more from
    # another device of the same user that picked up the outbox.
    again = _one(client, edit)
    other_device = live.login(user["login"], device="second")
    third = _one(other_device, edit)

    assert (first["outcome"], first["version"], first["repeated"]) == ("applied", 2, False)
    for repeat in (again, third):
        assert repeat == {**first, "repeated": True}
    page = client.ok("GET", "/sync/changes", params={"cursor": cursor})
    mine = [c for c in page["changes"] if c["id"] == pid]
    assert [(c["op"], c["version"]) for c in mine] == [("upsert", 2)]
    assert page["changes"] == mine  # one change, nothing else written


def test_concurrent_deliveries_of_one_mutation_apply_it_once(live: LiveServer) -> None:
    client, user = live.new_user()
    pid = _new_profile(client)
    devices = [live.login(user["login"], device=f"d{i}") for i in range(4)]
    edit = _mutation("profile", "update", pid, add={"shared_with": []}, set={"title": "Race"})

    with ThreadPoolExecutor(len(devices)) as pool:
        results = list(pool.map(lambda device: _one(device, edit), devices))

    assert sorted(r["repeated"] for r in results) == [False, True, True, True]
    assert {(r["outcome"], r["version"]) for r in results} == {("applied", 2)}
    assert client.ok("GET", f"/admin/profiles/{pid}")["version"] == 2


def test_creating_under_an_id_that_exists_is_refused(live: LiveServer) -> None:
    client, _ = live.new_user()
    pid = _new_profile(client)

    again = _one(client, _mutation("profile", "create", pid, set={"title": "Copy"}))

    assert again["outcome"] == "rejected" and again["code"] == "conflict"
    assert "new id" in again["reason"]
    assert client.ok("GET", f"/admin/profiles/{pid}")["title"] == "Work"


def test_a_mutation_id_of_another_user_tells_nothing(live: LiveServer) -> None:
    anna, _ = live.new_user()
    ben, _ = live.new_user()
    pid = _new_profile(anna)
    edit = _mutation("profile", "update", pid, set={"title": "Anna's"})
    applied = _one(anna, edit)

    stolen = _one(
        ben, {**_mutation("profile", "create", _id(), set={"title": "B"}), "id": edit["id"]}
    )

    assert stolen["outcome"] == "rejected" and stolen["code"] == "invalid"
    assert stolen["version"] is None and stolen["theirs"] == {} and not stolen["repeated"]
    assert pid not in stolen["reason"] and "Anna" not in stolen["reason"]
    assert _one(anna, edit) == {**applied, "repeated": True}


def test_answers_are_forgotten_after_the_retention_window(live: LiveServer) -> None:
    client, _ = live.new_user()
    pid = _new_profile(client)
    edit = _mutation("profile", "update", pid, set={"title": "Late"}, base={"title": "Work"})
    assert _one(client, edit)["version"] == 2
    db = Database(live.database_url or f"sqlite:///{live.data_dir / 'docshelf.db'}")
    try:
        assert purge_applied_mutations(db, timedelta(days=1)) == 0
        assert purge_applied_mutations(db, timedelta(0)) >= 1
    finally:
        db.dispose()

    # Judged anew: the profile is as the edit wants it already, so nothing is written.
    again = _one(client, edit)
    assert (again["outcome"], again["version"], again["repeated"]) == ("applied", 2, False)


def test_purging_a_user_drops_their_answers_and_uploads(live: LiveServer) -> None:
    client, user = live.new_user()
    client.upload(_id().encode())
    _new_profile(client)

    live.admin.ok("POST", f"/admin/users/{user['id']}/deactivate")
    live.admin.ok("DELETE", f"/admin/users/{user['id']}")

    assert live.admin.get(f"/admin/users/{user['id']}").status_code == 404


# --- rights, and one refusal does not stop a batch ----------------------------------------


def test_a_refused_edit_does_not_stop_the_next_one(live: LiveServer) -> None:
    template = live.admin.ok(
        "POST",
        "/admin/templates",
        json={"kind": "docx", "titles": {"de": "Brief"}, "status": "released"},
    )
    client, _ = live.new_user()
    cursor = _cursor(client)
    pid = _id()

    results = _send(
        client,
        _mutation(
            "template",
            "update",
            template["id"],
            set={"titles.de": "Mein Brief"},
            base={"titles.de": "Brief"},
        ),
        _mutation("profile", "create", pid, set={"title": "Home"}),
    )

    assert results[0]["outcome"] == "rejected" and results[0]["code"] == "forbidden"
    assert "Change right" in results[0]["reason"]
    assert results[1]["outcome"] == "applied"
    assert live.admin.ok("GET", f"/admin/templates/{template['id']}") == template
    changed = client.ok("GET", "/sync/changes", params={"cursor": cursor})["changes"]
    assert [c["id"] for c in changed] == [pid]


def test_invisible_records_are_as_good_as_gone(live: LiveServer) -> None:
    anna, _ = live.new_user()
    ben, _ = live.new_user()
    pid = _new_profile(anna)

    update = _one(ben, _mutation("profile", "update", pid, set={"title": "Mine now"}))
    delete = _one(ben, _mutation("profile", "delete", pid))

    assert update["outcome"] == "rejected" and update["code"] == "not_found"
    assert "deleted meanwhile" in update["reason"]
    # A deletion of what the caller can't see is done as far as they are concerned.
    assert (delete["outcome"], delete["version"]) == ("applied", None)
    assert anna.ok("GET", f"/admin/profiles/{pid}")["title"] == "Work"


def test_sharing_adds_and_removes_members_without_conflicts(live: LiveServer) -> None:
    owner, me = live.new_user()
    ben, ben_rec = live.new_user()
    clara, clara_rec = live.new_user()
    desk = live.login(me["login"], device="desk")
    pid = _new_profile(owner)

    # Both devices share at once, each with another colleague: both shares stay.
    _one(owner, _mutation("profile", "update", pid, add={"shared_with": [ben_rec["id"]]}))
    _one(desk, _mutation("profile", "update", pid, add={"shared_with": [clara_rec["id"]]}))
    assert owner.ok("GET", f"/admin/profiles/{pid}")["shared_with"] == sorted(
        [ben_rec["id"], clara_rec["id"]]
    )
    assert clara.ok("GET", f"/admin/profiles/{pid}")["title"] == "Work"

    # A colleague it is shared with may use it, not change it.
    refused = _one(ben, _mutation("profile", "update", pid, set={"title": "Ben's"}))
    assert refused["outcome"] == "rejected" and refused["code"] == "forbidden"

    removed = _one(
        owner, _mutation("profile", "update", pid, remove={"shared_with": [clara_rec["id"]]})
    )
    assert removed["outcome"] == "applied"
    assert owner.ok("GET", f"/admin/profiles/{pid}")["shared_with"] == [ben_rec["id"]]
    assert clara.get(f"/admin/profiles/{pid}").status_code == 404

    unknown = _one(owner, _mutation("profile", "update", pid, add={"shared_with": ["nobody1"]}))
    assert unknown["outcome"] == "rejected" and "nobody1" in unknown["reason"]


# --- snippets, templates, units -----------------------------------------------------------


def test_a_snippet_body_changed_on_two_devices_keeps_the_server_version(live: LiveServer) -> None:
    laptop, user = live.new_user()
    desk = live.login(user["login"], device="desk")
    original, mine, theirs = (laptop.upload(f"{n} {_id()}".encode()) for n in ("a", "b", "c"))
    sid = _id()
    created = _one(
        laptop,
        _mutation(
            "snippet",
            "create",
            sid,
            set={"kind": "personal", "title": "Gruss", "body_sha256": original},
        ),
    )
    assert created["outcome"] == "applied", created

    first = _one(
        laptop,
        _mutation(
            "snippet", "update", sid, set={"body_sha256": mine}, base={"body_sha256": original}
        ),
    )
    second = _one(
        desk,
        _mutation(
            "snippet", "update", sid, set={"body_sha256": theirs}, base={"body_sha256": original}
        ),
    )

    assert first["outcome"] == "applied"
    assert second["outcome"] == "conflict" and second["theirs"] == {"body_sha256": mine}
    snippet = laptop.ok("GET", f"/admin/snippets/{sid}")
    assert snippet["body_sha256"] == mine and snippet["version"] == 2


def test_a_layouter_with_change_replaces_and_removes_a_template_file(live: LiveServer) -> None:
    layouter, _ = live.new_user("layouter")
    template = layouter.ok(
        "POST", "/admin/templates", json={"kind": "docx", "titles": {"de": "Brief"}}
    )
    tid = template["id"]
    old = layouter.upload(_office_file("old"))
    layouter.ok("PUT", f"/admin/templates/{tid}/files/de", json={"sha256": old, "filename": "b"})
    seen = layouter.ok("GET", f"/admin/templates/{tid}")
    data = _office_file("new")
    new = layouter.upload(data)

    replaced = _one(
        layouter,
        _mutation(
            "template",
            "update",
            tid,
            set={"files.de": {"sha256": new, "filename": "Brief neu"}},
            base={"files.de": seen["files"]["de"]},
        ),
    )

    assert (replaced["outcome"], replaced["version"]) == ("applied", seen["version"] + 1)
    record = layouter.ok("GET", f"/admin/templates/{tid}")
    assert record["files"]["de"] == {"sha256": new, "size": len(data), "filename": "Brief neu.docx"}
    # From a device that still saw the old file: someone replaced it meanwhile.
    stale = _one(
        layouter,
        _mutation(
            "template",
            "update",
            tid,
            set={"files.de": None},
            base={"files.de": seen["files"]["de"]},
        ),
    )
    assert stale["outcome"] == "conflict" and stale["theirs"]["files.de"]["sha256"] == new
    removed = _one(
        layouter,
        _mutation(
            "template",
            "update",
            tid,
            set={"files.de": None},
            base={"files.de": record["files"]["de"]},
        ),
    )
    assert removed["outcome"] == "applied"
    assert layouter.ok("GET", f"/admin/templates/{tid}")["files"] == {}


def test_a_unit_in_use_is_not_deleted(live: LiveServer) -> None:
    org, _ = live.new_user("org")
    user, _ = live.new_user()
    uid = _id()
    assert _one(org, _mutation("unit", "create", uid, set={"title": "Zürich"}))["outcome"] == (
        "applied"
    )
    pid = _new_profile(user, unit_id=uid)
    delete = _mutation(
        "unit", "delete", uid, base={"title": "Zürich", "parent_id": None, "order": 0}
    )

    refused = _one(org, delete)
    assert refused["outcome"] == "rejected" and refused["code"] == "conflict"
    assert "used by profiles" in refused["reason"]
    assert org.ok("GET", f"/admin/units/{uid}")["title"] == "Zürich"

    moved = _one(
        user, _mutation("profile", "update", pid, set={"unit_id": None}, base={"unit_id": uid})
    )
    assert moved["outcome"] == "applied"
    deleted = _one(org, {**delete, "id": _id()})
    assert (deleted["outcome"], deleted["version"]) == ("applied", None)
    assert org.get(f"/admin/units/{uid}").status_code == 404
    # Deleted again (another device did it too): done already.
    assert _one(org, {**delete, "id": _id()})["outcome"] == "applied"
    gone = _one(org, _mutation("unit", "update", uid, set={"title": "Zurich"}))
    assert gone["outcome"] == "rejected" and gone["code"] == "not_found"


# --- files: only your own or readable ones ------------------------------------------------


def test_files_you_neither_sent_nor_may_read_cannot_be_used(live: LiveServer) -> None:
    secret = _office_file("confidential")
    sha = live.admin.upload(secret)
    hidden = live.admin.ok(
        "POST", "/admin/templates", json={"kind": "docx", "titles": {"de": "Intern"}}
    )  # in progress: only administrators and its layouters see it and its file
    live.admin.ok(
        "PUT", f"/admin/templates/{hidden['id']}/files/de", json={"sha256": sha, "filename": "x"}
    )
    client, _ = live.new_user()
    never_uploaded = hashlib.sha256(_id().encode()).hexdigest()

    results = _send(
        client,
        *(
            _mutation(
                "snippet",
                "create",
                _id(),
                set={"kind": "personal", "title": "Mine", "body_sha256": ref},
            )
            for ref in (sha, never_uploaded)
        ),
    )

    for result in results:
        assert result["outcome"] == "rejected" and result["code"] == "invalid", results
        assert "Upload the file first" in result["reason"]
    # A file someone else has looks like a file nobody has.
    assert results[0]["reason"].replace(sha, "X") == results[1]["reason"].replace(
        never_uploaded, "X"
    )
    assert client.get(f"/blobs/{sha}").status_code == 404

    # The same rule for images in fields: a unit's logo would show the file to everyone.
    org, _ = live.new_user("org")
    logo = _field(live, "image", scope="unit")
    unit = _one(org, _mutation("unit", "create", _id(), set={"title": "U", f"fields.{logo}": sha}))
    assert unit["outcome"] == "rejected" and "Upload the file first" in unit["reason"]

    # Whoever sends the bytes holds the content and may use it.
    assert client.upload(secret) == sha
    ok = _one(
        client,
        _mutation(
            "snippet",
            "create",
            _id(),
            set={"kind": "personal", "title": "Mine", "body_sha256": sha},
        ),
    )
    assert ok["outcome"] == "applied"


# --- files in pieces ------------------------------------------------------------------------


def _put_piece(client: Api, sha: str, data: bytes, start: int, total: int) -> Any:
    end = start + len(data) - 1
    return client.put(
        f"/blobs/{sha}",
        content=data,
        headers={
            "Content-Range": f"bytes {start}-{end}/{total}",
            "Content-Type": "application/octet-stream",
        },
    )


def test_an_upload_resumes_where_it_broke_off(live: LiveServer) -> None:
    client, user = live.new_user()
    other, _ = live.new_user()
    data = secrets.token_bytes(300_000)
    sha = hashlib.sha256(data).hexdigest()
    assert client.ok("GET", f"/blobs/{sha}/upload") == {
        "sha256": sha,
        "offset": 0,
        "complete": False,
    }

    first = _put_piece(client, sha, data[:100_000], 0, len(data))
    assert first.status_code == 202, first.text
    assert first.json()["offset"] == 100_000
    assert client.ok("GET", f"/blobs/{sha}/upload")["offset"] == 100_000
    # Another user's upload of the same file is theirs: it neither sees nor spoils ours.
    assert other.ok("GET", f"/blobs/{sha}/upload")["offset"] == 0
    assert _put_piece(other, sha, b"garbage", 0, len(data)).status_code == 202

    skipped = _put_piece(client, sha, data[150_000:], 150_000, len(data))
    assert skipped.status_code == 409, skipped.text
    assert skipped.headers["content-type"] == PROBLEM
    assert skipped.json()["code"] == "wrong_offset" and "100000" in skipped.json()["detail"]
    assert skipped.headers["upload-offset"] == "100000"

    rest = _put_piece(client, sha, data[100_000:], 100_000, len(data))
    assert rest.status_code == 200, rest.text
    assert rest.json() == {"sha256": sha, "size": len(data)}
    assert client.ok("GET", f"/blobs/{sha}/upload") == {
        "sha256": sha,
        "offset": len(data),
        "complete": True,
    }
    # Stored, but the other user neither sent it nor may read it: they must send it too.
    assert other.ok("GET", f"/blobs/{sha}/upload") == {
        "sha256": sha,
        "offset": 7,
        "complete": False,
    }
    sid = _id()
    used = _one(
        client,
        _mutation(
            "snippet", "create", sid, set={"kind": "personal", "title": "Big", "body_sha256": sha}
        ),
    )
    assert used["outcome"] == "applied"
    assert client.get(f"/blobs/{sha}").content == data
    assert not list((live.data_dir / "blobs" / ".uploads").glob(f"{user['id']}-*"))


def test_an_upload_in_pieces_with_the_wrong_hash_is_dropped(live: LiveServer) -> None:
    client, user = live.new_user()
    data = secrets.token_bytes(50_000)
    claimed = hashlib.sha256(b"something else " + data).hexdigest()

    assert _put_piece(client, claimed, data[:20_000], 0, len(data)).status_code == 202
    last = _put_piece(client, claimed, data[20_000:], 20_000, len(data))

    assert last.status_code == 422 and last.json()["code"] == "hash_mismatch"
    assert client.ok("GET", f"/blobs/{claimed}/upload")["offset"] == 0
    assert client.ok("POST", "/blobs/missing", json={"sha256": [claimed]})["missing"] == [claimed]
    assert not list((live.data_dir / "blobs" / ".uploads").glob(f"{user['id']}-*"))


def test_bad_content_ranges_are_refused(live: LiveServer) -> None:
    client, _ = live.new_user()
    sha = hashlib.sha256(b"x").hexdigest()
    for header in ("bytes 5-2/10", "bytes 0-10/10", "bytes=0-1/2", "bytes 0-1/*"):
        response = client.put(f"/blobs/{sha}", content=b"xx", headers={"Content-Range": header})
        assert response.status_code == 422, (header, response.text)
        assert response.headers["content-type"] == PROBLEM
    huge = client.put(
        f"/blobs/{sha}", content=b"x", headers={"Content-Range": f"bytes 0-0/{10**13}"}
    )
    assert huge.status_code == 413
    longer = client.put(f"/blobs/{sha}", content=b"xyz", headers={"Content-Range": "bytes 0-1/5"})
    assert longer.status_code == 422 and "more bytes" in longer.json()["detail"]


def test_a_retry_cannot_write_into_an_upload_still_running(live: LiveServer) -> None:
    client, user = live.new_user()
    data = secrets.token_bytes(200_000)
    sha = hashlib.sha256(data).hexdigest()
    go_on = threading.Event()

    def slow_body() -> Iterator[bytes]:
        yield data[:100_000]
        go_on.wait(30)
        yield data[100_000:]

    headers = {"Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}"}
    retry = live.login(user["login"], device="retry")
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(client.put, f"/blobs/{sha}", content=slow_body(), headers=headers)
        deadline = time.monotonic() + 30
        while client.ok("GET", f"/blobs/{sha}/upload")["offset"] == 0:
            assert time.monotonic() < deadline, "the first piece never arrived"
            time.sleep(0.05)
        busy = retry.put(f"/blobs/{sha}", content=data, headers=headers)
        go_on.set()
        done = first.result(timeout=60)

    assert busy.status_code == 409 and busy.json()["code"] == "upload_busy", busy.text
    assert done.status_code == 200, done.text
    assert client.ok("GET", f"/blobs/{sha}/upload")["complete"] is True


def test_unfinished_uploads_are_dropped_after_a_week(live: LiveServer) -> None:
    client, user = live.new_user()
    data = secrets.token_bytes(1000)
    sha = hashlib.sha256(data).hexdigest()
    assert _put_piece(client, sha, data[:400], 0, len(data)).status_code == 202
    blobs = LocalBlobStore(live.data_dir / "blobs")
    part = blobs.partial_path(user["id"], sha)
    assert part.stat().st_size == 400

    assert purge_partial_uploads(blobs) == 0  # continued just now
    week_ago = time.time() - timedelta(days=7, minutes=1).total_seconds()
    os.utime(part, (week_ago, week_ago))
    assert purge_partial_uploads(blobs) == 1

    assert client.ok("GET", f"/blobs/{sha}/upload")["offset"] == 0
    assert _put_piece(client, sha, data[400:], 400, len(data)).status_code == 409


# --- malformed requests ---------------------------------------------------------------------


def test_malformed_batches_are_refused_as_a_whole(live: LiveServer) -> None:
    client, _ = live.new_user()
    good = _mutation("profile", "create", _id(), set={"title": "P"})
    for bad in (
        _mutation("invoice", "create", _id(), set={"title": "x"}),
        _mutation("profile", "rename", _id()),
        _mutation("profile", "update", _id(), set={"Title": "x"}),
        _mutation("profile", "update", _id(), set={"overrides.a.b": "x"}),
        _mutation("profile", "update", _id(), add={"shared_with": ["not a member"]}),
        {**_mutation("profile", "update", _id()), "id": "short"},
        {**_mutation("profile", "update", _id()), "colour": "red"},
    ):
        response = client.post("/sync/mutations", json={"mutations": [good, bad]})
        assert response.status_code == 422, (bad, response.text)
        assert response.headers["content-type"] == PROBLEM
    too_many = [_mutation("profile", "update", _id()) for _ in range(101)]
    assert client.post("/sync/mutations", json={"mutations": too_many}).status_code == 422
    assert client.post("/sync/mutations", json={"mutations": []}).status_code == 422
    # Nothing of a refused batch was applied.
    assert client.get(f"/admin/profiles/{good['target']}").status_code == 404


def test_well_formed_edits_that_do_not_fit_are_rejected_one_by_one(live: LiveServer) -> None:
    client, _ = live.new_user()
    pid = _new_profile(client)

    results = _send(
        client,
        _mutation("profile", "update", pid, set={"owner_id": "someone"}),
        _mutation("profile", "update", pid, set={"title": 42}),
        _mutation("profile", "update", pid, set={"title": "a\u0000b"}),
        _mutation("profile", "delete", pid, set={"title": "x"}),
        _mutation("template", "create", _id(), set={"titles.de": "Neu"}),
        _mutation("profile", "update", pid, set={"title": " Trimmed "}),
    )

    assert [r["outcome"] for r in results] == ["rejected"] * 5 + ["applied"]
    assert all(r["code"] == "invalid" and r["reason"] for r in results[:5])
    assert "owner_id" in results[0]["reason"] and "title" in results[1]["reason"]
    assert client.ok("GET", f"/admin/profiles/{pid}")["title"] == "Trimmed"


@pytest.mark.parametrize(
    ("kind", "attribute"),
    [
        *(
            (k, a)
            for k, attrs in EDITABLE.items()
            for a, shape in attrs.items()
            if shape is not Shape.SET
        ),
        *((k, a) for k, attrs in CREATE_ONLY.items() for a in sorted(attrs)),
    ],
    ids=str,
)
def test_the_server_checks_every_value_a_client_may_set(kind: EditKind, attribute: str) -> None:
    """A value of the wrong type is refused with a reason, never a server error."""
    path = f"{attribute}.de" if EDITABLE[kind].get(attribute) is Shape.MAPPING else attribute
    with pytest.raises(InvalidInput, match=attribute):
        checked(Edit(kind, Op.CREATE, "x", set={path: {"not": ["a", "value"]}}))


def test_missing_files_never_tell_whether_someone_elses_file_exists(live: LiveServer) -> None:
    owner, _ = live.new_user()
    other, _ = live.new_user()
    secret = secrets.token_bytes(5_000)
    sha = owner.upload(secret)
    assert owner.ok("POST", "/blobs/missing", json={"sha256": [sha]})["missing"] == []
    # Stored, but not the other user's to know about: as missing as an unknown hash.
    assert other.ok("POST", "/blobs/missing", json={"sha256": [sha]})["missing"] == [sha]
    # Sending the bytes proves they hold the content; then it is theirs to use too.
    other.upload(secret)
    assert other.ok("POST", "/blobs/missing", json={"sha256": [sha]})["missing"] == []
