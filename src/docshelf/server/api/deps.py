"""Request dependencies: the server state and the authenticated caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from docshelf.domain.accounts import Actor
from docshelf.domain.errors import NotAuthenticated
from docshelf.i18n import tr
from docshelf.server.services.auth import API, Caller, authenticate
from docshelf.server.state import ServerState

_bearer = HTTPBearer(auto_error=False, description="The device token from /auth/login.")


# Trivial dependencies are async: FastAPI runs a sync one in a worker thread, and the hop
# costs more than the function.
async def get_state(request: Request) -> ServerState:
    state: ServerState = request.app.state.docshelf
    return state


State = Annotated[ServerState, Depends(get_state)]


async def get_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    if credentials is None or not credentials.credentials:
        raise NotAuthenticated(tr("Sign in first: this request carries no device token."))
    return credentials.credentials


# The device token, not yet checked: for the hottest endpoints (polls, file downloads), which
# authenticate inside their own worker-thread call, in the same transaction as their reads.
Token = Annotated[str, Depends(get_token)]


def get_caller(state: State, token: Token) -> Caller:
    return authenticate(state.db, token, API)


async def get_actor(caller: Annotated[Caller, Depends(get_caller)]) -> Actor:
    return caller.actor


CurrentCaller = Annotated[Caller, Depends(get_caller)]
CurrentActor = Annotated[Actor, Depends(get_actor)]
