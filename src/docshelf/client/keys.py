"""Names of the values the sync keeps in the local cache's key-value table.

Here, not in the engine, so that reading the cache (``docshelf status``, the listing
commands) does not load the engine and its HTTP stack.
"""

from __future__ import annotations

CURSOR = "cursor"
SETTINGS = "settings"
LAST_UPDATE = "last_update"
# The last failed sync, not yet told to the server (protocol.client_error's header value).
UNREPORTED_ERROR = "unreported_error"
UNREPORTED_ERROR_CODE = "unreported_error_code"  # its code (protocol.client_error)
# The files the templates need offline, found at a cursor: a sync that pulls nothing
# newer need not read every template again to know them (client/app.py).
DOCUMENT_FILES = "document_files"
# Prefix of a stored file's tags, by its hash (``TAGS + sha``: a JSON list of the tags'
# text); written by client/documents.py, and by the sync as it downloads template files.
TAGS = "tags:"
