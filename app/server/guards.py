"""HTTP guards in front of the routes: the bearer token and the request body size limit."""

from __future__ import annotations

import hmac
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEALTH_PATHS = frozenset({"/v2/health/live", "/v2/health/ready"})


async def send_error(send: Send, status: int, message: str, headers: dict[str, str] | None = None) -> None:
    """Send ``{"error": message}`` with ``status`` straight over ASGI."""
    body = json.dumps({"error": message}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class BearerAuth:
    """Requires ``Authorization: Bearer <token>`` on every HTTP path but the health checks."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in HEALTH_PATHS:
            await self.app(scope, receive, send)
            return
        header = dict(scope["headers"]).get(b"authorization", b"")
        scheme, _, given = header.partition(b" ")
        if scheme.lower() != b"bearer" or not given.strip():
            await send_error(send, 401, "missing bearer token: send the header 'Authorization: Bearer <token>'",
                             {"WWW-Authenticate": "Bearer"})
            return
        if not hmac.compare_digest(given.strip(), self._token):
            await send_error(send, 401, "invalid bearer token", {"WWW-Authenticate": 'Bearer error="invalid_token"'})
            return
        await self.app(scope, receive, send)


class BodyLimit:
    """Rejects request bodies over ``limit`` bytes with 413, whether announced or streamed."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = None
        for key, value in scope["headers"]:
            if key == b"content-length":
                declared = value  # the last one, as a dict of the headers would keep
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await send_error(send, 413, f"request body of {int(declared)} bytes exceeds the limit of {self.limit}")
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await send_error(send, 413, f"request body exceeds the limit of {self.limit} bytes")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class JsonBodies:
    """Treats every request body as JSON, as the KServe v2 protocol does: HTTP clients of Triton send
    JSON without (or with another) Content-Type. Bodies with Triton's binary header are left alone."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("POST", "PUT"):
            headers = [(k, v) for k, v in scope["headers"] if k != b"content-type"]
            if not any(k == b"inference-header-content-length" for k, _ in headers):
                scope["headers"] = [*headers, (b"content-type", b"application/json")]  # in place: the
                # outer middlewares read what routing adds to this scope
        await self.app(scope, receive, send)
