"""Bearer tokens: who the caller is, in constant time, without keeping or logging a token.

The server keeps only the SHA-256 of each configured token. A caller's token is hashed and
compared with every configured digest by :func:`hmac.compare_digest` (no early exit, so the time
taken says nothing about how close a guess was). The caller is then known by that digest in hex:
the owner of its jobs, which only it can see and cancel.

The token is checked twice, by one function (:func:`identify`): first by the front door
(:mod:`sourcing.service.gate`) from the headers alone, before any body is read, and again by
the routes' dependency (:func:`caller`), which names the caller to the route.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

bearer = HTTPBearer(auto_error=False, description="An API token of this server.")

MISSING = "a bearer token is required (Authorization: Bearer <token>)"
NOT_VALID = "the token is not valid"


def identify(authorization: bytes | str | None, token_digests: list[bytes]) -> str | None:
    """The caller named by an ``Authorization`` header's value (the hex SHA-256 of its bearer
    token), or None without a valid one."""
    if authorization is None:
        return None
    if isinstance(authorization, str):  # Starlette decodes headers as Latin-1: undo it
        authorization = authorization.encode("latin-1", errors="replace")
    scheme, _, token = authorization.strip().partition(b" ")
    token = token.strip()
    if scheme.lower() != b"bearer" or not token:
        return None
    presented = hashlib.sha256(token).digest()
    known = False
    for configured in token_digests:
        known |= hmac.compare_digest(presented, configured)
    return presented.hex() if known else None


def caller(
    request: Request,
    _: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],  # documents the scheme
) -> str:
    """The caller's identity (the hex SHA-256 of its token); 401 without a valid token."""
    authorization = request.headers.get("authorization")
    owner = identify(authorization, request.app.state.token_digests)
    if owner is None:
        detail = MISSING if authorization is None else NOT_VALID
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
        )
    return owner


Caller = Annotated[str, Depends(caller)]
