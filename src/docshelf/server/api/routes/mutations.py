"""Uploading edits made offline (see docs/protocol.md, "Uploading edits")."""

from __future__ import annotations

from fastapi import APIRouter

from docshelf.protocol.mutations import MutationsAnswer, MutationsRequest
from docshelf.server.api.deps import CurrentCaller, State
from docshelf.server.sync.mutations import apply_mutations

router = APIRouter(tags=["sync"])


@router.post("/sync/mutations", operation_id="sync_mutations", response_model=MutationsAnswer)
def sync_mutations(body: MutationsRequest, caller: CurrentCaller, state: State) -> MutationsAnswer:
    """Apply edits in the order given; each is answered applied, conflict or rejected.

    Send each edit with an id of its own; sent again (the answer was lost), an edit is
    answered as the first time and not applied twice."""
    return apply_mutations(state.db, state.blobs, caller, body.mutations)
