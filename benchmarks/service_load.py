"""The service under load: latency of small solves, throughput of many clients, servers sharing
one PostgreSQL.

    python benchmarks/service_load.py                          # latency and concurrent
    python benchmarks/service_load.py latency --requests 200   # one case
    python benchmarks/service_load.py scale --jobs 200         # needs PostgreSQL's binaries

Each case starts ``sourcing serve`` (2 workers, the default) in its own process on a free
loopback port, on a SQLite file in a temporary folder unless told otherwise, and prints what it
measured (timings are printed, never asserted):

    latency      one client, sequential POST /v1/solve of the 4-supplier gallium case
                 (tests.test_scenarios.two_plants): median, p95, max in milliseconds
    concurrent   N clients (20) posting the battery demo to POST /v1/solve for S seconds (20):
                 requests per second, p50, p95, and any answer that was not 200
    scale        a PostgreSQL in a temporary folder (tests.postgres); M jobs (200) of the
                 battery demo submitted to one server, then to two servers on one database
                 (alternating): jobs per second each way and their ratio, and every job's
                 attempts (each must be 1)
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the test helpers build the inputs and the database
from tests.conftest import DEMO  # noqa: E402 - importable once ROOT is on the path
from tests.test_scenarios import two_plants  # noqa: E402

TOKEN = "bench-7f3c9a1be2d84c06a5f1"
CASES = ["latency", "concurrent"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", default=CASES, help="latency, concurrent, scale")
    parser.add_argument("--requests", type=int, default=100, help="latency: sequential solves")
    parser.add_argument("--clients", type=int, default=20, help="concurrent: clients")
    parser.add_argument("--seconds", type=float, default=20.0, help="concurrent: how long")
    parser.add_argument("--jobs", type=int, default=200, help="scale: jobs each way")
    parser.add_argument("--workers", type=int, default=2, help="workers of each server")
    parser.add_argument("--db", help="database URL (default: SQLite in a temporary folder)")
    args = parser.parse_args(argv)
    for case in args.cases:
        print(f"\n== {case}", flush=True)
        globals()["case_" + case](args)
    return 0


# -- the servers ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def server(folder: Path, workers: int, db: str | None = None) -> Iterator[str]:
    """``sourcing serve`` on a free port until the block ends; yields its URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOURCING_")}
    env["SOURCING_API_TOKENS"] = TOKEN
    env["SOURCING_MAX_QUEUE"] = "100000"  # the scale case queues every job at once
    command = [sys.executable, "-m", "sourcing.cli", "serve", "--port", str(port)]
    command += ["--workers", str(workers), "--data-dir", str(folder)]
    if db:
        command += ["--db", db]
    log = folder / f"server-{port}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the server exited:\n{log.read_text()}")
            try:
                if httpx.get(f"{url}/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"the server did not answer:\n{log.read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120)


def demo() -> dict[str, Any]:
    import sourcing

    return sourcing.load_instance(DEMO).model_dump(mode="json", exclude_none=True)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# -- the cases ------------------------------------------------------------------------------------


def case_latency(args: argparse.Namespace) -> None:
    body = {"instance": two_plants()}
    with tempfile.TemporaryDirectory() as temp, server(Path(temp), args.workers, args.db) as url:
        with client(url) as api:
            for _ in range(5):  # warm up: the first solves load lazily imported code
                assert api.post("/v1/solve", json=body).status_code == 200
            seconds = []
            for _ in range(args.requests):
                began = time.perf_counter()
                answer = api.post("/v1/solve", json=body)
                seconds.append(time.perf_counter() - began)
                assert answer.status_code == 200, answer.text
    ms = [s * 1000 for s in seconds]
    print(
        f"{args.requests} sequential solves of the gallium case: median {statistics.median(ms):.0f}"
        f" ms, p95 {percentile(ms, 0.95):.0f} ms, max {max(ms):.0f} ms"
    )


def case_concurrent(args: argparse.Namespace) -> None:
    body = {"instance": demo(), "model": "eu-crma"}
    seconds: list[float] = []
    others: list[int] = []
    lock = threading.Lock()
    with tempfile.TemporaryDirectory() as temp, server(Path(temp), args.workers, args.db) as url:
        with client(url) as api:
            assert api.post("/v1/solve", json=body).status_code == 200  # warm up
        stop = time.monotonic() + args.seconds

        def run() -> None:
            with client(url) as api:
                while time.monotonic() < stop:
                    began = time.perf_counter()
                    answer = api.post("/v1/solve", json=body)
                    took = time.perf_counter() - began
                    with lock:
                        if answer.status_code == 200:
                            seconds.append(took)
                        else:
                            others.append(answer.status_code)

        began = time.monotonic()
        threads = [threading.Thread(target=run) for _ in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - began
    print(
        f"{args.clients} clients posting the demo for {elapsed:.1f} s: "
        f"{len(seconds) / elapsed:.2f} requests/s answered 200, "
        f"p50 {percentile(seconds, 0.5):.2f} s, p95 {percentile(seconds, 0.95):.2f} s; "
        f"other answers: {sorted(others) if others else 'none'}"
    )


def case_scale(args: argparse.Namespace) -> None:
    from tests.postgres import running_postgres

    body = {"instance": demo(), "model": "eu-crma"}
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        database = args.db or stack.enter_context(running_postgres())
        rates = {}
        for count in (1, 2):
            with ExitStack() as servers:
                urls = [
                    servers.enter_context(server(folder, args.workers, database))
                    for _ in range(count)
                ]
                rates[count] = jobs_per_second(urls, body, args.jobs)
            print(f"{count} server(s): {rates[count]:.2f} jobs/s, every job attempted once")
        print(f"two servers / one server: {rates[2] / rates[1]:.2f}")


def jobs_per_second(urls: list[str], body: dict[str, Any], jobs: int) -> float:
    """Submit ``jobs`` jobs alternating over ``urls``, wait for every one; jobs per second."""
    clients = [client(url) for url in urls]
    try:
        began = time.monotonic()
        ids = []
        for number in range(jobs):
            answer = clients[number % len(clients)].post("/v1/jobs", json=body)
            assert answer.status_code == 202, answer.text
            ids.append(answer.json()["id"])
        pending = set(ids)
        attempts = {}
        while pending:
            listed = clients[0].get("/v1/jobs", params={"limit": 1000}).json()["jobs"]
            for job in listed:
                if job["id"] in pending and job["status"] in ("succeeded", "failed", "cancelled"):
                    assert job["status"] == "succeeded", job
                    attempts[job["id"]] = job["progress"]["attempts"]
                    pending.discard(job["id"])
            time.sleep(0.05)
        elapsed = time.monotonic() - began
        assert set(attempts.values()) == {1}, attempts
        return jobs / elapsed
    finally:
        for each in clients:
            each.close()


if __name__ == "__main__":
    sys.exit(main())
