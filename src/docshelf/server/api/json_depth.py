"""Refuse JSON request bodies nested deeper than any docshelf request, before FastAPI parses
them: its parser recurses once per level, and a body of a hundred thousand ``[`` made it
fail with a RecursionError that was answered as "not valid JSON"."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from docshelf.domain.json_text import NestedTooDeep, check_depth
from docshelf.protocol.problems import PROBLEM_MEDIA_TYPE, Problem


def is_json(scope: Scope) -> bool:
    """Whether FastAPI will parse the body as JSON (it does for these types only)."""
    raw = dict(scope.get("headers") or []).get(b"content-type")
    if raw is None:
        return False
    media = bytes(raw).split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (
        media.startswith(b"application/") and media.endswith(b"+json")
    )


class JsonDepth:
    """Reads a JSON body whole (BodyLimit, outside, bounds it), measures its nesting and
    either answers 422 or hands the body on to the app unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_json(scope):
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request" or not message.get("more_body", False):
                break
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
        try:
            check_depth(body, "The request body")
        except NestedTooDeep as exc:
            await _refuse(scope, send, exc)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


async def _refuse(scope: Scope, send: Send, exc: NestedTooDeep) -> None:
    body = Problem(
        title=exc.title,
        status=exc.status,
        detail=exc.message,
        code=exc.code,
        request_id=(scope.get("state") or {}).get("request_id"),
    ).model_dump_json(exclude_none=True)
    await send(
        {
            "type": "http.response.start",
            "status": exc.status,
            "headers": [(b"content-type", PROBLEM_MEDIA_TYPE.encode())],
        }
    )
    await send({"type": "http.response.body", "body": body.encode()})
