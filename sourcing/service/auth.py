"""Bearer tokens: who the caller is, in constant time, without keeping or logging a token.

The server keeps only the SHA-256 of each configured token. A caller's token is hashed and
compared with every configured digest by :func:`hmac.compare_digest` (no early exit, so the time
taken says nothing about how close a guess was). The caller is then known by that digest in hex:
the owner of its jobs, which only it can see and cancel.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sourcing.service.settings import digest

bearer = HTTPBearer(auto_error=False, description="An API token of this server.")


def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    """The caller's identity (the hex SHA-256 of its token); 401 without a valid token."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorized("a bearer token is required (Authorization: Bearer <token>)")
    presented = digest(credentials.credentials)
    known = False
    for configured in request.app.state.token_digests:
        known |= hmac.compare_digest(presented, configured)
    if not known:
        raise _unauthorized("the token is not valid")
    return presented.hex()


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


Caller = Annotated[str, Depends(caller)]
