"""A synthetic corpus for sync benchmarks and large-sync tests.

Written straight into a server database through the server's own services (the same
code the API runs), in many small transactions as real administration would.
Deterministic for a seed: the same seed gives the same records and files.

    python bench/corpus.py --data-dir DIR --records 20000 --files 500
"""

from __future__ import annotations

import argparse
import random
import sys
import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from docshelf.domain.accounts import system_actor
from docshelf.domain.patches import (
    ProfilePatch,
    TemplateGroupPatch,
    TemplatePatch,
    UnitPatch,
    UserPatch,
)
from docshelf.server.blobstore import BlobStore, LocalBlobStore
from docshelf.server.db.engine import Change, Database
from docshelf.server.db.migrate import upgrade
from docshelf.server.services import accounts, profiles, templates, units
from docshelf.server.services.files import register_blob
from docshelf.server.services.passwords import Passwords

BENCH_USER = "bench"
BENCH_PASSWORD = "bench-password"
BATCH = 200
# Records besides the templates with files, in turn.
OTHER_KINDS = ("unit", "user", "profile", "template")


@dataclass(frozen=True)
class CorpusSpec:
    records: int = 20_000
    files: int = 500
    min_file: int = 20 * 1024
    max_file: int = 2 * 1024 * 1024
    duplicates: float = 0.10
    seed: int = 1
    # 2: real Word documents with tagged controls (1: zips of random bytes, no tags).
    file_format: int = 2


@dataclass
class CorpusInfo:
    records: int = 0
    files: int = 0
    unique_files: int = 0
    file_bytes: int = 0
    unique_bytes: int = 0


# A Word document as Word writes its smallest parts: the client reads each template's tags
# from these during a sync (documents/ooxml.py), as it would a real template's.
_WORD_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Default Extension="bin" ContentType="application/octet-stream"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_WORD_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
_WORD_CONTROL = (
    '<w:p><w:sdt><w:sdtPr><w:tag w:val="{tag}"/><w:showingPlcHdr/></w:sdtPr>'
    "<w:sdtContent><w:r><w:t>[{tag}]</w:t></w:r></w:sdtContent></w:sdt></w:p>"
)
_WORD_TAGS = ("field:name", "field:phone", "field:email", "image:logo", "snippet:Gruss")


def office_like(rnd: random.Random, size: int) -> bytes:
    """A Word document of roughly ``size`` bytes: a few tagged content controls and an
    embedded part of random bytes (which don't compress, so the size holds). It passes the
    server's check for Office Open XML, and its tags are read like any template's."""
    controls = "".join(_WORD_CONTROL.format(tag=tag) for tag in rnd.sample(_WORD_TAGS, 3))
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body><w:p><w:r><w:t>Vorlage</w:t></w:r></w:p>{controls}<w:sectPr/></w:body>"
        "</w:document>"
    )
    payload = rnd.randbytes(max(0, size - 1500))
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", _WORD_TYPES)
        archive.writestr("_rels/.rels", _WORD_RELS)
        archive.writestr("word/document.xml", document)
        archive.writestr("word/media/blob.bin", payload)
    return buffer.getvalue()


class CorpusWriter:
    def __init__(self, db: Database, blobs: BlobStore, spec: CorpusSpec) -> None:
        self.db = db
        self.blobs = blobs
        self.spec = spec
        self.rnd = random.Random(spec.seed)
        self.actor = system_actor()
        self.info = CorpusInfo()

    def write(self) -> CorpusInfo:
        """A user who sees everything, templates with files, and units, users, profiles
        and file-less templates making up the rest of the record count."""
        owner, group, root = self._anchors()
        slots = self._files()
        rest = max(0, self.spec.records - self.info.records - len(slots))
        plan = [("template_file", i) for i in range(len(slots))]
        plan += [(OTHER_KINDS[i % len(OTHER_KINDS)], i) for i in range(rest)]
        for start in range(0, len(plan), BATCH):
            batch = plan[start : start + BATCH]
            with self.db.change("corpus") as change:
                for kind, i in batch:
                    self._create(change, kind, i, slots, group, root, owner)
            self.info.records += len(batch)
        return self.info

    def _anchors(self) -> tuple[str, str, str]:
        password = Passwords(time_cost=1, memory_kib=1024).hash(BENCH_PASSWORD)
        with self.db.change("corpus") as change:
            owner = accounts.create_user(
                change,
                self.actor,
                UserPatch(login=BENCH_USER, roles=("sys",)),
                password_hash=password,
            )
            group = templates.create_group(
                change, self.actor, TemplateGroupPatch(titles={"de": "Korpus"})
            )
            root = units.create_unit(change, self.actor, UnitPatch(title="Korpus AG"))
        self.info.records += 3
        return owner.id, group.id, root.id

    def _files(self) -> list[tuple[str, int]]:
        """(sha256, size) per file slot, stored and registered; some slots repeat a file."""
        slots: list[tuple[str, int]] = []
        with self.db.write() as session:
            for _ in range(self.spec.files):
                if slots and self.rnd.random() < self.spec.duplicates:
                    slots.append(slots[self.rnd.randrange(len(slots))])
                    continue
                size = self.rnd.randint(self.spec.min_file, self.spec.max_file)
                sha, stored = self.blobs.put_bytes(office_like(self.rnd, size))
                register_blob(session, sha, stored)
                slots.append((sha, stored))
        self.info.files = len(slots)
        self.info.file_bytes = sum(size for _, size in slots)
        unique = dict(slots)
        self.info.unique_files = len(unique)
        self.info.unique_bytes = sum(unique.values())
        return slots

    def _create(
        self,
        change: Change,
        kind: str,
        i: int,
        slots: list[tuple[str, int]],
        group: str,
        root: str,
        owner: str,
    ) -> None:
        actor = self.actor
        if kind in ("template_file", "template"):
            title = f"Vorlage {i}" if kind == "template_file" else f"Entwurf {i}"
            template = templates.create_template(
                change,
                actor,
                TemplatePatch(kind="docx", titles={"de": title}, group_id=group, status="released"),
            )
            if kind == "template_file":
                templates.set_file(
                    change,
                    actor,
                    self.blobs,
                    template,
                    lang="de",
                    sha256=slots[i][0],
                    filename=f"vorlage-{i}.docx",
                )
        elif kind == "unit":
            units.create_unit(change, actor, UnitPatch(title=f"Abteilung {i}", parent_id=root))
        elif kind == "user":
            accounts.create_user(
                change, actor, UserPatch(login=f"user{i}", display_name=f"User {i}")
            )
        else:
            profiles.create_profile(
                change, actor, ProfilePatch(owner_id=owner, title=f"Profil {i}")
            )


def build(
    data_dir: Path,
    spec: CorpusSpec,
    database_url: str | None = None,
    blobs: BlobStore | None = None,
) -> CorpusInfo:
    """Create a server data dir (and database) holding the corpus; its files go to
    ``blobs`` (default: the data dir's own directory)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(database_url or f"sqlite:///{data_dir / 'docshelf.db'}")
    try:
        upgrade(db)
        store = blobs if blobs is not None else LocalBlobStore(data_dir / "blobs")
        return CorpusWriter(db, store, spec).write()
    finally:
        db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a synthetic corpus into a data dir.")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url")
    parser.add_argument("--records", type=int, default=CorpusSpec.records)
    parser.add_argument("--files", type=int, default=CorpusSpec.files)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    spec = CorpusSpec(records=args.records, files=args.files, seed=args.seed)
    print(build(args.data_dir, spec, args.database_url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
