"""The load the serving benchmark sends (run by `locust`, never imported by the service).

Each simulated user POSTs one prepared JSON body to one path as fast as answers come back;
BENCH_PATH, BENCH_BODY (a file) and BENCH_CONTENT_TYPE choose them, so one file drives every
target.
"""

import os
from pathlib import Path

from locust import FastHttpUser, constant, task

PATH = os.environ.get("BENCH_PATH", "/predict")
BODY = Path(os.environ["BENCH_BODY"]).read_bytes() if "BENCH_BODY" in os.environ else b"{}"
HEADERS = {"Content-Type": os.environ.get("BENCH_CONTENT_TYPE", "application/json")}


class Client(FastHttpUser):
    wait_time = constant(0)

    @task
    def post(self) -> None:
        with self.client.post(PATH, data=BODY, headers=HEADERS, catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"{answer.status_code}: {str(answer.text)[:200]}")
