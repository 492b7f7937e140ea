"""Error answers: one shape (:class:`~sourcing.service.schemas.ErrorOut`) for every status.

    {"detail": "...", "problems": [{"table", "row", "field", "message"}], "limit": {...} | null}

Invalid input names table, row and field as the command line does (422); a limit names itself
and the variable that sets it (413 or 422); anything else is a plain ``detail``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from sourcing.errors import InputError
from sourcing.service.limits import LimitExceeded
from sourcing.service.schemas import ErrorOut
from sourcing.service.worker import problems


def documented(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI description of these error answers of a route."""
    described = {
        400: "The body is not JSON.",
        401: "No valid bearer token.",
        404: "No such job among the caller's.",
        408: "The body did not arrive within the server's body timeout (named in `limit`).",
        409: "The job is not in a state that allows it.",
        413: "The request or the instance is over a limit of this server (named in `limit`).",
        422: "Invalid input: every problem by table, row and field, or a limit (named).",
        429: "The queue is full: retry after the Retry-After header's seconds.",
        503: "The solve did not finish in time (workers busy): retry, or submit a job.",
    }
    return {code: {"model": ErrorOut, "description": described[code]} for code in codes}


def install_handlers(app: FastAPI) -> None:
    """Every error answers as :class:`ErrorOut`: the engine's input problems, a limit, or a
    request that does not fit the schema (located by where in the body it is)."""

    @app.exception_handler(InputError)
    async def input_error(_: Request, error: InputError) -> JSONResponse:
        body = {
            "detail": f"invalid input: {len(error.problems)} problem(s)",
            "problems": problems(error),
        }
        return JSONResponse(body, status_code=422)

    @app.exception_handler(LimitExceeded)
    async def limit_exceeded(_: Request, error: LimitExceeded) -> JSONResponse:
        return JSONResponse(error.body(), status_code=error.status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        found = []
        for e in error.errors():
            where = [str(part) for part in e.get("loc", ())]
            table = where[0] if where else "request"
            found.append(
                {
                    "table": table,
                    "row": None,
                    "field": ".".join(where[1:]) or None,
                    "message": e.get("msg", "invalid"),
                }
            )
        body = {"detail": f"invalid request: {len(found)} problem(s)", "problems": found}
        return JSONResponse(body, status_code=422)
