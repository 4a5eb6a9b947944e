"""The one exception hierarchy of docshelf.

Every error docshelf raises on purpose derives from :class:`DocshelfError` and
carries a short ``title`` and a ``message`` that tells a person what went wrong
and what to do about it. The server turns each class into an HTTP status and a
problem+json body (``status`` and ``code``); the CLI and desktop app show
``title`` and ``message``.

Both texts are for people, so they are in the language of the context that raises the
error (one request's ``Accept-Language`` on the server, the user's language in the CLI
and the desktop): an error is made where it happens, so its texts are translated there,
at raise time, with ``tr()``. ``status`` and ``code`` are for programs and never change.

    DocshelfError
    ├── InvalidInput            422  the request or a value is malformed / out of range
    │   └── HashMismatch        422  uploaded bytes do not match the announced SHA-256
    ├── NotAuthenticated        401  no, unknown or revoked credentials ("signed out")
    ├── Forbidden               403  authenticated, but not allowed
    ├── NotFound                404  no such object (or not visible to the caller)
    ├── Conflict                409  the change clashes with the current state
    ├── PayloadTooLarge         413  body over the configured limit
    ├── TooManyRequests         429  slow down; ``retry_after`` seconds
    ├── ServiceUnavailable      503  overloaded or not ready; ``retry_after`` seconds
    └── ConfigurationError      500  the installation is incomplete or misconfigured
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from docshelf.i18n import N_, tr


class DocshelfError(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "error"
    default_title: ClassVar[str] = N_("Something went wrong")

    def __init__(
        self,
        message: str,
        *,
        title: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.title = title or tr(self.default_title)
        self.details: dict[str, Any] = dict(details or {})

    def __str__(self) -> str:
        return self.message


class InvalidInput(DocshelfError, ValueError):
    """Also a ValueError, so that validators of the wire models report it with its field."""

    status = 422
    code = "invalid"
    default_title = N_("Invalid input")


class HashMismatch(InvalidInput):
    code = "hash_mismatch"
    default_title = N_("File damaged in transit")


class NotAuthenticated(DocshelfError):
    status = 401
    code = "signed_out"
    default_title = N_("Signed out")


class Forbidden(DocshelfError):
    status = 403
    code = "forbidden"
    default_title = N_("Not allowed")


class NotFound(DocshelfError):
    status = 404
    code = "not_found"
    default_title = N_("Not found")


class Conflict(DocshelfError):
    status = 409
    code = "conflict"
    default_title = N_("Conflict")


class PayloadTooLarge(DocshelfError):
    status = 413
    code = "too_large"
    default_title = N_("Too large")


class _RetryLater(DocshelfError):
    def __init__(self, message: str, *, retry_after: int, title: str | None = None) -> None:
        super().__init__(message, title=title, details={"retry_after": retry_after})
        self.retry_after = retry_after


class TooManyRequests(_RetryLater):
    status = 429
    code = "too_many_requests"
    default_title = N_("Too many requests")


class ServiceUnavailable(_RetryLater):
    status = 503
    code = "unavailable"
    default_title = N_("Server busy")


class ConfigurationError(DocshelfError):
    status = 500
    code = "configuration"
    default_title = N_("Configuration problem")
