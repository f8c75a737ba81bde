"""Judging generated samples: memorisation and sample quality.

- :mod:`~driftscale.evaluation.memorization` -- nearest-neighbour memorisation analysis (the d1/d2
  ratio of arXiv:2501.17054's question), :func:`memorization_report`.
- :mod:`~driftscale.evaluation.frechet` -- Frechet distance between sample sets in the features of
  a classifier trained on the data (scikit-learn, imported on first use).
- :mod:`~driftscale.evaluation.generalization` -- agreement of sample sets drawn from the same
  noise (r^2, cosine similarity) and the copy fraction with a bootstrap interval.
- :mod:`~driftscale.evaluation.likelihood` -- per-image bits/dim summaries, train against held-out.
"""

from driftscale.evaluation.frechet import ClassifierFeatures, classifier_features, frechet_distance
from driftscale.evaluation.memorization import (
    MemorizationReport,
    memorization_report,
    nearest_neighbours,
)

__all__ = [
    "ClassifierFeatures",
    "MemorizationReport",
    "classifier_features",
    "frechet_distance",
    "memorization_report",
    "nearest_neighbours",
]
