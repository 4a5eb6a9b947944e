"""The feed's quick visibility checks answer as the explained decisions do.

can_see_template and can_see_profile skip building a decision's steps (the change feed
asks for every row it sends); every combination of the facts they read is compared here
with decide_template and decide_profile.
"""

from __future__ import annotations

from itertools import product

from docshelf.domain.accounts import Actor, Role
from docshelf.domain.permissions import (
    can_see_profile,
    can_see_template,
    decide_profile,
    decide_template,
)
from docshelf.domain.principals import EVERYONE, group_principal, user_principal
from docshelf.domain.templates import PublicationStatus
from docshelf.server.hints.match import ProfileFacts, TemplateFacts

ROLE_SETS = [
    frozenset({Role.USER}),
    frozenset({Role.USER, Role.LAYOUTER}),
    frozenset({Role.USER, Role.SYS}),
    frozenset({Role.USER, Role.ORG}),
]
ACTORS = [
    Actor(user_id="u1", login="anna", roles=roles, groups=groups)
    for roles, groups in product(ROLE_SETS, [frozenset(), frozenset({"g1"})])
]
RIGHTS = [(), (EVERYONE,), (user_principal("u1"),), (group_principal("g1"),), ("group:other",)]


def test_can_see_template_answers_as_decide_template() -> None:
    statuses = [status.value for status in PublicationStatus]
    rows = [
        TemplateFacts("t", active, status, use, change)
        for active, status, use, change in product([True, False], statuses, RIGHTS, RIGHTS)
    ]
    for actor, row in product(ACTORS, rows):
        assert can_see_template(actor, row) == decide_template(actor, row).allowed, (actor, row)


def test_can_see_profile_answers_as_decide_profile() -> None:
    rows = [
        ProfileFacts(owner, shared)
        for owner, shared in product(["u1", "u2"], [(), ("u1",), ("u2",), ("u2", "u1")])
    ]
    for actor, row in product(ACTORS, rows):
        assert can_see_profile(actor, row) == decide_profile(actor, row).allowed, (actor, row)
