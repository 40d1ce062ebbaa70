"""Four-parameter logistic accuracy in SINR (dB) and its inverse at the accuracy threshold.

A(gamma_dB) = a + (b - a) / (1 + exp(-(c * gamma_dB + d))), with a the floor,
b the ceiling and c > 0, so accuracy rises with SINR.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logit


def logistic_accuracy(
    sinr_db: np.ndarray | float,
    a: np.ndarray | float,
    b: np.ndarray | float,
    c: np.ndarray | float,
    d: np.ndarray | float,
) -> np.ndarray:
    """Evaluate the logistic accuracy curve; all arguments broadcast.

    SINR of -inf dB gives the floor ``a`` and +inf dB the ceiling ``b`` (for c > 0).
    """
    sinr_db = np.asarray(sinr_db, dtype=float)
    return a + (np.asarray(b) - a) * expit(c * sinr_db + d)


def min_sinr_db(
    a_min: float,
    a: np.ndarray | float,
    b: np.ndarray | float,
    c: np.ndarray | float,
    d: np.ndarray | float,
) -> np.ndarray:
    """Return the smallest SINR, in dB, at which the logistic reaches ``a_min``.

    Assumes c > 0 and b >= a. Returns -inf where any SINR works
    (``a_min <= a``) and +inf where no SINR does (``a_min >= b``, except when
    ``a_min <= a`` too).
    """
    a, b, c, d = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (a, b, c, d)))
    out = np.empty(a.shape)
    any_sinr = a_min <= a
    impossible = ~any_sinr & (a_min >= b)
    inside = ~any_sinr & ~impossible
    out[any_sinr] = -np.inf
    out[impossible] = np.inf
    q = (a_min - a[inside]) / (b[inside] - a[inside])  # in (0, 1)
    out[inside] = (logit(q) - d[inside]) / c[inside]
    return out
