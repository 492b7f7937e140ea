"""The HTTP service on hostile or careless input: bounded, prompt, and never a silent guess.

One real server (``sourcing serve`` in a subprocess, as in ``test_service``) with short limits:
a body must arrive within 1 s of its headers and a synchronous solve is kept 1 s. Connections
that stall are made with raw sockets, so the test controls every byte the server receives; each
read has a socket timeout, so a server that never answers fails the test instead of hanging it.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sourcing.service.limits import instance_size
from sourcing.service.worker import ORPHANED
from tests.conftest import ROOT
from tests.malformed import head, many_periods
from tests.test_service import (
    DANTZIG,
    TOKEN_A,
    Server,
    all_or_nothing_lots,
    descendants,
    document,
    solving,
    wait_for,
)

LIMITS = {
    "SOURCING_MAX_REQUEST_BYTES": "2000000",
    "SOURCING_BODY_TIMEOUT": "1",
    "SOURCING_RETAIN_SYNC_SECONDS": "1",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("hostile"), workers=2, env=LIMITS).start()
    yield running
    running.stop()


@pytest.fixture
def api(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def answer_and_close(connection: socket.socket) -> tuple[int, dict[str, Any]]:
    """Read until the server closes the connection: the answer's status and JSON body. Fails
    (socket timeout) if the server keeps the connection open."""
    received = b""
    try:
        while chunk := connection.recv(65536):
            received += chunk
    except TimeoutError:
        pytest.fail(f"the server kept the connection open; it had sent {received[:200]!r}")
    except ConnectionResetError:
        # a byte of ours crossed the server's close on a loaded machine: the kernel may drop
        # the answer with the reset, so keep what came; the checks below need the answer
        if not received:
            pytest.fail("the connection was reset before any answer arrived")
    status_line, _, rest = received.partition(b"\r\n")
    _, _, body = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), json.loads(body)


def connect(server: Server, timeout: float = 10) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=timeout)


# -- 3: options are taken as given -----------------------------------------------------------------


def test_options_of_the_wrong_json_type_are_refused_naming_the_field(api: httpx.Client):
    """`time_limit: true` was read as 1 s, `"5"` as 5 s, `strict: "yes"` as true. Each is now a
    422 naming the field, on every endpoint that takes it, and nothing is queued; a JSON number
    (integer or not) and a JSON boolean are still taken."""
    before = len(api.get("/v1/jobs").json()["jobs"])
    wrong = [
        ("time_limit", True),
        ("time_limit", "5"),
        ("rel_gap", "0.1"),
        ("rel_gap", False),
        ("strict", "yes"),
        ("strict", 1),
    ]
    for path in ("/v1/jobs", "/v1/solve"):
        for name, value in wrong:
            body = {"instance": document(DANTZIG), "options": {name: value}}
            answer = api.post(path, json=body)
            assert answer.status_code == 422, (path, name, value, answer.text)
            [problem] = answer.json()["problems"]
            assert problem["field"] == f"options.{name}", (path, name, value)
    refused = api.post("/v1/validate", json={"instance": document(DANTZIG), "strict": "yes"})
    assert refused.status_code == 422
    assert refused.json()["problems"][0]["field"] == "strict"
    assert len(api.get("/v1/jobs").json()["jobs"]) == before  # nothing was queued

    taken = {"time_limit": 5, "rel_gap": 0, "strict": True}
    answer = api.post("/v1/solve", json={"instance": document(DANTZIG), "options": taken})
    assert answer.status_code == 200, answer.text
    assert answer.json()["objective"] == pytest.approx(153.675, rel=1e-9)


# -- 8: offers are counted, not enumerated ---------------------------------------------------------


def test_undated_rows_times_many_periods_are_refused_at_once(api: httpx.Client):
    """1,000 supply rows without a period and 100,000 listed periods (a 1 MB body): 10^8 offers.
    The old count walked them one by one (two minutes of CPU) before comparing with max_offers;
    counted as rows × periods, the answer is an immediate 413 naming the limit (the client gives
    up after 30 s, far beyond what the answer needs)."""
    instance = many_periods()
    for path in ("/v1/validate", "/v1/jobs", "/v1/solve"):
        answer = api.post(path, json={"instance": instance}, timeout=30)
        assert answer.status_code == 413, (path, answer.text)
        limit = answer.json()["limit"]
        assert (limit["name"], limit["actual"]) == ("max_offers", 100_000_000)
        assert "SOURCING_MAX_OFFERS" in answer.json()["detail"]


def row_by_row(instance: Any) -> tuple[int, int]:
    """The count as it was: every undated row expanded into every period, lanes per key."""
    periods = list(instance.periods) if instance.periods else [""]
    offers: Counter[tuple[str, str, str]] = Counter()
    for row in instance.supply:
        for period in [row["period"]] if row.get("period") else periods:
            offers[(row["mineral"], period, row["stage"])] += 1
    demand: Counter[tuple[str, str]] = Counter()
    for row in instance.demand:
        for period in [row["period"]] if row.get("period") else periods:
            demand[(row["mineral"], period)] += 1
    stages = list(instance.stages)
    lanes = 0
    for (mineral, period, stage), count in list(offers.items()):
        position = stages.index(stage)
        if position + 1 < len(stages):
            lanes += count * offers[(mineral, period, stages[position + 1])]
        else:
            lanes += count * demand[(mineral, period)]
    return sum(offers.values()), lanes


@st.composite
def sized_instances(draw: st.DrawFn) -> SimpleNamespace:
    """Rows of up to 3 minerals and 3 stages, each in a listed period, in a period nobody lists
    ('zz'), or in none (every listed period)."""
    stages = ["mining", "refining", "cathode"][: draw(st.integers(1, 3))]
    periods = draw(st.sampled_from([None, ["2030"], ["2030", "2035", "2040"]]))
    minerals = ["Li", "Co", "Ni"][: draw(st.integers(1, 3))]
    when = st.sampled_from([None, "zz", *(periods or [])])

    def rows(kind: str, most: int) -> list[dict[str, Any]]:
        made = []
        for _ in range(draw(st.integers(1, most))):
            row = {"mineral": draw(st.sampled_from(minerals))}
            if kind == "supply":
                row["stage"] = draw(st.sampled_from(stages))
            if period := draw(when):
                row["period"] = period
            made.append(row)
        return made

    return SimpleNamespace(
        stages=stages, periods=periods, supply=rows("supply", 10), demand=rows("demand", 4)
    )


@settings(max_examples=300, deadline=None)
@given(sized_instances())
def test_the_arithmetic_count_is_the_row_by_row_count(instance: SimpleNamespace):
    """On small instances, where walking every row in every period is cheap, the arithmetic
    count gives the same offers and candidate lanes: the limits mean what they meant."""
    assert instance_size(instance) == row_by_row(instance)


# -- 7: the token before the body, and no body waited for forever ----------------------------------


def test_without_a_token_the_answer_is_401_before_the_body_is_read(server: Server):
    """20 connections without a token (or with a wrong one), each declaring a body of the
    largest allowed size and sending 1 KB of it, then nothing. Each is answered 401 at once and
    closed by the server; the rest of the body is never waited for. (Before: the server read
    each body whole before it looked at the token, and kept the stalled ones open.)"""
    size = int(LIMITS["SOURCING_MAX_REQUEST_BYTES"])
    connections = []
    for number in range(20):
        connection = connect(server)
        token = None if number % 2 else "not-a-token-of-this-server"
        connection.sendall(head("POST", "/v1/solve", size, token) + b"{" + b" " * 1023)
        connections.append(connection)
    for connection in connections:
        with connection:
            status, body = answer_and_close(connection)
            assert status == 401
            assert body["detail"] in (
                "a bearer token is required (Authorization: Bearer <token>)",
                "the token is not valid",
            )
    with server.client() as api:  # the server is unharmed
        assert api.get("/v1/health").status_code == 200


def test_a_declared_body_over_the_limit_is_413_before_a_byte_of_it(server: Server):
    """With a valid token, a request declaring 1 GB (over SOURCING_MAX_REQUEST_BYTES) is
    answered 413, naming the limit and the size declared, and closed, before any body is sent."""
    with connect(server) as connection:
        connection.sendall(head("POST", "/v1/jobs", 10**9, TOKEN_A))
        status, body = answer_and_close(connection)
    assert status == 413
    assert body["limit"]["name"] == "max_request_bytes"
    assert body["limit"]["actual"] == 10**9
    assert "SOURCING_MAX_REQUEST_BYTES" in body["detail"]


def test_a_body_that_stops_arriving_is_408_and_closed(server: Server):
    """With a valid token, a body of 1,000 declared bytes of which 10 arrive: after the server's
    body timeout (1 s here) the answer is 408 naming SOURCING_BODY_TIMEOUT, and the connection
    is closed; one that trickles a byte at a time fares the same (the deadline is for the whole
    body, not between bytes)."""
    with connect(server) as connection:
        connection.sendall(head("POST", "/v1/solve", 1000, TOKEN_A) + b'{"instance"')
        status, body = answer_and_close(connection)
    assert status == 408
    assert (body["limit"]["name"], body["limit"]["limit"]) == ("body_timeout", 1.0)
    assert "SOURCING_BODY_TIMEOUT" in body["detail"]

    with connect(server) as connection:
        connection.sendall(head("POST", "/v1/validate", 1000, TOKEN_A))
        answered_while_trickling = False
        for _ in range(40):  # a byte every 0.1 s, 4 s in all: well past the 1 s deadline
            answered, _, _ = select.select([connection], [], [], 0.1)
            if answered:
                answered_while_trickling = True
                break
            try:
                connection.sendall(b" ")
            except (BrokenPipeError, ConnectionResetError):  # it answered and closed meanwhile
                answered_while_trickling = True
                break
        status, body = answer_and_close(connection)
    # a deadline between bytes would never have fired while a byte came every 0.1 s
    assert answered_while_trickling
    assert status == 408
    assert body["limit"]["name"] == "body_timeout"


# -- 14: a token in the query string is not logged -------------------------------------------------


def test_a_token_in_the_query_string_is_not_written_to_the_access_log(server: Server):
    """Clients that put the token in the URL (`?token=...`, `?access_token=...`, or as a path
    segment) find their requests in the access log with the token replaced by ***; the service's
    own parameters (`status`, `limit`) still show."""
    with server.client() as api:
        assert api.get(f"/v1/jobs?token={TOKEN_A}&status=queued&limit=5").status_code == 200
        assert api.get(f"/v1/jobs/{TOKEN_A}").status_code == 404
    with server.client(token=None) as anonymous:
        assert anonymous.get(f"/v1/models?access_token={TOKEN_A}").status_code == 401
        assert anonymous.get(f"/v1/jobs?{TOKEN_A}").status_code == 401
    time.sleep(0.2)  # the log line is written as the answer starts
    log = server.log.read_text()
    assert TOKEN_A not in log
    assert '"GET /v1/jobs?token=***&status=queued&limit=5 HTTP/1.1" 200' in log
    assert '"GET /v1/jobs/*** HTTP/1.1" 404' in log
    assert '"GET /v1/models?access_token=*** HTTP/1.1" 401' in log
    assert '"GET /v1/jobs?*** HTTP/1.1" 401' in log


# -- 15: the API's pages: public, and offline ------------------------------------------------------


def test_the_api_pages_are_public_and_need_nothing_from_the_web(server: Server):
    """/docs, /redoc and /openapi.json answer without a token (they describe the API and carry
    no data; the README says so), and the pages load Swagger UI and ReDoc from this server (the
    fastapi-offline package), not from a CDN: no address in them leaves the server. Every other
    path still needs a token, even one that does not exist."""
    with server.client(token=None) as anonymous:
        assert anonymous.get("/openapi.json").json()["info"]["title"] == "sourcing"
        for page, assets in [
            ("/docs", ["swagger-ui-bundle.js", "swagger-ui.css"]),
            ("/redoc", ["redoc.standalone.js"]),
        ]:
            html = anonymous.get(page)
            assert html.status_code == 200
            assert "http://" not in html.text and "https://" not in html.text, page
            for asset in assets:
                assert f'"/docs/assets/{asset}"' in html.text
                served = anonymous.get(f"/docs/assets/{asset}")
                assert served.status_code == 200 and len(served.content) > 100_000
        for path in ("/v1/models", "/v1/jobs", "/no-such-path", "/docs/../v1/jobs"):
            assert anonymous.get(path).status_code == 401, path


# -- 16: the small ones ----------------------------------------------------------------------------


def test_head_on_health_answers_200_without_a_body(server: Server):
    """A load balancer's `HEAD /v1/health` (was 405): 200, no token, no body."""
    with server.client(token=None) as anonymous:
        answer = anonymous.head("/v1/health")
    assert answer.status_code == 200
    assert answer.content == b""


def test_a_failed_job_says_where_it_failed_and_no_longer_shows_a_running_phase(
    server: Server, api: httpx.Client
):
    """A job whose solver process dies mid-solve (killed here, as the out-of-memory killer
    would) is failed; its progress shows no phase (nothing runs), and its error names the phase
    it failed in: `solve`. (Before: `progress.phase` still said "solve" on the failed job.)"""
    idle = descendants(server.pid)
    job = api.post("/v1/jobs", json={"instance": all_or_nothing_lots()}).json()
    wait_for(api, job["id"], solving)
    [solver] = descendants(server.pid) - idle
    os.kill(solver, signal.SIGKILL)
    failed = wait_for(api, job["id"], lambda j: j["status"] == "failed")
    assert failed["progress"]["phase"] is None
    assert failed["error"]["phase"] == "solve"
    assert "stopped unexpectedly" in failed["error"]["message"]


def test_synchronous_solves_are_kept_only_for_the_retention_period(api: httpx.Client):
    """SOURCING_RETAIN_SYNC_SECONDS is 1 here: a solve's plan is served at its Content-Location
    right after it, but once it is more than 1 s old, the next solve deletes it (job and plan),
    while the new one is kept. Queued jobs (POST /v1/jobs) are not touched."""
    first = api.post("/v1/solve", json={"instance": document(DANTZIG)})
    assert first.status_code == 200
    where = first.headers["Content-Location"]
    assert api.get(where).status_code == 200
    queued = api.post("/v1/jobs", json={"instance": document(DANTZIG)}).json()["id"]
    wait_for(api, queued, lambda j: j["status"] == "succeeded")
    time.sleep(1.2)
    second = api.post("/v1/solve", json={"instance": document(DANTZIG)})
    assert second.status_code == 200
    assert api.get(where).status_code == 404
    assert api.get(where.removesuffix("/plan")).status_code == 404
    assert api.get(second.headers["Content-Location"]).status_code == 200
    assert api.get(f"/v1/jobs/{queued}/plan").status_code == 200


ORPHAN = """
import json, multiprocessing, sys
from sourcing.service import worker

context = multiprocessing.get_context("forkserver")
context.set_forkserver_preload(["sourcing.service.worker"])
results_r, results_w = context.Pipe(duplex=False)
lifeline_r, lifeline_w = context.Pipe(duplex=False)
request = {"instance": json.loads(sys.argv[1]), "model": None, "scenario": None,
           "options": {"time_limit": 30, "rel_gap": None, "strict": False}}
process = context.Process(target=worker.run, args=(json.dumps(request), results_w, lifeline_r))
results_r.close()  # the server's end of the results pipe is gone, as after kill -9
process.start()
results_w.close()
lifeline_r.close()
process.join(60)
print(process.exitcode)
"""


def test_a_solver_process_whose_server_died_exits_quietly():
    """After `kill -9` of the server, its solver process finds the results pipe broken on its
    next message (here, before the lifeline notices, the order that printed tracebacks into the
    server's log). It exits at once with ORPHANED (70), and writes nothing to stderr."""
    instance = json.dumps(document(DANTZIG))
    ran = subprocess.run(
        [sys.executable, "-c", ORPHAN, instance],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert ran.stdout.strip() == str(ORPHANED), ran.stderr
    assert ran.stderr == ""
