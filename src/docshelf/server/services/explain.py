""" "Why can't X see this?": the permission rules' decision for one user and one object,
step by step, with what would make the object visible.

The decision is the one the sync feed makes (``sync/view.py`` calls the same
``permissions.decide_*`` through ``can_see_*``, with the same rows and the same actor);
this module only finds the user and the object, and words the steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from docshelf.domain import permissions as rules
from docshelf.domain.accounts import Actor, Membership, Role, group_path
from docshelf.domain.decisions import Decision, remedies
from docshelf.domain.errors import Conflict, InvalidInput, NotFound
from docshelf.domain.kinds import kind_label
from docshelf.i18n import current_language, tr
from docshelf.protocol.explain import ExplainedStep, ExplainKind, Explanation, Remedy
from docshelf.server.db.models import Group, Profile, Snippet, Template, Unit, User
from docshelf.server.services import accounts
from docshelf.server.services.explain_texts import Words, remedy_text, step_text, summary_text

KINDS: tuple[ExplainKind, ...] = ("template", "snippet", "profile", "unit")
_MODELS: dict[str, Any] = {
    "template": Template,
    "snippet": Snippet,
    "profile": Profile,
    "unit": Unit,
}


def title_of(kind: str, row: Any) -> str:
    if kind == "template":
        titles: dict[str, str] = row.titles or {}
        return titles.get(current_language()) or next(iter(titles.values()), row.id)
    return str(row.title)


def _titled(session: Session, kind: str, title: str) -> list[Any]:
    model = _MODELS[kind]
    if kind == "template":
        wanted = title.casefold()
        rows = session.scalars(select(Template).order_by(Template.id))
        return [r for r in rows if any(str(t).casefold() == wanted for t in r.titles.values())]
    return list(session.scalars(select(model).where(model.title == title).order_by(model.id)))


def find_object(session: Session, kind: str, ref: str) -> Any:
    """The object of ``kind`` with the id ``ref``, else the one titled ``ref``."""
    if kind not in _MODELS:
        raise InvalidInput(
            tr("Unknown kind {kind!r}; use one of {known}.", kind=kind, known=", ".join(KINDS))
        )
    row = session.get(_MODELS[kind], ref)
    if row is not None:
        return row
    found = _titled(session, kind, ref)
    if not found:
        raise NotFound(
            tr("There is no {what} with the id or title {ref!r}.", what=kind_label(kind), ref=ref)
        )
    if len(found) > 1:
        raise Conflict(
            tr(
                "Several objects of this kind are called {ref!r}; give the id of one: {ids}.",
                ref=ref,
                ids=", ".join(r.id for r in found),
            )
        )
    return found[0]


def decide(session: Session, actor: Actor, kind: str, row: Any) -> Decision:
    """The decision the sync feed makes for this row (sync/view.py View.visible)."""
    if kind == "template":
        return rules.decide_template(actor, row)
    if kind == "snippet":
        parent = session.get(Template, row.template_id) if row.template_id else None
        return rules.decide_snippet(actor, row, parent)
    if kind == "profile":
        return rules.decide_profile(actor, row)
    return rules.decide_organisation_wide(actor)


@dataclass(frozen=True)
class _Graph:
    memberships: list[Membership]
    group_names: dict[str, str]
    logins: dict[str, str]


def _graph(session: Session) -> _Graph:
    return _Graph(
        accounts.memberships(session),
        dict(session.execute(select(Group.id, Group.name)).all()),
        dict(session.execute(select(User.id, User.login)).all()),
    )


def _path(user: User, via: str | None, graph: _Graph) -> list[str]:
    """The user and the group names that lead to the group in ``via``."""
    if via is None or not via.startswith("group:"):
        return []
    found = group_path(user.id, via.partition(":")[2], graph.memberships) or ()
    return [user.login, *(graph.group_names.get(g, g) for g in found)]


def explain(
    session: Session, asker: Actor, user_ref: str, kind: str, object_ref: str
) -> Explanation:
    """Why ``user_ref`` (login or id) does or doesn't see the object (id or title)."""
    rules.require(
        rules.can_explain_visibility(asker),
        tr("Only a system administrator may ask why someone sees something."),
    )
    user = accounts.find_user(session, user_ref)
    row = find_object(session, kind, object_ref)
    actor = accounts.actor_of(session, user)
    decision = decide(session, actor, kind, row)
    graph = _graph(session)
    parent = (
        session.get(Template, row.template_id) if kind == "snippet" and row.template_id else None
    )
    words = Words(
        kind=kind,
        login=user.login,
        is_layouter=actor.has_role(Role.LAYOUTER),
        logins=graph.logins,
        group_names=graph.group_names,
        owner=graph.logins.get(getattr(row, "owner_id", None) or "", ""),
        template_title=title_of("template", parent) if parent is not None else "",
    )
    steps = [
        ExplainedStep(
            rule=step.rule.value,
            held=step.held,
            text=step_text(step, words, _path(user, step.via, graph)),
            via=step.via,
            path=_path(user, step.via, graph),
        )
        for step in decision.steps
    ]
    title = title_of(kind, row)
    needs = [
        [
            Remedy(fix=remedy.fix.value, group_id=remedy.group_id, text=remedy_text(remedy, words))
            for remedy in need
        ]
        for need in remedies(decision)
    ]
    return Explanation(
        user_id=user.id,
        login=user.login,
        account_active=bool(user.active),
        kind=kind,  # type: ignore[arg-type]  # checked by find_object
        object_id=row.id,
        title=title,
        allowed=decision.allowed,
        summary=summary_text(words, title, decision.allowed, bool(user.active)),
        steps=steps,
        needs=needs,
    )
