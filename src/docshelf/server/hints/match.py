"""Does a change concern an actor? The audience entries (db/audience.py) read through the
feed's own visibility rules (domain/permissions.py): never a second implementation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from docshelf.domain.accounts import Actor
from docshelf.domain.permissions import can_see_profile, can_see_snippet, can_see_template


@dataclass(frozen=True)
class TemplateFacts:
    id: str
    active: bool
    status: str
    use_rights: tuple[str, ...]
    change_rights: tuple[str, ...]


@dataclass(frozen=True)
class SnippetFacts:
    kind: str
    owner_id: str | None
    template_id: str | None
    read_rights: tuple[str, ...]
    write_rights: tuple[str, ...]


@dataclass(frozen=True)
class ProfileFacts:
    owner_id: str
    shared_with: tuple[str, ...]


def _template(facts: Mapping[str, Any] | None) -> TemplateFacts | None:
    if facts is None:
        return None
    return TemplateFacts(
        id=str(facts["id"]),
        active=bool(facts["active"]),
        status=str(facts["status"]),
        use_rights=tuple(facts.get("use_rights") or ()),
        change_rights=tuple(facts.get("change_rights") or ()),
    )


def _snippet(facts: Mapping[str, Any]) -> SnippetFacts:
    return SnippetFacts(
        kind=str(facts["kind"]),
        owner_id=facts.get("owner_id"),
        template_id=facts.get("template_id"),
        read_rights=tuple(facts.get("read_rights") or ()),
        write_rights=tuple(facts.get("write_rights") or ()),
    )


def _profile(facts: Mapping[str, Any]) -> ProfileFacts:
    return ProfileFacts(
        owner_id=str(facts["owner_id"]), shared_with=tuple(facts.get("shared_with") or ())
    )


def _sees(actor: Actor, kind: str, facts: Mapping[str, Any], parent: Any) -> bool:
    if kind == "template":
        template = _template(facts)
        return template is not None and can_see_template(actor, template)
    if kind == "snippet":
        return can_see_snippet(actor, _snippet(facts), _template(parent))
    if kind == "profile":
        return can_see_profile(actor, _profile(facts))
    return True  # a kind this version doesn't know: wake rather than miss


def entry_concerns(actor: Actor, entry: Mapping[str, Any]) -> bool:
    """Could the actor see the entry's row before or after the change?"""
    kind = str(entry.get("kind"))
    parent = entry.get("template") or {}
    for when in ("before", "after"):
        facts = entry.get(when)
        if facts is not None and _sees(actor, kind, facts, parent.get(when)):
            return True
    return False


def concerns(actor: Actor, audience: Iterable[Mapping[str, Any]] | None) -> bool:
    """Does a change with this audience concern the actor? ``None``: anyone."""
    if audience is None:
        return True
    try:
        return any(entry_concerns(actor, entry) for entry in audience)
    except (KeyError, TypeError, ValueError, AttributeError):
        return True  # an entry we can't read: wake rather than miss
