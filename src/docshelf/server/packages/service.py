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
from docshelf.protocol.packages import (
    PackageHistory,
    PackageHistoryEntry,
    PackageInfo,
    PackageItem,
    PackagePreview,
    PackageReport,
    RevertPreview,
    RevertReport,
)
from docshelf.server.config import ServerSettings
from docshelf.server.packages.apply import apply_plan, store_files
from docshelf.server.packages.export import Selection, collect, write_archive
from docshelf.server.packages.history import IMPORT, Recorder, entries
from docshelf.server.packages.plan import Plan, make_plan
from docshelf.server.packages.reader import ExtractedPackage, read_package
from docshelf.server.packages.revert import (
    ADDED,
    CHANGED,
    REMOVED,
    UNCHANGED,
    RevertPlan,
    apply_revert,
    make_revert_plan,
    require_may_revert,
)
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
        # Named by its number in the package history once that is drawn (history.Recorder).
        origin = Origin(OriginKind.PACKAGE, package.sha256)
        with state.db.change(PACKAGE_COMMIT_PREFIX + actor.login, origin=origin) as change:
            # Planned again under the write lock: the database may have moved since.
            plan = make_plan(change.session, actor, package)
            _check_expected(plan, expected_plan)
            if not plan.changes_anything:
                # Someone imported the same meanwhile: leave, without a change number.
                raise _NothingToApply(plan)
            recorder = Recorder(change, actor, state.blobs)
            for item in plan.items:
                if item.action is not Action.UNCHANGED:
                    recorder.before(item.kind, item.id, item.title)
            apply_plan(change, actor, state.blobs, plan, package)
            recorder.finish(IMPORT, package_sha256=package.sha256)
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


# --- history and revert ------------------------------------------------------------------

# Commits of reverts, like those of imports, name their actor.
REVERT_COMMIT_PREFIX = "revert:"


def package_history(state: ServerState, actor: Actor, limit: int = 200) -> PackageHistory:
    require_may_revert(actor)
    with state.db.read() as session:
        rows = entries(session, limit)
    return PackageHistory(
        entries=[
            PackageHistoryEntry(
                id=row.id,
                kind=row.kind,
                created_at=row.created_at,
                actor=row.actor_login,
                package_sha256=row.package_sha256,
                reverts=row.reverts_id,
                reverted_by=reverted_by,
                seq=row.seq,
                created=int(row.summary.get("created", 0)),
                changed=int(row.summary.get("changed", 0)),
                deleted=int(row.summary.get("deleted", 0)),
            )
            for row, reverted_by in rows
        ]
    )


def revert_preview(
    state: ServerState, actor: Actor, import_id: int, include: list[str]
) -> RevertPreview:
    """What reverting would do; writes nothing."""
    with state.db.read() as session:
        plan = make_revert_plan(session, actor, import_id, include)
    return _revert_preview(plan, include)


class _NothingToRevert(Exception):
    def __init__(self, plan: RevertPlan) -> None:
        super().__init__("nothing to revert")
        self.plan = plan


def revert(
    state: ServerState,
    actor: Actor,
    import_id: int,
    include: list[str],
    expected_plan: str | None,
) -> RevertReport:
    """Revert in one new change, recorded in the history; nothing to do uses no change."""
    with state.db.read() as session:
        plan = make_revert_plan(session, actor, import_id, include)
    _check_expected_revert(plan, expected_plan)
    if not plan.to_apply:
        return _revert_report(plan, include, None, None)
    try:
        origin = Origin(OriginKind.PACKAGE, f"revert:{import_id}")
        with state.db.change(REVERT_COMMIT_PREFIX + actor.login, origin=origin) as change:
            # Planned again under the write lock: someone may have changed an object since.
            plan = make_revert_plan(change.session, actor, import_id, include)
            _check_expected_revert(plan, expected_plan)
            if not plan.to_apply:
                raise _NothingToRevert(plan)
            entry = apply_revert(change, actor, state.blobs, plan)
            seq = change.seq
    except _NothingToRevert as nothing:
        return _revert_report(nothing.plan, include, None, None)
    return _revert_report(plan, include, seq, entry)


def _check_expected_revert(plan: RevertPlan, expected: str | None) -> None:
    if expected is not None and plan.digest != expected:
        raise Conflict(
            tr(
                "The revert would no longer do what its preview showed: objects changed "
                "meanwhile. Preview it again and confirm what that shows.",
            )
        )


def _revert_preview(plan: RevertPlan, include: list[str]) -> RevertPreview:
    lists: dict[str, list[PackageItem]] = {a: [] for a in (ADDED, CHANGED, REMOVED, UNCHANGED)}
    since: list[PackageItem] = []
    for step in plan.steps:
        item = _item(step.kind, step.id, step.title, step.changes)
        if step.since:
            since.append(item)
        if not step.skipped:
            lists[step.action].append(item)
        elif not step.since:  # kept for what it holds (see the warnings)
            lists[UNCHANGED].append(item)
    return RevertPreview(
        import_id=plan.record.id,
        added=lists[ADDED],
        changed=lists[CHANGED],
        removed=lists[REMOVED],
        unchanged=lists[UNCHANGED],
        changed_since=since,
        included=sorted(set(include)),
        warnings=plan.warnings,
        plan=plan.digest,
    )


def _revert_report(
    plan: RevertPlan, include: list[str], seq: int | None, entry: int | None
) -> RevertReport:
    preview = _revert_preview(plan, include)
    return RevertReport(**preview.model_dump(), applied=seq is not None, seq=seq, entry=entry)
