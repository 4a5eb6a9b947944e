"""Unpacking an uploaded package, trusting nothing it says about itself.

The archive's directory is checked first (names that would escape the archive,
symbolic links, encryption, duplicate names, declared sizes); then each member the
manifest refers to is decompressed in chunks, its bytes counted against the limits as
they come (never the sizes the archive declares), hashed and compared with the
manifest. What passes is written to a private working folder, from which an import
moves it into the file store.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from docshelf.domain.json_text import MAX_DEPTH, NestedTooDeep, parse_json
from docshelf.domain.packages import (
    HEAD_BYTES,
    MANIFEST_NAME,
    TEXT_FORMATS,
    ArchiveEntry,
    FileUse,
    InflateBudget,
    Manifest,
    PackageInvalid,
    PackageLimits,
    Problems,
    check_entries,
    check_format,
    content_problem,
    package_invalid,
    parse_manifest,
    use_problem,
)
from docshelf.i18n import tr
from docshelf.server.packages import schema

CHUNK = 256 * 1024
_SUPPORTED_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_FILE_TYPE_BITS = 0o170000
_SYMLINK = 0o120000
# What a damaged or hostile archive makes the zip module raise while reading a member.
_READ_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
    ValueError,
)


@dataclass
class ExtractedPackage:
    manifest: Manifest
    sha256: str
    size: int
    # The verified files, by SHA-256, in the working folder.
    files: dict[str, Path] = field(default_factory=dict)
    unpacked_bytes: int = 0
    warnings: list[str] = field(default_factory=list)


def read_package(
    archive: Path, workdir: Path, limits: PackageLimits, *, sha256: str, size: int
) -> ExtractedPackage:
    """Check and unpack ``archive`` into ``workdir``; raises PackageInvalid naming what is
    wrong (and where) when anything is."""
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise package_invalid(
            [
                # Not the library's reason: English words a person can do nothing with.
                tr("archive: is not a zip file, or it is damaged; export it again")
            ]
        ) from None
    with zf:
        infos = zf.infolist()
        check_entries([_entry(info) for info in infos], limits)
        by_name = {info.filename: info for info in infos}
        budget = InflateBudget(limits)
        manifest = _manifest(zf, by_name[MANIFEST_NAME], budget, limits)
        package = ExtractedPackage(manifest, sha256, size)
        _unpack_files(zf, by_name, package, budget, workdir)
        package.unpacked_bytes = budget.total
    return package


def _entry(info: zipfile.ZipInfo) -> ArchiveEntry:
    mode = info.external_attr >> 16
    return ArchiveEntry(
        name=info.filename,
        size=info.file_size,
        compressed_size=info.compress_size,
        is_dir=info.is_dir(),
        is_symlink=(mode & _FILE_TYPE_BITS) == _SYMLINK,
        encrypted=bool(info.flag_bits & 0x1),
        supported_method=info.compress_type in _SUPPORTED_METHODS,
    )


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text[:200]


def _read_member(
    zf: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    budget: InflateBudget,
    sink: Callable[[bytes], None],
    max_bytes: int | None = None,
) -> int:
    counter = budget.member(info.filename, info.compress_size, max_bytes)
    try:
        with zf.open(info) as source:
            while chunk := source.read(CHUNK):
                counter.add(len(chunk))
                sink(chunk)
    except PackageInvalid:
        raise
    except _READ_ERRORS as exc:
        raise package_invalid(
            [
                tr(
                    "archive member {filename!r}: is damaged ({value}); export it again",
                    filename=info.filename,
                    value=_reason(exc),
                )
            ]
        ) from None
    return counter.size


def _manifest(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: InflateBudget, limits: PackageLimits
) -> Manifest:
    raw = bytearray()
    _read_member(zf, info, budget, raw.extend, limits.max_manifest_bytes)
    try:
        data = parse_json(raw.decode("utf-8-sig"), MANIFEST_NAME)
    except UnicodeDecodeError:
        raise package_invalid(
            [tr("{manifest}: is not UTF-8 text", manifest=MANIFEST_NAME)]
        ) from None
    except NestedTooDeep:
        raise package_invalid(
            [
                tr(
                    "{manifest}: is nested deeper than {depth} levels of arrays "
                    "and objects, which no package manifest is; export it again",
                    manifest=MANIFEST_NAME,
                    depth=MAX_DEPTH,
                )
            ]
        ) from None
    except json.JSONDecodeError as exc:
        raise package_invalid(
            [
                tr(
                    "{manifest}: is not valid JSON (line {lineno}, column {colno}: {msg})",
                    manifest=MANIFEST_NAME,
                    lineno=exc.lineno,
                    colno=exc.colno,
                    msg=exc.msg,
                )
            ]
        ) from None
    # The version first: a newer format is told as such, not as a list of schema errors.
    check_format(data)
    schema.validate(data)
    return parse_manifest(data)


class _Sink:
    """Writes a member to disk while hashing it and keeping what the checks look at."""

    def __init__(self, target: Path, text: bool) -> None:
        self.file = target.open("wb")
        self.digest = hashlib.sha256()
        self.head = bytearray()
        self._decoder = codecs.getincrementaldecoder("utf-8")() if text else None
        self.text_ok = True

    def __call__(self, chunk: bytes) -> None:
        self.digest.update(chunk)
        self.file.write(chunk)
        if len(self.head) < HEAD_BYTES:
            self.head.extend(chunk[: HEAD_BYTES - len(self.head)])
        if self._decoder is not None and self.text_ok:
            try:
                self._decoder.decode(chunk)
            except UnicodeDecodeError:
                self.text_ok = False

    def finish(self) -> None:
        self.file.close()
        if self._decoder is not None and self.text_ok:
            try:
                self._decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                self.text_ok = False


def _unpack_files(
    zf: zipfile.ZipFile,
    by_name: dict[str, zipfile.ZipInfo],
    package: ExtractedPackage,
    budget: InflateBudget,
    workdir: Path,
) -> None:
    problems = Problems(MANIFEST_NAME)
    uses_by_path = package.manifest.file_uses()
    for number, (path, uses) in enumerate(sorted(uses_by_path.items())):
        info = by_name.get(path)
        if info is None or info.is_dir():
            problems.add(f"{uses[0].where}.path", tr("{path!r} is not in the archive", path=path))
            continue
        sink = _Sink(workdir / f"file-{number}", any(u.expect in TEXT_FORMATS for u in uses))
        try:
            size = _read_member(zf, info, budget, sink)
        finally:
            sink.finish()
        if _verify(problems, path, uses, sink, size):
            package.files[sink.digest.hexdigest()] = workdir / f"file-{number}"
    problems.raise_if_any()
    for name, info in by_name.items():
        if name != MANIFEST_NAME and name not in uses_by_path and not info.is_dir():
            package.warnings.append(
                tr(
                    "The archive member {name!r} is not named in {manifest}; it was ignored.",
                    name=name,
                    manifest=MANIFEST_NAME,
                )
            )


def _verify(problems: Problems, path: str, uses: list[FileUse], sink: _Sink, size: int) -> bool:
    before = len(problems.messages)
    actual = sink.digest.hexdigest()
    first = uses[0]
    if first.file.sha256 != actual:
        problems.add(
            f"{first.where}.sha256",
            tr(
                "does not match the content of {path!r} (which has SHA-256 {actual})",
                path=path,
                actual=actual,
            ),
        )
    if first.file.size is not None and first.file.size != size:
        problems.add(
            f"{first.where}.size",
            tr(
                "is {given}, but {path!r} has {size} bytes",
                given=first.file.size,
                path=path,
                size=size,
            ),
        )
    misused = False
    for use in uses:
        problem = use_problem(use.expect, bytes(sink.head))
        if problem is None and use.expect in TEXT_FORMATS and not sink.text_ok:
            problem = tr("is not UTF-8 text")
        if problem is not None:
            misused = True
            problems.add(use.where, tr("{path!r} {problem}", path=path, problem=problem))
    problem = None if misused else content_problem(path, bytes(sink.head))
    if problem is not None:
        problems.add(f"{first.where}.path", tr("{path!r} {problem}", path=path, problem=problem))
    return len(problems.messages) == before
