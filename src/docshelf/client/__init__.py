"""The docshelf sync client: local cache, file store, sync engine and its adapters."""
