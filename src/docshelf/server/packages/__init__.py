"""Packages on the server: read an uploaded archive safely, plan, apply, export.

The pure rules of the format live in :mod:`docshelf.domain.packages`; this package does
the I/O: :mod:`.reader` unpacks and verifies, :mod:`.plan` compares with the database,
:mod:`.apply` writes one change, :mod:`.export` builds an archive, :mod:`.history` keeps
each import with its objects' before-states, :mod:`.revert` undoes one, and
:mod:`.service` ties them together for the API.
"""
