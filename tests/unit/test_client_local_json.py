"""What the client stored itself and reads back: deeply nested (damaged or planted) JSON is
told as damaged, never a RecursionError."""

from __future__ import annotations

from pathlib import Path

import pytest

from docshelf.client.errors import LocalStoreError
from docshelf.client.status import Status, read_status_file, write_status_file
from docshelf.client.store import LocalStore
from docshelf.domain.edits import Edit, EditKind, Op

DEEP_JSON = "[" * 100_000 + "]" * 100_000


def test_a_deeply_nested_status_file_reads_as_no_status(tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    write_status_file(path, Status())
    assert read_status_file(path) is not None
    path.write_text(DEEP_JSON)
    assert read_status_file(path) is None


def test_a_deeply_nested_sync_state_is_told_as_a_damaged_cache(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "cache.db")
    store.put("deep", DEEP_JSON)
    with pytest.raises(LocalStoreError, match=r"cache\.db is damaged .*nested deeper than 64"):
        store.get_json("deep")
    store.close()


def test_a_deeply_nested_queued_edit_is_told_as_a_damaged_cache(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "cache.db")
    with store.transaction():
        ident = store.outbox.add(Edit(EditKind.SNIPPET, Op.CREATE, "s1", set={}), "new snippet")
    store._db.execute("UPDATE outbox SET edit = ? WHERE id = ?", (DEEP_JSON, ident))
    with pytest.raises(LocalStoreError, match=r"The local cache is damaged .*nested deeper"):
        store.outbox.entries()
    store.close()
