"""The words of an explanation (services/explain.py): each step and remedy as a sentence
in the current language. The decisions themselves are domain/permissions.py's."""

from __future__ import annotations

from dataclasses import dataclass

from docshelf.domain.decisions import Fix, Remedy, Rule, Step
from docshelf.domain.principals import EVERYONE
from docshelf.i18n import N_, tr

STATUS_NAMES = {
    "released": N_("released"),
    "in_test": N_("in test"),
    "in_progress": N_("in progress"),
}
RIGHT_NAMES = {
    Rule.USE: N_("the Use right"),
    Rule.CHANGE: N_("the Change right"),
    Rule.READ: N_("the Read right"),
    Rule.WRITE: N_("the Write right"),
}


@dataclass(frozen=True)
class Words:
    """What the sentences name: the user, the object's kind, people and groups by name."""

    kind: str
    login: str
    is_layouter: bool
    logins: dict[str, str]
    group_names: dict[str, str]
    owner: str = ""
    template_title: str = ""

    def principal(self, principal: str) -> str:
        if principal == EVERYONE:
            return tr("everyone")
        kind, _, ident = principal.partition(":")
        if kind == "group":
            return f"«{self.group_names.get(ident, ident)}»"
        return self.logins.get(ident, ident)

    def principals(self, principals: tuple[str, ...]) -> str:
        if not principals:
            return tr("nobody")
        return ", ".join(self.principal(p) for p in principals)


def _right_text(step: Step, words: Words, path: list[str]) -> str:
    right = tr(RIGHT_NAMES[step.rule])
    login = words.login
    if step.rule is Rule.CHANGE and not words.is_layouter:
        return tr("{login} is not a layouter, so the Change right does not count.", login=login)
    if not step.held or step.via is None:
        return tr(
            "{login} does not hold {right}; it is granted to {grants}.",
            login=login,
            right=right,
            grants=words.principals(step.grants),
        )
    if step.via == EVERYONE:
        return tr("{login} holds {right}: it is granted to everyone.", login=login, right=right)
    if path:
        return tr(
            "{login} holds {right} through the group path {path}.",
            login=login,
            right=right,
            path=" → ".join(path),
        )
    return tr("{login} holds {right}: it is granted to {login} directly.", login=login, right=right)


def _template_step(step: Step, words: Words) -> str:
    if step.rule is Rule.ACTIVE:
        if step.held:
            return tr("The template is active.")
        return tr("The template is deactivated (deleted); it leaves every client.")
    status = tr(STATUS_NAMES.get(step.via or "", step.via or ""))
    if step.held:
        return tr("The template is released.")
    return tr("The template is not released: it is {status}.", status=status)


def _owner_step(step: Step, words: Words) -> str:
    login, owner = words.login, words.owner
    if words.kind == "profile":
        if step.held:
            return tr("{login} owns the profile.", login=login)
        return tr("The profile belongs to {owner}.", owner=owner)
    if step.held:
        return tr("The personal snippet is {login}'s own.", login=login)
    return tr(
        "The personal snippet belongs to {owner}; a personal snippet is its owner's alone, "
        "not even a system administrator sees it.",
        owner=owner,
    )


def step_text(step: Step, words: Words, path: list[str]) -> str:
    """One step as a sentence; ``path`` the names from the user to the granting group."""
    login = words.login
    rule = step.rule
    if rule in (Rule.ACTIVE, Rule.RELEASED):
        return _template_step(step, words)
    if rule in RIGHT_NAMES:
        return _right_text(step, words, path)
    if rule is Rule.SYS:
        if step.held:
            return tr("{login} is a system administrator (Sys) and sees it.", login=login)
        return tr("{login} is not a system administrator (Sys).", login=login)
    if rule is Rule.TEMPLATE:
        if step.held:
            return tr(
                "The snippet belongs to the template «{title}» and is seen by whoever sees "
                "that template:",
                title=words.template_title,
            )
        return tr("The template this snippet belonged to no longer exists.")
    if rule is Rule.OWNER:
        return _owner_step(step, words)
    if rule is Rule.SHARED_WITH:
        if step.held:
            return tr("The profile is shared with {login}.", login=login)
        return tr("The profile is not shared with {login}.", login=login)
    return tr("Units are organisation-wide: every user's client holds all of them.")


def remedy_text(remedy: Remedy, words: Words) -> str:
    """A remedy as a phrase that can stand in a list joined by "or"."""
    login = words.login
    fix = remedy.fix
    if fix is Fix.ACTIVATE:
        return tr("restore the template")
    if fix is Fix.RELEASE:
        return tr("release the template")
    if fix is Fix.JOIN_GROUP:
        group = words.group_names.get(remedy.group_id or "", remedy.group_id or "")
        return tr("add {login} to the group «{group}»", login=login, group=group)
    if fix is Fix.GRANT_USE:
        return tr("give {login} (or a group of theirs) the Use right", login=login)
    if fix is Fix.GRANT_READ:
        return tr("give {login} (or a group of theirs) the Read right", login=login)
    return tr(
        "share the profile with {login} (its owner {owner} can)", login=login, owner=words.owner
    )


_SEES = {
    "template": (
        N_("{login} sees the template «{title}»."),
        N_("{login} does not see the template «{title}»."),
    ),
    "snippet": (
        N_("{login} sees the snippet «{title}»."),
        N_("{login} does not see the snippet «{title}»."),
    ),
    "profile": (
        N_("{login} sees the profile «{title}»."),
        N_("{login} does not see the profile «{title}»."),
    ),
    "unit": (
        N_("{login} sees the unit «{title}»."),
        N_("{login} does not see the unit «{title}»."),
    ),
}


def summary_text(words: Words, title: str, allowed: bool, account_active: bool) -> str:
    sees, not_sees = _SEES[words.kind]
    text = tr(sees if allowed else not_sees, login=words.login, title=title)
    if not account_active:
        text += " " + tr(
            "But the account of {login} is deactivated: it cannot sign in, and no client of "
            "theirs receives anything.",
            login=words.login,
        )
    return text
