"""What a package is called and how its problems are told: every problem named with its
place, all of them in one answer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from docshelf.domain.errors import InvalidInput
from docshelf.i18n import N_, current_language, ntr, tr

FORMAT = "docshelf-package"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
MAX_LISTED_PROBLEMS = 5
R = TypeVar("R")


class PackageInvalid(InvalidInput):
    """A package that cannot be imported; the message lists what is wrong and where."""

    default_title = N_("Package refused")


def package_invalid(problems: Sequence[str]) -> PackageInvalid:
    shown = "; ".join(problems[:MAX_LISTED_PROBLEMS])
    more = len(problems) - MAX_LISTED_PROBLEMS
    if more > 0:
        message = ntr(
            "{shown} (and {n} more problem). Nothing was imported.",
            "{shown} (and {n} more problems). Nothing was imported.",
            more,
            shown=shown,
        )
    else:
        message = tr("{shown}. Nothing was imported.", shown=shown)
    return PackageInvalid(
        message,
        details={"problems": list(problems)},
    )


class Problems:
    """Collects what is wrong with a package, so that one answer names every problem."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.messages: list[str] = []

    def add(self, where: str, message: str) -> None:
        text = f"{where}: {message}" if where else message
        self.messages.append(f"{self.prefix}: {text}" if self.prefix else text)

    def check(self, where: str, check: Callable[..., R], *args: Any, **kwargs: Any) -> R | None:
        """Run a domain check; its InvalidInput becomes a problem at ``where`` (result None)."""
        try:
            return check(*args, **kwargs)
        except InvalidInput as exc:
            self.add(where, lower_first(exc.message.rstrip(".")))
            return None

    def raise_if_any(self) -> None:
        if self.messages:
            raise package_invalid(self.messages)


def lower_first(text: str) -> str:
    """A sentence continued after a colon; German keeps its capitals (nouns)."""
    if current_language() != "en":
        return text
    return text[:1].lower() + text[1:] if text[:1].isupper() and text[1:2].islower() else text
