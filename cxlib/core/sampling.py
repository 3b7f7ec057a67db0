"""Seeded samples of rows, one way for every analysis that fits on fewer rows than it scores."""

from __future__ import annotations

import numpy as np

__all__ = ["sample_index", "limited_sample"]


def sample_index(n: int, size: int | None, rng: np.random.Generator) -> np.ndarray:
    """Sorted row positions of a sample without replacement (all rows when n <= size)."""
    if size is None or n <= size:
        return np.arange(n)
    return np.sort(rng.choice(n, size=size, replace=False))


def limited_sample(n: int, max_rows: int | None, seed: int) -> np.ndarray | None:
    """The rows to fit on when at most ``max_rows`` of ``n`` may be used.

    None means all of them: ``max_rows`` is 0, None or at least ``n``. Otherwise the sorted
    positions of a random sample of ``max_rows`` rows drawn with ``seed``, so a rerun fits the
    same rows. Every model of the kit that fits on fewer rows than it scores draws its sample here.

    Raises
    ------
    ValueError
        A negative ``max_rows``.
    """
    if max_rows is not None and max_rows < 0:
        raise ValueError(f"max_rows must be 0 (no limit) or a positive number of rows, got {max_rows}")
    if not max_rows or n <= max_rows:
        return None
    return sample_index(n, int(max_rows), np.random.default_rng(seed))
