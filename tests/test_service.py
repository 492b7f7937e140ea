"""The HTTP service as another system meets it: a real server, called over HTTP.

Each server here is ``sourcing serve`` in its own process (uvicorn on a free loopback port, its
own SQLite file in a temporary folder), called with httpx. One server, with small limits, serves
most tests; the restart test runs its own, kills it with SIGKILL and starts it again on the same
database. Schemathesis then throws generated requests (valid and invalid by the OpenAPI schema)
at every endpoint: none may answer 5xx, and every answer must match the schema.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks

import sourcing
from sourcing.errors import InputError
from sourcing.service.app import create_app
from sourcing.service.settings import Settings
from tests.conftest import DEMO, INSTANCES, ROOT

TOKEN_A = "erp-7f3c9a1be2d84c06a5f1"  # from SOURCING_API_TOKENS
TOKEN_B = "portal-93b7e0c4d15a4f2e8c6b"  # from SOURCING_API_TOKENS_FILE
DANTZIG = INSTANCES / "dantzig-transport"

# The shared server's limits (the tests below build inputs just over each one)
LIMITS = {
    "SOURCING_MAX_REQUEST_BYTES": "300000",
    "SOURCING_MAX_OFFERS": "1000",
    "SOURCING_MAX_LANES": "50000",
    "SOURCING_MAX_TIME_LIMIT": "600",
    "SOURCING_SOLVE_TIME_LIMIT": "30",
}


# -- the server -----------------------------------------------------------------------------------


class Server:
    """``sourcing serve`` in a subprocess, on a data folder that outlives a restart."""

    def __init__(self, data_dir: Path, workers: int, env: dict[str, str]):
        self.data_dir = data_dir
        self.workers = workers
        self.log = data_dir / "server.log"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SOURCING_")}
        tokens = data_dir / "tokens.txt"
        tokens.write_text(f"# the procurement portal\n{TOKEN_B}\n")
        self.env |= {
            "SOURCING_API_TOKENS": TOKEN_A,
            "SOURCING_API_TOKENS_FILE": str(tokens),
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.port = _free_port()  # kept across a restart, as a client expects
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        command = [sys.executable, "-m", "sourcing.cli", "serve", "--port", str(self.port)]
        command += ["--workers", str(self.workers), "--data-dir", str(self.data_dir)]
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the server did not answer:\n{self.log.read_text()}")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def kill(self) -> None:
        """``kill -9``: no shutdown code runs."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()

    def client(self, token: str | None = TOKEN_A) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=120)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("service"), workers=2, env=LIMITS).start()
    yield running
    running.stop()


@pytest.fixture
def api(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


# -- inputs ---------------------------------------------------------------------------------------


def document(folder: Path) -> dict[str, Any]:
    """An instance folder as the JSON document a client sends."""
    return sourcing.load_instance(folder).model_dump(mode="json", exclude_none=True)


def all_or_nothing_lots(count: int = 40, seed: int = 1) -> dict[str, Any]:
    """A solve that runs for minutes: something to cancel.

    One buyer needs exactly D t from ``count`` suppliers, each selling one lot of 1e9–2e9 t that
    it delivers whole or not at all (``min_quantity`` = ``capacity``): a subset-sum problem with
    D = half the total + 1. Branch and bound neither finds an exact cover nor rules one out
    quickly (measured: no solution after 30 s on this machine), so the solve is still running
    whenever the test cancels it.
    """
    rng = random.Random(seed)
    lots = [rng.randint(10**9, 2 * 10**9) for _ in range(count)]
    countries = [f"L{i:03d}" for i in range(count)]
    return {
        "name": "all-or-nothing-lots",
        "stages": ["supply"],
        "minerals": [{"mineral": "cobalt"}],
        "countries": [{"country": c} for c in countries],
        "supply": [
            {
                "mineral": "cobalt",
                "stage": "supply",
                "country": c,
                "price": 1,
                "capacity": lot,
                "min_quantity": lot,
            }
            for c, lot in zip(countries, lots, strict=True)
        ],
        "demand": [{"mineral": "cobalt", "quantity": sum(lots) // 2 + 1}],
    }


def two_stage(miners: int, refiners: int) -> dict[str, Any]:
    """One mineral mined in ``miners`` countries and refined in ``refiners``, one buyer."""
    mines = [f"M{i:04d}" for i in range(miners)]
    refineries = [f"R{i:04d}" for i in range(refiners)]
    supply = [
        {"mineral": "lithium", "stage": "mining", "country": c, "price": 10} for c in mines
    ] + [{"mineral": "lithium", "stage": "refining", "country": c, "price": 5} for c in refineries]
    return {
        "name": f"lithium-{miners}x{refiners}",
        "stages": ["mining", "refining"],
        "transport_default": 1,
        "minerals": [{"mineral": "lithium"}],
        "countries": [{"country": c} for c in mines + refineries],
        "supply": supply,
        "demand": [{"mineral": "lithium", "quantity": 100}],
    }


def without_timings(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan without the seconds each phase took (the only part that differs run to run)."""
    plan = json.loads(json.dumps(plan))
    plan["stats"].pop("seconds")
    return plan


# -- helpers --------------------------------------------------------------------------------------


def wait_for(
    client: httpx.Client, job_id: str, done: Callable[[dict[str, Any]], bool], timeout: float = 90
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if done(job):
            return job
        assert time.monotonic() < deadline, f"job still {job['status']}: {job}"
        time.sleep(0.1)


def solving(job: dict[str, Any]) -> bool:
    return job["status"] == "running" and job["progress"]["phase"] == "solve"


def finished(job: dict[str, Any]) -> bool:
    return job["status"] in ("succeeded", "failed", "cancelled")


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (its solver processes, the fork server), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")  # a zombie has stopped; only its exit status is left


def gone(pids: set[int], timeout: float = 15) -> bool:
    deadline = time.monotonic() + timeout
    while any(alive(p) for p in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


# -- the tests ------------------------------------------------------------------------------------


def test_health_needs_no_token_and_every_other_endpoint_does(server: Server):
    with server.client(token=None) as anonymous:
        health = anonymous.get("/v1/health")
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
        assert health.json()["workers"]["limit"] == 2
        assert health.json()["database"] == "sqlite"
        protected = [
            ("GET", "/v1/models"),
            ("POST", "/v1/validate"),
            ("POST", "/v1/solve"),
            ("POST", "/v1/jobs"),
            ("GET", "/v1/jobs"),
            ("GET", "/v1/jobs/0123456789abcdef"),
            ("GET", "/v1/jobs/0123456789abcdef/plan"),
            ("DELETE", "/v1/jobs/0123456789abcdef"),
        ]
        for method, path in protected:
            answer = anonymous.request(method, path, json={"instance": document(DANTZIG)})
            assert answer.status_code == 401, (method, path)
            assert answer.headers["WWW-Authenticate"] == "Bearer"
    with server.client(token="not-a-token-of-this-server") as stranger:
        assert stranger.get("/v1/jobs").status_code == 401
        assert stranger.post("/v1/solve", json={"instance": {}}).status_code == 401
    with server.client(token=TOKEN_B) as portal:  # the token read from the file
        assert portal.get("/v1/jobs").status_code == 200


def test_the_server_will_not_start_without_a_token(tmp_path: Path):
    """Checked before the server listens: an open server is never started by mistake."""
    with pytest.raises(InputError) as refused:
        create_app(Settings(data_dir=tmp_path, api_tokens=None, api_tokens_file=None))
    [problem] = refused.value.problems
    assert problem.field == "SOURCING_API_TOKENS" and "SOURCING_API_TOKENS_FILE" in problem.message
    blank = tmp_path / "tokens.txt"
    blank.write_text("# nobody yet\n\n")
    with pytest.raises(InputError):
        create_app(Settings(data_dir=tmp_path, api_tokens=" , ", api_tokens_file=blank))


def test_models_are_the_bundled_ones(api: httpx.Client):
    models = {m["name"]: m for m in api.get("/v1/models").json()}
    assert set(models) == {"least-cost", "eu-crma", "partner-share", "resilient"}
    [cap] = models["eu-crma"]["rules"]
    assert (cap["rule"], cap["share"], cap["exempt"]) == ("max_country_share", 0.65, ["EU"])
    assert models["least-cost"]["rules"] == []


def test_the_plan_is_the_command_lines_and_the_python_apis(api: httpx.Client):
    """battery-demo under eu-crma: 13,809,525 USD (README), the same plan by all three ways."""
    answer = api.post("/v1/solve", json={"instance": document(DEMO), "model": "eu-crma"})
    assert answer.status_code == 200, answer.text
    served = answer.json()
    assert served["objective"] == pytest.approx(13_809_525.0, rel=1e-9)
    assert served["termination_condition"] == "optimal"
    printed = subprocess.run(
        [sys.executable, "-m", "sourcing.cli", "solve", str(DEMO), "-m", "eu-crma", "-f", "json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert printed.returncode == 0, printed.stderr
    assert without_timings(served) == without_timings(json.loads(printed.stdout))
    in_python = json.loads(sourcing.solve(DEMO, model="eu-crma").to_json())
    assert without_timings(served) == without_timings(in_python)
    # the solve is kept as a job of the caller, where its plan stays
    where = answer.headers["Content-Location"]
    assert api.get(where).json() == served
    kept = api.get(where.removesuffix("/plan")).json()
    assert (kept["kind"], kept["status"], kept["model"]) == ("solve", "succeeded", "eu-crma")


def test_scenarios_by_name_and_by_document_give_the_command_lines_plan(
    api: httpx.Client, tmp_path: Path
):
    """A library measure by name and a planner's own scenario document (China's cobalt refining
    cut by 90%) applied to battery-demo: the served plan equals `sourcing solve --scenario ...`
    with the same two; a name outside the library is 422, never a path read."""
    own = {
        "name": "cobalt-cut",
        "changes": [
            {"change": "capacity", "minerals": ["cobalt"], "stages": ["refining"],
             "countries": ["CHN"], "cut": 0.9}
        ],
    }  # fmt: skip
    body = {
        "instance": document(DEMO),
        "model": "eu-crma",
        "scenario": ["cn-graphite-2023", own],
    }
    answer = api.post("/v1/solve", json=body)
    assert answer.status_code == 200, answer.text
    own_file = tmp_path / "cobalt-cut.yaml"
    own_file.write_text(json.dumps(own))
    command = [sys.executable, "-m", "sourcing.cli", "solve", str(DEMO), "-m", "eu-crma"]
    command += ["--scenario", "cn-graphite-2023", "--scenario", str(own_file), "-f", "json"]
    printed = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert printed.returncode == 0, printed.stderr
    assert without_timings(answer.json()) == without_timings(json.loads(printed.stdout))
    assert answer.json()["objective"] > 13_809_525.0 * (1 + 1e-6)  # the cut bites
    wrong = api.post("/v1/solve", json={**body, "scenario": "../../etc/passwd"})
    assert wrong.status_code == 422
    assert "no bundled scenario" in wrong.text


def test_infeasible_is_a_plan_that_explains_itself(api: httpx.Client):
    """No FEOC (so no Chinese cobalt refining) and at most 20% of cobalt mining per country: the
    mines left (COD, IDN, AUS, CAN) could each give only 20%, 80% in all: no plan."""
    model = {
        "name": "tight",
        "rules": [
            {"rule": "exclude", "groups": ["FEOC"]},
            {
                "rule": "max_country_share",
                "share": 0.2,
                "minerals": ["cobalt"],
                "stages": ["mining"],
            },
        ],
    }
    answer = api.post("/v1/solve", json={"instance": document(DEMO), "model": model})
    assert answer.status_code == 200
    plan = answer.json()
    assert (plan["termination_condition"], plan["solution_status"]) == ("infeasible", "no_solution")
    assert plan["objective"] is None
    assert plan["infeasibility"] is not None
    assert "max_country_share" in json.dumps(plan["infeasibility"])


def test_invalid_input_is_422_naming_table_row_and_field(api: httpx.Client):
    negative = document(DEMO)
    negative["supply"][0]["capacity"] = -400  # supply row 1: lithium mining AUS
    unknown = document(DEMO)
    unknown["demand"].append({"mineral": "nickel", "site": "us-plant", "quantity": 5})  # row 7
    for path in ("/v1/solve", "/v1/jobs", "/v1/validate"):
        for bad, where in (
            (negative, ("supply", 1, "capacity")),
            (unknown, ("demand", 7, "mineral")),
        ):
            answer = api.post(path, json={"instance": bad})
            assert answer.status_code == 422, path
            [problem] = answer.json()["problems"]
            assert (problem["table"], problem["row"], problem["field"]) == where
            assert problem["message"]
    # a model is a bundled name or a document, never a path on the server
    for model in ("no-such-model", "../../../etc/passwd", "/etc/hostname"):
        answer = api.post("/v1/solve", json={"instance": document(DANTZIG), "model": model})
        assert answer.status_code == 422
        [problem] = answer.json()["problems"]
        assert problem["table"] == "model" and "eu-crma" in problem["message"]
    answer = api.post("/v1/jobs", json={"instance": document(DANTZIG), "options": {"rel_gap": 2}})
    assert answer.status_code == 422
    assert answer.json()["problems"][0]["field"] == "options.rel_gap"


def test_validate_counts_offers_and_lanes(api: httpx.Client):
    """battery-demo: 31 supply rows, no periods: 31 offers. With transport_default every pair
    of offers at consecutive stages is a lane, plus each refinery to each of the 2 plants:
    lithium 6 mines × 6 refineries + 6 × 2 = 48, graphite 5×5 + 5×2 = 35, cobalt 4×5 + 5×2 =
    30: 113 lanes."""
    answer = api.post("/v1/validate", json={"instance": document(DEMO), "model": "eu-crma"})
    assert answer.status_code == 200
    assert answer.json() == {"valid": True, "warnings": [], "offers": 31, "lanes": 113}
    stats = sourcing.solve(DEMO, model="eu-crma").stats
    assert (stats["offers"], stats["lanes"]) == (31, 113)


def test_a_job_from_submission_to_plan(server: Server, api: httpx.Client):
    submitted = api.post("/v1/jobs", json={"instance": document(DEMO), "model": "eu-crma"})
    assert submitted.status_code == 202
    job = submitted.json()
    assert submitted.headers["Location"] == f"/v1/jobs/{job['id']}"
    assert job["status"] in ("queued", "running")
    assert job["options"] == {"time_limit": 600.0, "rel_gap": None, "strict": False}

    done = wait_for(api, job["id"], finished)
    assert done["status"] == "succeeded"
    assert (done["termination_condition"], done["solution_status"]) == ("optimal", "optimal")
    assert done["objective"] == pytest.approx(13_809_525.0, rel=1e-9)
    assert done["progress"] == {"phase": None, "attempts": 1}
    timings = done["timings"]
    assert timings["created_at"] <= timings["started_at"] <= timings["finished_at"]
    assert timings["run_seconds"] > 0 and timings["queued_seconds"] >= 0

    plan = api.get(f"/v1/jobs/{job['id']}/plan").json()
    solved = api.post("/v1/solve", json={"instance": document(DEMO), "model": "eu-crma"}).json()
    assert without_timings(plan) == without_timings(solved)

    listed = [j["id"] for j in api.get("/v1/jobs", params={"status": "succeeded"}).json()["jobs"]]
    assert job["id"] in listed
    assert api.delete(f"/v1/jobs/{job['id']}").status_code == 409  # nothing left to cancel

    with server.client(TOKEN_B) as portal:  # another caller: as if the job did not exist
        for method, path in [
            ("GET", f"/v1/jobs/{job['id']}"),
            ("GET", f"/v1/jobs/{job['id']}/plan"),
            ("DELETE", f"/v1/jobs/{job['id']}"),
        ]:
            assert portal.request(method, path).status_code == 404
        assert job["id"] not in [j["id"] for j in portal.get("/v1/jobs").json()["jobs"]]
    assert api.get(f"/v1/jobs/{job['id']}").json()["status"] == "succeeded"


def test_a_hedge_and_alternatives_run_as_jobs(api: httpx.Client):
    """POST /v1/jobs with ``analysis``: the result at /plan is the command line's JSON
    (tests/test_hedge.py derives the gallium hedge: p = 0.5, expected 14,640, VSS 2,160); a
    hedge scenario must be a bundled name or a document (a path is never read: 422), and a bad
    hedge document is 422 naming the field."""
    from tests.test_hedge import CHINA_CUT, GALLIUM

    hedge = {
        "reservation_fee": 0.1,
        "spot_premium": 0.5,
        "scenarios": [{"scenario": CHINA_CUT, "probability": 0.5}],
    }
    body = {"instance": GALLIUM, "analysis": {"type": "hedge", "hedge": hedge}}
    job = api.post("/v1/jobs", json=body).json()
    done = wait_for(api, job["id"], finished)
    assert done["status"] == "succeeded", done
    assert done["objective"] == pytest.approx(14640)
    result = api.get(f"/v1/jobs/{job['id']}/plan").json()
    assert (result["objective"], result["vss"], result["evpi"]) == (14640, 2160, 1220)
    body = {"instance": GALLIUM, "analysis": {"type": "alternatives", "within": 0.3, "count": 1}}
    job = api.post("/v1/jobs", json=body).json()
    assert wait_for(api, job["id"], finished)["status"] == "succeeded"
    found = api.get(f"/v1/jobs/{job['id']}/plan").json()
    assert found["alternatives"][0]["objective"] == pytest.approx(13000)
    path = {**hedge, "scenarios": [{"scenario": "/etc/passwd", "probability": 0.5}]}
    refused = api.post("/v1/jobs", json={**body, "analysis": {"type": "hedge", "hedge": path}})
    assert refused.status_code == 422
    assert refused.json()["problems"][0]["field"] == "scenarios.scenario"
    bad = {**hedge, "spot_premium": -1}
    refused = api.post("/v1/jobs", json={**body, "analysis": {"type": "hedge", "hedge": bad}})
    assert refused.status_code == 422
    assert refused.json()["problems"][0]["field"] == "spot_premium"


def test_cancel_stops_the_running_solver_process(server: Server, api: httpx.Client):
    idle = descendants(server.pid)  # the fork server and multiprocessing's resource tracker
    submitted = api.post("/v1/jobs", json={"instance": all_or_nothing_lots()})
    job = wait_for(api, submitted.json()["id"], solving)  # progress: the engine's phase
    [solver] = descendants(server.pid) - idle
    assert alive(solver)
    time.sleep(0.5)  # let it search

    cancelled = api.delete(f"/v1/jobs/{job['id']}")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert not alive(solver)  # stopped before the answer
    assert api.get(f"/v1/jobs/{job['id']}/plan").status_code == 409
    time.sleep(1.0)
    assert api.get(f"/v1/jobs/{job['id']}").json()["status"] == "cancelled"
    assert api.get("/v1/health").json()["workers"]["busy"] == 0


def test_limits_are_named_when_exceeded(api: httpx.Client):
    def limit_of(answer: httpx.Response, status: int) -> dict[str, Any]:
        assert answer.status_code == status, answer.text
        limit = answer.json()["limit"]
        assert limit["setting"] in answer.json()["detail"]
        return limit

    # a body over 300,000 bytes, declared (Content-Length) or streamed (chunked)
    big = {"instance": document(DANTZIG), "padding": "x" * 300_000}
    limit = limit_of(api.post("/v1/solve", json=big), 413)
    assert (limit["name"], limit["setting"]) == ("max_request_bytes", "SOURCING_MAX_REQUEST_BYTES")
    assert limit["limit"] == 300_000 and limit["actual"] > 300_000
    streamed = (json.dumps(big)[i : i + 65536].encode() for i in range(0, 400_000, 65536))
    limit = limit_of(api.post("/v1/jobs", content=streamed), 413)
    assert limit["name"] == "max_request_bytes"

    # 1,000 mines and 1 refinery: 1,001 offers, one over
    limit = limit_of(api.post("/v1/jobs", json={"instance": two_stage(1000, 1)}), 413)
    assert (limit["name"], limit["limit"], limit["actual"]) == ("max_offers", 1000, 1001)

    # 230 mines × 230 refineries + 230 refineries × 1 demand row = 53,130 candidate lanes
    limit = limit_of(api.post("/v1/validate", json={"instance": two_stage(230, 230)}), 413)
    assert (limit["name"], limit["limit"], limit["actual"]) == ("max_lanes", 50_000, 53_130)
    assert api.post("/v1/validate", json={"instance": two_stage(220, 220)}).status_code == 200

    ask = {"instance": document(DANTZIG), "options": {"time_limit": 601}}
    limit = limit_of(api.post("/v1/jobs", json=ask), 422)
    assert (limit["name"], limit["limit"], limit["actual"]) == ("max_time_limit", 600, 601)
    ask["options"]["time_limit"] = 31
    limit = limit_of(api.post("/v1/solve", json=ask), 422)
    assert (limit["name"], limit["setting"]) == ("solve_time_limit", "SOURCING_SOLVE_TIME_LIMIT")


def test_restart_with_jobs_in_flight_loses_none(tmp_path: Path):
    """One worker and room for two waiting jobs. A slow job runs, two wait, a third is refused;
    one waiting job is cancelled; then the server is killed (SIGKILL) and started again."""
    server = Server(tmp_path, workers=1, env={"SOURCING_MAX_QUEUE": "2"}).start()
    try:
        with server.client() as api:
            slow = api.post("/v1/jobs", json={"instance": all_or_nothing_lots()}).json()["id"]
            wait_for(api, slow, solving)
            small = [
                api.post("/v1/jobs", json={"instance": document(DANTZIG)}).json()["id"]
                for _ in range(2)
            ]
            full = api.post("/v1/jobs", json={"instance": document(DANTZIG)})
            assert full.status_code == 429
            assert int(full.headers["Retry-After"]) > 0
            assert "SOURCING_MAX_QUEUE" in full.json()["detail"]
            assert api.delete(f"/v1/jobs/{small[1]}").json()["status"] == "cancelled"

            processes = descendants(server.pid)
            server.kill()
            assert gone(processes), "a solver process outlived its server"

            server.start()
            jobs = {j["id"]: j for j in api.get("/v1/jobs").json()["jobs"]}
            assert set(jobs) == {slow, *small}
            assert jobs[slow]["status"] in ("queued", "running")
            assert jobs[slow]["note"] == "re-queued: the server stopped while it ran (start 1)"
            assert jobs[small[0]]["status"] in ("queued", "running")
            assert jobs[small[1]]["status"] == "cancelled"

            wait_for(api, slow, lambda j: j["status"] == "running")  # the oldest first, again
            assert api.get(f"/v1/jobs/{slow}").json()["progress"]["attempts"] == 2
            assert api.delete(f"/v1/jobs/{slow}").json()["status"] == "cancelled"
            done = wait_for(api, small[0], finished)
            assert done["status"] == "succeeded"
            assert done["objective"] == pytest.approx(153.675, rel=1e-9)  # Dantzig's optimum
    finally:
        server.stop()


# Generated requests: schemathesis reads the live OpenAPI schema; for every operation it makes
# requests that fit the schema and requests that break it. Checks: no 5xx, and every status code,
# content type, header and body is the one the schema documents. (Schema-valid instances are
# still refused by the engine's cross-table checks, so "valid data is accepted" is not asked.)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


def test_generated_requests_never_get_a_5xx(server: Server):
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    auth = {"Authorization": f"Bearer {TOKEN_A}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 9
    for operation in operations:
        examples = 4 if operation.method.upper() == "POST" else 6
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(mode))
            @settings(
                max_examples=examples,
                deadline=None,
                suppress_health_check=[
                    HealthCheck.too_slow,
                    HealthCheck.data_too_large,
                    HealthCheck.filter_too_much,
                ],
            )
            def call(case: Any) -> None:
                case.call_and_validate(headers=auth, checks=CHECKS, timeout=60)

            try:
                call()
            except Unsatisfiable:  # no way to break the schema of GET /v1/health
                assert mode is GenerationMode.NEGATIVE and not operation.path.startswith("/v1/j")


def test_tokens_are_never_logged_nor_stored(server: Server):
    """Runs after the others: the log and the database have seen every kind of request."""
    log = server.log.read_bytes()
    stored = b"".join(p.read_bytes() for p in server.data_dir.glob("sourcing.db*"))
    assert b"POST /v1/jobs" in log and stored
    for token in (TOKEN_A, TOKEN_B):
        assert token.encode() not in log
        assert token.encode() not in stored
    owner = hashlib.sha256(TOKEN_A.encode()).hexdigest()
    assert owner.encode() in stored  # a caller is known by its token's SHA-256
