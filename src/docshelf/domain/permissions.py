"""Who may see and who may change what: every rule in one place, no I/O.

The server applies these rules on every request and when it decides which rows
a client receives; the client uses the same rules to refuse early what is
obviously forbidden (the server still decides).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from docshelf.domain.accounts import Actor, Role
from docshelf.domain.decisions import Decision, Rule, Step
from docshelf.domain.errors import Forbidden
from docshelf.domain.snippets import SnippetKind
from docshelf.domain.templates import PublicationStatus

# What the rules read of an entity. The domain entities have these attributes, and so do the
# server's database rows: the sync feed decides thousands of rows per page and need not
# build an entity for each. Kinds and statuses are compared by value, so a row's plain
# string works as well as the enum.


class TemplateFacts(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def active(self) -> bool: ...
    @property
    def status(self) -> str: ...
    @property
    def use_rights(self) -> Iterable[str]: ...
    @property
    def change_rights(self) -> Iterable[str]: ...


class SnippetFacts(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def owner_id(self) -> str | None: ...
    @property
    def template_id(self) -> str | None: ...
    @property
    def read_rights(self) -> Iterable[str]: ...
    @property
    def write_rights(self) -> Iterable[str]: ...


class ProfileFacts(Protocol):
    @property
    def owner_id(self) -> str: ...
    @property
    def shared_with(self) -> Iterable[str]: ...


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise Forbidden(message)


# --- templates -----------------------------------------------------------------------


def holds_change(actor: Actor, template: TemplateFacts) -> bool:
    return actor.has_role(Role.LAYOUTER) and actor.holds(template.change_rights)


def decide_template(actor: Actor, template: TemplateFacts) -> Decision:
    """Released templates to holders of Use; unreleased ones to Sys and their layouters.

    A deactivated template is visible to nobody's client: deleting deactivates,
    and what is deleted must leave every desk.
    """
    # Every step is evaluated, not only up to the first that decides: the explanation
    # shows them all, and a refusal's remedies need every failed one.
    active = template.active
    status = str(template.status)
    released = status == PublicationStatus.RELEASED
    use = actor.through(template.use_rights)
    is_layouter = actor.has_role(Role.LAYOUTER)
    change = actor.through(template.change_rights) if is_layouter else None
    is_sys = actor.is_sys
    allowed = _template_visible(active, released, use is not None, is_sys, change is not None)
    return Decision(
        allowed,
        (
            Step(Rule.ACTIVE, active),
            Step(Rule.RELEASED, released, status),
            Step(Rule.USE, use is not None, use, tuple(template.use_rights)),
            Step(Rule.SYS, is_sys),
            Step(Rule.CHANGE, change is not None, change, tuple(template.change_rights)),
        ),
    )


def _template_visible(active: bool, released: bool, use: bool, is_sys: bool, change: bool) -> bool:
    """The visibility rule itself: decide_template explains it, can_see_template answers it."""
    return active and ((released and use) or is_sys or change)


def can_see_template(actor: Actor, template: TemplateFacts) -> bool:
    """decide_template's answer from the same rule, without the steps that explain it: the
    change feed asks for every template row it sends, and building the steps cost more than
    the rule (tests/unit/test_permission_shortcuts.py holds the two to the same answers)."""
    return _template_visible(
        template.active,
        str(template.status) == PublicationStatus.RELEASED,
        actor.holds(template.use_rights),
        actor.is_sys,
        holds_change(actor, template),
    )


def can_change_template(actor: Actor, template: TemplateFacts) -> bool:
    return actor.is_sys or holds_change(actor, template)


def can_administer_template(actor: Actor, template: TemplateFacts) -> bool:
    """Seeing a template in the administration lists, deactivated ones included."""
    return can_change_template(actor, template)


def can_create_templates(actor: Actor) -> bool:
    return actor.is_sys or actor.has_role(Role.LAYOUTER)


def can_restore_or_purge_templates(actor: Actor) -> bool:
    return actor.is_sys


def can_manage_template_groups(actor: Actor) -> bool:
    return actor.is_sys or actor.has_role(Role.LAYOUTER)


# --- snippets ------------------------------------------------------------------------


def _own_template(snippet: SnippetFacts, template: TemplateFacts | None) -> TemplateFacts | None:
    """``template`` if it is the one the template snippet belongs to, else None."""
    if template is None or template.id != snippet.template_id:
        return None
    return template


def decide_snippet(
    actor: Actor, snippet: SnippetFacts, template: TemplateFacts | None = None
) -> Decision:
    """``template`` is the template a template snippet belongs to (None if it is gone)."""
    if snippet.kind == SnippetKind.PERSONAL:
        # The owner's alone: not even Sys sees someone else's personal snippet.
        mine = snippet.owner_id == actor.user_id
        return Decision(mine, (Step(Rule.OWNER, mine, snippet.owner_id),))
    if snippet.kind == SnippetKind.SHARED:
        is_sys = actor.is_sys
        read = actor.through(snippet.read_rights)
        write = actor.through(snippet.write_rights)
        allowed = is_sys or read is not None or write is not None
        return Decision(
            allowed,
            (
                Step(Rule.SYS, is_sys),
                Step(Rule.READ, read is not None, read, tuple(snippet.read_rights)),
                Step(Rule.WRITE, write is not None, write, tuple(snippet.write_rights)),
            ),
        )
    parent = _own_template(snippet, template)
    if parent is None:
        return Decision(False, (Step(Rule.TEMPLATE, False, snippet.template_id),))
    follows = decide_template(actor, parent)
    own = Step(Rule.TEMPLATE, True, snippet.template_id)
    return Decision(follows.allowed, (own, *follows.steps))


def can_see_snippet(
    actor: Actor, snippet: SnippetFacts, template: TemplateFacts | None = None
) -> bool:
    return decide_snippet(actor, snippet, template).allowed


def can_change_snippet(
    actor: Actor, snippet: SnippetFacts, template: TemplateFacts | None = None
) -> bool:
    if snippet.kind == SnippetKind.PERSONAL:
        return snippet.owner_id == actor.user_id
    if snippet.kind == SnippetKind.SHARED:
        return actor.is_sys or actor.holds(snippet.write_rights)
    parent = _own_template(snippet, template)
    return parent is not None and can_change_template(actor, parent)


def can_create_snippet(
    actor: Actor, kind: SnippetKind, template: TemplateFacts | None = None
) -> bool:
    if kind is SnippetKind.PERSONAL:
        return True
    if kind is SnippetKind.SHARED:
        return actor.is_sys or actor.has_role(Role.LAYOUTER)
    return template is not None and can_change_template(actor, template)


# --- profiles ------------------------------------------------------------------------


def decide_profile(actor: Actor, profile: ProfileFacts) -> Decision:
    mine = profile.owner_id == actor.user_id
    shared = actor.user_id in profile.shared_with
    return Decision(
        _profile_visible(mine, shared),
        (Step(Rule.OWNER, mine, profile.owner_id), Step(Rule.SHARED_WITH, shared)),
    )


def _profile_visible(mine: bool, shared: bool) -> bool:
    """The visibility rule of a profile: decide_profile explains it, can_see_profile answers it."""
    return mine or shared


def can_see_profile(actor: Actor, profile: ProfileFacts) -> bool:
    """decide_profile's answer without its explanation (see can_see_template)."""
    return _profile_visible(profile.owner_id == actor.user_id, actor.user_id in profile.shared_with)


def decide_organisation_wide(actor: Actor) -> Decision:
    """Units, field definitions, groups and template groups: every client holds them all."""
    return Decision(True, (Step(Rule.EVERYONE, True),))


def can_change_profile(actor: Actor, profile: ProfileFacts) -> bool:
    """Only the owner edits a profile; colleagues it is shared with use it as it is."""
    return profile.owner_id == actor.user_id or actor.is_sys


# --- units, accounts, settings -------------------------------------------------------


def can_manage_units(actor: Actor) -> bool:
    return actor.is_sys or actor.has_role(Role.ORG)


def can_assign_unit(actor: Actor, assignable_by: Iterable[str]) -> bool:
    return can_manage_units(actor) or actor.holds(assignable_by)


def can_manage_accounts(actor: Actor) -> bool:
    return actor.is_sys


def can_explain_visibility(actor: Actor) -> bool:
    """Asking why someone sees an object reveals their groups and the object's rights."""
    return actor.is_sys


def can_manage_settings(actor: Actor) -> bool:
    return actor.is_sys


def can_manage_field_definitions(actor: Actor) -> bool:
    return actor.is_sys


def can_use_dashboard(actor: Actor) -> bool:
    return actor.is_sys or actor.has_role(Role.ORG)


# --- packages ------------------------------------------------------------------------


def can_use_packages(actor: Actor) -> bool:
    """Import and export packages of templates, template groups and snippets.

    Layouters may; what each object of a package needs (the Change right on a template
    that exists already, ...) is still checked object by object."""
    return actor.is_sys or actor.has_role(Role.LAYOUTER)


def can_package_organisation(actor: Actor) -> bool:
    """Packages that carry units or field definitions shape the whole organisation."""
    return actor.is_sys


# --- dashboard -----------------------------------------------------------------------

SYS_SECTIONS = (
    "summary",
    "settings",
    "users",
    "groups",
    "templates",
    "snippets",
    "fields",
    "units",
    "packages",
    "audit",
)
ORG_SECTIONS = ("summary", "units", "fields")


def dashboard_sections(actor: Actor) -> list[str]:
    """The dashboard pages an administrator sees: Sys everything, Org what concerns units
    (the unit tree and the field definitions units fill in)."""
    if actor.is_sys:
        return list(SYS_SECTIONS)
    if actor.has_role(Role.ORG):
        return list(ORG_SECTIONS)
    return []


def can_see_section(actor: Actor, section: str) -> bool:
    return section in dashboard_sections(actor)
