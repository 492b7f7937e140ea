"""The front door: what a request must show before the service reads a byte of its body.

A pure ASGI middleware, outside everything that reads a body, decides in this order:

1. **The token**, from the headers alone: a request to anything but the public paths (health,
   the OpenAPI document and its pages) without a valid bearer token is answered ``401`` at once
   and its connection closed. Its body is never read, so a caller without a token costs the
   server no memory, however much it declares or sends.
2. **The declared size**: a ``Content-Length`` over ``max_request_bytes`` is answered ``413``
   before the body is read.
3. **The body's arrival**: the body is then read, counted (a chunked body has no length to
   declare) and must arrive whole within ``body_timeout`` seconds of the headers; a body that
   stalls or trickles is answered ``408`` and its connection closed, so no connection is held
   open by a client that stops sending.

Only then does the application see the request, with the body replayed chunk by chunk. Every
refusal has the service's error shape (``detail``, ``problems``, ``limit``) and ``Connection:
close``: the server stops reading that connection and uvicorn closes it.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sourcing.service.auth import MISSING, NOT_VALID, identify
from sourcing.service.limits import LimitExceeded

#: paths answered without a token: they carry no data (see the README's Service section)
PUBLIC = frozenset({"/v1/health", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
#: Swagger UI's and ReDoc's own files, served from the fastapi-offline package
ASSETS = "/docs/assets"


def is_public(path: str) -> bool:
    return path in PUBLIC or path.startswith(ASSETS + "/")


class Gate:
    """ASGI middleware: the token, the declared size and the body's deadline, in that order."""

    def __init__(
        self, app: ASGIApp, token_digests: list[bytes], max_bytes: int, body_timeout: float
    ):
        self.app = app
        self.token_digests = token_digests
        self.max_bytes = max_bytes
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if not is_public(scope["path"]):
            authorization = headers.get(b"authorization")
            if identify(authorization, self.token_digests) is None:
                detail = MISSING if authorization is None else NOT_VALID
                body: dict[str, Any] = {"detail": detail, "problems": [], "limit": None}
                await _refuse(send, 401, body, ((b"www-authenticate", b"Bearer"),))
                return
        declared = headers.get(b"content-length", b"").strip()
        if declared.isdigit() and int(declared) > self.max_bytes:
            await _refuse(send, 413, self._too_large(int(declared)).body())
            return
        try:
            async with asyncio.timeout(self.body_timeout):
                chunks = await self._read(receive)
        except TimeoutError:
            await _refuse(send, 408, self._too_slow().body())
            return
        except LimitExceeded as error:
            await _refuse(send, error.status, error.body())
            return
        if chunks is None:  # the client went away
            return

        async def replay() -> Message:
            if chunks:
                return {"type": "http.request", "body": chunks.popleft(), "more_body": bool(chunks)}
            return await receive()

        await self.app(scope, replay, send)

    async def _read(self, receive: Receive) -> deque[bytes] | None:
        """The body's chunks (at least one), counted as they come; None if the client left."""
        chunks: deque[bytes] = deque()
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                raise self._too_large(None)
            chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks

    def _too_large(self, actual: int | None) -> LimitExceeded:
        return LimitExceeded(
            413,
            "max_request_bytes",
            self.max_bytes,
            actual,
            f"the request body is larger than this server's limit of {self.max_bytes:,} bytes",
        )

    def _too_slow(self) -> LimitExceeded:
        return LimitExceeded(
            408,
            "body_timeout",
            self.body_timeout,
            None,
            f"the request body did not arrive within {self.body_timeout:g} s of its headers",
        )


async def _refuse(
    send: Send, status: int, body: dict[str, Any], headers: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    """Answer ``status`` with ``body`` and close the connection (the rest of the request's body
    is never read)."""
    content = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(content)).encode()),
                (b"connection", b"close"),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})
