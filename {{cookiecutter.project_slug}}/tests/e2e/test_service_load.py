"""The served bento under sustained load (wrk, or locust without it): no failed request,
memory that stays flat.

`make bench-serve` runs the full comparison and a 60 s soak; this is its shorter soak, so CI
catches a leak or an error under concurrency without the benchmark's minutes.
"""

import contextlib
import json
import os
import shutil
import socket
import threading
import time
from statistics import median

import pytest

from {{ cookiecutter.package_name }}.bench.load import (
    load_generator,
    wrk,
)
from {{ cookiecutter.package_name }}.bench.serve import (
    server_pid,
    soak,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
SECONDS = int(os.environ.get("LOAD_TEST_SECONDS", "20"))
WARMUP = int(os.environ.get("LOAD_TEST_WARMUP", "60"))  # as the benchmark: memory settles first
USERS = 8  # twice the benchmark's concurrency (make bench-serve --users 4)


def test_sustained_load_has_no_errors_and_flat_memory(service: str, rows: list[dict]) -> None:
    # The benchmark's generator: wrk where installed, whose C client leaves the server the
    # machine (locust's Python client takes a core of its own, starving a loaded runner).
    load = load_generator()
    report = soak(service, server_pid(service), rows[0], USERS, SECONDS, WARMUP, load)
    print(json.dumps(report, indent=2))
    result = report["result"]
    assert result["requests"] > 100 and result["failures"] == 0, result
    assert report["memory_growth"] < 0.10, report


@pytest.mark.skipif(not shutil.which("wrk"), reason="wrk is not installed (apt-get install wrk)")
def test_wrk_counts_answers_and_refusals(service: str, rows: list[dict]) -> None:
    """The benchmark's default generator where installed: its figures must be real counts."""
    assert load_generator() is wrk
    good = wrk(service, "/predict", {"rows": rows[:1]}, 2, 3)
    assert good.requests > 20 and good.failures == 0, good
    assert 0 < good.p50_ms <= good.p99_ms
    bad = wrk(service, "/predict", {"rows": [{"no such feature": 1}]}, 2, 3)
    assert bad.requests > 20 and bad.failures == bad.requests, bad  # every 400 is a failure


HOSTILE_SECONDS = 2
ROUNDS = 3
OVERSIZE_PAUSE = 0.25  # between one attacker's bodies: four attackers, up to 16 bodies a second
# The bound asserted: twice the quiet p99, or a second where other work shares the machine (a
# full `make test` runs three suites at once): the defect it guards cost single-row requests
# 9 s. The 2x figure itself is a measurement on an idle machine: printed here, in the README.
SLOWDOWN_FLOOR_MS = 1000.0


def _oversize(url: str, stop: threading.Event, chunked: bool, answers: list[str]) -> None:
    """50 MB bodies, declared (refused from the header) or chunked (refused while read)."""
    host, port = url.removeprefix("http://").split(":")
    chunk = b" " * 2**20
    while not stop.is_set():
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            length = "Transfer-Encoding: chunked" if chunked else "Content-Length: 50000000"
            sock.sendall(f"POST /predict HTTP/1.1\r\nHost: {host}\r\n"
                         f"Content-Type: application/json\r\n{length}\r\n\r\n".encode())  # fmt: skip
            try:
                for _ in range(50):
                    sock.sendall(b"100000\r\n" + chunk + b"\r\n" if chunked else chunk)
            except OSError:
                pass  # refused and closed midway: the point
            with contextlib.suppress(OSError):  # reset midway: no answer to read
                status_line = sock.recv(1024).split(b"\r\n", 1)[0].decode()
                if status_line:
                    answers.append(status_line)
        stop.wait(OVERSIZE_PAUSE)


def _trickle(url: str, stop: threading.Event, connections: int) -> None:
    """Connections sending their body a byte a second (each is cut at 408 and reopened)."""
    host, port = url.removeprefix("http://").split(":")
    head = (f"POST /predict HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            "Content-Length: 100000\r\n\r\n").encode()  # fmt: skip
    open_: list[socket.socket] = []
    while not stop.is_set():
        while len(open_) < connections:
            sock = socket.create_connection((host, int(port)), timeout=5)
            sock.sendall(head)
            open_.append(sock)
        for sock in list(open_):  # each a byte a second, spread over the second as
            try:  # independent clients would be, not all at one instant
                sock.sendall(b" ")
            except OSError:
                open_.remove(sock)
                sock.close()
            if stop.wait(1.0 / connections):
                break
    for sock in open_:
        sock.close()


def _p99s(url: str, body: dict) -> list[float]:
    runs = [wrk(url, "/predict", body, 4, HOSTILE_SECONDS) for _ in range(ROUNDS)]
    assert all(run.failures == 0 for run in runs), runs
    return [run.p99_ms for run in runs]


@pytest.mark.skipif(not shutil.which("wrk"), reason="wrk is not installed (apt-get install wrk)")
def test_single_row_latency_holds_while_hostile_bodies_arrive(
    service: str, rows: list[dict]
) -> None:
    """Four clients each sending a 50 MB body every quarter second (declared, or chunked) and
    200 trickling a byte a second cost the single-row p99 at 4 users at most twice its quiet
    value on an idle machine (medians of three runs; see SLOWDOWN_FLOOR_MS for a busy one):
    each oversized body is refused after its header (declared) or its first 8 MiB, and its
    connection closed."""
    single = {"rows": rows[:1]}
    wrk(service, "/predict", single, 4, 2)  # warm
    quiet = _p99s(service, single)
    stop = threading.Event()
    answers: list[str] = []
    attackers = [threading.Thread(target=_oversize, args=(service, stop, i % 2 == 1, answers))
                 for i in range(4)] + [threading.Thread(target=_trickle, args=(service, stop, 200))]  # fmt: skip
    for thread in attackers:
        thread.start()
    try:
        time.sleep(1)
        loaded = _p99s(service, single)
    finally:
        stop.set()
        for thread in attackers:
            thread.join(timeout=30)
    print(f"single-row p99 at 4 users, ms: quiet {quiet}, under hostile bodies {loaded}")
    assert answers and all(" 413 " in answer for answer in answers), answers[:5]
    assert median(loaded) <= max(2 * median(quiet), SLOWDOWN_FLOOR_MS), (quiet, loaded)
