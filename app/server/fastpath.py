"""Inference and liveness requests taken before the web framework's routing.

Nearly all of a serving front end's requests are inferences, and FastAPI's work per request (the
middleware stack of its own, dependency solving, the request and response wrapping) costs the front end
more CPU than the inference's protocol work. ``Server`` (the FastAPI application) hands the requests
matching a few of its routes to a lean stack instead: the same user middlewares (access log, bearer
token, body limit, JSON bodies) and exception handlers as every other request, around an ASGI endpoint
that shares its code with the routed one. What differs is only what FastAPI adds (its telemetry, body
limit and exit stack middlewares, none configured here). Every other request, and a matching one under a
``root_path``, takes the routed way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

Endpoint = Callable[[Scope, Receive, Send], Awaitable[None]]


class Server(FastAPI):
    """The serving application: routes named by ``take_early`` are answered by their lean endpoints."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._early: dict[str, Endpoint] = {}
        self._lean: list[tuple[Any, Endpoint]] | None = None
        self._lean_stack: ASGIApp | None = None

    def take_early(self, endpoints: dict[str, Endpoint]) -> None:
        """Answer the routes of these names with these ASGI endpoints, before routing. Each must be matched
        by no route before it in the table (the router would take that one)."""
        self._early.update(endpoints)
        self._lean = None

    def _routes(self) -> list[tuple[Any, Endpoint]]:
        if self._lean is None:
            self._lean = [(route, self._early[route.name]) for route in self.router.routes
                          if getattr(route, "name", None) in self._early]
        return self._lean

    def _stack(self) -> ASGIApp:
        """Starlette's stack as it builds it (error middleware, user middlewares, exception handlers)
        around the lean endpoints."""
        if self._lean_stack is None:
            error_handler = None
            handlers: dict[Any, Any] = {}
            for key, value in self.exception_handlers.items():
                if key in (500, Exception):
                    error_handler = value
                else:
                    handlers[key] = value
            stack: ASGIApp = ExceptionMiddleware(_dispatch, handlers=handlers, debug=self.debug)
            for cls, args, kwargs in reversed(self.user_middleware):
                stack = cls(stack, *args, **kwargs)
            self._lean_stack = ServerErrorMiddleware(stack, handler=error_handler, debug=self.debug)
        return self._lean_stack

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path") and self._early:
            for route, endpoint in self._routes():
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope["app"] = self
                    scope[_LEAN] = (endpoint, child_scope)
                    await self._stack()(scope, receive, send)
                    return
                if match is not Match.NONE:
                    break
        await super().__call__(scope, receive, send)


_LEAN = "salver.lean"


async def _dispatch(scope: Scope, receive: Receive, send: Send) -> None:
    """The innermost app of the lean stack: what the router would do for the matched route."""
    endpoint, child_scope = scope.pop(_LEAN)
    scope.update(child_scope)
    await endpoint(scope, receive, send)


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of request header ``name`` (lower case, as ASGI servers send them), as Starlette's
    ``Headers.get`` gives it."""
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


async def body(receive: Receive) -> bytes | None:
    """The request body (None if the client went away before sending it all)."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)
