"""What an operator sets: where the data lives, how many solves run at once, the limits, the tokens.

Every setting is read from the environment as ``SOURCING_<NAME>`` (``SOURCING_MAX_OFFERS=20000``);
the ``sourcing serve`` flags (``--workers``, ``--db``, ``--data-dir``) win over the environment.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from sourcing.errors import InputError, Problem

ENV_PREFIX = "SOURCING_"


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/sourcing``, by default ``~/.local/share/sourcing``."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "sourcing"


class Settings(BaseSettings):
    """The service's settings; each field is also the environment variable ``SOURCING_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    data_dir: Path = Field(
        default_factory=default_data_dir, description="Folder of the SQLite database."
    )
    db: str | None = Field(
        default=None,
        description="SQLAlchemy database URL (postgresql+psycopg://...); default: SQLite file "
        "sourcing.db under data_dir.",
    )
    workers: int = Field(default=2, ge=1, le=64, description="Solver processes running at once.")
    max_queue: int = Field(
        default=100, ge=1, description="Jobs waiting for a worker; past it a submission gets 429."
    )
    max_request_bytes: int = Field(default=16 * 2**20, ge=1024, description="Largest request body.")
    body_timeout: float = Field(
        default=60.0,
        gt=0,
        description="Seconds a request's body may take to arrive after its headers (408 past it).",
    )
    max_offers: int = Field(default=100_000, ge=1, description="Most offers in one instance.")
    max_lanes: int = Field(
        default=1_000_000,
        ge=1,
        description="Most candidate lanes in one instance (pairs of offers at consecutive stages "
        "of a mineral and period, plus last-stage offers times demand rows).",
    )
    max_time_limit: float = Field(
        default=3600.0, gt=0, description="Longest time limit a job may ask for (seconds)."
    )
    solve_time_limit: float = Field(
        default=60.0, gt=0, description="Time limit of POST /v1/solve, and the most it may ask for."
    )
    max_attempts: int = Field(
        default=3,
        ge=1,
        description="Starts of a job before it is failed for good (each start ended by its "
        "server stopping).",
    )
    lease_seconds: float = Field(
        default=30.0,
        ge=0.3,
        description="Seconds a server's hold on a running job lasts unless renewed; it renews "
        "every third of it while the solve runs. Past it, any server sharing the database "
        "re-queues the job: a killed server's jobs run again within this time.",
    )
    server_id: str | None = Field(
        default=None,
        max_length=200,
        description="This server's name on the jobs it runs; default: host name and port "
        "(a server started again under the same name takes its jobs back at once).",
    )
    retry_after: int = Field(default=5, ge=1, description="Retry-After seconds of a 429.")
    retain_sync_seconds: float = Field(
        default=86_400.0,
        ge=0,
        description="Seconds a finished POST /v1/solve (its job and plan) is kept after it "
        "finished; older ones are deleted when the next one is submitted. Queued jobs are kept.",
    )
    dask_scheduler: str | None = Field(
        default=None,
        pattern=r"^(tcp|tls|inproc|ucx)://\S+$",
        description="A Dask scheduler (tcp://HOST:PORT): sweep jobs run on its cluster instead "
        "of in the job's process (the same variable `sourcing sweep` reads).",
    )
    api_tokens: SecretStr | None = Field(default=None, description="Comma-separated bearer tokens.")
    api_tokens_file: Path | None = Field(
        default=None, description="File of bearer tokens, one a line ('#' starts a comment)."
    )

    @property
    def database_url(self) -> str:
        if self.db:
            return self.db
        return f"sqlite:///{self.data_dir / 'sourcing.db'}"

    def token_digests(self) -> list[bytes]:
        """The SHA-256 of each configured token: the only form in which the service keeps them."""
        tokens: list[str] = []
        if self.api_tokens is not None:
            tokens += self.api_tokens.get_secret_value().split(",")
        if self.api_tokens_file is not None:
            try:
                text = self.api_tokens_file.read_text(encoding="utf-8")
            except OSError as error:
                where = f"{ENV_PREFIX}API_TOKENS_FILE"
                raise InputError(
                    [Problem("environment", None, where, f"cannot read it: {error.strerror}")]
                ) from None
            tokens += [line.split("#", 1)[0] for line in text.splitlines()]
        digests = {digest(t.strip()) for t in tokens if t.strip()}
        if not digests:
            raise InputError(
                [
                    Problem(
                        "environment",
                        None,
                        f"{ENV_PREFIX}API_TOKENS",
                        f"no API token: set {ENV_PREFIX}API_TOKENS (comma-separated) or "
                        f"{ENV_PREFIX}API_TOKENS_FILE (one a line); every endpoint but "
                        "/v1/health needs one",
                    )
                ]
            )
        return sorted(digests)


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def load_settings(**overrides: object) -> Settings:
    """The environment's settings with the command line's ``overrides`` (``None``: not given)."""
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        # pydantic validates the overrides; the signature wants each field's type
        return Settings(**given)  # type: ignore[arg-type]
    except ValidationError as error:
        problems = []
        for e in error.errors():
            name = str(e["loc"][0]) if e["loc"] else ""
            where = "--" + name.replace("_", "-") if name in given else ENV_PREFIX + name.upper()
            problems.append(Problem("environment", None, where, e["msg"]))
        raise InputError(problems) from None
