"""Sparse multi-hot hashtag labels in CSR form (no I/O).

A video's ground truth ``G_i`` is a handful of hashtags out of a vocabulary of thousands, so a dense
``[n_videos, |H|]`` matrix is almost all zeros (4 GB of them at 127k videos x 7,876 hashtags).
:class:`SparseLabels` keeps only the index pairs, as a CSR pair: ``ptr [n + 1]`` and ``idx [nnz]``
(both int64); row ``i``'s hashtag columns are ``idx[ptr[i]:ptr[i + 1]]``, ascending and unique. Rows
are sliced with an index tensor (mini-batches take their seed videos' rows), concatenated, and
turned into COO pairs for gathering scores at the ground-truth positions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True, eq=False)
class SparseLabels:
    """Multi-hot labels of ``n`` rows over ``num_hashtags`` columns, in CSR form.

    Attributes:
        ptr: ``[n + 1]`` int64 offsets into ``idx``; ``ptr[0] == 0``.
        idx: ``[nnz]`` int64 hashtag columns, ascending within each row.
        num_hashtags: Number of columns ``|H|``.
    """

    ptr: Tensor
    idx: Tensor
    num_hashtags: int

    @classmethod
    def from_lists(cls, columns: Sequence[Sequence[int]], num_hashtags: int) -> SparseLabels:
        """From each row's hashtag columns (duplicates dropped, sorted)."""
        rows = [sorted(set(c)) for c in columns]
        counts = torch.tensor([len(r) for r in rows], dtype=torch.long)
        ptr = torch.zeros(len(rows) + 1, dtype=torch.long)
        ptr[1:] = torch.cumsum(counts, 0)
        idx = torch.tensor([c for r in rows for c in r], dtype=torch.long)
        return cls(ptr, idx, num_hashtags)

    @classmethod
    def from_dense(cls, labels: Tensor) -> SparseLabels:
        """From a ``[n, |H|]`` multi-hot matrix (every non-zero entry is a label)."""
        nz = torch.nonzero(labels).to(labels.device)  # row-major: rows, then columns, ascending
        ptr = torch.zeros(labels.shape[0] + 1, dtype=torch.long, device=labels.device)
        ptr[1:] = torch.cumsum(torch.bincount(nz[:, 0], minlength=labels.shape[0]), 0)
        return cls(ptr, nz[:, 1].contiguous(), int(labels.shape[1]))

    @classmethod
    def empty(cls, n: int, num_hashtags: int) -> SparseLabels:
        """``n`` rows without labels."""
        return cls(torch.zeros(n + 1, dtype=torch.long), torch.zeros(0, dtype=torch.long), num_hashtags)

    @classmethod
    def cat(cls, parts: Sequence[SparseLabels]) -> SparseLabels:
        """Rows of ``parts`` one after another (all with the same ``num_hashtags``)."""
        ptrs, offset = [parts[0].ptr[:1]], 0
        for p in parts:
            ptrs.append(p.ptr[1:] + offset)
            offset += p.nnz
        return cls(torch.cat(ptrs), torch.cat([p.idx for p in parts]), parts[0].num_hashtags)

    @property
    def num_rows(self) -> int:
        return self.ptr.numel() - 1

    @property
    def nnz(self) -> int:
        return self.idx.numel()

    @property
    def shape(self) -> tuple[int, int]:
        return self.num_rows, self.num_hashtags

    def counts(self) -> Tensor:
        """``[n]`` number of labels ``|G_i|`` per row."""
        return self.ptr[1:] - self.ptr[:-1]

    def row_of(self) -> Tensor:
        """``[nnz]`` row of each entry of ``idx`` (the COO rows)."""
        return torch.repeat_interleave(torch.arange(self.num_rows, device=self.ptr.device), self.counts())

    def __getitem__(self, rows: Tensor) -> SparseLabels:
        """The labels of rows ``rows`` (an index tensor or a boolean mask), in that order."""
        if rows.dtype == torch.bool:
            rows = torch.nonzero(rows).flatten()
        rows = rows.to(self.ptr.device)
        start, counts = self.ptr[rows], self.counts()[rows]
        ptr = torch.zeros(rows.numel() + 1, dtype=torch.long, device=self.ptr.device)
        ptr[1:] = torch.cumsum(counts, 0)
        total = int(ptr[-1])
        shift = torch.repeat_interleave(start - ptr[:-1], counts, output_size=total)
        return SparseLabels(
            ptr, self.idx[torch.arange(total, device=self.ptr.device) + shift], self.num_hashtags
        )

    def append_empty(self, n: int) -> SparseLabels:
        """These rows followed by ``n`` rows without labels."""
        return SparseLabels(torch.cat([self.ptr, self.ptr[-1:].expand(n)]), self.idx, self.num_hashtags)

    def to(self, device: torch.device | str) -> SparseLabels:
        return SparseLabels(self.ptr.to(device), self.idx.to(device), self.num_hashtags)

    def cpu(self) -> SparseLabels:
        return self.to("cpu")

    def gather(self, scores: Tensor) -> Tensor:
        """``[nnz]`` entries of ``scores [n, |H|]`` at the label positions, in ``idx`` order."""
        return scores[self.row_of(), self.idx]

    def to_dense(self, dtype: torch.dtype = torch.float32) -> Tensor:
        """The ``[n, |H|]`` multi-hot matrix (for small cases and tests only)."""
        out = torch.zeros(self.num_rows, self.num_hashtags, dtype=dtype, device=self.idx.device)
        out[self.row_of(), self.idx] = 1
        return out


@dataclass(frozen=True, eq=False)
class SampledColumns:
    """The hashtag columns a sampled-softmax step scores (see :func:`sample_columns`).

    Attributes:
        columns: ``[s]`` ascending vocabulary columns: every label of the batch, then drawn negatives.
        offset: ``[s]`` added to their logits: 0 on label columns, ``log(rest / drawn)`` on drawn ones.
        labels: The batch's labels re-indexed into ``columns``.
    """

    columns: Tensor
    offset: Tensor
    labels: SparseLabels


def sample_columns(
    labels: SparseLabels, negatives: int, gen: torch.Generator | None = None
) -> SampledColumns:
    """Columns of a sampled softmax: the batch's labels plus ``negatives`` others drawn uniformly.

    Every column that is a label of some row of the batch is scored exactly; of the ``rest`` other
    columns, ``drawn = min(negatives, rest)`` are drawn without replacement and their ``exp`` weighted
    by ``rest / drawn``, so each row's sum of ``exp`` over the scored columns is an unbiased estimate
    of its full softmax denominator. With ``negatives >= rest`` every column is scored with offset 0
    and the loss is the full softmax's.
    """
    device = labels.idx.device
    h = labels.num_hashtags
    positive = torch.unique(labels.idx)  # sorted
    rest = h - positive.numel()
    drawn = max(0, min(negatives, rest))
    others = torch.ones(h, dtype=torch.bool, device=device)
    others[positive] = False
    pool = torch.nonzero(others).flatten()
    if drawn < rest:
        pool = pool[torch.randperm(rest, generator=gen, device="cpu")[:drawn].to(device)]
    columns, order = torch.sort(torch.cat([positive, pool]))
    offset = torch.zeros(columns.numel(), dtype=torch.float32, device=device)
    if drawn:
        weight = torch.log(torch.tensor(rest / drawn, dtype=torch.float32))
        offset[order >= positive.numel()] = weight.to(device)
    idx = torch.searchsorted(columns, labels.idx)
    return SampledColumns(columns, offset, SparseLabels(labels.ptr, idx, int(columns.numel())))
