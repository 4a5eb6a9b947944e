"""Uploading edits: ``POST /sync/mutations`` (see docs/protocol.md, "Uploading edits").

A client sends the edits of its outbox in the order they were made. Each carries a
client-chosen ``id``; the server records it with the edit's effect in one transaction,
so a retry after a lost answer applies nothing twice and gets the first answer again.
The rules for conflicts are those of :mod:`docshelf.domain.edits`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from docshelf.domain.edits import Edit, EditKind, Op
from docshelf.protocol.auth import Strict
from docshelf.protocol.types import Id

MAX_MUTATIONS = 100

MutationId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
# Attribute names have digits too ("body_sha256").
Path = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}(\.[A-Za-z0-9_-]{1,64})?$")]
# A profile is shared with user ids, rights name principals ("*", "user:<id>",
# "group:<id>"): which one an attribute takes is checked when the edit is applied.
Member = Annotated[str, StringConstraints(pattern=r"^(\*|((user|group):)?[A-Za-z0-9_-]{1,64})$")]
Members = Annotated[list[Member], Field(max_length=500)]


class Mutation(Strict):
    id: MutationId
    kind: EditKind
    op: Op
    # The record edited; for a creation the id the client chose for the new record.
    target: Id
    set: dict[Path, Any] = Field(default_factory=dict, max_length=200)
    base: dict[Path, Any] = Field(default_factory=dict, max_length=500)
    add: dict[Path, Members] = Field(default_factory=dict, max_length=10)
    remove: dict[Path, Members] = Field(default_factory=dict, max_length=10)
    # The version of the record the client saw; for logs and support only: conflicts are
    # judged by ``base`` values, so the client's own queued edits never conflict.
    base_version: int | None = Field(default=None, ge=1)

    def edit(self) -> Edit:
        return Edit(
            kind=self.kind,
            op=self.op,
            target=self.target,
            set=dict(self.set),
            base=dict(self.base),
            add={k: list(v) for k, v in self.add.items()},
            remove={k: list(v) for k, v in self.remove.items()},
        )


class MutationsRequest(Strict):
    mutations: list[Mutation] = Field(min_length=1, max_length=MAX_MUTATIONS)


class Outcome(StrEnum):
    APPLIED = "applied"
    CONFLICT = "conflict"  # nothing applied; ``theirs`` holds the server's values
    REJECTED = "rejected"  # permanently: forbidden, invalid, target gone; ``reason`` says


class MutationResult(BaseModel):
    id: str
    outcome: Outcome
    # The record's version after the edit (absent when deleted or not applied).
    version: int | None = None
    code: str | None = None
    reason: str | None = None
    theirs: dict[str, Any] = Field(default_factory=dict)
    # True when this answer was recorded for an earlier delivery of the same mutation.
    repeated: bool = False


class MutationsAnswer(BaseModel):
    results: list[MutationResult]
