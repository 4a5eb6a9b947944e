"""The cache's record writes keep file_refs right whether or not the caller says which
records the cache may hold already (``held``: a first sync need not look up the others)."""

from __future__ import annotations

from pathlib import Path

from docshelf.client.planner import Upsert
from docshelf.client.store import LocalStore

SHA_A = "a" * 64
SHA_B = "b" * 64


def template(ident: str, sha: str) -> Upsert:
    record = {"id": ident, "files": {"de": {"sha256": sha, "size": 1, "filename": "t.docx"}}}
    return Upsert("template", ident, 1, "h", record)


def refs(store: LocalStore) -> set[tuple[str, str, str]]:
    return set(store._db.execute("SELECT sha, kind, id FROM file_refs").fetchall())


def test_a_held_record_written_again_drops_its_old_file_refs(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "cache.db")
    with store.transaction() as db:
        LocalStore.write_upserts(db, [template("t1", SHA_A)], held=set())
    assert refs(store) == {(SHA_A, "template", "t1")}
    with store.transaction() as db:
        LocalStore.write_upserts(
            db, [template("t1", SHA_B), template("t2", SHA_A)], held={("template", "t1")}
        )
    assert refs(store) == {(SHA_B, "template", "t1"), (SHA_A, "template", "t2")}


def test_without_held_every_record_is_looked_up(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "cache.db")
    with store.transaction() as db:
        LocalStore.write_upserts(db, [template("t1", SHA_A)])
        LocalStore.write_upserts(db, [template("t1", SHA_B)])
    assert refs(store) == {(SHA_B, "template", "t1")}
