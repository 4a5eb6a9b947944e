"""The failures clients report, as the summary shows them: known ones in the visitor's
language, with the client's own words kept as the detail.

A client reports the message of its last failed sync, in its own language, and the
error's code (see protocol/client_error.py). The failures an administrator sees most are
named with the dashboard's sentence for their code; clients of earlier versions sent no
code, so their (English) messages are recognised by their wording. Any other message is
shown as the client wrote it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from docshelf.i18n import N_, tr

# code -> (the dashboard's sentence, what the client's English message says)
KNOWN: dict[str, tuple[str, re.Pattern[str]]] = {
    "offline": (
        N_("The server could not be reached; the client worked on offline."),
        re.compile(
            r"cannot reach the server|did not answer in time|the connection to .+ broke"
            r"|change-hint stream of .+ (went silent|broke off)",
            re.I,
        ),
    ),
    "server_busy": (
        N_("The server was busy and asked the client to wait."),
        re.compile(r"^the server is busy", re.I),
    ),
    "download_incomplete": (
        N_("A download was interrupted; the next sync resumes it."),
        re.compile(r"^the download of file .+ stopped after", re.I),
    ),
    "local_store": (
        N_("The client could not read or write its local copy."),
        re.compile(
            r"could not open the sync lock|the local cache .+ cannot be opened"
            r"|check free disk space|the client configuration .+ (cannot be read|is damaged)",
            re.I,
        ),
    ),
    "missing_file": (
        N_("A file of a waiting upload is missing on the device."),
        re.compile(r"is missing from the local copy", re.I),
    ),
}


@dataclass(frozen=True)
class ReportedError:
    code: str | None  # None: a message the dashboard does not know
    text: str  # what the page shows, in the current language where known
    raw: str  # the client's own words
    at: datetime | None
    # The client synced successfully after it: a thing of the past.
    resolved: bool


def code_of(message: str) -> str | None:
    return next((code for code, (_, found) in KNOWN.items() if found.search(message)), None)


def reported_error(
    message: str,
    at: datetime | None,
    last_sync_at: datetime | None,
    reported_code: str | None = None,
) -> ReportedError:
    """``reported_code``: the code the client sent with it; without one (clients of earlier
    versions), the failure is recognised by the wording of their English messages."""
    code = reported_code if reported_code in KNOWN else None
    code = code or code_of(message)
    text = tr(KNOWN[code][0]) if code else message
    resolved = at is not None and last_sync_at is not None and last_sync_at > at
    return ReportedError(code, text, message, at, resolved)
