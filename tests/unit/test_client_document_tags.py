"""A stored file's tags are read once and kept by its hash: every sync asks what each
template's tags need, and unzipping and parsing every template file each time would make
a sync that finds nothing new cost as much as reading the whole library."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pytest import MonkeyPatch

from docshelf import documents as docshelf_documents
from docshelf.client.documents import all_missing_files, file_tags, tags_of
from docshelf.client.files import FileStore
from docshelf.client.planner import Upsert
from docshelf.client.store import LocalStore
from docshelf.documents import Tag, TagKind
from support.word_templates import inline, word


def test_tags_are_read_once_per_file_and_kept_by_its_hash(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "cache.db")
    files = FileStore(tmp_path / "files")
    try:
        data = word(inline("field:phone", "Telefon"), pictures=("image:logo",))
        sha = files.put_bytes(data)
        ref = {"sha256": sha, "filename": "Brief.docx"}
        expected = [Tag(TagKind.FIELD, "phone"), Tag(TagKind.IMAGE, "logo")]
        assert tags_of(files, ref, store) == expected
        # Gone from disk (or never to be parsed again): the kept tags answer.
        files.path(sha).unlink()
        assert tags_of(files, ref, store) == expected
        # Without the cache the file itself is the only source.
        assert tags_of(files, ref) == []
    finally:
        store.close()


def test_a_file_that_cannot_be_read_has_no_tags_and_is_not_read_again(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "cache.db")
    files = FileStore(tmp_path / "files")
    try:
        sha = files.put_bytes(b"not a zip")
        ref = {"sha256": sha, "filename": "Kaputt.docx"}
        assert tags_of(files, ref, store) == []
        assert store.get_json("tags:" + sha) == []
    finally:
        store.close()


def test_the_tags_of_many_templates_are_kept_in_one_commit(tmp_path: Path) -> None:
    """After a first sync every template's tags are new; a commit (and fsync) each took
    seconds for a library of a few hundred templates."""
    store = LocalStore(tmp_path / "cache.db")
    files = FileStore(tmp_path / "files")
    try:
        upserts = []
        for i in range(5):
            sha = files.put_bytes(word(inline("field:phone", f"Telefon {i}")))
            record = {"id": f"t{i}", "files": {"de": {"sha256": sha, "filename": "B.docx"}}}
            upserts.append(Upsert("template", f"t{i}", 1, "h", record))
        with store.transaction() as db:
            LocalStore.write_upserts(db, upserts)
        db = store._db
        outside: list[str] = []

        def trace(statement: str) -> None:
            if statement.startswith("INSERT OR REPLACE INTO state") and not db.in_transaction:
                outside.append(statement)

        db.set_trace_callback(trace)
        assert all_missing_files(store, files, None) == set()
        db.set_trace_callback(None)
        assert outside == []
        assert all(store.get_json("tags:" + u.record["files"]["de"]["sha256"]) for u in upserts)
    finally:
        store.close()


def test_files_that_carry_no_tags_are_not_read(tmp_path: Path, monkeypatch: MonkeyPatch) -> None:
    """The sync reads each template file's tags beside the downloads: a PowerPoint file (or
    any but Word and Excel) is not read, however large."""
    path = tmp_path / "folien"
    path.write_bytes(b"PK not really a presentation")

    def never(data: bytes, filename: str) -> list[Tag]:
        raise AssertionError(f"{filename} read")

    monkeypatch.setattr(docshelf_documents, "tags_of", never)
    assert file_tags(path, "Folien.pptx") == []
    assert docshelf_documents.carries_tags("Brief.DOTX")
    assert docshelf_documents.carries_tags("Tabelle.xlsm")
    assert not docshelf_documents.carries_tags("Folien.potx")


def test_reading_a_word_files_tags_does_without_the_excel_library(tmp_path: Path) -> None:
    """openpyxl takes about a third of a second to import: a first sync of Word templates
    reads their tags (beside the downloads) without it."""
    path = tmp_path / "Brief.docx"
    path.write_bytes(word(inline("field:phone", "Telefon")))
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from docshelf import documents\n"
        "from docshelf.client.documents import file_tags\n"
        "assert [documents.carries_tags(n) for n in ('a.xlsx', 'b.pptx')] == [True, False]\n"
        f"print(file_tags(Path({str(path)!r}), 'Brief.docx'), 'openpyxl' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.split() == ["['field:phone']", "False"]
