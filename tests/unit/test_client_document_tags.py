"""A stored file's tags are read once and kept by its hash: every sync asks what each
template's tags need, and unzipping and parsing every template file each time would make
a sync that finds nothing new cost as much as reading the whole library."""

from __future__ import annotations

from pathlib import Path

from docshelf.client.documents import tags_of
from docshelf.client.files import FileStore
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
