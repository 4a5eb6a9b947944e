"""The listings, ``status`` and ``sync`` on a plain command line, without click.

``docshelf [--home DIR] templates|template-groups|snippets|profiles|units [--json]
[--lang LANG]``, ``docshelf [--home DIR] status [--json]`` and ``docshelf [--home DIR] sync
[--json] [--no-wait]`` are most of what scripts and people run, and click is a sixth of such
a command's start (with the ``uuid`` and ``platform`` modules it loads). Only these forms
are taken here, each option at most once; anything else (help, another option, an option
given twice, a value that looks like an option, a home that click would refuse) returns
False and click parses the command line as always, with its errors. What the commands
do and print is cli/listing.py, cli/status_view.py and cli/syncing.py either way.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # loaded once the command line is known to be one of these
    from docshelf.client import Client

# Command → the options it takes besides --json.
_OPTIONS: dict[str, frozenset[str]] = {
    "templates": frozenset({"--lang"}),
    "template-groups": frozenset({"--lang"}),
    "snippets": frozenset(),
    "profiles": frozenset({"--lang"}),
    "units": frozenset(),
    "status": frozenset(),
    "sync": frozenset({"--no-wait"}),
}
_DEFAULT_LANG = "de"  # cli/lists.py's --lang default


def run(argv: list[str]) -> bool:
    """Run the command if ``argv`` is a plain listing; False: click's to parse."""
    parsed = parse(argv)
    if parsed is None:
        return False
    name, home, options = parsed
    from docshelf.cli.home import client_at

    if name == "status":
        command = _status(options.as_json)
    elif name == "sync":
        command = _sync(options.as_json, options.no_wait)
    else:
        command = _listing(name, options.as_json, options.lang)
    client = client_at(home, log=name == "sync")  # a sync's log records it; reading, none
    try:
        if name not in ("sync", "status"):  # status says what it can of a home without a copy
            client.require_local_copy()
        command(client)
    finally:
        client.close()
    return True


# Each command imports only its own printing module (a few milliseconds each).


def _status(as_json: bool) -> Callable[[Client], None]:
    from docshelf.cli import status_view

    return lambda client: status_view.show(client, as_json)


def _sync(as_json: bool, no_wait: bool) -> Callable[[Client], None]:
    from docshelf.cli import syncing

    return lambda client: syncing.run(client, as_json, no_wait)


def _listing(name: str, as_json: bool, lang: str) -> Callable[[Client], None]:
    from docshelf.cli import listing

    commands: dict[str, Callable[[Client], None]] = {
        "templates": lambda client: listing.templates(client, as_json, lang),
        "template-groups": lambda client: listing.template_groups(client, as_json, lang),
        "snippets": lambda client: listing.snippets(client, as_json),
        "profiles": lambda client: listing.profiles(client, as_json, lang),
        "units": lambda client: listing.units(client, as_json),
    }
    return commands[name]


class Options(NamedTuple):
    as_json: bool = False
    lang: str = _DEFAULT_LANG
    no_wait: bool = False


def parse(argv: list[str]) -> tuple[str, str | None, Options] | None:
    """Command, ``--home`` (or DOCSHELF_HOME) and the command's options; None: not plain."""
    if not _plain_environment():
        return None
    args = list(argv)
    home_option = _home_option(args)
    if home_option is None or not args or args[0] not in _OPTIONS:
        return None
    given, value = home_option
    name = args.pop(0)
    options = _command_options(name, args)
    if options is None:
        return None
    # click: an empty DOCSHELF_HOME counts as unset.
    home = value if given else os.environ.get("DOCSHELF_HOME") or None
    if home is not None and not _home_click_takes(home):
        return None
    return name, home, options


def _home_option(args: list[str]) -> tuple[bool, str | None] | None:
    """The leading ``--home`` taken off ``args``: whether it was given, and its value;
    None when it was given without one."""
    if not args or not (args[0] == "--home" or args[0].startswith("--home=")):
        return False, None
    option = args.pop(0)
    if option != "--home":
        return True, option.removeprefix("--home=")
    return (True, args.pop(0)) if args else None


def _command_options(name: str, args: list[str]) -> Options | None:
    """``--json`` and the command's own options, each at most once."""
    takes = _OPTIONS[name]
    as_json, no_wait, lang, given_lang = False, False, _DEFAULT_LANG, False
    while args:
        option = args.pop(0)
        if option == "--json" and not as_json:
            as_json = True
        elif "--no-wait" in takes and option == "--no-wait" and not no_wait:
            no_wait = True
        elif "--lang" in takes and option == "--lang" and args and not given_lang:
            lang, given_lang = args.pop(0), True
        elif "--lang" in takes and option.startswith("--lang=") and not given_lang:
            lang, given_lang = option.removeprefix("--lang="), True
        else:
            return None
    if given_lang and (not lang or lang.startswith("-")):
        return None
    return Options(as_json, lang, no_wait)


def _plain_environment() -> bool:
    """Not a shell completion (click answers those), and a standard output click writes to
    as it is (UTF-8: click re-wraps a misconfigured one)."""
    if any(key.startswith("_") and key.endswith("_COMPLETE") for key in os.environ):
        return False
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    return encoding in ("utf8", "utf_8")


def _home_click_takes(home: str) -> bool:
    """What ``click.Path(file_okay=False)`` accepts without a word: a path that does not
    exist, or a readable one that is not a file. (Empty, or like an option: click's.)"""
    if not home or home.startswith("-"):
        return False
    try:
        found = os.stat(home)
    except OSError:
        return True
    return not stat.S_ISREG(found.st_mode) and os.access(home, os.R_OK)
