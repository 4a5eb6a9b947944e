"""Which file store the settings pick, and the clear errors when they can't."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from docshelf.cli.main import cli
from docshelf.domain.errors import ConfigurationError
from docshelf.server.blobstore import LocalBlobStore, open_blob_store
from docshelf.server.blobstore.s3 import S3BlobStore, S3Location
from docshelf.server.config import ServerSettings


def test_a_directory_by_default(tmp_path: Path) -> None:
    settings = ServerSettings(data_dir=tmp_path)
    assert settings.resolved_blob_store() == str(tmp_path / "blobs")
    store = open_blob_store(settings.resolved_blob_store())
    assert isinstance(store, LocalBlobStore) and store.root == tmp_path / "blobs"
    assert store.download_url("0" * 64, 60) is None


def test_object_storage_by_address(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCSHELF_BLOB_STORE", "s3://files/docshelf/prod")
    monkeypatch.setenv("DOCSHELF_S3_ENDPOINT", "http://127.0.0.1:9")
    settings = ServerSettings(data_dir=tmp_path)
    store = open_blob_store(settings.resolved_blob_store(), endpoint=settings.s3_endpoint)
    assert isinstance(store, S3BlobStore)
    assert store.location == S3Location("files", "docshelf/prod")
    assert store.describe() == "s3://files/docshelf/prod at http://127.0.0.1:9"


@pytest.mark.parametrize("address", ["s3://", "s3:///prefix-only"])
def test_an_address_without_a_bucket_is_refused(address: str) -> None:
    with pytest.raises(ConfigurationError, match="s3://BUCKET/PREFIX"):
        open_blob_store(address)


def test_without_the_library_the_message_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "obstore", None)  # import fails as if not installed
    with pytest.raises(ConfigurationError, match=r"docshelf\[s3\]"):
        open_blob_store("s3://files/prefix")


def test_the_server_command_offers_the_options() -> None:
    text = CliRunner().invoke(cli, ["server", "--help"]).output
    assert "--blob-store" in text and "--blob-redirect" in text and "DOCSHELF_BLOB_STORE" in text
