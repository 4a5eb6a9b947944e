"""A permission rule's answer with its reasons: which rules held, on which facts, and what
would change the answer.

The visibility rules in ``permissions.py`` return a :class:`Decision`; their boolean
forms (``can_see_template`` ...) are ``decide_...(...).allowed``, so the explanation an
administrator reads is the very evaluation the sync feed and the change hints make.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple


class Rule(StrEnum):
    """One condition a visibility rule checks; codes, never shown as they are."""

    ACTIVE = "active"  # the template is not deactivated
    RELEASED = "released"  # its status is released
    USE = "use"  # the user holds the Use right
    SYS = "sys"  # the user is a system administrator
    CHANGE = "change"  # the user is a layouter holding the Change right
    TEMPLATE = "template"  # a template snippet's template exists
    OWNER = "owner"  # the user owns the personal snippet or profile
    SHARED_WITH = "shared_with"  # the profile is shared with the user
    READ = "read"  # the user holds a shared snippet's Read right
    WRITE = "write"  # ... or its Write right
    EVERYONE = "everyone"  # units, fields, groups: the whole organisation sees them


class Step(NamedTuple):
    """One rule as evaluated.

    ``via`` is the fact the rule rests on: the principal a right was held through
    (``*``, ``user:<id>``, ``group:<id>``), the status, the owner's id, the template's id.
    ``grants`` are the principals a right names, from which remedies are drawn.
    A named tuple: the feed decides a page of rows, with a few steps each, and a frozen
    dataclass costs twice as much to make.
    """

    rule: Rule
    held: bool
    via: str | None = None
    grants: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    steps: tuple[Step, ...]

    def step(self, rule: Rule) -> Step | None:
        return next((s for s in self.steps if s.rule is rule), None)


class Fix(StrEnum):
    """What an administrator (or an owner) could do to make the object visible."""

    ACTIVATE = "activate"  # restore the deactivated template
    RELEASE = "release"  # release the template
    JOIN_GROUP = "join_group"  # add the user to a group that holds the right
    GRANT_USE = "grant_use"  # give the user (or one of their groups) the Use right
    GRANT_READ = "grant_read"  # give the user (or one of their groups) the Read right
    SHARE_PROFILE = "share_profile"  # the owner shares the profile with the user


@dataclass(frozen=True, slots=True)
class Remedy:
    fix: Fix
    group_id: str | None = None  # for JOIN_GROUP


def _joins(step: Step) -> list[Remedy]:
    groups = sorted({p.partition(":")[2] for p in step.grants if p.startswith("group:")})
    return [Remedy(Fix.JOIN_GROUP, g) for g in groups]


# The fixes of a failed rule, when that rule lies on the way most users see things (the
# Use path of a template, the Read right of a shared snippet). Sys and the layouter's
# Change right are roles, not remedies for a reader.
def _alternatives(step: Step) -> list[Remedy]:
    if step.rule is Rule.ACTIVE:
        return [Remedy(Fix.ACTIVATE)]
    if step.rule is Rule.RELEASED:
        return [Remedy(Fix.RELEASE)]
    if step.rule is Rule.USE:
        return [*_joins(step), Remedy(Fix.GRANT_USE)]
    if step.rule is Rule.READ:
        return [*_joins(step), Remedy(Fix.GRANT_READ)]
    if step.rule is Rule.SHARED_WITH:
        return [Remedy(Fix.SHARE_PROFILE)]
    return []


Need = tuple[Remedy, ...]  # alternatives: any one of them fulfils the need


def remedies(decision: Decision) -> tuple[Need, ...]:
    """What would make a refused object visible, derived from the failed steps: every
    need must be met (a template must be active *and* released *and* used), each by any
    one of its alternatives (joining one of the granted groups, or a grant of one's own).

    Nothing for someone else's personal snippet or a template snippet whose template is
    gone: no administrator can change that.
    """
    if decision.allowed:
        return ()
    failed = [s for s in decision.steps if not s.held]
    if any(s.rule is Rule.TEMPLATE for s in failed):
        return ()
    if any(s.rule is Rule.OWNER for s in failed) and decision.step(Rule.SHARED_WITH) is None:
        return ()
    needs = (tuple(_alternatives(step)) for step in failed)
    return tuple(need for need in needs if need)
