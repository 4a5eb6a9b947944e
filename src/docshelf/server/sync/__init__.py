"""The server side of the sync: change feed, manifest, and what each user may see."""
