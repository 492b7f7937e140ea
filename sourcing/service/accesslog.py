"""The access log without secrets: uvicorn writes each request's target, query string included,
and a caller that puts its token there (``?token=...``) must not find it in the log.

:class:`Redacted` rewrites the target of each access-log line before it is written: a query
value is shown only for the service's own parameters (``GET /v1/jobs?status=...&limit=...``),
and only when it has their form; every other value, and any item without a name, becomes
``***``. A path segment that is one of the server's tokens (compared by SHA-256, as
:mod:`sourcing.service.auth` does) becomes ``***`` too.
"""

from __future__ import annotations

import hashlib
import logging
import re
from urllib.parse import unquote

from sourcing.service.db import STATUSES

HIDDEN = "***"
#: the query parameters whose values are shown, and the form a value must have to be shown
SHOWN = {"status": re.compile("|".join(STATUSES)), "limit": re.compile(r"\d{1,6}")}
NAME = re.compile(r"[A-Za-z0-9_.\-]{1,40}")


class Redacted(logging.Filter):
    """A filter for the ``uvicorn.access`` logger: its records' targets, redacted."""

    def __init__(self, token_digests: list[bytes]):
        super().__init__()
        self.token_digests = set(token_digests)

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], self.target(args[2]), *args[3:])
        return True

    def target(self, target: str) -> str:
        path, mark, query = target.partition("?")
        segments = [HIDDEN if self._is_token(s) else s for s in path.split("/")]
        shown = "/".join(segments)
        if mark:
            shown += "?" + "&".join(self._item(item) for item in query.split("&"))
        return shown

    def _item(self, item: str) -> str:
        name, equals, value = item.partition("=")
        form = SHOWN.get(name)
        if equals and form is not None and form.fullmatch(value):
            return item
        if equals and NAME.fullmatch(name) and not self._is_token(unquote(name)):
            return f"{name}={HIDDEN}"
        return HIDDEN

    def _is_token(self, text: str) -> bool:
        if not text:
            return False
        return hashlib.sha256(text.encode("utf-8")).digest() in self.token_digests
