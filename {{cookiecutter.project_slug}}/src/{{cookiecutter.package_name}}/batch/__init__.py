"""Batch scoring (`score`): files of rows scored by a registered model, a chunk at a time."""

CHUNK_ROWS = 50_000  # rows read, checked and scored at a time: what bounds the memory
