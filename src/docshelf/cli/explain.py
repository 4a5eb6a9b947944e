"""``docshelf admin explain``: why a user does or doesn't see a template, snippet, profile or
unit, as the server's permission rules decide it (server/services/explain.py)."""

from __future__ import annotations

import click
from rich.text import Text

from docshelf.cli.admin import ACTOR, AdminContext, pass_admin
from docshelf.cli.output import console, print_json
from docshelf.i18n import N_, tr
from docshelf.i18n.click_help import TranslatedCommand
from docshelf.protocol.explain import Explanation, Remedy
from docshelf.server.services import explain as service

HELD, FAILED = "✓", "✗"


def _alternatives(need: list[Remedy]) -> str:
    word = tr("or")
    return f" {word} ".join(remedy.text for remedy in need)


def explanation_lines(found: Explanation) -> list[str]:
    """The chain as lines: the answer, each step with ✓ or ✗, then what would help."""
    lines = [found.summary]
    lines += [f"  {HELD if step.held else FAILED} {step.text}" for step in found.steps]
    if found.allowed:
        return lines
    if not found.needs:
        lines.append(tr("Nothing an administrator can change would make it visible."))
    elif len(found.needs) == 1:
        lines.append(
            tr("What would make it visible: {remedy}.", remedy=_alternatives(found.needs[0]))
        )
    else:
        lines.append(tr("What would make it visible, all of these:"))
        lines += [f"  – {_alternatives(need)}" for need in found.needs]
    return lines


@click.command(
    "explain",
    cls=TranslatedCommand,
    help=N_(
        "Why USER does or doesn't see OBJECT (an id or a title), as the server decides what "
        "syncs: each rule with ✓ or ✗, then what would make it visible."
    ),
)
@click.argument("user", metavar="USER")
@click.argument("ref", metavar="OBJECT")
@click.option(
    "--kind",
    type=click.Choice(service.KINDS),
    default="template",
    show_default=True,
    help=N_("What OBJECT is."),
)
@click.option("--json", "as_json", is_flag=True, help=N_("Print the explanation as JSON."))
@pass_admin
def explain(ctx: AdminContext, user: str, ref: str, kind: str, as_json: bool) -> None:
    with ctx.db.read() as session:
        found = service.explain(session, ACTOR, user, kind, ref)
    if as_json:
        print_json(found.model_dump(mode="json"))
        return
    for line in explanation_lines(found):
        console.print(Text(line), highlight=False)
