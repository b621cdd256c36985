"""Per-modality attention pooling over unit features (paper 4.1.2, eq. 8-10)."""

from __future__ import annotations

import functools
import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn


@functools.cache
def _cpu_has_bf16() -> bool:
    """The CPU has bfloat16 arithmetic (AVX512-BF16 or AMX); elsewhere bf16 matmuls are emulated."""
    try:
        flags = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(f in flags.split() for f in ("avx512_bf16", "amx_bf16"))


def bf16_matmul_is_fast(device: torch.device) -> bool:
    """Whether projecting bfloat16 features in bfloat16 saves time on ``device`` (CUDA with bf16
    support, or a CPU with bf16 instructions); otherwise they are projected in float32."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return device.type == "cpu" and _cpu_has_bf16()


class AttentionPooling(nn.Module):
    r"""Pools a video's unit features into one vector.

    .. math::
        h_x = \tanh(W x + b), \quad
        \alpha_x = \mathrm{softmax}_x(h_x \cdot u_w), \quad
        \mathrm{pooled} = \sum_x \alpha_x h_x

    Padded units (``mask`` False) get zero weight. With ``attention=False`` the weights are uniform
    over the real units (the paper's "without attention" ablation, on the same projection ``h_x``).

    Args:
        in_dim: Unit feature dimension.
        out_dim: Pooled dimension (the projection width).
        attention: Learn the weights (eq. 9); ``False`` averages.
    """

    def __init__(self, in_dim: int, out_dim: int, attention: bool = True) -> None:
        super().__init__()
        self.in_dim = in_dim
        self.out_dim = out_dim
        self.attention = attention
        self.lin = nn.Linear(in_dim, out_dim)
        self.context = nn.Parameter(torch.empty(out_dim))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.lin.reset_parameters()
        nn.init.uniform_(self.context, -1.0 / math.sqrt(self.out_dim), 1.0 / math.sqrt(self.out_dim))

    def weights(self, h: Tensor, mask: Tensor) -> Tensor:
        """Attention weights ``[n, units]`` from projected units ``h`` ``[n, units, out_dim]``."""
        if self.attention:
            scores = h @ self.context
        else:
            scores = torch.zeros(h.shape[:2], dtype=h.dtype, device=h.device)
        scores = scores.masked_fill(~mask, float("-inf"))
        alpha = torch.softmax(scores, dim=1)
        return torch.nan_to_num(alpha, nan=0.0)  # a row with no real unit pools to zero

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """Pool ``x`` ``[n, units, in_dim]`` with ``mask`` ``[n, units]`` to ``[n, out_dim]``.

        Features stored as bfloat16 (half the memory) are projected in bfloat16 where the hardware has
        bf16 arithmetic (:func:`bf16_matmul_is_fast`), else upcast to float32 one batch at a time
        (emulated bf16 matmuls are several times slower than float32); everything after the
        projection is float32.
        """
        weight, bias = self.lin.weight, self.lin.bias
        if x.dtype != weight.dtype and not bf16_matmul_is_fast(x.device):
            x = x.to(weight.dtype)
        if x.dtype != weight.dtype:
            h = torch.tanh(F.linear(x, weight.to(x.dtype), bias.to(x.dtype))).float()
        else:
            h = torch.tanh(F.linear(x, weight, bias))
        alpha = self.weights(h, mask)
        return torch.einsum("nu,nud->nd", alpha, h)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.in_dim}, {self.out_dim}, attention={self.attention})"


class UnitReduction(nn.Module):
    """A fixed linear map of unit features to ``out_dim`` (a PCA basis fit once on training units,
    see :func:`fit_unit_pca`); buffers only, saved with the model, never trained."""

    def __init__(self, in_dim: int, out_dim: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(in_dim))
        self.register_buffer("basis", torch.zeros(in_dim, out_dim))

    def forward(self, x: Tensor) -> Tensor:
        return (x.to(self.basis.dtype) - self.mean) @ self.basis

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.basis.shape[0]} -> {self.basis.shape[1]})"


def fit_unit_pca(
    x: Tensor, mask: Tensor, rows: Tensor, dim: int, *, max_units: int = 50_000, seed: int = 0
) -> tuple[Tensor, Tensor]:
    """Mean and top-``dim`` principal directions (``[d]``, ``[d, dim]``, float32) of the real units of
    video rows ``rows`` (of a random subset of them with at most about ``max_units`` units)."""
    gen = torch.Generator().manual_seed(seed)
    rows = rows[torch.randperm(rows.numel(), generator=gen)]
    rows = rows[: max(1, max_units // max(1, x.shape[1]))].sort().values
    units = x[rows][mask[rows]].to(torch.float64)
    if units.shape[0] == 0:
        raise ValueError("no unit features to fit the reduction on")
    mean = units.mean(dim=0)
    centred = units - mean
    cov = centred.T @ centred / max(units.shape[0] - 1, 1)
    _, vectors = torch.linalg.eigh(cov)  # ascending eigenvalues
    basis = vectors[:, -dim:].flip(1)
    basis = basis * torch.sign(basis[basis.abs().argmax(dim=0), torch.arange(basis.shape[1])])  # fixed signs
    return mean.float(), basis.float().contiguous()
