"""Applying the edits clients upload (``POST /sync/mutations``; docs/protocol.md,
"Uploading edits").

Each edit runs in a change transaction of its own, through the same service functions
as the administration API (:mod:`.edit_patches` makes the patch), so every check of
input and rights applies: nothing a client sends is trusted. Conflicts are judged by
:mod:`docshelf.domain.edits` against the record as the caller sees it, read inside that
transaction.

Every answer is stored under the mutation's id. An applied edit's answer is written in
the same transaction as its effect, so the two commit together or not at all; a repeated
delivery (the client never got the answer) finds it and gets it again instead of applying
the edit twice. Conflicts, rejections and edits that change nothing are answered after
their transaction was rolled back, so they use no change number; their answers are
stored on their own. Concurrent deliveries of one id are decided by the primary key.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError

from docshelf.domain.accounts import Actor
from docshelf.domain.audit import Origin, OriginKind
from docshelf.domain.edits import Edit, Op, conflicts
from docshelf.domain.errors import Conflict, DocshelfError, Forbidden, InvalidInput, NotFound
from docshelf.domain.kinds import kind_label
from docshelf.i18n import tr
from docshelf.protocol.mutations import Mutation, MutationResult, MutationsAnswer, Outcome
from docshelf.server.blobstore import BlobStore
from docshelf.server.db.engine import Change, Database
from docshelf.server.db.models import AppliedMutation
from docshelf.server.services.auth import Caller
from docshelf.server.sync.edit_patches import HANDLERS, checked, create, update
from docshelf.server.sync.view import View

log = logging.getLogger("docshelf.server.mutations")

# Refusals that will not change however often the edit is sent again. Anything else
# (the database away, a bug) fails the request: the client sends the rest again later.
PERMANENT = (Forbidden, InvalidInput, NotFound, Conflict)


class _Answered(Exception):
    """An answer found inside a change that must leave nothing behind."""

    def __init__(self, result: MutationResult) -> None:
        super().__init__(result.outcome.value)
        self.result = result


class _Repeated(Exception):
    """The mutation's answer was stored meanwhile, by a concurrent delivery."""


# --- judging and applying one edit ---------------------------------------------------------


def _applied(mutation_id: str, version: int | None) -> MutationResult:
    return MutationResult(id=mutation_id, outcome=Outcome.APPLIED, version=version)


def _content(record: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key != "version"}


def _apply(
    change: Change, blobs: BlobStore, actor: Actor, mutation_id: str, edit: Edit
) -> MutationResult:
    handler = HANDLERS[edit.kind]
    session = change.session
    row = session.get(handler.model, edit.target)
    if edit.op is Op.CREATE:
        if row is not None:
            # The same mutation created it would have been found as a repeat already.
            raise Conflict(
                tr(
                    "There is already a {what} with id {target!r}; create yours under a new id.",
                    what=kind_label(handler.what),
                    target=edit.target,
                )
            )
        created = create(change, actor, blobs, edit)
        session.flush()
        return _applied(mutation_id, created.version)

    kind = edit.kind.value
    view = View(session, actor)
    # What the caller no longer sees counts as gone, so the answer tells nothing about
    # whether it still exists for others.
    if row is None or not view.visible(kind, row):
        if edit.op is Op.DELETE:
            raise _Answered(_applied(mutation_id, None))
        raise NotFound(
            tr(
                "The {what} was deleted meanwhile (or you may no longer see it); your "
                "change to it was not applied.",
                what=kind_label(handler.what),
            )
        )
    before = view.record(kind, row)
    theirs = conflicts(edit, before)
    # The services run even when the edit conflicts: a refusal (no right, invalid value)
    # is the more useful answer, as resolving the conflict would not help.
    if edit.op is Op.DELETE:
        handler.delete(change, actor, row)
    else:
        update(change, actor, blobs, row, edit)
    session.flush()
    if theirs:
        raise _Answered(
            MutationResult(
                id=mutation_id,
                outcome=Outcome.CONFLICT,
                code="conflict",
                reason=tr(
                    "Someone changed this {what} meanwhile: {attributes}. The server kept"
                    " their version; yours is kept as a conflicted copy.",
                    what=kind_label(handler.what),
                    attributes=", ".join(sorted(theirs)),
                ),
                theirs=theirs,
            )
        )
    if edit.op is Op.DELETE:
        return _applied(mutation_id, None)
    after = view.record(kind, row)
    if _content(after) == _content(before):
        # Already as the caller wants it: nothing to write, no new version for anyone.
        raise _Answered(_applied(mutation_id, before["version"]))
    return _applied(mutation_id, after["version"])


def _row(caller: Caller, result: MutationResult) -> AppliedMutation:
    return AppliedMutation(
        id=result.id,
        user_id=caller.actor.user_id,
        device_id=caller.device_id,
        outcome=result.outcome.value,
        answer=result.model_dump(mode="json", exclude={"repeated"}),
    )


def _stored(db: Database, mutation_id: str) -> AppliedMutation | None:
    with db.read() as session:
        return session.get(AppliedMutation, mutation_id)


def _replay(stored: AppliedMutation, caller: Caller) -> MutationResult:
    if stored.user_id != caller.actor.user_id:
        # Someone else's edit: say nothing about it, not even its outcome.
        return MutationResult(
            id=stored.id,
            outcome=Outcome.REJECTED,
            code=InvalidInput.code,
            reason="This edit's id was used by another edit before; send it under a new id.",
        )
    result = MutationResult.model_validate(stored.answer)
    return result.model_copy(update={"repeated": True})


def _record(db: Database, caller: Caller, result: MutationResult) -> MutationResult:
    """Store an answer that has no effect to commit with (conflict, rejection, no-op)."""
    try:
        with db.write() as session:
            session.add(_row(caller, result))
    except IntegrityError:
        stored = _stored(db, result.id)
        if stored is None:
            raise
        return _replay(stored, caller)
    return result


def _rejected(mutation_id: str, error: DocshelfError) -> MutationResult:
    return MutationResult(
        id=mutation_id, outcome=Outcome.REJECTED, code=error.code, reason=error.message
    )


def apply_mutation(
    db: Database, blobs: BlobStore, caller: Caller, mutation: Mutation
) -> MutationResult:
    stored = _stored(db, mutation.id)
    if stored is not None:
        return _replay(stored, caller)
    try:
        edit = checked(mutation.edit())
    except InvalidInput as exc:
        return _record(db, caller, _rejected(mutation.id, exc))
    try:
        origin = Origin(OriginKind.SYNC, mutation.id)
        with db.change(caller.actor.login, origin=origin) as change:
            # Asked again now that this transaction holds the change counter: a
            # concurrent delivery of the same id has committed by now if it applied.
            if change.session.get(AppliedMutation, mutation.id) is not None:
                raise _Repeated
            result = _apply(change, blobs, caller.actor, mutation.id, edit)
            change.session.add(_row(caller, result))
            change.session.flush()
    except _Answered as answered:
        result = _record(db, caller, answered.result)
    except PERMANENT as exc:
        result = _record(db, caller, _rejected(mutation.id, exc))
    except (_Repeated, IntegrityError):
        stored = _stored(db, mutation.id)
        if stored is None:
            raise
        return _replay(stored, caller)
    if result.outcome is not Outcome.APPLIED:
        log.info(
            "edit not applied",
            extra={
                "event": "mutation",
                "mutation": mutation.id,
                "kind": mutation.kind.value,
                "target": mutation.target,
                "outcome": result.outcome.value,
                "code": result.code,
            },
        )
    return result


def apply_mutations(
    db: Database, blobs: BlobStore, caller: Caller, mutations: list[Mutation]
) -> MutationsAnswer:
    """Apply edits in the order given, each on its own: one refused edit stops no other."""
    return MutationsAnswer(results=[apply_mutation(db, blobs, caller, m) for m in mutations])
