"""Categories the model never saw in training: scored all the same (the encoder gives them no
category), but each such row gets a warning in its answer and in the prediction log, so a new
value in the world is seen before it is a drift."""

from __future__ import annotations

import numpy as np
import pandas as pd

MAX_KNOWN = 1_000  # a column with more training values than this is not checked (an id, text)
SHOWN = 40  # characters of an unseen value a warning repeats
SMALL = 64  # rows: below this, plain Python beats pandas' per-call cost (a /predict call)


def known_categories(frame: pd.DataFrame, columns: list[str]) -> dict[str, list[str]]:
    """Each categorical column's training values, as text; what `UnseenCategories` checks."""
    known = {}
    for column in columns:
        values = frame[column].dropna().astype(str).unique()
        if len(values) <= MAX_KNOWN:
            known[column] = sorted(values.tolist())
    return known


class UnseenCategories:
    """Warnings for rows with a value of a categorical column not seen in training."""

    def __init__(self, known: dict[str, list[str]]) -> None:
        self.known = {column: set(values) for column, values in known.items()}

    def warnings(self, frame: pd.DataFrame) -> dict[int, str]:
        """Row index -> one line naming each column's unseen value; empty when none."""
        found: dict[int, list[str]] = {}
        for column, values in self.known.items():
            if column not in frame.columns:
                continue
            for index, value in self._unseen(frame[column], values):
                shown = value if len(value) <= SHOWN else value[: SHOWN - 3] + "..."
                found.setdefault(index, []).append(f"{column}: {shown!r}")
        return {
            index: f"not seen in training, scored as no known category: {', '.join(parts)}"
            for index, parts in found.items()
        }

    @staticmethod
    def _unseen(cells: pd.Series, values: set[str]) -> list[tuple[int, str]]:
        if len(cells) < SMALL:
            return [
                (index, text)
                for index, value in enumerate(cells.tolist())
                if not pd.isna(value) and (text := str(value)) not in values
            ]
        text = cells.astype(str)
        unseen = np.flatnonzero((cells.notna() & ~text.isin(values)).to_numpy())
        return [(index, text.iat[index]) for index in unseen.tolist()]
