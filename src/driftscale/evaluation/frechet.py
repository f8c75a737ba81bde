r"""Frechet distance between two sets of images in a feature space (the FID recipe, small scale).

The Frechet (2-Wasserstein) distance between the Gaussians fitted to two feature sets,

.. math:: d^2 = |\mu_1 - \mu_2|^2 + \operatorname{tr}\big(\Sigma_1 + \Sigma_2
          - 2(\Sigma_1\Sigma_2)^{1/2}\big)

(Dowson & Landau 1982; Heusel et al. 2017 use it on Inception features as "FID"). For the 8x8
digits the feature space is the hidden layer of a small scikit-learn ``MLPClassifier`` trained on
the *training* split: features that separate the ten digits, as Inception's separate ImageNet
classes, and fitted without the held-out images or any generated sample. The estimate is biased
upwards for finite samples; compare distances computed from sets of the same sizes (the CLI prints
real-versus-real at the same sizes as the floor).

References
----------
.. [1] D. C. Dowson, B. V. Landau, "The Frechet distance between multivariate normal
       distributions", J. Multivariate Anal. 12 (1982) 450-455.
.. [2] M. Heusel et al., "GANs trained by a two time-scale update rule converge to a local Nash
       equilibrium", NeurIPS 2017.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from driftscale._validation import check_array, check_positive_int
from driftscale.typing import FloatArray

__all__ = ["ClassifierFeatures", "classifier_features", "frechet_distance"]


def _flat(x: Any, name: str) -> FloatArray:
    arr = check_array(x, name=name)
    if arr.ndim < 2 or arr.shape[0] < 2:
        raise ValueError(
            f"`{name}` must hold at least 2 samples of shape (N, ...) (a covariance needs them), "
            f"got shape {arr.shape}"
        )
    return arr.reshape(arr.shape[0], -1)


def frechet_distance(x: Any, y: Any) -> float:
    r"""Frechet distance :math:`d^2` between Gaussians fitted to the rows of ``x`` and ``y``.

    Parameters
    ----------
    x, y : ndarray of shape (N, d) and (M, d) (or images, flattened)

    Returns
    -------
    float
        :math:`|\mu_x-\mu_y|^2 + \mathrm{tr}(\Sigma_x+\Sigma_y-2(\Sigma_x\Sigma_y)^{1/2})`
        (squared distance, as FID reports it), with unbiased covariances.

    Examples
    --------
    >>> x = np.array([[0.0], [2.0]])          # mean 1, variance 2
    >>> round(frechet_distance(x, x + 3.0), 12)  # shifted by 3: |3|^2
    9.0
    """
    import scipy.linalg  # imported on first use: `import driftscale` stays light

    a, b = _flat(x, "x"), _flat(y, "y")
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"`x` and `y` must have the same dimension, got {a.shape[1]} and {b.shape[1]}"
        )
    mu = a.mean(0) - b.mean(0)
    sa, sb = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    # tr (S_x S_y)^(1/2) = sum sqrt(eig(S_x^(1/2) S_y S_x^(1/2))): a symmetric PSD matrix, stable
    # also for singular covariances (dead features), where sqrtm(S_x S_y) is ill-conditioned
    w, v = scipy.linalg.eigh(sa)
    half = (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T
    lam = scipy.linalg.eigvalsh(half @ sb @ half)
    tr_root = float(np.sum(np.sqrt(np.clip(lam, 0.0, None))))
    d2 = float(mu @ mu + np.trace(sa) + np.trace(sb) - 2.0 * tr_root)
    return max(d2, 0.0)  # rounding can give -1e-15 for equal sets


@dataclass(frozen=True)
class ClassifierFeatures:
    """The hidden layer of a trained MLP: ``features(x) = relu(x W + b)``; ``accuracy`` is on the
    images passed as ``check`` (held-out) when given, else on the training images."""

    weights: FloatArray
    bias: FloatArray
    accuracy: float
    hidden: int

    def __call__(self, images: Any) -> FloatArray:
        """Features of images ``(N, *image_shape)``, shape ``(N, hidden)``."""
        x = check_array(images, name="images")
        flat = x.reshape(x.shape[0], -1)
        if flat.shape[1] != self.weights.shape[0]:
            raise ValueError(
                f"`images` must have {self.weights.shape[0]} values each (the classifier's input), "
                f"got {flat.shape[1]}"
            )
        return np.maximum(flat @ self.weights + self.bias, 0.0)  # relu(x W + b)


def classifier_features(
    train: Any,
    labels: Any,
    *,
    hidden: int = 64,
    seed: int = 0,
    check: tuple[Any, Any] | None = None,
) -> ClassifierFeatures:
    """Train ``sklearn.neural_network.MLPClassifier(hidden_layer_sizes=(hidden,))`` on ``train``
    (flattened) with ``labels``; return its hidden layer as a feature map.

    ``check = (images, labels)`` measures the classifier's accuracy on held-out images.
    """
    from sklearn.neural_network import MLPClassifier

    x = _flat(train, "train")
    y = np.asarray(labels)
    if y.shape != (x.shape[0],):
        raise ValueError(f"`labels` must have shape ({x.shape[0]},), one per image, got {y.shape}")
    hidden = check_positive_int(hidden, name="hidden")
    clf = MLPClassifier(hidden_layer_sizes=(hidden,), max_iter=500, random_state=seed)
    with np.errstate(all="ignore"):  # sklearn's own float handling (underflow in softmax)
        clf.fit(x, y)
        if check is not None:
            cx = check_array(check[0], name="check")
            acc = float(clf.score(cx.reshape(cx.shape[0], -1), np.asarray(check[1])))
        else:
            acc = float(clf.score(x, y))
    return ClassifierFeatures(
        weights=np.asarray(clf.coefs_[0], dtype=np.float64),
        bias=np.asarray(clf.intercepts_[0], dtype=np.float64),
        accuracy=acc,
        hidden=hidden,
    )
