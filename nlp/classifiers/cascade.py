"""The initiative cascade's last stage (v10): the whole-text model decides the texts near the threshold.

The initiative model reads the e5 mean of a passage's first two pieces (0-500, 500-900 characters).
For the passages whose score lies within ``band`` of its threshold, and only for those, the further
pieces up to 2,400 characters are embedded and a second initiative model, trained on the mean of all
the pieces (`TrainConfig.whole_text_pieces`), decides at its own threshold (docs/models.md, "Issue 15,
sixth round"). One function serves the analysis (`ModelSet.score`) and the cross-validation
(`evaluation.out_of_fold`), so both decide the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def band_rows(scores: npt.ArrayLike, threshold: float, band: float) -> npt.NDArray[np.intp]:
    """Rows whose score lies in ``[threshold - band, threshold + band)``: the ones the whole text decides."""
    s = np.asarray(scores, dtype=float)
    if band <= 0:
        return np.zeros(0, dtype=np.intp)
    return np.flatnonzero((s >= threshold - band) & (s < threshold + band))


def to_main_scale(scores: npt.ArrayLike, own_threshold: float, threshold: float) -> FloatArray:
    """Whole-text scores mapped onto the initiative model's scale, the decision kept.

    Piecewise linear and increasing, [0, own] -> [0, threshold] and [own, 1] -> [threshold, 1]: a score
    at or above the whole-text model's own threshold lands at or above ``threshold`` and one below it
    strictly below, so every reader of ``initiative_score >= threshold`` (analysis, evaluation) makes
    the whole-text model's decision for these rows.
    """
    s = np.clip(np.asarray(scores, dtype=float), 0.0, 1.0)
    above = s >= own_threshold
    up = threshold + (s - own_threshold) * (1.0 - threshold) / max(1.0 - own_threshold, 1e-12)
    down = threshold - (own_threshold - s) * threshold / max(own_threshold, 1e-12)
    below_cut = np.nextafter(threshold, -np.inf)
    out: FloatArray = np.where(above, np.maximum(up, threshold), np.minimum(down, below_cut))
    return out


def rescore_band(
    scores: npt.ArrayLike,
    threshold: float,
    whole_model: Any,
    band: float,
    whole_batch: Callable[[npt.NDArray[np.intp]], Any],
) -> tuple[FloatArray, npt.NDArray[np.intp]]:
    """The initiative scores with the band's rows decided by ``whole_model``; and those rows.

    ``scores`` are the initiative model's scores of embedded passages (the TF-IDF stage's rejects never
    reach here); ``whole_batch(rows)`` returns the `TextBatch` of those rows with their whole-text
    ``[head | mean]`` vectors (the analysis embeds only the further pieces of these rows).
    """
    out = np.asarray(scores, dtype=float).copy()
    rows = band_rows(out, threshold, band)
    if len(rows):
        own = whole_model.decision_scores(whole_batch(rows))
        out[rows] = to_main_scale(own, float(whole_model.threshold_), threshold)
    return out, rows
