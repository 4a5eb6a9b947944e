"""The server's file storage: one interface (:class:`BlobStore`), two backends.

- :mod:`.local`: a directory (the default, ``<data dir>/blobs``);
- :mod:`.s3`: S3-compatible object storage (``--blob-store s3://BUCKET/PREFIX``).

:func:`open_blob_store` picks one from the server's settings; :mod:`.housekeeping` holds
what ``docshelf admin blobs`` does (verify, gc, migrate) and the storage figures the
dashboard shows.
"""

from __future__ import annotations

import os
from pathlib import Path

from docshelf.server.blobstore.base import (
    CHUNK,
    BlobStat,
    BlobStore,
    BlobStoreUnavailable,
    BlobWriter,
    OffsetMismatch,
    PartialUpload,
    UploadBusy,
    check_sha256,
    sha256_bytes,
)
from docshelf.server.blobstore.local import LocalBlobStore

__all__ = [
    "CHUNK",
    "BlobStat",
    "BlobStore",
    "BlobStoreUnavailable",
    "BlobWriter",
    "LocalBlobStore",
    "OffsetMismatch",
    "PartialUpload",
    "UploadBusy",
    "check_sha256",
    "is_object_storage",
    "open_blob_store",
    "sha256_bytes",
]

S3_ENDPOINT_ENV = "DOCSHELF_S3_ENDPOINT"


def is_object_storage(address: str | None) -> bool:
    return bool(address) and str(address).startswith("s3://")


def open_blob_store(address: str | Path, *, endpoint: str | None = None) -> BlobStore:
    """The store at ``address``: ``s3://BUCKET/PREFIX`` or a directory.

    For object storage the endpoint comes from ``endpoint`` or ``DOCSHELF_S3_ENDPOINT``
    (none: AWS itself), credentials and region from the standard ``AWS_*`` variables."""
    text = str(address)
    if not is_object_storage(text):
        return LocalBlobStore(Path(text))
    from docshelf.server.blobstore.s3 import S3BlobStore, S3Location

    return S3BlobStore(
        S3Location.parse(text),
        endpoint=endpoint or os.environ.get(S3_ENDPOINT_ENV) or None,
        region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None,
    )
