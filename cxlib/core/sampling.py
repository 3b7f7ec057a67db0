"""Seeded samples of rows, one way for every analysis that fits on fewer rows than it scores."""

from __future__ import annotations

import numpy as np

__all__ = ["sample_index"]


def sample_index(n: int, size: int | None, rng: np.random.Generator) -> np.ndarray:
    """Sorted row positions of a sample without replacement (all rows when n <= size)."""
    if size is None or n <= size:
        return np.arange(n)
    return np.sort(rng.choice(n, size=size, replace=False))
