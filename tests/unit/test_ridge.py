"""Content ridge: closed form on a hand example, and leave-rows-out equal to a refit without them."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from mishon_graph.learn.ridge import ContentRidge


def test_one_feature_by_hand() -> None:
    # x = [1, 2], y = [1, 0] on one hashtag: w = (x.y) / (x.x + lam) = 1 / (5 + 1)
    ridge = ContentRidge(np.array([[1.0], [2.0]]), sp.csr_matrix([[1.0], [0.0]]), lam=1.0)
    assert ridge.weights[0, 0] == pytest.approx(1 / 6)
    assert ridge.scores(np.array([[3.0]]))[0, 0] == pytest.approx(0.5)


def test_leaving_rows_out_equals_a_refit_without_them() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 6))
    y = sp.csr_matrix((rng.random((40, 5)) < 0.3).astype(float))
    query = rng.normal(size=(3, 6))
    ridge = ContentRidge(x, y, lam=0.5)
    for rows in ([7], [0, 1, 2, 39], list(range(10, 20))):
        keep = np.setdiff1d(np.arange(40), rows)
        refit = ContentRidge(x[keep], y[keep], lam=0.5)
        np.testing.assert_allclose(ridge.scores_without(query, rows), refit.scores(query), atol=1e-5)
    np.testing.assert_allclose(ridge.scores_without(query, []), ridge.scores(query))


def test_penalty_must_be_positive() -> None:
    with pytest.raises(ValueError, match="penalty"):
        ContentRidge(np.ones((2, 1)), sp.csr_matrix([[1.0], [0.0]]), lam=0.0)
