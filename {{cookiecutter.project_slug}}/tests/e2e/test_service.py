"""The served bento over HTTP: every endpoint, every kind of bad request, the prediction log."""

import io
import json
import math
import re
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.serving.process import http, predict, serving

from ..conftest import CLASSIFICATION, TARGET

pytestmark = pytest.mark.e2e
MAX_ROWS = 1_000  # service.MAX_ROWS: importing the service module needs a packaged model


def send(url: str, body: bytes, content_type: str | None) -> tuple[int, dict]:
    """POST raw bytes with any Content-Type (or none), for what `http` never sends."""
    headers = {"Content-Type": content_type} if content_type else {}
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def upload(url: str, name: str, payload: bytes, field: str = "file") -> tuple[int, dict]:
    boundary = "----model-service-test"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + payload
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return send(f"{url}/predict_file", body, f"multipart/form-data; boundary={boundary}")


def test_health_readiness_and_metadata(service: str, built: Path) -> None:
    assert http("GET", f"{service}/livez")[0] == 200
    assert http("GET", f"{service}/readyz")[0] == 200
    status, meta = http("GET", f"{service}/metadata")
    registration = json.loads((built / "reports" / "registration.json").read_text())
    assert status == 200 and meta["ready"] is True and meta["load_error"] is None
    assert meta["model_version"] == str(registration["version"])
    assert meta["git_commit"] == registration["git.commit"]
    assert meta["data_sha256"] == registration["data.sha256"]
    assert meta["mlflow_run_id"] == registration["run_id"]
    assert meta["alias"] == "challenger" and meta["metrics"]
    # the default pipeline compiles: small batches go to onnxruntime, which agreed at packaging
    scorer = meta["scorer"]
    assert scorer["packaged"]["compiled"] is True, scorer
    assert scorer["packaged"]["max_difference"] <= scorer["packaged"]["tolerance"]
    assert scorer["serving"].startswith("onnxruntime") and scorer["compiled_not_used"] is None


def test_predicts_one_and_many_rows(service: str, rows: list[dict]) -> None:
    one = predict(service, rows[:1])
    many = predict(service, rows)
    assert one["model_version"] == "1"
    assert len(many["predictions"]) == 5
    if CLASSIFICATION:
        assert {p["prediction"] for p in many["predictions"]} <= {0, 1}
        for prediction in many["predictions"]:
            assert sum(prediction["probabilities"].values()) == pytest.approx(1.0)
    else:  # a regressor's answer has no probabilities at all
        assert all(isinstance(p["prediction"], float) for p in many["predictions"])
        assert all(set(p) == {"prediction", "model_version", "error"} for p in many["predictions"])


def test_batch_endpoint_takes_a_large_list(service: str, rows: list[dict]) -> None:
    status, body = http("POST", f"{service}/predict_batch", {"rows": rows * 2000})
    assert status == 200, body
    assert body["rows"] == 10_000 and len(body["predictions"]) == 10_000
    # /predict scores 5 rows with the compiled copy, this 10,000 with scikit-learn: they agree
    # to the parity tolerance (compile_model.TOLERANCE), classes exactly
    one_by_one = predict(service, rows)["predictions"]
    assert body["predictions"][:5] == pytest.approx([p["prediction"] for p in one_by_one], rel=1e-5)
    if CLASSIFICATION:  # column-wise: row i's probabilities, in the order of `classes`
        assert body["predictions"][:5] == [p["prediction"] for p in one_by_one]
        assert body["probabilities"][0] == pytest.approx(
            [one_by_one[0]["probabilities"][c] for c in body["classes"]], abs=1e-5
        )
    assert body["errors"] == {}
    if not CLASSIFICATION:
        assert "classes" not in body and "probabilities" not in body


def test_the_api_pages_name_the_project_and_need_no_network(service: str) -> None:
    """/docs.json's info is the project's (pyproject.toml), not BentoML's; the Swagger page at
    / loads only the service's own files; FastAPI's CDN-bound /docs is not served."""
    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text("utf-8"))
    status, spec = http("GET", f"{service}/docs.json")
    assert status == 200 and spec["info"]["title"] == project["project"]["name"]
    assert spec["info"]["description"] == project["project"]["description"]
    assert spec["info"]["contact"]["email"] == project["project"]["authors"][0]["email"]
    assert "/metadata" in spec["paths"] and "/predict" in spec["paths"]
    with urllib.request.urlopen(f"{service}/") as answer:
        page = answer.read().decode()
    assert f"<title>{project['project']['name']}</title>" in page
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(source.startswith("./static_content/") for source in sources)
    for source in sources:
        with urllib.request.urlopen(f"{service}/{source[2:]}") as asset:
            assert asset.status == 200
    assert http("GET", f"{service}/docs")[0] == 404


def test_an_upload_of_training_rows_ignores_their_target(service: str, built: Path) -> None:
    """The rows a model learned from, scorable as they are: the target (and data.drop) left
    out, as /metadata says; any other unknown column is still refused."""
    test = pd.read_parquet(built / "data" / "prepared" / "test.parquet").head(20)
    status, meta = http("GET", f"{service}/metadata")
    assert status == 200 and meta["ignored_columns"] == [TARGET]
    status, body = upload(service, "rows.csv", test.to_csv(index=False).encode())
    assert status == 200, body
    assert body["rows"] == 20 and body["errors"] == {}
    status, body = upload(service, "rows.csv", test.assign(other=1).to_csv(index=False).encode())
    assert status == 400 and "other: unexpected column" in json.dumps(body)


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_file_endpoint_takes_csv_and_parquet(service: str, rows: list[dict], kind: str) -> None:
    frame, sink = pd.DataFrame(rows * 40), io.BytesIO()
    frame.to_csv(sink, index=False) if kind == "csv" else frame.to_parquet(sink)
    status, body = upload(service, f"rows.{kind}", sink.getvalue())
    assert status == 200, body
    assert body["rows"] == 200
    expected = [p["prediction"] for p in predict(service, rows)["predictions"]]
    assert body["predictions"][:5] == pytest.approx(expected, rel=1e-5)


def _without(row: dict, key: str) -> dict:
    return {k: v for k, v in row.items() if k != key}


@pytest.mark.parametrize(
    ("make_body", "names"),
    [
        (lambda row: {"rows": [_without(row, next(iter(row)))]}, "FIRST: Field required"),
        (lambda row: {"rows": [{**row, "surprise": 1.0}]}, "rows[0].surprise: Extra inputs"),
        (lambda row: {"rows": [{**row, next(iter(row)): "1.5"}]}, "FIRST: Input should be a valid number"),
        (lambda row: {"rows": [{**row, next(iter(row)): None}]}, "FIRST: Input should be a valid number"),
        (lambda row: {"rows": [{**row, next(iter(row)): True}]}, "FIRST: Input should be a valid number"),
        (lambda row: {"rows": [{**row, next(iter(row)): 1e300}]}, "FIRST: Input should be less than"),
        (lambda row: {"rows": []}, "rows: List should have at least 1 item"),
        (lambda row: {"rows": [row] * (MAX_ROWS + 1)}, "rows: List should have at most 1000"),
        (lambda row: {"rows": [row], "extra": 1}, "extra: Extra inputs"),
        (lambda row: {"rows": row}, "rows: Input should be a valid array"),
        (lambda row: [row], "body: Input should be an object"),
        (lambda row: {}, "rows: Field required"),
    ],
    ids=["missing", "extra", "string-for-number", "null", "bool-for-number", "huge",
         "empty-batch", "oversize-batch", "extra-top-level", "not-a-list", "bare-list", "empty"],
)  # fmt: skip
def test_bad_requests_get_400_naming_the_field(service, rows, make_body, names) -> None:
    status, body = http("POST", f"{service}/predict", make_body(rows[0]))
    assert status == 400, body
    assert names.replace("FIRST", f"rows[0].{next(iter(rows[0]))}") in body["error"]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "says"),
    [
        (b'{"rows": [', "application/json", 400, "body: Invalid JSON"),
        (b"", "application/json", 400, "rows: Field required"),
        (b'{"rows": []}', "text/plain", 415, "expected application/json, got text/plain"),
        (b"rows=1", "application/x-www-form-urlencoded", 415, "expected application/json"),
    ],
)
def test_unreadable_bodies_get_a_4xx(service, body, content_type, status, says) -> None:
    answered, payload = send(f"{service}/predict", body, content_type)
    assert answered == status and says in payload["error"], payload


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_numbers_get_400_naming_the_field(service, rows, value) -> None:
    first = next(iter(rows[0]))
    body = json.dumps({"rows": [{**rows[0], first: 0.0}]}).replace(
        f'"{first}": 0.0', f'"{first}": {value}'
    )
    status, payload = send(f"{service}/predict", body.encode(), "application/json")
    assert status == 400, payload
    assert f"rows[0].{first}: Input should be a finite number" in payload["error"]
    assert {"field": f"rows[0].{first}", "message": "Input should be a finite number"} in payload[
        "fields"
    ]


def _table(rows: list[dict], change) -> bytes:
    frame = pd.DataFrame(rows)
    sink = io.StringIO()
    change(frame).to_csv(sink, index=False)
    return sink.getvalue().encode()


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        (lambda rows, first: _table(rows, lambda f: f.drop(columns=[first])), "FIRST: column(s) missing"),
        (lambda rows, first: _table(rows, lambda f: f.assign(surprise=1)), "surprise: unexpected column"),
        (lambda rows, first: _table(rows, lambda f: f.rename(columns={first: "renamed"})), "FIRST: column(s) missing"),
        (lambda rows, first: _table(rows, lambda f: f.assign(**{first: "abc"})), "FIRST: expected a number, got 'abc' at row 0"),
        (lambda rows, first: _table(rows, lambda f: f.assign(**{first: float("inf")})), "FIRST: non-finite number at row 0"),
        (lambda rows, first: _table(rows, lambda f: f.assign(**{first: None})), "FIRST: null or empty at row 0"),
        (lambda rows, first: _table(rows, lambda f: f.head(0)), "file: no rows"),
        (lambda rows, first: b"PAR1 but not parquet", "file: not a readable CSV or Parquet"),
        (lambda rows, first: bytes(range(256)), "file: neither Parquet nor UTF-8 CSV"),
    ],
    ids=["missing-column", "extra-column", "renamed-column", "text-in-number", "infinity",
         "null", "no-rows", "broken-parquet", "binary"],
)  # fmt: skip
def test_bad_files_get_400_naming_the_column(service, rows, payload, says) -> None:
    first = next(iter(rows[0]))
    status, body = upload(service, "rows.csv", payload(rows, first))
    assert status == 400, body
    assert says.replace("FIRST", first) in body["error"]


def test_file_endpoint_needs_a_multipart_file(service: str, rows: list[dict]) -> None:
    status, body = http("POST", f"{service}/predict_file", {"rows": rows})
    assert status == 415 and "multipart/form-data" in body["error"]
    status, body = upload(service, "rows.csv", _table(rows, lambda f: f), field="other")
    assert status == 400 and "file: Field required" in body["error"]


def _eventually(check, seconds: float = 20.0):
    """Poll until `check()` returns something truthy (the log is written in the background)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.1)
    raise AssertionError(f"not true within {seconds} s: {check.__doc__ or check}")


def test_every_prediction_is_logged_with_its_model_version(
    service: str, built: Path, rows: list[dict]
) -> None:
    sent = [{**row, next(iter(row)): 1234.5 + index} for index, row in enumerate(rows[:2])]
    predict(service, sent)
    log = built / "prediction-logs" / "predictions.jsonl"

    def logged() -> list[dict]:
        """the two rows sent are the log's last records"""
        lines = log.read_text().splitlines() if log.is_file() else []
        last = [json.loads(line) for line in lines[-2:]]
        return last if [record["inputs"] for record in last] == sent else []

    last = _eventually(logged)
    assert all(
        record["model_version"] == "1" and "prediction" in record["output"] for record in last
    )
    assert all(record["at"].endswith("+00:00") for record in last)


def test_a_failing_log_sink_never_fails_a_request(
    built: Path, rows: list[dict], monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = built / "not-a-folder"
    blocker.write_text("a file where the log folder should be")
    monkeypatch.setenv("PREDICTION_LOG", str(blocker / "predictions.jsonl"))
    record = json.loads((built / "reports" / "package.json").read_text())
    with serving(record["bento"]) as url:
        for _ in range(3):
            assert len(predict(url, rows)["predictions"]) == 5

        def counted() -> dict:
            """all 15 rows are counted as dropped"""
            log = http("GET", f"{url}/metadata")[1]["prediction_log"]
            return log if log["dropped"] >= 15 else {}

        log = _eventually(counted)
    assert log["dropped"] == 15 and log["written"] == 0
    assert "NotADirectoryError" in log["last_error"] or "FileExistsError" in log["last_error"]


def test_by_default_the_log_is_parquet_under_the_folder_serving_started_from(
    built: Path, rows: list[dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Buffered rows reach disk when the server stops, not only every 30 s."""
    monkeypatch.delenv("PREDICTION_LOG", raising=False)
    monkeypatch.chdir(tmp_path)
    record = json.loads((built / "reports" / "package.json").read_text())
    with serving(record["bento"]) as url:
        predict(url, rows)
        predict(url, rows[:1])
    logged = pd.read_parquet(tmp_path / "prediction-logs")
    assert len(logged) == len(rows) + 1 and set(logged["model_version"]) == {"1"}
    assert logged["output.error"].isna().all() and "output.prediction" in logged


def _post(url: str, body: dict, request_id: str | None) -> tuple[int, object, str]:
    """POST JSON with an X-Request-ID (or none): status, body, and the id answered."""
    headers = {"Content-Type": "application/json"}
    if request_id is not None:
        headers["X-Request-ID"] = request_id
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read()), response.headers["X-Request-ID"]
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers["X-Request-ID"]


def test_each_logged_row_keeps_its_request_id_and_refusals_are_logged_by_theirs(
    built: Path, rows: list[dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Concurrent /predict requests are merged by adaptive batching; the log still knows
    which row came from which request, for labels joined later (`monitor --labels`)."""
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setenv("PREDICTION_LOG", str(tmp_path / "log" / "predictions.parquet"))
    record = json.loads((built / "reports" / "package.json").read_text())
    pairs = [[rows[i % len(rows)], rows[(i + 1) % len(rows)]] for i in range(16)]
    with serving(record["bento"]) as url:
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(
                lambda item: _post(f"{url}/predict", {"rows": item[1]}, f"client-{item[0]}"),
                enumerate(pairs),
            ))  # fmt: skip
        _, batch, batch_id = _post(f"{url}/predict_batch", {"rows": rows[:3]}, None)
        reused = [_post(f"{url}/predict", {"rows": pairs[0]}, "reused") for _ in range(2)]
        refused = _post(f"{url}/predict", {"rows": [{"no such column": 1}]}, "not a token!")
        unread = send(f"{url}/predict_batch", b"rows", "text/plain")
    for index, (status, _, echoed) in enumerate(answers):
        assert status == 200 and echoed == f"client-{index}"
    assert batch["request_id"] == batch_id and len(batch_id) == 32  # minted when none is sent
    assert refused[0] == 400 and refused[2] not in {"", "not a token!"} and unread[0] == 415
    logged = pd.read_parquet(tmp_path / "log")
    scored = logged[logged["output.refused"].isna()]
    for index, (_, body, _) in enumerate(answers):
        mine = scored[scored["request_id"] == f"client-{index}"]
        assert mine["row"].tolist() == [0, 1]
        assert mine["output.prediction"].tolist() == [row["prediction"] for row in body]
    assert scored[scored["request_id"] == batch_id]["row"].tolist() == [0, 1, 2]
    # a client's id is theirs to reuse: each request still has a key of its own
    assert [status for status, _, echoed in reused if echoed == "reused"] == [200, 200]
    again = scored[scored["request_id"] == "reused"]
    assert again["row"].tolist() == [0, 1, 0, 1] and again["request"].nunique() == 2
    assert logged["request"].str.fullmatch("[0-9a-f]{32}").all()
    refusals = logged[logged["output.refused"].notna()]
    assert refusals["request_id"].iloc[0] == refused[2]
    reasons = refusals["output.refused"].tolist()
    assert len(reasons) == 2 and reasons[0].startswith("400: rows[0]")
    assert reasons[1].startswith("415: Content-Type")


def test_an_oversize_upload_is_refused_before_it_is_read(service: str) -> None:
    import http.client

    host, port = service.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.putrequest("POST", "/predict_file")
    connection.putheader("Content-Type", "multipart/form-data; boundary=x")
    connection.putheader("Content-Length", str(10 * 2**30))
    connection.endheaders()
    connection.send(b"--x\r\n")
    answer = connection.getresponse()
    assert answer.status == 413 and "larger than" in json.loads(answer.read())["error"]
    connection.close()


@pytest.mark.parametrize("huge", [1e15, -1e15, 10**15])
def test_large_finite_numbers_get_a_finite_answer(service, rows, huge) -> None:
    status, body = http(
        "POST", f"{service}/predict", {"rows": [{**rows[0], next(iter(rows[0])): huge}]}
    )
    assert status == 200, body
    assert all(p["error"] is None and math.isfinite(float(p["prediction"])) for p in body)


def _raw(service: str, path: str, headers: dict[str, str], parts: list[bytes], pause: float = 0):
    """POST a body in parts (chunked unless Content-Length is given), pausing between them."""
    import http.client

    host, port = service.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    connection.putrequest("POST", path)
    for name, value in {"Content-Type": "application/json", **headers}.items():
        connection.putheader(name, value)
    chunked = "Content-Length" not in headers
    if chunked:
        connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    started = time.monotonic()
    try:
        for part in parts:
            connection.send(b"%x\r\n%s\r\n" % (len(part), part) if chunked else part)
            time.sleep(pause)
        if chunked:
            connection.send(b"0\r\n\r\n")
    except OSError:
        pass  # the server answered and closed while the body was still coming: read its answer
    answer = connection.getresponse()
    status, payload = answer.status, json.loads(answer.read() or b"null")
    connection.close()
    return status, payload, time.monotonic() - started


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/predict", '{"rows": [{FIELDS}], "rows": []}'),
        ("/predict", '{"rows": [{FIELDS, FIRST}]}'),
        ("/predict_batch", '{"rows": [{FIELDS}, {FIELDS, FIRST}]}'),
    ],
    ids=["top-level", "in-a-row", "batch-row"],
)
def test_duplicate_json_keys_get_400(service: str, rows: list[dict], path: str, body: str) -> None:
    """Last-one-wins would score a row the client did not mean: refused, naming the key."""
    fields = json.dumps(rows[0])[1:-1]
    text = body.replace("FIELDS", fields).replace("FIRST", fields.split(", ")[0])
    status, payload = send(service + path, text.encode(), "application/json")
    assert status == 400 and "repeats the key" in payload["error"], payload
    assert predict(service, rows[:1])["predictions"]  # and the service answers on


def test_oversize_json_is_refused_unread_and_slow_bodies_time_out(
    service: str, rows: list[dict]
) -> None:
    declared = _raw(service, "/predict", {"Content-Length": str(50 * 2**20)}, [b'{"rows": ['])
    assert declared[0] == 413 and "larger than 8 MiB" in declared[1]["error"]
    assert declared[2] < 5  # answered from the header, not after reading 50 MB
    row = json.dumps(rows[0]).encode()
    mebibyte = b",".join([row] * (2**20 // len(row) + 1))  # whatever the width of a row
    streamed = _raw(service, "/predict", {}, [b'{"rows": [' + mebibyte] + [b"," + mebibyte] * 11)
    assert streamed[0] == 413, streamed[1]
    trickled = _raw(service, "/predict", {}, [b'{"rows": ['] + [b" "] * 40, pause=0.5)
    assert trickled[0] == 408 and "not received within 10 s" in trickled[1]["error"]
    assert 9 < trickled[2] < 25
    assert predict(service, rows[:1])["predictions"]
