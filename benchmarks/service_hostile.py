"""The service under hostile clients: what each costs the server, and how it is answered.

    python benchmarks/service_hostile.py                      # every case, default sizes
    python benchmarks/service_hostile.py --connections 60 --cases stalled-no-token

Starts ``sourcing serve`` (one worker, its own SQLite file in a temporary folder, the default
limits but ``SOURCING_BODY_TIMEOUT``, 10 s here) and runs each case against it with raw sockets,
printing the answers, the seconds until the server answered and closed each connection, and the
server process's resident memory (VmRSS) before and at its peak:

    stalled-no-token   N connections without a token, each declaring a 16 MB body and sending
                       15.9 MB of it, then nothing (issue 16, item 7)
    stalled-token      N connections with a token, each declaring 16 MB and sending 8 MB, then
                       nothing: held until the body timeout, then 408
    declared-too-big   with a token, a declared Content-Length of 1 GB
    many-periods       with a token, 1,000 undated supply rows x 100,000 periods (1 MB; item 8)
    token-in-query     a token in the query string and in the path: is it in the access log?
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.malformed builds the hostile bodies
from tests.malformed import head, many_periods  # noqa: E402 - importable once ROOT is on the path

TOKEN = "bench-7f3c9a1be2d84c06a5f1"
MB = 2**20
CASES = ["stalled-no-token", "stalled-token", "declared-too-big", "many-periods", "token-in-query"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=60)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--body-timeout", type=float, default=10.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        server = start(Path(folder), args.body_timeout)
        try:
            for case in args.cases.split(","):
                print(f"\n== {case}")
                run = globals()["case_" + case.replace("-", "_")]
                run(server, args)
        finally:
            server["process"].terminate()
            server["process"].wait(timeout=30)
    return 0


def start(folder: Path, body_timeout: float) -> dict:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOURCING_")}
    env |= {"SOURCING_API_TOKENS": TOKEN, "SOURCING_BODY_TIMEOUT": str(body_timeout)}
    log = folder / "server.log"
    command = [sys.executable, "-m", "sourcing.cli", "serve", "--port", str(port)]
    command += ["--workers", "1", "--data-dir", str(folder)]
    with open(log, "ab") as out:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=out)
    server = {"process": process, "port": port, "log": log}
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            status, _ = request(server, head("GET", "/v1/health", None, None), timeout=2)
            if status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the server did not start:\n{log.read_text()}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(server: dict, data: bytes, timeout: float = 30) -> tuple[int, dict]:
    """Send ``data``; the answer's status and JSON body (read to its Content-Length)."""
    with socket.create_connection(("127.0.0.1", server["port"]), timeout=timeout) as connection:
        connection.sendall(data)
        received = b""
        while b"\r\n\r\n" not in received and (chunk := connection.recv(65536)):
            received += chunk
        header, _, body = received.partition(b"\r\n\r\n")
        length = 0
        for line in header.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length and (chunk := connection.recv(65536)):
            body += chunk
    status = int(header.split(b"\r\n", 1)[0].split()[1])
    return status, json.loads(body) if body else {}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Peak(threading.Thread):
    """The server's resident memory, sampled every 50 ms until stopped."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, rss_mb(pid), threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.05):
            self.peak = max(self.peak, rss_mb(self.pid))


def stalled(server: dict, connections: int, token: str | None, send: int, wait: float) -> None:
    """``connections`` clients declaring 16 MB, each sending ``send`` bytes then nothing."""
    pid = server["process"].pid
    before = rss_mb(pid)
    peak = Peak(pid)
    peak.start()
    outcomes: list[tuple[str, float]] = []
    lock = threading.Lock()
    started = time.monotonic()

    def client() -> None:
        outcome = "still open"
        connection = socket.create_connection(("127.0.0.1", server["port"]), timeout=wait)
        try:
            connection.sendall(head("POST", "/v1/solve", 16 * MB, token))
            try:
                connection.sendall(b" " * send)
            except OSError as error:  # refused while sending: reset by the server
                outcome = f"reset while sending ({type(error).__name__})"
            received = b""
            try:
                while chunk := connection.recv(65536):
                    received += chunk
                outcome = (received.split(b"\r\n", 1)[0].decode() or "closed") + ", closed"
            except TimeoutError:
                outcome = "still open"
            except OSError as error:
                if outcome == "still open":
                    outcome = f"reset ({type(error).__name__})"
        finally:
            connection.close()
        with lock:
            outcomes.append((outcome, time.monotonic() - started))

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    peak.done.set()
    peak.join()
    print(f"server RSS {before:.0f} MB before, peak {peak.peak:.0f} MB, {rss_mb(pid):.0f} MB after")
    tally: dict[str, list[float]] = {}
    for outcome, seconds in outcomes:
        tally.setdefault(outcome, []).append(seconds)
    for outcome, seconds in sorted(tally.items()):
        print(f"  {len(seconds):3d} x {outcome}: last after {max(seconds):.2f} s")


def case_stalled_no_token(server: dict, args: argparse.Namespace) -> None:
    stalled(server, args.connections, None, int(15.9 * MB), wait=60)


def case_stalled_token(server: dict, args: argparse.Namespace) -> None:
    stalled(server, args.connections, TOKEN, 8 * MB, wait=args.body_timeout + 30)


def case_declared_too_big(server: dict, args: argparse.Namespace) -> None:
    started = time.monotonic()
    status, body = request(server, head("POST", "/v1/jobs", 10**9, TOKEN))
    print(f"  {status} after {time.monotonic() - started:.3f} s: {body.get('detail')}")


def case_many_periods(server: dict, args: argparse.Namespace) -> None:
    instance = many_periods()
    body = json.dumps({"instance": instance}).encode()
    started = time.monotonic()
    status, answer = request(server, head("POST", "/v1/validate", len(body), TOKEN) + body)
    seconds = time.monotonic() - started
    print(f"  {len(body) / MB:.2f} MB body: {status} after {seconds:.3f} s: {answer.get('detail')}")


def case_token_in_query(server: dict, args: argparse.Namespace) -> None:
    for path, token in [
        (f"/v1/jobs?token={TOKEN}&status=queued", TOKEN),
        (f"/v1/models?access_token={TOKEN}", None),
        (f"/v1/jobs/{TOKEN}", TOKEN),
    ]:
        status, _ = request(server, head("GET", path, None, token))
        print(f"  GET {path.replace(TOKEN, '<token>')}: {status}")
    time.sleep(0.2)
    log = server["log"].read_text()
    lines = [line for line in log.splitlines() if "/v1/jobs?" in line or "/v1/models?" in line]
    lines += [line for line in log.splitlines() if '"GET /v1/jobs/' in line]
    print(f"  the token in the log: {TOKEN in log}")
    for line in lines[-3:]:
        print(f"  log: {line.strip()}")


if __name__ == "__main__":
    raise SystemExit(main())
