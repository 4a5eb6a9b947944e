"""Errors raised by the client's local adapters.

All derive from :class:`docshelf.domain.errors.DocshelfError`, so the CLI and the
desktop app show their ``title`` and ``message`` like any other docshelf error.
A downloaded file that does not match its SHA-256 raises the domain's
:class:`~docshelf.domain.errors.HashMismatch` (same meaning on both sides).

    DocshelfError
    └── ClientError
        ├── LocalStoreError          the local cache or file store cannot be read or written
        │   └── MissingFile          a file is not (yet) in the local file store
        ├── DownloadIncomplete       a download ended early; the next sync resumes it
        ├── OutdatedFiles            records listed whose files the server no longer serves
        ├── SyncBusy                 another sync holds this home's lock
        ├── CredentialsError         the saved sign-in cannot be read or written
        │   └── InsecureCredentials  the credentials file is readable by others
        └── NotSignedIn              no sign-in on this computer (and the others below)
            └── NoLocalCopy          this home never signed in: there is nothing to read
"""

from __future__ import annotations

from docshelf.domain.errors import DocshelfError
from docshelf.i18n import N_


class ClientError(DocshelfError):
    code = "client"
    default_title = N_("Sync client problem")


class LocalStoreError(ClientError):
    code = "local_store"
    default_title = N_("Local storage problem")


class MissingFile(LocalStoreError):
    code = "missing_file"
    default_title = N_("File not downloaded")


class DownloadIncomplete(ClientError):
    code = "download_incomplete"
    default_title = N_("Download interrupted")


class OutdatedFiles(ClientError):
    """Records the server listed but whose files it no longer serves, with no newer version
    of them in its feed: they stay as the cache had them (see SyncEngine._store)."""

    code = "outdated_files"
    default_title = N_("Files no longer served")


class SyncBusy(ClientError):
    code = "sync_busy"
    default_title = N_("Sync already running")


class CredentialsError(ClientError):
    code = "credentials"
    default_title = N_("Saved sign-in unusable")


class InsecureCredentials(CredentialsError):
    code = "insecure_credentials"
    default_title = N_("Credentials file not private")


# --- talking to the server ---------------------------------------------------------------


class NotSignedIn(ClientError):
    code = "not_signed_in"
    default_title = N_("Not signed in")


class ServerUnreachable(ClientError):
    """No answer from the server: the cache stays usable, the next sync tries again."""

    code = "offline"
    default_title = N_("Server unreachable")


class SignedOut(ClientError):
    """The server no longer accepts this device's token (revoked, user deactivated)."""

    code = "signed_out"
    default_title = N_("Signed out")


class ServerBusy(ClientError):
    code = "server_busy"
    default_title = N_("Server busy")

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SyncRestart(ClientError):
    """The server asks to start the reconciliation over (its data moved meanwhile)."""

    code = "sync_restart"
    default_title = N_("Synchronisation restarts")


class HintsUnsupported(ClientError):
    """The server has no change-hint stream (an older server): the interval sync goes on."""

    code = "hints_unsupported"
    default_title = N_("Change hints not supported")


class HintsOff(ClientError):
    """The administrator turned change hints off (ClientHintsEnabled)."""

    code = "hints_off"
    default_title = N_("Change hints turned off")


class RemoteError(ClientError):
    """The server refused a request; ``http_status`` and ``remote_code`` come from its answer."""

    code = "remote"
    default_title = N_("Server refused")

    def __init__(self, message: str, *, title: str, status: int, code: str) -> None:
        super().__init__(message, title=title)
        self.http_status = status
        self.remote_code = code


class ProtocolMismatch(ClientError):
    code = "protocol"
    default_title = N_("Client and server don't match")


class UnsentEdits(ClientError):
    code = "unsent_edits"
    default_title = N_("Edits not uploaded yet")


class NoLocalCopy(NotSignedIn):
    """Reading the local copy of a home that never signed in (nor synchronised)."""

    code = "no_local_copy"
    default_title = N_("No local copy yet")
