"""New documents from templates, filled with a profile's data, from the local copy alone.

What a template needs offline follows from the tags of its content controls: the files of
the images its image tags name (a unit's logo, found up the unit tree as the profile shows
it) for each profile the user may write with, and the bodies of the snippets its snippet
tags name. :func:`needed_files` lists them; a template is offline-ready when its file in
each language and those are in the local file store. The sync fetches them too (see
``SyncEngine.fetch_missing``), so a document can be made on the train.

The filling itself is ``docshelf.documents`` (bytes in, bytes out); here it is fed from
the cache and its result written under a temporary name in the target folder, then
renamed: nobody ever sees half a document.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from docshelf import documents
from docshelf.client import reading
from docshelf.client.errors import MissingFile
from docshelf.client.files import FileStore
from docshelf.client.keys import TAGS
from docshelf.client.planner import image_field_keys
from docshelf.client.store import LocalStore
from docshelf.documents import FillData, SnippetBody, Tag, TagKind, parse_tag
from docshelf.domain.errors import InvalidInput, NotFound
from docshelf.i18n import tr


@dataclass(frozen=True)
class NewDocument:
    path: Path
    filled: list[str]  # tags filled ("field:phone")
    missing: list[str]  # labels of fields without a value (their placeholders stay)
    unknown: list[str]  # tags that name nothing
    fillable: bool  # False: a plain copy (PowerPoint, or a template without tags)
    profile_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "filled": self.filled,
            "missing": self.missing,
            "unknown": self.unknown,
            "fillable": self.fillable,
            "profile_id": self.profile_id,
        }


def fresh_path(folder: Path, title: str, suffix: str, now: datetime | None = None) -> Path:
    """``<title> <date>.<suffix>``, with `` (2)``, `` (3)`` … until the name is free."""
    stamp = (now or datetime.now().astimezone()).strftime("%Y-%m-%d")
    base = reading.safe_file_stem(title)
    candidate = folder / f"{base} {stamp}{suffix}"
    number = 2
    while candidate.exists():
        candidate = folder / f"{base} {stamp} ({number}){suffix}"
        number += 1
    return candidate


# --- finding what the user named -----------------------------------------------------------


def find_template(store: LocalStore, ref: str) -> dict[str, Any]:
    """A template of the local copy by id, else by its title in any language."""
    record = store.view_record("template", ref)
    if record is not None:
        return record
    wanted = ref.strip().casefold()
    found = [
        t
        for t in store.view("template")
        if any(title.casefold() == wanted for title in (t.get("titles") or {}).values())
    ]
    if len(found) == 1:
        return found[0]
    if found:
        ids = ", ".join(t["id"] for t in found)
        raise InvalidInput(
            tr(
                "Several templates are called '{ref}' ({ids}); name one by its id.",
                ref=ref,
                ids=ids,
            )
        )
    raise NotFound(
        tr(
            "There is no template '{ref}' in the local copy; `docshelf templates` lists them"
            " (sync first if it is new).",
            ref=ref,
        )
    )


def user_profiles(store: LocalStore, user_id: str | None, lang: str) -> list[dict[str, Any]]:
    """The profiles the user may write with (their own and shared ones), resolved."""
    return reading.profiles(store, user_id, lang)


def find_profile(
    profiles: list[dict[str, Any]], ref: str | None, remembered: str | None = None
) -> dict[str, Any] | None:
    """The profile named by id or title; without a name the remembered one, else the only
    one; None when the user has none (their own fields fill the document then)."""
    if ref is not None:
        wanted = ref.strip().casefold()
        by_id = [p for p in profiles if p["id"] == ref]
        found = by_id or [p for p in profiles if p["title"].casefold() == wanted]
        if len(found) == 1:
            return found[0]
        names = ", ".join(f"{p['title']} ({p['id']})" for p in profiles) or "-"
        if found:
            raise InvalidInput(
                tr(
                    "Several profiles are called '{ref}'; name one by its id: {names}.",
                    ref=ref,
                    names=names,
                )
            )
        raise NotFound(
            tr(
                "There is no profile '{ref}' in the local copy. Your profiles: {names}.",
                ref=ref,
                names=names,
            )
        )
    if remembered is not None:
        for profile in profiles:
            if profile["id"] == remembered:
                return profile
    if not profiles:
        return None
    if len(profiles) == 1:
        return profiles[0]
    names = ", ".join(f"{p['title']} ({p['id']})" for p in profiles)
    raise InvalidInput(
        tr("You have several profiles; choose one with --profile: {names}.", names=names)
    )


# --- tags and the files they need ----------------------------------------------------------


# Tags of a stored file, kept in the cache's state by its hash (the same hash always holds
# the same bytes, keys.TAGS): reading them means unzipping and parsing the file, and every
# sync asks for every template's tags to know what they need offline. The sync keeps them
# as it downloads a template's file (engine), so that this finds them after a first sync.


def file_tags(path: Path, filename: str) -> list[str]:
    """The tags of a stored file (named ``filename`` on the server) as the cache keeps them:
    their text; none if it can't be read (making a document from it says why then)."""
    if not documents.carries_tags(filename):
        return []  # a PowerPoint file, say: not read (the sync does this beside downloads)
    try:
        with path.open("rb") as file:  # a template is mostly pictures: only its text is read
            found = documents.tags_of(file, filename)
    except (documents.DocumentError, OSError):
        return []
    return [tag.text for tag in found]


def keep_tags(
    store: LocalStore, sha: str, tags: list[str], db: sqlite3.Connection | None = None
) -> None:
    """Keep a file's tags (:func:`file_tags`) by its hash."""
    store.put_json(TAGS + sha, tags, db)


def tags_of(files: FileStore, ref: dict[str, Any], store: LocalStore | None = None) -> list[Tag]:
    """The tags of a stored template file (``ref``: its sha256 and filename); none while
    the file is not here or can't be read (making the document says why then)."""
    sha = ref["sha256"]
    known = store.get_json(TAGS + sha) if store is not None else None
    if not isinstance(known, list):
        path = files.path(sha)
        if not path.is_file():
            return []
        known = file_tags(path, ref["filename"])
        if store is not None:
            keep_tags(store, sha, known)
    return [tag for raw in known if isinstance(raw, str) and (tag := parse_tag(raw))]


def _owner_fields(store: LocalStore, user_id: str | None, lang: str) -> list[dict[str, Any]]:
    """A user without any profile fills documents with their own fields."""
    user = store.record("user", user_id) if user_id else None
    values = (user or {}).get("fields") or {}
    return [
        {
            "key": r["key"],
            "label": (r.get("labels") or {}).get(lang, r["key"]),
            "value": values.get(r["key"]),
        }
        for r in store.records("field")
        if r["scope"] == "user"
    ]


def _fields_of(
    store: LocalStore, user_id: str | None, profile: dict[str, Any] | None, lang: str
) -> list[dict[str, Any]]:
    return profile["fields"] if profile is not None else _owner_fields(store, user_id, lang)


class _Needs:
    """What tags can need, read from the cache once for a pass over many templates: the
    tags of each file, the files of image fields by field key, the snippets."""

    def __init__(self, store: LocalStore, files: FileStore, user_id: str | None) -> None:
        self.store = store
        self.files = files
        self.user_id = user_id
        self._tags: dict[str, list[Tag]] = {}
        self._images: dict[str, set[str]] | None = None
        self._snippets: list[dict[str, Any]] | None = None

    def tags(self, ref: dict[str, Any]) -> list[Tag]:
        # A library's templates share few files: each file's tags are looked up once.
        sha = ref["sha256"]
        if sha not in self._tags:
            self._tags[sha] = tags_of(self.files, ref, self.store)
        return self._tags[sha]

    def images(self, key: str) -> set[str]:
        """The files the image field ``key`` shows in the user's profiles or own fields;
        none if ``key`` is not an image field (a tag naming a text field as an image)."""
        if self._images is None:
            self._images = reading.image_files(self.store, self.user_id)
        return self._images.get(key, set())

    def snippets(self, tags: Iterable[Tag]) -> list[dict[str, Any]]:
        names = {tag.name for tag in tags if tag.kind is TagKind.SNIPPET}
        if not names:
            return []
        if self._snippets is None:
            self._snippets = self.store.view("snippet", self.user_id)
        return [s for s in self._snippets if s["id"] in names or s["title"] in names]


def needed_files(
    store: LocalStore,
    files: FileStore,
    template: dict[str, Any],
    user_id: str | None,
    needs: _Needs | None = None,
) -> set[str]:
    """Every file the template needs to be made into a document offline, for any profile
    of the user: its files, the images its image tags name, the snippets' bodies."""
    needs = needs or _Needs(store, files, user_id)
    refs = list((template.get("files") or {}).values())
    needed = {ref["sha256"] for ref in refs}
    tags = {tag for ref in refs for tag in needs.tags(ref)}
    for tag in tags:
        if tag.kind is TagKind.IMAGE:
            needed |= needs.images(tag.name)
    for snippet in needs.snippets(tags):
        if snippet.get("body_sha256"):
            needed.add(snippet["body_sha256"])
    return needed


def missing_files(
    store: LocalStore,
    files: FileStore,
    template: dict[str, Any],
    user_id: str | None,
    needs: _Needs | None = None,
) -> set[str]:
    needed = needed_files(store, files, template, user_id, needs)
    return {sha for sha in needed if not files.has(sha)}


def offline_ready(
    store: LocalStore,
    files: FileStore,
    template: dict[str, Any],
    user_id: str | None,
    needs: _Needs | None = None,
) -> bool:
    """Its file in each language and everything its tags need are in the local copy."""
    if not template.get("files"):
        return False
    return not missing_files(store, files, template, user_id, needs)


def offline_states(
    store: LocalStore, files: FileStore, templates: Iterable[dict[str, Any]], user_id: str | None
) -> dict[str, bool]:
    """:func:`offline_ready` of many templates, reading what tags need once."""
    needs = _Needs(store, files, user_id)
    return {t["id"]: offline_ready(store, files, t, user_id, needs) for t in templates}


def all_needed_files(store: LocalStore, files: FileStore, user_id: str | None) -> set[str]:
    """What the user's templates need to be made into documents offline (the sync fetches
    what of it the file store lacks)."""
    needs = _Needs(store, files, user_id)
    needed: set[str] = set()
    # One commit for the tags found: after a first sync every template's are new, and a
    # commit each (an fsync each) took seconds for a few hundred templates.
    with store.transaction():
        for template in store.view("template", user_id):
            needed |= needed_files(store, files, template, user_id, needs)
    return needed


def all_missing_files(store: LocalStore, files: FileStore, user_id: str | None) -> set[str]:
    """What the user's templates need and the file store lacks."""
    return {sha for sha in all_needed_files(store, files, user_id) if not files.has(sha)}


def tag_report(
    store: LocalStore, files: FileStore, template: dict[str, Any], user_id: str | None
) -> tuple[list[str], list[str]]:
    """For layouters: the tags the template's files use, and those naming no field, image
    field or snippet of the local copy ("field:telefon")."""
    tags = list(
        dict.fromkeys(
            tag
            for ref in (template.get("files") or {}).values()
            for tag in tags_of(files, ref, store)
        )
    )
    fields = store.records("field")
    images = image_field_keys(fields)
    unknown = documents.unknown_tags(
        tags,
        field_keys=[f["key"] for f in fields if f["key"] not in images],
        image_keys=images,
        snippets=[(s["id"], s["title"]) for s in store.view("snippet", user_id)],
    )
    return [tag.text for tag in tags], [tag.text for tag in unknown]


# --- making a document ---------------------------------------------------------------------


def fill_data(
    store: LocalStore,
    files: FileStore,
    tags: list[Tag],
    user_id: str | None,
    profile: dict[str, Any] | None,
    lang: str,
) -> FillData:
    """What the document is filled from: the profile's fields as it shows them, the
    pictures of its image fields and the bodies of the snippets the tags name."""
    image_keys = image_field_keys(store.records("field"))
    values: dict[str, str] = {}
    labels: dict[str, str] = {}
    images: dict[str, bytes] = {}
    wanted_images = {tag.name for tag in tags if tag.kind is TagKind.IMAGE}
    for field in _fields_of(store, user_id, profile, lang):
        key, value = field["key"], field["value"]
        labels[key] = field["label"]
        if key in image_keys:
            if value and key in wanted_images:
                images[key] = _read(
                    files,
                    value,
                    tr(
                        "The picture of the field '{field}' is not downloaded yet; synchronise,"
                        " then try again.",
                        field=field["label"],
                    ),
                )
        elif value is not None and value != "":
            values[key] = value
    snippets: dict[str, SnippetBody] = {}
    for snippet in _Needs(store, files, user_id).snippets(tags):
        if not snippet.get("body_sha256"):
            continue
        body = SnippetBody(
            snippet.get("body_format") or "text",
            _read(
                files,
                snippet["body_sha256"],
                tr(
                    "The snippet '{snippet}' is not downloaded yet; synchronise, then try again.",
                    snippet=snippet["title"],
                ),
            ),
        )
        snippets[snippet["id"]] = snippets[snippet["title"]] = body
    return FillData(values=values, labels=labels, images=images, snippets=snippets)


def _read(files: FileStore, sha: str, missing: str) -> bytes:
    path = files.path(sha)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise MissingFile(missing) from None


def new_document(
    store: LocalStore,
    files: FileStore,
    user_id: str | None,
    *,
    template: str,
    profile: str | None = None,
    remembered_profile: str | None = None,
    lang: str | None = None,
    output: Path | None = None,
    folder: Path | None = None,
    ui_lang: str = "de",
) -> NewDocument:
    """Fill ``template`` (id or title) with ``profile`` (id or title) and write it to
    ``output``, or under a fresh name from the template's title into ``folder``."""
    record = find_template(store, template)
    source, filename = reading.template_file(store, files, record["id"], lang)
    if not source.is_file():
        raise MissingFile(
            tr("The file of this template is not downloaded yet; synchronise, then try again.")
        )
    data = source.read_bytes()
    chosen_lang = lang or next(
        (code for code, ref in (record.get("files") or {}).items() if ref["filename"] == filename),
        ui_lang,
    )
    chosen = find_profile(user_profiles(store, user_id, chosen_lang), profile, remembered_profile)
    tags = documents.tags_of(data, filename)
    filled = documents.fill(
        data, filename, fill_data(store, files, tags, user_id, chosen, chosen_lang)
    )
    if output is not None:
        path = _write_over(output, filled.data)
    else:
        # Named as the user knows the template, in the document's language: the file's
        # name on the server is the layouter's working name.
        title = reading.title_of(record, chosen_lang) or reading.title_of(record, ui_lang)
        path = write_fresh(folder or Path.cwd(), title, filled.suffix, filled.data)
    return NewDocument(
        path=path,
        filled=list(filled.filled),
        missing=list(filled.missing),
        unknown=list(filled.unknown),
        fillable=filled.fillable,
        profile_id=chosen["id"] if chosen else None,
    )


def _temporary(folder: Path, data: bytes) -> Path:
    # In the target folder: the rename is then atomic, and a crash leaves a hidden .part.
    import tempfile  # here: it loads shutil, bz2, lzma; reading needs none

    fd, name = tempfile.mkstemp(dir=folder, prefix=".docshelf-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def _write_over(output: Path, data: bytes) -> Path:
    output = output.absolute()
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary(output.parent, data)
    os.replace(tmp, output)
    return output


def write_fresh(folder: Path, title: str, suffix: str, data: bytes) -> Path:
    """``data`` under a fresh name in ``folder``; never over another file, even one made
    by someone else in the same moment."""
    folder = folder.absolute()
    folder.mkdir(parents=True, exist_ok=True)
    tmp = _temporary(folder, data)
    try:
        while True:
            target = fresh_path(folder, title, suffix)
            try:
                # A link fails if the name is taken: the name is claimed and written at once.
                os.link(tmp, target)
            except FileExistsError:
                continue
            except OSError:
                if target.exists():
                    continue
                os.replace(tmp, target)  # a file system without links
            return target
    finally:
        tmp.unlink(missing_ok=True)
