"""The archive: which member names are safe, how far a package may unpack, and whether a
file's first bytes fit what its name or its use says it is."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from docshelf.domain.errors import InvalidInput
from docshelf.domain.packages.problems import MANIFEST_NAME, Problems, package_invalid
from docshelf.domain.snippets import SnippetFormat
from docshelf.domain.templates import FILE_KINDS, check_file_matches_kind
from docshelf.i18n import tr

MiB = 1024 * 1024


@dataclass(frozen=True)
class PackageLimits:
    """How large a package may be once unpacked. Sizes an archive declares are checked up
    front, but never trusted: the reader counts the bytes as it decompresses them."""

    max_entries: int = 10_000
    max_manifest_bytes: int = 16 * MiB
    max_file_bytes: int = 512 * MiB
    max_total_bytes: int = 2048 * MiB
    # Office files, images and text rarely compress beyond 20:1; a member that does more
    # than this once it is past ``ratio_grace_bytes`` is taken for a zip bomb.
    max_ratio: int = 100
    ratio_grace_bytes: int = 1 * MiB


@dataclass(frozen=True)
class ArchiveEntry:
    """What a zip's central directory says about one member."""

    name: str
    size: int
    compressed_size: int
    is_dir: bool = False
    is_symlink: bool = False
    encrypted: bool = False
    supported_method: bool = True


_DRIVE_RE = re.compile(r"^[A-Za-z]:")
_NAME_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
MAX_NAME_LENGTH = 512


def member_name_problem(name: str) -> str | None:
    """Why an archive member's name is unsafe, or None.

    Nothing here is unpacked to a path built from a name, but a name that would escape the
    folder someone unpacks the archive into marks a crafted or broken package."""
    if not name or name == "/":
        return tr("has an empty name")
    if "\\" in name:
        return tr("contains a backslash; use '/' between folders")
    if name.startswith("/") or _DRIVE_RE.match(name):
        return tr("is an absolute path; names must be relative to the archive")
    parts = name.removesuffix("/").split("/")
    if ".." in parts:
        return tr("escapes the archive ('..' in the path)")
    if any(part in ("", ".") for part in parts):
        return tr("has an empty or '.' part")
    if _NAME_CONTROL_RE.search(name):
        return tr("contains control characters")
    if len(name) > MAX_NAME_LENGTH:
        return tr("is longer than {limit} characters", limit=MAX_NAME_LENGTH)
    return None


def check_entries(entries: Sequence[ArchiveEntry], limits: PackageLimits) -> None:
    """Refuse an archive whose directory alone shows it unsafe or too large."""
    problems = Problems()
    if len(entries) > limits.max_entries:
        problems.add(
            "archive",
            tr(
                "holds {entries_count} entries; a package may hold at most {max_entries}",
                entries_count=len(entries),
                max_entries=limits.max_entries,
            ),
        )
        problems.raise_if_any()
    seen: set[str] = set()
    for entry in entries:
        where = f"archive member {entry.name!r}"
        for problem in _entry_problems(entry, limits):
            problems.add(where, problem)
        if entry.name in seen:
            problems.add(where, tr("appears twice in the archive"))
        seen.add(entry.name)
    declared = sum(max(entry.size, 0) for entry in entries)
    if declared > limits.max_total_bytes:
        problems.add(
            "archive",
            tr(
                "unpacks to {declared} bytes; a package may unpack to at most {max_total_bytes}",
                declared=declared,
                max_total_bytes=limits.max_total_bytes,
            ),
        )
    if MANIFEST_NAME not in seen:
        problems.add("archive", tr("has no {manifest} at its top level", manifest=MANIFEST_NAME))
    problems.raise_if_any()


def _entry_problems(entry: ArchiveEntry, limits: PackageLimits) -> list[str]:
    found: list[str] = []
    problem = member_name_problem(entry.name)
    if problem is not None:
        found.append(problem)
    if entry.is_symlink:
        found.append(tr("is a symbolic link; packages hold plain files only"))
    if entry.encrypted:
        found.append(tr("is encrypted; packages must not be encrypted"))
    if not entry.supported_method:
        found.append(tr("uses a compression method other than 'stored' or 'deflate'"))
    if entry.size > limits.max_file_bytes:
        found.append(
            tr(
                "unpacks to {size} bytes; one file may have at most {limit}",
                size=entry.size,
                limit=limits.max_file_bytes,
            )
        )
    return found


class InflateBudget:
    """Counts the bytes really decompressed, whatever sizes the archive declares."""

    def __init__(self, limits: PackageLimits) -> None:
        self.limits = limits
        self.total = 0

    def member(self, name: str, compressed_size: int, max_bytes: int | None = None) -> MemberBudget:
        limit = min(max_bytes or self.limits.max_file_bytes, self.limits.max_file_bytes)
        return MemberBudget(self, name, compressed_size, limit)


class MemberBudget:
    def __init__(self, budget: InflateBudget, name: str, compressed_size: int, limit: int):
        self._budget = budget
        self._name = name
        self._compressed = max(compressed_size, 1)
        self._limit = limit
        self.size = 0

    def add(self, count: int) -> None:
        self.size += count
        self._budget.total += count
        limits = self._budget.limits
        where = f"archive member {self._name!r}"
        if self.size > self._limit:
            raise package_invalid(
                [tr("{where}: unpacks to more than {limit} bytes", where=where, limit=self._limit)]
            )
        if self._budget.total > limits.max_total_bytes:
            raise package_invalid(
                [
                    tr(
                        "archive: unpacks to more than {max_total_bytes} bytes in all",
                        max_total_bytes=limits.max_total_bytes,
                    )
                ]
            )
        if self.size > limits.ratio_grace_bytes and self.size > limits.max_ratio * self._compressed:
            raise package_invalid(
                [
                    tr(
                        "{where}: is compressed more than {max_ratio}:1, which only zip bombs "
                        "do; refused",
                        where=where,
                        max_ratio=limits.max_ratio,
                    )
                ]
            )


# --- file contents ---------------------------------------------------------------------

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
IMAGE_TYPES: Mapping[str, tuple[bytes, ...]] = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "bmp": (b"BM",),
    "webp": (b"RIFF",),
    "svg": (b"<?xml", b"<svg", b"\xef\xbb\xbf<"),
}
HEAD_BYTES = 16


def extension_of(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def image_extension(head: bytes) -> str:
    """The usual extension of an image by its first bytes ("bin" if unknown)."""
    for ext in ("png", "jpg", "gif", "bmp", "svg"):
        if head.startswith(IMAGE_TYPES[ext]):
            return ext
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp"
    return "bin"


def content_problem(path: str, head: bytes) -> str | None:
    """Does the file's start fit what its extension says? (None: it does, or unknown)."""
    ext = extension_of(path)
    if ext in FILE_KINDS:
        magic = _OLE_MAGIC if FILE_KINDS[ext].application == "outlook" else _ZIP_MAGIC
        if not head.startswith(magic):
            return tr("is not a valid .{ext} file (its content is of another type)", ext=ext)
    elif ext in IMAGE_TYPES and not head.startswith(IMAGE_TYPES[ext]):
        return tr("is not a .{ext} image (its content is of another type)", ext=ext)
    return None


TEXT_FORMATS = (SnippetFormat.TEXT.value, SnippetFormat.HTML.value)


def use_problem(expect: str, head: bytes) -> str | None:
    """Does a file's start fit what the manifest uses it as (a template type, a snippet
    body in .docx)? Text bodies are checked whole, as UTF-8, by the reader."""
    kind = FILE_KINDS.get(expect)
    if kind is None:
        return None
    try:
        check_file_matches_kind(kind, head)
    except InvalidInput:
        return tr(
            "is not a valid .{ext} file; export it again from the office application",
            ext=kind.extension,
        )
    return None
