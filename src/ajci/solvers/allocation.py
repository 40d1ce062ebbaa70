"""Edge-server computation allocation, given the partition (the KKT solution)."""

from __future__ import annotations

import numpy as np


def allocate_computation(w_es: np.ndarray, f_total: float) -> np.ndarray:
    """Split the ES frequency to minimise the total ES delay sum_n W_n / f_n s.t. sum_n f_n <= F.

    The KKT conditions give f_n = F sqrt(W_n) / sum_m sqrt(W_m); a device
    with W_n = 0 gets 0. Rows with no ES work at all get 0 everywhere.

    Parameters
    ----------
    w_es : np.ndarray
        (..., N) ES workloads, in cycles; the split is along the last axis and
        vectorised over the leading axes.
    f_total : float
        Total ES frequency F, in cycles/s.

    Returns
    -------
    np.ndarray
        (..., N) ES frequencies, in cycles/s.
    """
    w_es = np.asarray(w_es, dtype=float)
    if np.any(w_es < 0):
        raise ValueError("ES workloads must be non-negative")
    root = np.sqrt(w_es)  # sqrt(cycles), (..., N)
    total = root.sum(axis=-1, keepdims=True)
    share = np.divide(root, total, out=np.zeros_like(root), where=total > 0)
    return f_total * share


def es_delay(w_es: np.ndarray, f_es: np.ndarray) -> np.ndarray:
    """Return the ES delay W / f, in s, with 0 where there is no ES work."""
    w_es = np.asarray(w_es, dtype=float)
    f_es = np.asarray(f_es, dtype=float)
    return np.divide(w_es, f_es, out=np.zeros(np.broadcast(w_es, f_es).shape), where=w_es > 0)
