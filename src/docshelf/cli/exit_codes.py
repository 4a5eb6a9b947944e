"""Exit codes scripts can tell apart (documented in ``docshelf --help``, README.md and
docs/client.md); they never change with the language."""

from __future__ import annotations

from docshelf.i18n import N_, tr

EXIT_OK = 0
EXIT_FAILED = 1
# click's own code for a wrong command line (unknown option, missing argument).
EXIT_USAGE = 2
EXIT_OFFLINE = 3
EXIT_SIGNED_OUT = 4
EXIT_BUSY = 5
# The sync itself went through, but edits of yours wait: in conflict, or rejected.
EXIT_EDITS_WAITING = 6
EXIT_INTERRUPTED = 130

_MEANINGS = (
    (EXIT_OK, N_("done")),
    (EXIT_FAILED, N_("failed; the message says why")),
    (EXIT_USAGE, N_("the command line is wrong (unknown option, missing argument)")),
    (EXIT_OFFLINE, N_("the server could not be reached")),
    (EXIT_SIGNED_OUT, N_("not signed in on this computer, or signed out by the server")),
    (EXIT_BUSY, N_("another sync is running and --no-wait was given")),
    (
        EXIT_EDITS_WAITING,
        N_("synchronised, but edits wait: in conflict or rejected (see docshelf conflicts)"),
    ),
    (EXIT_INTERRUPTED, N_("interrupted (Ctrl+C)")),
)


def exit_code_help() -> str:
    """The table of exit codes for ``docshelf --help``, in the current language."""
    lines = [tr("Exit codes:")]
    lines += [f"  {code:>3}  {tr(meaning)}" for code, meaning in _MEANINGS]
    return "\n".join(lines)
