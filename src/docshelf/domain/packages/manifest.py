"""The manifest: its objects, every value checked with its place named.

A manifest that passed its JSON Schema is read into typed entries here; the rules the
schema cannot express (unique ids, loops, one path for one content, values as the server
accepts them) are checked on the way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from docshelf.domain.fields import FieldScope, FieldType, check_field_key
from docshelf.domain.ids import check_id
from docshelf.domain.kinds import kind_label
from docshelf.domain.packages.archive import member_name_problem
from docshelf.domain.packages.problems import (
    FORMAT,
    FORMAT_VERSION,
    MANIFEST_NAME,
    Problems,
    package_invalid,
)
from docshelf.domain.principals import check_principals
from docshelf.domain.snippets import SnippetFormat, SnippetKind
from docshelf.domain.templates import (
    PublicationStatus,
    check_filename,
    parse_kind,
    parse_status,
)
from docshelf.domain.text import check_language, check_text, check_title
from docshelf.i18n import tr


@dataclass(frozen=True)
class PackageFile:
    """A file of the archive, named by its path and identified by its SHA-256."""

    path: str
    sha256: str
    size: int | None = None


@dataclass(frozen=True)
class FileUse:
    """Where the manifest refers to a file and what the file must then be."""

    where: str
    file: PackageFile
    # a template type (extension), "text" / "html" / "docx" for a snippet body, or "image"
    expect: str


@dataclass(frozen=True)
class TemplateFileEntry:
    file: PackageFile
    filename: str


@dataclass(frozen=True)
class GroupEntry:
    where: str
    id: str
    parent_id: str | None
    titles: Mapping[str, str]
    order: int


@dataclass(frozen=True)
class TemplateEntry:
    where: str
    id: str
    group_id: str | None
    kind: str
    status: str
    titles: Mapping[str, str]
    descriptions: Mapping[str, str]
    use_rights: tuple[str, ...]
    change_rights: tuple[str, ...]
    order: int
    files: Mapping[str, TemplateFileEntry]


@dataclass(frozen=True)
class SnippetEntry:
    where: str
    id: str
    kind: str
    title: str
    template_id: str | None
    read_rights: tuple[str, ...]
    write_rights: tuple[str, ...]
    body_format: str
    body: PackageFile | None


@dataclass(frozen=True)
class FieldEntry:
    where: str
    key: str
    scope: str
    type: str
    labels: Mapping[str, str]
    order: int

    @property
    def id(self) -> str:
        # Field definitions are known by their key on every server; their ids are local.
        return self.key


@dataclass(frozen=True)
class UnitEntry:
    where: str
    id: str
    parent_id: str | None
    title: str
    fields: Mapping[str, str]
    assignable_by: tuple[str, ...] | None
    order: int


Entry = GroupEntry | TemplateEntry | SnippetEntry | FieldEntry | UnitEntry


@dataclass(frozen=True)
class Manifest:
    format_version: int
    generator: str | None = None
    template_groups: tuple[GroupEntry, ...] = ()
    templates: tuple[TemplateEntry, ...] = ()
    snippets: tuple[SnippetEntry, ...] = ()
    fields: tuple[FieldEntry, ...] = ()
    units: tuple[UnitEntry, ...] = ()
    images: tuple[PackageFile, ...] = ()

    @property
    def organisation(self) -> bool:
        """Does the package carry units or field definitions (a Sys matter)?"""
        return bool(self.units or self.fields)

    def file_uses(self) -> dict[str, list[FileUse]]:
        """Every file the manifest refers to, by path, with each place that refers to it."""
        uses: dict[str, list[FileUse]] = {}
        for t in self.templates:
            for lang, entry in t.files.items():
                where = f"{t.where}.files.{lang}"
                uses.setdefault(entry.file.path, []).append(FileUse(where, entry.file, t.kind))
        for s in self.snippets:
            if s.body is not None:
                use = FileUse(f"{s.where}.body", s.body, s.body_format)
                uses.setdefault(s.body.path, []).append(use)
        for i, image in enumerate(self.images):
            uses.setdefault(image.path, []).append(FileUse(f"images[{i}]", image, "image"))
        return uses

    def hashes(self) -> set[str]:
        return {use.file.sha256 for uses in self.file_uses().values() for use in uses}


def check_format(data: object) -> None:
    """Before anything else: is this a docshelf package of a version this server reads?"""
    if not isinstance(data, dict):
        raise package_invalid([tr("{manifest}: must hold a JSON object", manifest=MANIFEST_NAME)])
    if data.get("format") != FORMAT:
        raise package_invalid(
            [
                tr(
                    '{manifest}: this is not a docshelf package ("format" must be '
                    "{format_name!r}, not {value!r})",
                    manifest=MANIFEST_NAME,
                    format_name=FORMAT,
                    value=data.get("format"),
                )
            ]
        )
    version = data.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise package_invalid(
            [
                tr(
                    "{manifest}: format_version must be a whole number",
                    manifest=MANIFEST_NAME,
                )
            ]
        )
    if version != FORMAT_VERSION:
        newer = " Update docshelf on this server, or" if version > FORMAT_VERSION else ""
        raise package_invalid(
            [
                tr(
                    "{manifest}: format_version {version} is not supported; this "
                    "server reads version {supported}.{newer} export the package "
                    "again with this version of docshelf",
                    manifest=MANIFEST_NAME,
                    version=version,
                    supported=FORMAT_VERSION,
                    newer=newer,
                )
            ]
        )


T = TypeVar("T")


class _Reader:
    """Typed access to a manifest that has passed its JSON Schema; still checks every
    value, so that the rules hold on their own and name the place of each problem."""

    def __init__(self, problems: Problems) -> None:
        self.p = problems

    def _get(self, node: Mapping[str, Any], key: str, where: str, kind: type[T]) -> T | None:
        value = node.get(key)
        if value is None:
            return None
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            self.p.add(
                f"{where}.{key}" if where else key,
                tr("must be of type {error}", error=kind.__name__),
            )
            return None
        return value

    def list(self, node: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
        items = self._get(node, key, "", list) or []
        good: list[Mapping[str, Any]] = []
        for i, item in enumerate(items):
            if isinstance(item, dict):
                good.append(item)
            else:
                self.p.add(f"{key}[{i}]", tr("must be an object"))
                good.append({})
        return good

    def text(self, node: Mapping[str, Any], key: str, where: str) -> str | None:
        return self._get(node, key, where, str)

    def required_text(self, node: Mapping[str, Any], key: str, where: str) -> str:
        value = self.text(node, key, where)
        if value is None:
            self.p.add(f"{where}.{key}", tr("is missing"))
            return ""
        return value

    def id(self, node: Mapping[str, Any], key: str, where: str, *, required: bool) -> str | None:
        value = self.required_text(node, key, where) if required else self.text(node, key, where)
        if value is None or (required and not value):
            return None
        return self.p.check(f"{where}.{key}", check_id, value, key)

    def order(self, node: Mapping[str, Any], where: str) -> int:
        value = self._get(node, "order", where, int) or 0
        if not -1_000_000 <= value <= 1_000_000:
            self.p.add(f"{where}.order", tr("must lie between -1000000 and 1000000"))
            return 0
        return value

    def texts(
        self, node: Mapping[str, Any], key: str, where: str, *, title: bool, required: bool
    ) -> dict[str, str]:
        raw = self._get(node, key, where, dict) or {}
        if required and not raw:
            self.p.add(f"{where}.{key}", tr("give a text in at least one language"))
        checked: dict[str, str] = {}
        for lang, value in raw.items():
            at = f"{where}.{key}.{lang}"
            if self.p.check(at, check_language, lang) is None:
                continue
            if not isinstance(value, str):
                self.p.add(at, tr("must be a string"))
            elif title:
                text = self.p.check(at, check_title, value)
                if text is not None:
                    checked[lang] = text
            else:
                what = tr("Description")
                text = self.p.check(at, check_text, value, what, max_length=5000, multiline=True)
                if text is not None:
                    checked[lang] = text
        return checked

    def rights(
        self, node: Mapping[str, Any], key: str, where: str, default: Sequence[str]
    ) -> tuple[str, ...]:
        raw = node.get(key)
        if raw is None:
            return tuple(default)
        if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
            self.p.add(f"{where}.{key}", tr("must be a list of principals"))
            return ()
        return self.p.check(f"{where}.{key}", check_principals, raw) or ()

    def file(self, node: object, where: str) -> PackageFile | None:
        if not isinstance(node, dict):
            self.p.add(where, tr("must be an object with path and sha256"))
            return None
        path = self.required_text(node, "path", where)
        sha = self.required_text(node, "sha256", where)
        size = self._get(node, "size", where, int)
        problem = member_name_problem(path) if path else None
        if problem is not None:
            self.p.add(f"{where}.path", tr("{path!r} {problem}", path=path, problem=problem))
        if sha and not _SHA256_RE.match(sha):
            self.p.add(f"{where}.sha256", tr("must be 64 lower-case hex digits"))
        if size is not None and size < 0:
            self.p.add(f"{where}.size", tr("must not be negative"))
        return PackageFile(path, sha, size)


_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


def parse_manifest(data: Mapping[str, Any]) -> Manifest:
    """The manifest's objects, every value checked; raises PackageInvalid naming each problem.

    References to objects that are not in the package (a group a template belongs to, the
    template of a template snippet, a parent unit) are left for the server to resolve."""
    check_format(data)
    problems = Problems(MANIFEST_NAME)
    read = _Reader(problems)
    generator = data.get("generator")
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        generator=generator if isinstance(generator, str) else None,
        template_groups=tuple(_group(read, n, i) for i, n in _items(read, data, "template_groups")),
        templates=tuple(_template(read, n, i) for i, n in _items(read, data, "templates")),
        snippets=tuple(_snippet(read, n, i) for i, n in _items(read, data, "snippets")),
        fields=tuple(_field(read, n, i) for i, n in _items(read, data, "fields")),
        units=tuple(_unit(read, n, i) for i, n in _items(read, data, "units")),
        images=tuple(
            f
            for i, node in enumerate(data.get("images") or [])
            if (f := read.file(node, f"images[{i}]")) is not None
        ),
    )
    _check_unique(problems, manifest)
    _check_paths(problems, manifest)
    _check_trees(problems, manifest)
    problems.raise_if_any()
    return manifest


def _items(read: _Reader, data: Mapping[str, Any], key: str) -> Iterable[tuple[int, Any]]:
    return enumerate(read.list(data, key))


def _group(read: _Reader, node: Mapping[str, Any], i: int) -> GroupEntry:
    where = f"template_groups[{i}]"
    return GroupEntry(
        where=where,
        id=read.id(node, "id", where, required=True) or "",
        parent_id=read.id(node, "parent_id", where, required=False),
        titles=read.texts(node, "titles", where, title=True, required=True),
        order=read.order(node, where),
    )


def _template(read: _Reader, node: Mapping[str, Any], i: int) -> TemplateEntry:
    where = f"templates[{i}]"
    kind_name = read.required_text(node, "kind", where)
    kind = read.p.check(f"{where}.kind", parse_kind, kind_name) if kind_name else None
    status_name = read.text(node, "status", where) or PublicationStatus.IN_PROGRESS.value
    status = read.p.check(f"{where}.status", parse_status, status_name)
    files: dict[str, TemplateFileEntry] = {}
    raw_files = read._get(node, "files", where, dict) or {}
    for lang, ref in raw_files.items():
        at = f"{where}.files.{lang}"
        if read.p.check(at, check_language, lang) is None:
            continue
        file = read.file(ref, at)
        name = ref.get("filename") if isinstance(ref, dict) else None
        if not isinstance(name, str) or not name:
            read.p.add(f"{at}.filename", tr("is missing"))
            continue
        clean = read.p.check(f"{at}.filename", check_filename, name)
        if file is not None and clean is not None and kind is not None:
            files[lang] = TemplateFileEntry(file, stored_filename(clean, kind.extension))
    return TemplateEntry(
        where=where,
        id=read.id(node, "id", where, required=True) or "",
        group_id=read.id(node, "group_id", where, required=False),
        kind=kind.extension if kind is not None else "",
        status=status.value if status is not None else "",
        titles=read.texts(node, "titles", where, title=True, required=True),
        descriptions=read.texts(node, "descriptions", where, title=False, required=False),
        use_rights=read.rights(node, "use_rights", where, ["*"]),
        change_rights=read.rights(node, "change_rights", where, []),
        order=read.order(node, where),
        files=files,
    )


def _snippet(read: _Reader, node: Mapping[str, Any], i: int) -> SnippetEntry:
    where = f"snippets[{i}]"
    kind = read.required_text(node, "kind", where)
    template_id = read.id(node, "template_id", where, required=False)
    if kind == SnippetKind.PERSONAL:
        read.p.add(
            f"{where}.kind", tr("personal snippets belong to one person; packages can't hold them")
        )
    elif kind == SnippetKind.TEMPLATE and template_id is None:
        read.p.add(
            f"{where}.template_id", tr("a template snippet needs the template it belongs to")
        )
    elif kind == SnippetKind.SHARED and node.get("template_id") is not None:
        read.p.add(f"{where}.template_id", tr("only template snippets belong to a template"))
    elif kind not in (SnippetKind.SHARED, SnippetKind.TEMPLATE):
        read.p.add(f"{where}.kind", tr("must be 'shared' or 'template'"))
    rights_given = node.get("read_rights") or node.get("write_rights")
    if kind == SnippetKind.TEMPLATE and rights_given:
        read.p.add(where, tr("template snippets follow their template's rights; give none"))
    body_format = read.text(node, "body_format", where) or SnippetFormat.TEXT.value
    if body_format not in {f.value for f in SnippetFormat}:
        read.p.add(f"{where}.body_format", tr("must be 'text', 'html' or 'docx'"))
    body = node.get("body")
    title = read.required_text(node, "title", where)
    return SnippetEntry(
        where=where,
        id=read.id(node, "id", where, required=True) or "",
        kind=kind,
        title=(read.p.check(f"{where}.title", check_title, title) or "") if title else "",
        template_id=template_id,
        read_rights=read.rights(node, "read_rights", where, []),
        write_rights=read.rights(node, "write_rights", where, []),
        body_format=body_format,
        body=read.file(body, f"{where}.body") if body is not None else None,
    )


def _field(read: _Reader, node: Mapping[str, Any], i: int) -> FieldEntry:
    where = f"fields[{i}]"
    key = read.required_text(node, "key", where)
    scope = read.required_text(node, "scope", where)
    type_ = read.text(node, "type", where) or FieldType.TEXT.value
    if scope and scope not in {s.value for s in FieldScope}:
        read.p.add(f"{where}.scope", tr("must be 'user' or 'unit'"))
    if type_ not in {t.value for t in FieldType}:
        known = ", ".join(t.value for t in FieldType)
        read.p.add(f"{where}.type", tr("must be one of {known}", known=known))
    return FieldEntry(
        where=where,
        key=(read.p.check(f"{where}.key", check_field_key, key) or "") if key else "",
        scope=scope,
        type=type_,
        labels=read.texts(node, "labels", where, title=True, required=False),
        order=read.order(node, where),
    )


def _unit(read: _Reader, node: Mapping[str, Any], i: int) -> UnitEntry:
    where = f"units[{i}]"
    values: dict[str, str] = {}
    for key, value in (read._get(node, "fields", where, dict) or {}).items():
        at = f"{where}.fields.{key}"
        if read.p.check(at, check_field_key, key) is None:
            continue
        if not isinstance(value, str):
            read.p.add(at, tr("must be a string"))
            continue
        checked = read.p.check(at, check_text, value, "The value", max_length=2000, multiline=True)
        if checked is not None:
            values[key] = checked
    assignable = node.get("assignable_by")
    title = read.required_text(node, "title", where)
    return UnitEntry(
        where=where,
        id=read.id(node, "id", where, required=True) or "",
        parent_id=read.id(node, "parent_id", where, required=False),
        title=(read.p.check(f"{where}.title", check_title, title) or "") if title else "",
        fields=values,
        assignable_by=None if assignable is None else read.rights(node, "assignable_by", where, []),
        order=read.order(node, where),
    )


def _check_unique(problems: Problems, manifest: Manifest) -> None:
    sections: Iterable[tuple[str, Sequence[Entry]]] = (
        ("template_groups", manifest.template_groups),
        ("templates", manifest.templates),
        ("snippets", manifest.snippets),
        ("fields", manifest.fields),
        ("units", manifest.units),
    )
    for _section, entries in sections:
        first: dict[str, str] = {}
        for entry in entries:
            if not entry.id:
                continue
            if entry.id in first:
                what = "key" if isinstance(entry, FieldEntry) else "id"
                problems.add(
                    f"{entry.where}.{what}",
                    tr(
                        "{id!r} appears twice (also at {value}); ids must be unique",
                        id=entry.id,
                        value=first[entry.id],
                    ),
                )
            else:
                first[entry.id] = entry.where


def _check_paths(problems: Problems, manifest: Manifest) -> None:
    for path, uses in manifest.file_uses().items():
        first = uses[0]
        for use in uses[1:]:
            if use.file.sha256 != first.file.sha256:
                problems.add(
                    f"{use.where}.sha256",
                    tr(
                        "names the file {path!r} with another SHA-256 than {where} does",
                        path=path,
                        where=first.where,
                    ),
                )
            elif None not in (use.file.size, first.file.size) and use.file.size != first.file.size:
                problems.add(
                    f"{use.where}.size",
                    tr("differs from the size {where} gives", where=first.where),
                )


def _check_trees(problems: Problems, manifest: Manifest) -> None:
    trees: tuple[tuple[str, Sequence[GroupEntry | UnitEntry]], ...] = (
        ("template group", manifest.template_groups),
        ("unit", manifest.units),
    )
    for what, entries in trees:
        parents = {e.id: e.parent_id for e in entries}
        for entry in entries:
            current: str | None = entry.id
            seen: set[str] = set()
            while current is not None and current in parents:
                if current in seen:
                    problems.add(
                        f"{entry.where}.parent_id",
                        tr(
                            "the {what} entries of the package form a loop at {current!r}",
                            what=kind_label(what),
                            current=current,
                        ),
                    )
                    break
                seen.add(current)
                current = parents[current]


def parents_first(entries: Sequence[GroupEntry | UnitEntry]) -> list[GroupEntry | UnitEntry]:
    """Tree entries ordered so that a parent in the package comes before its children."""
    by_id = {e.id: e for e in entries}
    ordered: list[GroupEntry | UnitEntry] = []
    placed: set[str] = set()

    def place(entry: GroupEntry | UnitEntry, depth: int) -> None:
        if entry.id in placed or depth > len(entries):
            return
        parent = by_id.get(entry.parent_id) if entry.parent_id is not None else None
        if parent is not None:
            place(parent, depth + 1)
        placed.add(entry.id)
        ordered.append(entry)

    for entry in entries:
        place(entry, 0)
    return ordered


def stored_filename(name: str, extension: str) -> str:
    """The name a template file is stored under: the server gives it its type's extension."""
    if name.lower().endswith(f".{extension}"):
        return name
    return check_filename(f"{name.rsplit('.', 1)[0]}.{extension}")
