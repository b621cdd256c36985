"""Per-modality attention pooling over unit features (paper 4.1.2, eq. 8-10)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


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

        Features stored as bfloat16 are projected in bfloat16 (half the memory and time on CPU);
        everything after the projection is float32.
        """
        weight, bias = self.lin.weight, self.lin.bias
        if x.dtype != weight.dtype:
            h = torch.tanh(F.linear(x, weight.to(x.dtype), bias.to(x.dtype))).float()
        else:
            h = torch.tanh(F.linear(x, weight, bias))
        alpha = self.weights(h, mask)
        return torch.einsum("nu,nud->nd", alpha, h)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.in_dim}, {self.out_dim}, attention={self.attention})"
