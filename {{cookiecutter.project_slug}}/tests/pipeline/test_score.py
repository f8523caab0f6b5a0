"""`score`: rows of a file or folder scored by the @production model, a chunk at a time, into a
predictions file and the prediction log, with the service's checks and messages."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.batch import score
from {{ cookiecutter.package_name }}.errors import PipelineError
from {{ cookiecutter.package_name }}.monitoring import monitor

from ..conftest import cli
from .logged_traffic import model_of, project


def _rows(registered, count: int | None = None) -> pd.DataFrame:
    """The sample's feature columns as a user would send them, with an `id` column first."""
    root, frame = registered
    params, layout = project(registered, root / "schema")[1:]
    features = list(score.load(params, layout, "production").schema)
    rows = frame[features].iloc[:count].reset_index(drop=True)
    return rows.assign(id=[f"customer-{i}" for i in range(len(rows))])[["id", *features]]


def _logged(path: Path) -> pd.DataFrame:
    """The rows of the Parquet log at `path` (its part files beside it)."""
    found = list(path.parent.glob(f"{path.stem}-*.parquet"))
    return pd.concat([pd.read_parquet(part) for part in found]) if found else pd.DataFrame()


def test_a_file_is_scored_in_chunks_with_ids_and_logged(registered, workdir: Path) -> None:
    _, params, layout = project(registered, workdir, **{"monitoring.min_rows": 100})
    rows = _rows(registered)
    rows.to_csv(workdir / "in.csv", index=False)
    log = workdir / "log" / "predictions.parquet"
    found = score.run(params, layout, workdir / "in.csv", workdir / "out.parquet",
                      id_column="id", chunk_rows=97, log=log)  # fmt: skip
    assert found["rows"] == len(rows) and found["model"]["version"] == "1"
    out = pd.read_parquet(workdir / "out.parquet")
    assert out["id"].tolist() == rows["id"].tolist()  # in order, across chunks
    expected = model_of(registered).predict(rows.drop(columns=["id"]))
    # a regressor's sum may round by one ulp differently for a chunk of 97 rows than for all
    # of them (BLAS blocks by shape): equal to the last few bits, classes exactly
    assert out["prediction"].tolist() == pytest.approx(expected.tolist(), rel=1e-12, abs=0)
    assert out["error"].isna().all()
    logged = _logged(log)
    assert sorted(logged["request_id"]) == sorted(rows["id"]) and set(logged["row"]) == {0}
    assert logged["request"].nunique() == len(rows)  # each row its own request
    assert monitor.run(params, layout, log=log)["window"]["rows"] == len(rows)  # batch traffic


def test_a_folder_of_parts_is_one_input_and_default_ids_count_across_it(
    registered, workdir: Path
) -> None:
    _, params, layout = project(registered, workdir)
    rows = _rows(registered, 150).drop(columns=["id"])
    (workdir / "parts").mkdir()
    rows.iloc[:100].to_csv(workdir / "parts" / "a.csv", index=False)
    rows.iloc[100:].to_parquet(workdir / "parts" / "b.parquet", index=False)
    (workdir / "parts" / ".c.csv.partial").write_text("being written", encoding="utf-8")
    found = score.run(params, layout, workdir / "parts", workdir / "out.csv",
                      log=workdir / "log" / "p.parquet")  # fmt: skip
    out = pd.read_csv(workdir / "out.csv")
    assert found["files"] == 2 and len(out) == 150
    assert out["request_id"].tolist() == [f"{found['batch']}:{i}" for i in range(150)]


def _bad_cell(rows: pd.DataFrame, column: str) -> pd.DataFrame:
    rows = rows.astype({column: object})
    rows.loc[130, column] = "abc"  # in the third chunk of 50
    return rows


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (_bad_cell, "at row 130"),
        (lambda rows, column: rows.drop(columns=[column]), "column\\(s\\) missing"),
        (lambda rows, column: rows.assign(surprise=1), "surprise: unexpected column"),
    ],
    ids=["a bad cell in a later chunk", "a missing column", "an extra column"],
)
def test_bad_rows_are_refused_with_the_services_message_and_nothing_is_scored(
    spoil, message: str, registered, workdir: Path
) -> None:
    _, params, layout = project(registered, workdir)
    rows = _rows(registered, 200)
    numeric = next(c for c in rows.columns[1:] if rows[c].dtype.kind in "fi")
    spoil(rows, numeric).to_csv(workdir / "in.csv", index=False)
    (workdir / "out.csv").write_text("the last good run\n", encoding="utf-8")
    log = workdir / "log" / "predictions.parquet"
    with pytest.raises(PipelineError, match=rf"score: {workdir / 'in.csv'}: .*{message}"):
        score.run(params, layout, workdir / "in.csv", workdir / "out.csv", id_column="id",
                  chunk_rows=50, log=log)  # fmt: skip
    assert (workdir / "out.csv").read_text(encoding="utf-8") == "the last good run\n"
    assert not list(workdir.glob(".out.csv*"))  # no partial left behind
    logged = _logged(log)
    assert len(logged) == 1 and logged["output.refused"].iloc[0].startswith("400: score: ")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a readable CSV"),
        (None, "no rows"),
        (b"\xff\xfe\x00bad", "neither Parquet nor UTF-8"),
    ],
    ids=["an empty file", "a header and no rows", "not text"],
)
def test_an_empty_or_unreadable_file_is_refused(
    content: bytes | None, message: str, registered, workdir: Path
) -> None:
    _, params, layout = project(registered, workdir)
    source = workdir / "in.csv"
    if content is None:
        _rows(registered, 0).drop(columns=["id"]).to_csv(source, index=False)
    else:
        source.write_bytes(content)
    with pytest.raises(PipelineError, match=message):
        score.run(params, layout, source, workdir / "out.csv", log=workdir / "log" / "p.parquet")
    assert not (workdir / "out.csv").exists()


def test_refusals_before_any_row_is_read(registered, workdir: Path) -> None:
    _, params, layout = project(registered, workdir)
    _rows(registered, 5).to_csv(workdir / "in.csv", index=False)
    (workdir / "parts").mkdir()
    _rows(registered, 5).to_csv(workdir / "parts" / "a.csv", index=False)
    cases = [
        (dict(source=workdir / "nothing.csv"), "no such file or folder"),
        (dict(source=workdir), "no .csv or .parquet file"),
        (dict(out=workdir / "in.csv"), "is the input itself"),
        (dict(source=workdir / "parts", out=workdir / "parts" / "out.csv"), "in the input folder"),
        (dict(out=workdir / "out.json"), "name a .csv or .parquet file"),
        (dict(out=workdir / "parts"), "is a folder: name a .csv or .parquet file"),
        (dict(out=workdir / "log" / "predictions-mine.parquet"), "in the prediction log's folder"),
        (dict(out=workdir / "log" / "out.csv"), "in the prediction log's folder"),
        (dict(alias="no-such-alias"), "no model at models:/.*@no-such-alias"),
        (dict(id_column="key"), "no --id column 'key'"),
    ]
    for change, message in cases:
        (workdir / "empty").mkdir(exist_ok=True)
        arguments = {"source": workdir / "in.csv", "out": workdir / "out.csv", **change}
        if arguments["source"] == workdir:
            arguments["source"] = workdir / "empty"
        with pytest.raises(PipelineError, match=message):
            score.run(params, layout, log=workdir / "log" / "p.parquet", **arguments)
        assert not (workdir / "out.csv").exists(), change


def test_the_command_prints_where_it_wrote(registered, workdir: Path) -> None:
    path, _, _ = project(registered, workdir)
    _rows(registered, 120).to_parquet(workdir / "in.parquet", index=False)
    done = cli("score", "in.parquet", "--out", "scored.csv", "--id", "id", "--params", str(path),
               "--log", "log/p.parquet", cwd=workdir)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("score: 120 rows of in.parquet scored by ")
    assert "score: 120 of 120 rows (100%, in.parquet)" in done.stderr  # progress, no codes
    assert "\r" not in done.stderr and len(pd.read_csv(workdir / "scored.csv")) == 120
    bad = cli("score", "missing.csv", "--out", "x.csv", "--params", str(path), cwd=workdir)
    assert bad.returncode == 1 and "missing.csv: no such file or folder" in bad.stdout + bad.stderr


@pytest.mark.parametrize(
    ("ids", "suffix", "message"),
    [
        (
            lambda n: [f"c{i}" if i != 130 else None for i in range(n)],
            ".parquet",
            "empty at row 130",
        ),
        (lambda n: [f"c{i}" if i != 7 else "  " for i in range(n)], ".csv", "empty at row 7"),
        (lambda n: [f"c{i}" if i != 150 else "c3" for i in range(n)], ".csv", "row 150 repeats"),
        (lambda n: pd.array([*range(n - 1), None], dtype="Int64"), ".parquet", "empty at row"),
        (lambda n: ["same"] * n, ".parquet", r"row 1 repeats .*\(\d+ repeats in all\)"),
    ],
)
def test_ids_that_are_empty_or_repeat_are_refused_before_any_row_is_scored(
    registered, workdir: Path, ids, suffix: str, message: str
) -> None:
    _, params, layout = project(registered, workdir)
    rows = _rows(registered, 200)
    rows["id"] = ids(len(rows))
    source = workdir / f"in{suffix}"
    rows.to_parquet(source, index=False) if suffix == ".parquet" else rows.to_csv(
        source, index=False
    )
    log = workdir / "log" / "predictions.parquet"
    with pytest.raises(PipelineError, match=message):
        score.run(
            params, layout, source, workdir / "out.csv", id_column="id", chunk_rows=97, log=log
        )
    assert not (workdir / "out.csv").exists()
    logged = _logged(log)  # no row scored: the input logged as one refused request
    assert len(logged) == 1 and logged["output.refused"].iloc[0].startswith("400: score: ")
