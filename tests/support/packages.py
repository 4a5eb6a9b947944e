"""Packages for tests, built at test time: good ones from parts, and each kind of broken one.

Nothing binary lives in the repository: every archive here is written into a temporary
folder by the test that needs it.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import secrets
import struct
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def office_file(label: str = "") -> bytes:
    """A small Office Open XML file (a zip, as .docx/.xlsx/.pptx are)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        zf.writestr("word/document.xml", f"<document>{label}{secrets.token_hex(8)}</document>")
    return buffer.getvalue()


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24


def new_id() -> str:
    return secrets.token_hex(8)


@dataclass
class PackageBuilder:
    """A package's manifest and files; ``build`` writes the zip."""

    template_groups: list[dict[str, Any]] = field(default_factory=list)
    templates: list[dict[str, Any]] = field(default_factory=list)
    snippets: list[dict[str, Any]] = field(default_factory=list)
    fields: list[dict[str, Any]] = field(default_factory=list)
    units: list[dict[str, Any]] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)

    def file(self, data: bytes, extension: str) -> dict[str, Any]:
        digest = sha(data)
        path = f"files/{digest}.{extension}"
        self.files[path] = data
        return {"path": path, "sha256": digest, "size": len(data)}

    def group(self, title: str, *, parent: str | None = None, id: str | None = None) -> str:
        group_id = id or new_id()
        self.template_groups.append(
            {"id": group_id, "parent_id": parent, "titles": {"de": title}, "order": 0}
        )
        return group_id

    def template(
        self,
        title: str,
        *,
        group: str | None = None,
        kind: str = "docx",
        status: str = "released",
        files: dict[str, bytes] | None = None,
        use_rights: list[str] | None = None,
        change_rights: list[str] | None = None,
        id: str | None = None,
    ) -> str:
        template_id = id or new_id()
        files = {"de": office_file(title)} if files is None else files
        self.templates.append(
            {
                "id": template_id,
                "group_id": group,
                "kind": kind,
                "status": status,
                "titles": {"de": title},
                "descriptions": {},
                "use_rights": use_rights if use_rights is not None else ["*"],
                "change_rights": change_rights or [],
                "order": 0,
                "files": {
                    lang: {**self.file(data, kind), "filename": f"{title}.{kind}"}
                    for lang, data in files.items()
                },
            }
        )
        return template_id

    def snippet(
        self,
        title: str,
        body: str | bytes | None = "Freundliche Grüsse",
        *,
        kind: str = "shared",
        template: str | None = None,
        id: str | None = None,
    ) -> str:
        snippet_id = id or new_id()
        data = body.encode() if isinstance(body, str) else body
        self.snippets.append(
            {
                "id": snippet_id,
                "kind": kind,
                "title": title,
                "template_id": template,
                "read_rights": ["*"] if kind == "shared" else [],
                "write_rights": [],
                "body_format": "text",
                "body": self.file(data, "txt") if data is not None else None,
            }
        )
        return snippet_id

    def field(self, key: str, *, scope: str = "unit", type: str = "text") -> str:
        self.fields.append(
            {"key": key, "scope": scope, "type": type, "labels": {"de": key}, "order": 0}
        )
        return key

    def unit(
        self,
        title: str,
        *,
        parent: str | None = None,
        fields: dict[str, str] | None = None,
        id: str | None = None,
    ) -> str:
        unit_id = id or new_id()
        self.units.append(
            {
                "id": unit_id,
                "parent_id": parent,
                "title": title,
                "fields": fields or {},
                "assignable_by": None,
                "order": 0,
            }
        )
        return unit_id

    def image(self, data: bytes = PNG) -> str:
        self.images.append(self.file(data, "png"))
        return sha(data)

    def manifest(self) -> dict[str, Any]:
        return {
            "format": "docshelf-package",
            "format_version": 1,
            "generator": "docshelf tests",
            "template_groups": self.template_groups,
            "templates": self.templates,
            "snippets": self.snippets,
            "fields": self.fields,
            "units": self.units,
            "images": self.images,
        }

    def hashes(self) -> set[str]:
        return {sha(data) for data in self.files.values()}

    def build(
        self,
        target: Path,
        *,
        manifest: dict[str, Any] | bytes | None = None,
        extra: list[tuple[zipfile.ZipInfo | str, bytes]] | None = None,
        skip: set[str] | None = None,
        stored: bool = False,
    ) -> Path:
        extra = extra or []
        skip = skip or set()
        raw = manifest if isinstance(manifest, bytes) else None
        if raw is None:
            raw = json.dumps(manifest if manifest is not None else self.manifest()).encode()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # duplicate names are on purpose in some tests
            with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
                zf.writestr(MANIFEST, raw)
                method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
                for path, data in self.files.items():
                    if path not in skip:
                        zf.writestr(path, data, compress_type=method)
                for info, data in extra:
                    zf.writestr(info, data)
        return target

    def copy(self) -> PackageBuilder:
        return copy.deepcopy(self)


def sample(title: str = "Brief") -> PackageBuilder:
    """A small good package: a group with a template in two languages, a template snippet,
    a shared snippet."""
    builder = PackageBuilder()
    group = builder.group(f"{title}-Gruppe")
    template = builder.template(
        title, group=group, files={"de": office_file(title), "en": office_file(title + "-en")}
    )
    # Bodies of their own: a package's files are new to the server unless a test says so.
    builder.snippet(f"{title} Gruss", f"Grüsse {new_id()}", kind="template", template=template)
    builder.snippet(f"{title} Signatur", f"Signatur {new_id()}")
    return builder


# --- broken archives -------------------------------------------------------------------


def _symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (0o120777 << 16) | 0
    return info


def patch_declared_size(archive: Path, member: str, size: int) -> None:
    """Make the central directory claim ``size`` bytes unpacked for ``member``."""
    data = bytearray(archive.read_bytes())
    name = member.encode()
    at = 0
    while (at := data.find(b"PK\x01\x02", at)) >= 0:
        name_length = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46 : at + 46 + name_length]) == name:
            struct.pack_into("<I", data, at + 24, size)
            archive.write_bytes(bytes(data))
            return
        at += 4
    raise AssertionError(f"{member} not in {archive}")


def damage_member(archive: Path, content: bytes) -> None:
    """Flip a byte inside a stored member's data (its CRC no longer matches)."""
    data = bytearray(archive.read_bytes())
    at = data.find(content)
    assert at >= 0, "stored content not found"
    data[at + len(content) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))


BROKEN_NAMES = (
    "path_traversal",
    "absolute_path",
    "backslash",
    "symlink",
    "duplicate_member",
    "zip_bomb",
    "declared_huge",
    "corrupt_zip",
    "truncated_zip",
    "damaged_member",
    "bad_manifest",
    "manifest_not_json",
    "deeply_nested",
    "no_manifest",
    "wrong_hash",
    "unknown_format_version",
    "duplicate_ids",
    "docx_not_a_zip",
    "file_missing",
    "unknown_group",
    "wrong_extension",
)


@dataclass(frozen=True)
class Broken:
    name: str
    path: Path
    # A part of the message that says what is wrong.
    expect: str
    # Files of the package: none of them may be registered after the refusal.
    hashes: frozenset[str]
    status: int = 422
    # Found only against a server's content (a reference to something it lacks).
    needs_server: bool = False


def broken_packages(folder: Path, *, bomb_bytes: int = 3 * 1024 * 1024) -> list[Broken]:
    """Each kind of broken package, each otherwise fine. ``bomb_bytes`` must stay below the
    server's unpack limit and above 1 MiB, so that the ratio guard is what refuses it."""
    folder.mkdir(parents=True, exist_ok=True)
    found: list[Broken] = []

    def add(name: str, expect: str, builder: PackageBuilder, **build: Any) -> None:
        path = builder.build(folder / f"{name}.zip", **build)
        found.append(Broken(name, path, expect, frozenset(builder.hashes())))

    def raw(name: str, expect: str, data: bytes) -> None:
        path = folder / f"{name}.zip"
        path.write_bytes(data)
        found.append(Broken(name, path, expect, frozenset()))

    add("path_traversal", "escapes the archive", sample(), extra=[("../evil.txt", b"x")])
    add("absolute_path", "absolute path", sample(), extra=[("/etc/evil.txt", b"x")])
    add("backslash", "backslash", sample(), extra=[("files\\evil.txt", b"x")])
    add("symlink", "symbolic link", sample(), extra=[(_symlink("files/link"), b"/etc/passwd")])
    duplicate = sample()
    first_path = next(iter(duplicate.files))
    add("duplicate_member", "appears twice in the archive", duplicate, extra=[(first_path, b"x")])

    bomb = sample()
    bomb.snippet("Bombe", b"\0" * bomb_bytes)
    add("zip_bomb", "zip bomb", bomb)

    huge = sample()
    huge_path = huge.build(folder / "declared_huge.zip")
    patch_declared_size(huge_path, next(iter(huge.files)), 0xFFFFFFF0)
    found.append(Broken("declared_huge", huge_path, "unpacks to", frozenset(huge.hashes())))

    raw("corrupt_zip", "is not a zip file", b"PK\x03\x04" + secrets.token_bytes(2000))
    truncated = sample().build(folder / "whole.zip").read_bytes()
    raw("truncated_zip", "is not a zip file", truncated[: len(truncated) // 2])

    damaged = sample()
    damaged_path = damaged.build(folder / "damaged_member.zip", stored=True)
    damage_member(damaged_path, next(iter(damaged.files.values())))
    found.append(Broken("damaged_member", damaged_path, "is damaged", frozenset(damaged.hashes())))

    schema = sample()
    bad = schema.manifest()
    del bad["templates"][0]["kind"]
    add("bad_manifest", "templates[0]: 'kind' is a required property", schema, manifest=bad)
    add("manifest_not_json", "is not valid JSON", sample(), manifest=b"{not json")
    # Valid JSON, but beyond the parser's recursion limit (it used to crash the import).
    deep = b"[" * 100_000 + b"]" * 100_000
    add("deeply_nested", "manifest.json: is nested deeper than 64 levels", sample(), manifest=deep)
    no_manifest = sample()
    path = folder / "no_manifest.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for member, data in no_manifest.files.items():
            zf.writestr(member, data)
    found.append(
        Broken("no_manifest", path, "has no manifest.json", frozenset(no_manifest.hashes()))
    )

    wrong = sample()
    wrong.templates[0]["files"]["de"]["sha256"] = sha(b"something else")
    add("wrong_hash", "does not match the content", wrong)

    version = sample()
    newer = version.manifest()
    newer["format_version"] = 99
    add("unknown_format_version", "format_version 99 is not supported", version, manifest=newer)

    twice = sample()
    twice.templates.append({**twice.templates[0]})
    add("duplicate_ids", "appears twice (also at templates[0])", twice)

    not_zip = PackageBuilder()
    not_zip.template("Kein Zip", files={"de": b"This is plain text, not a Word file."})
    add("docx_not_a_zip", "is not a valid .docx file", not_zip)

    missing = sample()
    add("file_missing", "is not in the archive", missing, skip={next(iter(missing.files))})

    unknown_group = PackageBuilder()
    unknown_group.template("Verloren", group="no-such-group")
    add("unknown_group", "there is no template group 'no-such-group'", unknown_group)
    found[-1] = Broken(**{**found[-1].__dict__, "needs_server": True})

    image = PackageBuilder()
    image.image(b"GIF89a not a png at all")
    add("wrong_extension", "is not a .png image", image)
    return found


def oversized(folder: Path, size: int) -> tuple[Path, frozenset[str]]:
    """A good package that is larger than ``size`` bytes (its content doesn't compress)."""
    builder = sample()
    builder.template("Gross", files={"de": b"PK\x03\x04" + secrets.token_bytes(size)})
    path = builder.build(folder / "oversized.zip")
    assert path.stat().st_size > size
    return path, frozenset(builder.hashes())


# The broken packages the tests send, kept in the repository so that they can be looked
# at and tried by hand; made by broken_packages() and written anew with
#   python tests/support/packages.py --write-data
DATA = Path(__file__).resolve().parents[1] / "data" / "packages"


def write_data(folder: Path = DATA) -> None:
    broken = folder / "broken"
    if broken.exists():
        for old in broken.iterdir():
            old.unlink()
    cases = broken_packages(broken)
    (broken / "whole.zip").unlink(missing_ok=True)  # only the source of truncated_zip
    index = [
        {
            "name": case.name,
            "file": case.path.name,
            "expect": case.expect,
            "hashes": sorted(case.hashes),
            "status": case.status,
            "needs_server": case.needs_server,
        }
        for case in cases
    ]
    (broken / "index.json").write_text(json.dumps(index, indent=2, ensure_ascii=False) + "\n")
    sample().build(folder / "good.zip")


def load_broken(folder: Path = DATA) -> list[Broken]:
    """The broken packages kept under tests/data, as broken_packages() made them."""
    index = json.loads((folder / "broken" / "index.json").read_text())
    return [
        Broken(
            name=entry["name"],
            path=folder / "broken" / entry["file"],
            expect=entry["expect"],
            hashes=frozenset(entry["hashes"]),
            status=entry["status"],
            needs_server=entry["needs_server"],
        )
        for entry in index
    ]


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--write-data"]:
        write_data()
        print(f"written to {DATA}")
    else:
        # To look at them, or to try them against a server by hand:
        #   python tests/support/packages.py DIR
        out = Path(sys.argv[1] if len(sys.argv) > 1 else "packages")
        out.mkdir(parents=True, exist_ok=True)
        print(f"{sample().build(out / 'good.zip')}: a good package")
        for case in broken_packages(out / "broken"):
            print(f"{case.path}: {case.expect}")
