"""The visibility rules' reasons: each step of decide_template / decide_snippet /
decide_profile, the remedies drawn from the failed ones, and the group path of a right."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from docshelf.domain import permissions as rules
from docshelf.domain.accounts import Actor, Membership, actor_for, group_path
from docshelf.domain.decisions import Decision, Fix, Remedy, Rule, remedies
from docshelf.domain.principals import EVERYONE
from docshelf.domain.profiles import Profile
from docshelf.domain.snippets import Snippet, SnippetKind
from docshelf.domain.templates import PublicationStatus, Template

# anna is in Verkauf Zürich, which is in Verkauf, which is in Verträge; also in Zürich.
MEMBERSHIPS = (
    Membership("vz", user_id="anna"),
    Membership("verkauf", member_group_id="vz"),
    Membership("vertraege", member_group_id="verkauf"),
    Membership("zh", member_group_id="vz"),
    Membership("vertraege", member_group_id="zh"),  # a second, equally long way
    Membership("layouter", user_id="lea"),
)


def actor(user: str = "anna", roles: Iterable[str] = ()) -> Actor:
    return actor_for(user, user, roles, MEMBERSHIPS)


def template(
    status: PublicationStatus = PublicationStatus.RELEASED,
    *,
    active: bool = True,
    use: tuple[str, ...] = (EVERYONE,),
    change: tuple[str, ...] = (),
) -> Template:
    return Template(
        id="t1",
        group_id=None,
        kind="docx",
        status=status,
        active=active,
        use_rights=use,
        change_rights=change,
    )


def held(decision: Decision) -> dict[Rule, bool]:
    return {step.rule: step.held for step in decision.steps}


def test_a_released_template_for_everyone_holds_through_the_everyone_principal() -> None:
    decision = rules.decide_template(actor(), template())
    assert decision.allowed
    assert held(decision) == {
        Rule.ACTIVE: True,
        Rule.RELEASED: True,
        Rule.USE: True,
        Rule.SYS: False,
        Rule.CHANGE: False,
    }
    use = decision.step(Rule.USE)
    assert use is not None and use.via == EVERYONE
    assert remedies(decision) == ()


def test_the_use_step_names_the_group_it_is_held_through() -> None:
    decision = rules.decide_template(actor(), template(use=("group:other", "group:vertraege")))
    use = decision.step(Rule.USE)
    assert decision.allowed and use is not None
    assert use.via == "group:vertraege"
    assert use.grants == ("group:other", "group:vertraege")


def test_every_step_is_evaluated_even_after_one_decides() -> None:
    decision = rules.decide_template(
        actor(), template(PublicationStatus.IN_TEST, active=False, use=("group:x",))
    )
    assert not decision.allowed
    assert held(decision) == {
        Rule.ACTIVE: False,
        Rule.RELEASED: False,
        Rule.USE: False,
        Rule.SYS: False,
        Rule.CHANGE: False,
    }
    released = decision.step(Rule.RELEASED)
    assert released is not None and released.via == "in_test"


def test_remedies_of_a_template_need_all_failed_steps_and_any_group() -> None:
    decision = rules.decide_template(
        actor(),
        template(PublicationStatus.IN_PROGRESS, active=False, use=("group:b", "group:a", "*x")),
    )
    assert remedies(decision) == (
        (Remedy(Fix.ACTIVATE),),
        (Remedy(Fix.RELEASE),),
        (Remedy(Fix.JOIN_GROUP, "a"), Remedy(Fix.JOIN_GROUP, "b"), Remedy(Fix.GRANT_USE)),
    )


def test_an_unreleased_template_for_its_users_needs_only_the_release() -> None:
    decision = rules.decide_template(actor(), template(PublicationStatus.IN_TEST))
    assert remedies(decision) == ((Remedy(Fix.RELEASE),),)


def test_nobody_holding_use_offers_a_direct_grant() -> None:
    decision = rules.decide_template(actor(), template(use=()))
    assert remedies(decision) == ((Remedy(Fix.GRANT_USE),),)


def test_sys_sees_an_unreleased_template_and_the_sys_step_says_so() -> None:
    decision = rules.decide_template(actor("root", ["sys"]), template(PublicationStatus.IN_TEST))
    assert decision.allowed
    assert held(decision)[Rule.SYS] and not held(decision)[Rule.RELEASED]
    assert remedies(decision) == ()


def test_the_change_step_needs_the_layouter_role_and_names_the_right() -> None:
    unreleased = template(PublicationStatus.IN_PROGRESS, use=(), change=("group:layouter",))
    as_layouter = rules.decide_template(actor("lea", ["layouter"]), unreleased)
    change = as_layouter.step(Rule.CHANGE)
    assert as_layouter.allowed and change is not None and change.via == "group:layouter"
    # The same right without the role: no Change step held, and so not visible.
    as_user = rules.decide_template(actor("lea"), unreleased)
    assert not as_user.allowed and not held(as_user)[Rule.CHANGE]


@pytest.mark.parametrize(
    "facts",
    [
        template(),
        template(PublicationStatus.IN_TEST),
        template(active=False),
        template(use=("group:vertraege",)),
        template(PublicationStatus.IN_PROGRESS, change=("group:layouter",)),
    ],
)
@pytest.mark.parametrize("who", [actor(), actor("lea", ["layouter"]), actor("root", ["sys"])])
def test_the_boolean_rule_is_the_decision(facts: Template, who: Actor) -> None:
    assert rules.can_see_template(who, facts) is rules.decide_template(who, facts).allowed


def test_a_personal_snippet_of_someone_else_has_no_remedy() -> None:
    snippet = Snippet(id="s1", kind=SnippetKind.PERSONAL, title="x", owner_id="ben")
    decision = rules.decide_snippet(actor("root", ["sys"]), snippet)
    assert not decision.allowed
    assert [(s.rule, s.held, s.via) for s in decision.steps] == [(Rule.OWNER, False, "ben")]
    assert remedies(decision) == ()


def test_a_shared_snippet_offers_its_read_groups() -> None:
    snippet = Snippet(
        id="s1", kind=SnippetKind.SHARED, title="x", read_rights=("group:r",), write_rights=()
    )
    decision = rules.decide_snippet(actor(), snippet)
    assert not decision.allowed
    assert held(decision) == {Rule.SYS: False, Rule.READ: False, Rule.WRITE: False}
    assert remedies(decision) == ((Remedy(Fix.JOIN_GROUP, "r"), Remedy(Fix.GRANT_READ)),)
    writer = Snippet(id="s2", kind=SnippetKind.SHARED, title="x", write_rights=("group:zh",))
    step = rules.decide_snippet(actor(), writer).step(Rule.WRITE)
    assert step is not None and step.held and step.via == "group:zh"


def test_a_template_snippet_follows_its_template_with_the_templates_steps() -> None:
    snippet = Snippet(id="s1", kind=SnippetKind.TEMPLATE, title="x", template_id="t1")
    decision = rules.decide_snippet(actor(), snippet, template(PublicationStatus.IN_TEST))
    assert not decision.allowed
    assert [s.rule for s in decision.steps][:3] == [Rule.TEMPLATE, Rule.ACTIVE, Rule.RELEASED]
    assert remedies(decision) == ((Remedy(Fix.RELEASE),),)
    gone = rules.decide_snippet(actor(), snippet, None)
    assert not gone.allowed and held(gone) == {Rule.TEMPLATE: False}
    assert remedies(gone) == ()


def test_a_profile_is_its_owners_and_can_be_shared() -> None:
    profile = Profile(id="p1", owner_id="ben", unit_id=None, title="Ben", shared_with=("eva",))
    refused = rules.decide_profile(actor(), profile)
    assert not refused.allowed
    assert held(refused) == {Rule.OWNER: False, Rule.SHARED_WITH: False}
    assert remedies(refused) == ((Remedy(Fix.SHARE_PROFILE),),)
    assert rules.decide_profile(actor("eva"), profile).allowed
    assert held(rules.decide_profile(actor("ben"), profile))[Rule.OWNER]


def test_units_are_organisation_wide() -> None:
    decision = rules.decide_organisation_wide(actor())
    assert decision.allowed and held(decision) == {Rule.EVERYONE: True}


def test_group_path_is_a_shortest_chain_from_a_direct_group() -> None:
    assert group_path("anna", "vz", MEMBERSHIPS) == ("vz",)
    assert group_path("anna", "verkauf", MEMBERSHIPS) == ("vz", "verkauf")
    # Two ways of the same length: the same one every time (sorted by id).
    assert group_path("anna", "vertraege", MEMBERSHIPS) == ("vz", "verkauf", "vertraege")
    assert group_path("anna", "layouter", MEMBERSHIPS) is None
    assert group_path("nobody", "vz", MEMBERSHIPS) is None
