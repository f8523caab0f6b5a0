"""The feature schema: recorded at training time, it types the service's input and checks new data."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, create_model

Kind = Literal["float", "int", "bool", "str"]
_PY_TYPES: dict[str, type] = {"float": float, "int": int, "bool": bool, "str": str}
# Numbers a client may send. Larger values are no measurement a model was trained on, and past
# scaling they overflow the float32 that tree models compute in: refused, naming the field.
MAX_ABS_NUMBER = 1e15
MAX_ABS_INT = 2**53  # the largest integer JSON clients carry exactly
MAX_TEXT = 10_000
_BOUNDS: dict[str, dict[str, Any]] = {
    "float": {"ge": -MAX_ABS_NUMBER, "le": MAX_ABS_NUMBER},
    "int": {"ge": -MAX_ABS_INT, "le": MAX_ABS_INT},
    "str": {"max_length": MAX_TEXT},
    "bool": {},
}


def infer_schema(features: pd.DataFrame) -> dict[str, Kind]:
    """Map each feature column to the JSON type a client must send: the type it was trained on."""
    schema: dict[str, Kind] = {}
    for name, dtype in features.dtypes.items():
        column = str(name)
        if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
            schema[column] = "str"
        elif pd.api.types.is_bool_dtype(dtype):
            schema[column] = "bool"
        elif pd.api.types.is_integer_dtype(dtype):
            schema[column] = "int"
        else:
            schema[column] = "float"
    return schema


def categorical_columns(schema: dict[str, Kind], declared: tuple[str, ...] = ()) -> list[str]:
    """Text columns, plus columns params.yaml declares categorical (even when numeric)."""
    return [name for name, kind in schema.items() if kind == "str" or name in declared]


def row_model(schema: dict[str, Kind], nullable: tuple[str, ...] = ()) -> type[BaseModel]:
    """A pydantic model of one input row: every feature required, nothing extra, finite numbers.

    Strict types: a number sent as a string or a boolean for a number is refused, not guessed.
    Null is accepted only for columns that had missing values in training (the model imputes).
    Column names may be anything (spaces, leading digits), so fields get safe names and
    the column name is the alias clients use.
    """
    fields: dict[str, Any] = {
        f"f{index}": (
            _PY_TYPES[kind] | None if name in nullable else _PY_TYPES[kind],
            Field(alias=name, title=name, **_BOUNDS[kind]),
        )
        for index, (name, kind) in enumerate(schema.items())
    }
    return create_model(  # type: ignore[call-overload,no-any-return]
        "FeatureRow",
        __config__=ConfigDict(
            extra="forbid", strict=True, allow_inf_nan=False, populate_by_name=False
        ),
        **fields,
    )


def rows_to_frame(rows: list[BaseModel], schema: dict[str, Kind]) -> pd.DataFrame:
    """Validated rows as the frame the model was trained on, built column-wise.

    Numbers go into one float block at once: building a frame row by row and casting each
    column costs milliseconds per request, which is most of a small request's time.
    """
    names = list(schema)
    fields = list(type(rows[0]).model_fields) if rows else []
    values = np.array([[getattr(row, field) for field in fields] for row in rows], dtype=object)
    values = values.reshape(len(rows), len(names))
    floats = [index for index, kind in enumerate(schema.values()) if kind == "float"]
    frame = pd.DataFrame(
        values[:, floats].astype("float64"), columns=[names[index] for index in floats]
    )
    for index, (name, kind) in enumerate(schema.items()):
        if kind != "float":
            frame[name] = _typed(values[:, index], kind)
    return frame if len(floats) == len(names) else frame[names]


def _typed(column: np.ndarray, kind: Kind) -> np.ndarray:
    """An int or bool column keeps its type unless it holds nulls (as pandas would read it)."""
    missing = any(value is None for value in column)
    if kind == "int":
        return column.astype("float64") if missing else column.astype("int64")
    if kind == "bool" and not missing:
        return column.astype(bool)
    return column
