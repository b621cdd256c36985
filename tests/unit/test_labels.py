"""Sparse CSR labels: construction, row slicing, concatenation and conversions, on exact small cases."""

import math

import pytest
import torch

from mishon_graph.learn.labels import SparseLabels, sample_columns
from mishon_graph.learn.model import mishon_loss

DENSE = [[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0], [1.0, 0.0, 1.0, 1.0]]


def _labels() -> SparseLabels:
    return SparseLabels.from_lists([[1, 0, 1], [], [3], [3, 0, 2]], 4)


def test_from_lists_sorts_dedups_and_matches_dense() -> None:
    lab = _labels()
    assert lab.ptr.tolist() == [0, 2, 2, 3, 6]
    assert lab.idx.tolist() == [0, 1, 3, 0, 2, 3]
    assert lab.shape == (4, 4) and lab.nnz == 6
    assert lab.counts().tolist() == [2, 0, 1, 3]
    assert lab.row_of().tolist() == [0, 0, 2, 3, 3, 3]
    assert lab.to_dense().tolist() == DENSE
    back = SparseLabels.from_dense(torch.tensor(DENSE))
    assert back.ptr.tolist() == lab.ptr.tolist() and back.idx.tolist() == lab.idx.tolist()


def test_rows_by_index_and_by_mask() -> None:
    lab = _labels()
    sub = lab[torch.tensor([3, 1, 0, 3])]
    assert sub.ptr.tolist() == [0, 3, 3, 5, 8]
    assert sub.idx.tolist() == [0, 2, 3, 0, 1, 0, 2, 3]
    masked = lab[torch.tensor([False, True, True, False])]
    assert masked.ptr.tolist() == [0, 0, 1] and masked.idx.tolist() == [3]
    none = lab[torch.zeros(0, dtype=torch.long)]
    assert none.shape == (0, 4) and none.nnz == 0


def test_cat_empty_and_append() -> None:
    lab = _labels()
    both = SparseLabels.cat([lab[torch.tensor([2])], SparseLabels.empty(2, 4), lab[torch.tensor([0])]])
    assert both.ptr.tolist() == [0, 1, 1, 1, 3] and both.idx.tolist() == [3, 0, 1]
    grown = lab.append_empty(2)
    assert grown.ptr.tolist() == [0, 2, 2, 3, 6, 6, 6] and grown.to_dense()[4:].sum() == 0


def test_gather_reads_the_label_positions() -> None:
    scores = torch.arange(16.0).reshape(4, 4)
    assert _labels().gather(scores).tolist() == [0.0, 1.0, 11.0, 12.0, 14.0, 15.0]


def test_sample_columns_keeps_every_label_and_weights_the_drawn_ones() -> None:
    labels = SparseLabels.from_lists([[1], [3, 4]], 8)
    s = sample_columns(labels, 2, torch.Generator().manual_seed(0))
    cols = s.columns.tolist()
    assert cols == sorted(cols) and len(cols) == 5 and {1, 3, 4} <= set(cols)
    drawn = [c for c in cols if c not in (1, 3, 4)]
    expected = [0.0 if c in (1, 3, 4) else math.log(5 / 2) for c in cols]
    assert s.offset.tolist() == pytest.approx(expected) and len(drawn) == 2
    # the labels point at the same hashtags through the sampled columns
    assert s.columns[s.labels.idx].tolist() == [1, 3, 4] and s.labels.ptr.tolist() == [0, 1, 3]
    assert s.labels.num_hashtags == 5


def test_sample_columns_with_every_column_is_the_full_softmax() -> None:
    labels = SparseLabels.from_lists([[0, 2], [5]], 6)
    logits = torch.randn(2, 6, generator=torch.Generator().manual_seed(1))
    s = sample_columns(labels, 100)
    assert s.columns.tolist() == list(range(6)) and not s.offset.any()
    assert float(mishon_loss(logits[:, s.columns] + s.offset, s.labels)) == float(mishon_loss(logits, labels))


def test_sampled_denominator_is_unbiased() -> None:
    labels = SparseLabels.from_lists([[0], [1]], 50)
    logits = torch.randn(2, 50, generator=torch.Generator().manual_seed(2))
    gen = torch.Generator().manual_seed(3)
    est = torch.zeros(2, dtype=torch.float64)
    draws = 4000
    for _ in range(draws):
        s = sample_columns(labels, 6, gen)
        est += (logits[:, s.columns] + s.offset).double().exp().sum(1)
    full = logits.double().exp().sum(1)
    assert torch.allclose(est / draws, full, rtol=0.02)
