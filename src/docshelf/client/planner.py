"""Deciding what a page of changes or a manifest means for the local cache: pure functions.

The engine asks the planner, then carries the plan out; the planner never touches
the network or the disk, so every decision can be tested with plain data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from docshelf.protocol.canonical import canonical_hash, canonical_json

if TYPE_CHECKING:  # the wire models (pydantic) are not needed to read the cache
    from docshelf.protocol.sync import Change, ManifestEntry

Key = tuple[str, str]  # (kind, id)


@dataclass(frozen=True)
class Local:
    """What the cache holds of one record."""

    version: int
    hash: str


# Not frozen: a frozen dataclass sets each field through object.__setattr__, and a first
# sync makes 20 000 of these (8 us each frozen, 1 us like this).
@dataclass(slots=True)
class Upsert:
    kind: str
    id: str
    version: int
    hash: str
    # The record; from plan_page only what its files need (see files_part), the rest is
    # in ``data``.
    record: dict[str, Any]
    # The record's canonical JSON, made for its hash and stored as it is (None: encode it).
    data: str | None = None

    @property
    def key(self) -> Key:
        return (self.kind, self.id)


@dataclass
class PagePlan:
    upserts: list[Upsert] = field(default_factory=list)
    removes: list[Key] = field(default_factory=list)
    files: set[str] = field(default_factory=set)  # to download before the page is stored
    unchanged: int = 0


def image_field_keys(records: Iterable[Mapping[str, Any]]) -> set[str]:
    """Keys of fields whose values are file hashes (logos, signatures)."""
    return {r["key"] for r in records if r.get("type") == "image"}


def referenced_files(kind: str, record: Mapping[str, Any], image_keys: set[str]) -> set[str]:
    """The files a record needs on disk."""
    if kind == "template":
        return {f["sha256"] for f in record.get("files", {}).values()}
    if kind == "snippet":
        return {record["body_sha256"]} if record.get("body_sha256") else set()
    if kind in ("unit", "user"):
        fields = record.get("fields", {})
        return {v for k, v in fields.items() if k in image_keys and v}
    return set()


def files_part(kind: str, record: dict[str, Any]) -> dict[str, Any]:
    """What :func:`referenced_files` (and the files' sizes) read of a record: a planned page
    waits for its files with this instead of the whole record (its JSON is kept to store),
    so that the pages planned ahead while files download take a fraction of the memory."""
    if kind == "template":
        return {"files": record.get("files", {})}
    if kind == "snippet":
        return {"body_sha256": record.get("body_sha256")}
    if kind in ("unit", "user"):
        return {"fields": record.get("fields", {})}
    if kind == "field":
        return record  # image_field_keys reads them, and they are few
    return {}


def plan_page(
    changes: Iterable[Change],
    local: Mapping[Key, Local],
    have_file: Callable[[str], bool],
    image_keys: set[str],
) -> PagePlan:
    """Store what is new or different, drop what the server says is gone."""
    plan = PagePlan()
    keys = set(image_keys)
    for change in changes:
        key = (change.kind, change.id)
        if change.op == "remove":
            if key in local:
                plan.removes.append(key)
            continue
        record = change.record or {}
        if change.kind == "field" and record.get("type") == "image":
            keys.add(record["key"])  # fields come before the records that use them
        data = canonical_json(record)
        digest = canonical_hash(data)
        held = local.get(key)
        if held is not None and held.hash == digest and held.version == change.version:
            plan.unchanged += 1
            continue
        part = files_part(change.kind, record)
        plan.upserts.append(Upsert(change.kind, change.id, change.version or 0, digest, part, data))
    # Each file asked about once: a library's templates share few files.
    referenced: set[str] = set()
    for upsert in plan.upserts:
        referenced |= referenced_files(upsert.kind, upsert.record, keys)
    plan.files = {sha for sha in referenced if not have_file(sha)}
    return plan


@dataclass
class ManifestPlan:
    seen: list[Key] = field(default_factory=list)  # in the user's view: keep
    fetch: list[Key] = field(default_factory=list)  # missing or different here: fetch


def plan_manifest(entries: Iterable[ManifestEntry], local: Mapping[Key, Local]) -> ManifestPlan:
    """Keep what matches; fetch what differs; everything not seen is deleted at the end."""
    plan = ManifestPlan()
    for entry in entries:
        key = (entry.kind, entry.id)
        plan.seen.append(key)
        held = local.get(key)
        if held is None or held.hash != entry.hash or held.version != entry.version:
            plan.fetch.append(key)
    return plan
