"""Why a user does or doesn't see an object: the permission rules' answer, step by step."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

ExplainKind = Literal["template", "snippet", "profile", "unit"]


class ExplainedStep(BaseModel):
    rule: str  # a code (domain.decisions.Rule): active, released, use, sys, change, ...
    held: bool
    text: str  # the step in the request's language
    # The principal a right was held through ("*", "user:<id>", "group:<id>") or the fact the
    # rule rests on (a status, an owner's id); and for a group, the group names from one the
    # user is a direct member of up to the one that holds the right.
    via: str | None = None
    path: list[str] = []


class Remedy(BaseModel):
    fix: str  # a code (domain.decisions.Fix): release, activate, join_group, ...
    group_id: str | None = None
    text: str


class Explanation(BaseModel):
    user_id: str
    login: str
    account_active: bool
    kind: ExplainKind
    object_id: str
    title: str
    allowed: bool
    summary: str
    steps: list[ExplainedStep]
    # Every need must be met; any one remedy of a need meets it.
    needs: list[list[Remedy]]
