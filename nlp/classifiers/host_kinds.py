"""Document kind read with the other pages of its site (issue 15, ninth session).

Errors of the document-kind model are mostly publisher-level (a town's news page reads like press, a blog
reprint is `other`). A crawl has many pages per site: the model's own probabilities on the host's other
pages (no label) say who publishes. Each page's probabilities are mixed with the mean of its host's other
pages, ``p' = (1 - w) p + w mean(others)``, and the kind is the argmax of ``p'``. A page alone on its host
keeps its own kind. The result depends on the set of the host's pages only (never on their order).
The weight is the setting `VIGIE_DOC_KIND_HOST_WEIGHT`: 0 (off) by default, because 0.3 gains on the dev
texts' grouped CV (accuracy 0.736 -> 0.749) but not on the blind split (0.726 either way; docs/models.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from core.urls import url_host

__all__ = ["smooth_by_host", "smooth_scores", "url_host"]


def smooth_by_host(
    hosts: Sequence[str],
    probs: npt.ArrayLike,
    classes: Sequence[str] | npt.NDArray[Any],
    weight: float,
) -> npt.NDArray[Any]:
    """The kind of each row: its probabilities mixed with the mean of the same host's other rows.

    ``hosts`` are `url_host` values ("" = unknown: never pooled); ``probs`` has one column per class of
    ``classes``. With ``weight`` 0, or for a row alone on its host, the kind is the row's own argmax.
    """
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"host weight must lie in [0, 1], got {weight}")
    p = np.asarray(probs, dtype=float)
    labels = np.asarray(classes, dtype=object)
    if p.ndim != 2 or p.shape[0] != len(hosts) or p.shape[1] != len(labels):
        raise ValueError(f"probabilities of shape {p.shape} for {len(hosts)} rows and {len(labels)} classes")
    mixed = p.copy()
    if weight > 0:
        rows: dict[str, list[int]] = defaultdict(list)
        for i, host in enumerate(hosts):
            if host:
                rows[host].append(i)
        for idx in rows.values():
            if len(idx) < 2:
                continue
            total = p[idx].sum(axis=0)
            others = (total[None, :] - p[idx]) / (len(idx) - 1)
            mixed[idx] = (1 - weight) * p[idx] + weight * others
    return np.asarray(labels[np.argmax(mixed, axis=1)]) if len(p) else np.array([], dtype=object)


def smooth_scores(hosts: Sequence[str], scores: Sequence[Mapping[str, float]], weight: float) -> list[str]:
    """`smooth_by_host` over per-page score dicts (kind -> probability, as analyses store them).

    The classes are the union of the dicts' keys, in sorted order; a missing kind counts as 0.
    """
    classes = sorted({k for s in scores for k in s})
    if not classes:
        return []
    probs = np.array([[float(s.get(k, 0.0)) for k in classes] for s in scores])
    return [str(k) for k in smooth_by_host(hosts, probs, classes, weight)]
