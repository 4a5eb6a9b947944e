"""Preview, import and export, as the API offers them.

An import is read and checked whole before anything is written; then, if anything is
to change, its files go into the file store and its objects into the database in one
change (one change number: clients receive the import at their next sync as one step).
A package that would change nothing writes nothing and uses no change number.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from docshelf.domain.accounts import Actor
from docshelf.domain.audit import Origin, OriginKind
from docshelf.domain.errors import Conflict
from docshelf.domain.packages import Action, PackageLimits
from docshelf.i18n import tr
from docshelf.protocol.packages import PackageInfo, PackageItem, PackagePreview, PackageReport
from docshelf.server.config import ServerSettings
from docshelf.server.packages.apply import apply_plan, store_files
from docshelf.server.packages.export import Selection, collect, write_archive
from docshelf.server.packages.plan import Plan, make_plan
from docshelf.server.packages.reader import ExtractedPackage, read_package
from docshelf.server.state import ServerState

# A package may unpack to this many times its own size limit (text compresses well,
# office files hardly at all).
UNPACK_FACTOR = 4


def limits_for(settings: ServerSettings) -> PackageLimits:
    total = settings.max_package_bytes * UNPACK_FACTOR
    return PackageLimits(
        max_file_bytes=min(settings.max_upload_bytes, total), max_total_bytes=total
    )


def new_workdir(state: ServerState, prefix: str = "package-") -> Path:
    """A private folder under the data dir for one package's upload and unpacking."""
    base = state.settings.data_dir / "tmp"
    base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=base))


def read(
    state: ServerState, archive: Path, workdir: Path, sha256: str, size: int
) -> ExtractedPackage:
    return read_package(archive, workdir, limits_for(state.settings), sha256=sha256, size=size)


# Commits of package imports name their actor so, for the dashboard to find the newest one.
PACKAGE_COMMIT_PREFIX = "package:"


def preview(state: ServerState, actor: Actor, package: ExtractedPackage) -> PackagePreview:
    with state.db.read() as session:
        plan = make_plan(session, actor, package)
    return _preview(package, plan)


class _NothingToApply(Exception):
    def __init__(self, plan: Plan) -> None:
        super().__init__("nothing to apply")
        self.plan = plan


def import_package(
    state: ServerState, actor: Actor, package: ExtractedPackage, expected_plan: str | None
) -> PackageReport:
    with state.db.read() as session:
        plan = make_plan(session, actor, package)
    _check_expected(plan, expected_plan)
    if not plan.changes_anything:
        return _report(package, plan, None)
    store_files(state.blobs, package)
    try:
        # The audit names the package by its hash until imports have ids of their own.
        origin = Origin(OriginKind.PACKAGE, package.sha256)
        with state.db.change(PACKAGE_COMMIT_PREFIX + actor.login, origin=origin) as change:
            # Planned again under the write lock: the database may have moved since.
            plan = make_plan(change.session, actor, package)
            _check_expected(plan, expected_plan)
            if not plan.changes_anything:
                # Someone imported the same meanwhile: leave, without a change number.
                raise _NothingToApply(plan)
            apply_plan(change, actor, state.blobs, plan, package)
            seq = change.seq
    except _NothingToApply as nothing:
        return _report(package, nothing.plan, None)
    return _report(package, plan, seq)


def _check_expected(plan: Plan, expected: str | None) -> None:
    if expected is not None and plan.digest != expected:
        raise Conflict(
            tr(
                "The import would no longer do what its preview showed: the server's "
                "content changed meanwhile, or this is another package. Preview it "
                "again and confirm what that shows.",
            )
        )


def export_package(state: ServerState, actor: Actor, selection: Selection, target: Path) -> None:
    with state.db.snapshot() as session:
        contents = collect(session, actor, state.blobs, selection)
    write_archive(contents, state.blobs, target)


def _item(kind: str, id: str, title: str, changes: tuple[str, ...]) -> PackageItem:
    return PackageItem(kind=kind, id=id, title=title, changes=list(changes))


def _preview(package: ExtractedPackage, plan: Plan) -> PackagePreview:
    lists: dict[Action, list[PackageItem]] = {action: [] for action in Action}
    for item in plan.items:
        lists[item.action].append(_item(item.kind, item.id, item.title, item.changes))
    manifest = package.manifest
    return PackagePreview(
        package=PackageInfo(
            sha256=package.sha256,
            size=package.size,
            format_version=manifest.format_version,
            generator=manifest.generator,
            files=len(package.files),
            unpacked_bytes=package.unpacked_bytes,
        ),
        added=lists[Action.ADDED],
        changed=lists[Action.CHANGED],
        unchanged=lists[Action.UNCHANGED],
        warnings=plan.warnings,
        plan=plan.digest,
    )


def _report(package: ExtractedPackage, plan: Plan, seq: int | None) -> PackageReport:
    preview = _preview(package, plan)
    return PackageReport(**preview.model_dump(), applied=seq is not None, seq=seq)
