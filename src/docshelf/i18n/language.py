"""Which language speaks: the context's, else the process default; and how to choose it."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

LANGUAGES: dict[str, str] = {"de": "Deutsch", "en": "English"}
# The process default before anybody chose: English, which every older client and every
# script reading our output has seen so far. Front ends choose on start (desktop: the
# user's setting or the system's locale; CLI: the system's locale).
DEFAULT_LANGUAGE = "en"

_default = DEFAULT_LANGUAGE
_current: ContextVar[str | None] = ContextVar("docshelf_language", default=None)


def current_language() -> str:
    return _current.get() or _default


def set_default_language(language: str) -> None:
    """The language of this process where no context chose one (a CLI run, the desktop)."""
    global _default
    _default = normalize(language) or DEFAULT_LANGUAGE


@contextmanager
def using(language: str | None) -> Iterator[str]:
    """Speak ``language`` (or the default, when it is unknown) inside the block."""
    chosen = normalize(language) or _default
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


def normalize(tag: str | None) -> str | None:
    """``de_CH.UTF-8``, ``de-AT``, ``DE`` → ``de``; unknown languages → None."""
    if not tag:
        return None
    base = tag.strip().replace("-", "_").split(".")[0].split("@")[0].split("_")[0].lower()
    return base if base in LANGUAGES else None


def negotiate(accept_language: str | None) -> str | None:
    """The best of our languages for an ``Accept-Language`` header, or None (RFC 9110 q-values)."""
    if not accept_language:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        language = normalize(tag)
        if language and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else None


def system_language(environ: Mapping[str, str] | None = None) -> str | None:
    """The language the system's locale asks for, in gettext's order of variables."""
    env = os.environ if environ is None else environ
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(variable)
        if not value:
            continue
        # LANGUAGE may list several ("de_CH:de:en"); C and POSIX mean "no language".
        for tag in value.split(":"):
            language = normalize(tag)
            if language:
                return language
        if variable != "LANGUAGE":
            return None
    return None
