"""MISHON model pieces against hand computations (eq. 8-10, Algorithm 2, eq. 21)."""

import math

import numpy as np
import pytest
import torch

from mishon_graph.constants import PYG_EDGE_SIMILAR, PYG_EDGE_USED_BY, PYG_EDGE_USES, PYG_USER
from mishon_graph.errors import MishonError
from mishon_graph.learn import pooling
from mishon_graph.learn.labels import SparseLabels
from mishon_graph.learn.model import (
    VARIANTS,
    MishonModel,
    RefineLayer,
    edge_types,
    mishon_loss,
    sample_in_edges,
)
from mishon_graph.learn.pooling import AttentionPooling, fit_unit_pca


def _pool(attention: bool = True) -> AttentionPooling:
    pool = AttentionPooling(2, 2, attention=attention)
    with torch.no_grad():
        pool.lin.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 2.0]]))
        pool.lin.bias.copy_(torch.tensor([0.0, -1.0]))
        pool.context.copy_(torch.tensor([1.0, 1.0]))
    return pool


def test_attention_matches_eq_8_to_10_and_ignores_padding() -> None:
    x = torch.tensor([[[0.5, 1.0], [1.0, 0.0], [99.0, -99.0]]])  # third unit is padding
    mask = torch.tensor([[True, True, False]])
    pool = _pool()
    out = pool(x, mask)
    h = np.tanh(np.array([[0.5, 1.0], [1.0, -1.0]]))
    s = h @ np.array([1.0, 1.0])
    alpha = np.exp(s) / np.exp(s).sum()
    np.testing.assert_allclose(out.detach().numpy()[0], alpha @ h, rtol=1e-6)
    w = pool.weights(torch.tanh(pool.lin(x)), mask)
    assert w[0, 2].item() == 0.0
    assert w.sum(dim=1).item() == pytest.approx(1.0)
    x2 = x.clone()
    x2[0, 2] = torch.tensor([-5.0, 7.0])
    assert torch.equal(pool(x2, mask), out)


def test_attention_weights_sum_to_one_per_video() -> None:
    torch.manual_seed(0)
    pool = AttentionPooling(8, 4)
    x = torch.randn(5, 6, 8)
    mask = torch.arange(6).expand(5, 6) < torch.tensor([[1], [2], [3], [6], [4]])
    w = pool.weights(torch.tanh(pool.lin(x)), mask)
    torch.testing.assert_close(w.sum(dim=1), torch.ones(5))
    assert bool((w[~mask] == 0).all())


def test_without_attention_is_the_mean_of_projected_units() -> None:
    x = torch.tensor([[[0.5, 1.0], [1.0, 0.0], [3.0, 3.0]]])
    mask = torch.tensor([[True, True, False]])
    out = _pool(attention=False)(x, mask)
    h = np.tanh(np.array([[0.5, 1.0], [1.0, -1.0]]))
    np.testing.assert_allclose(out.detach().numpy()[0], h.mean(axis=0), rtol=1e-6)


@pytest.mark.parametrize("fast", [True, False])
def test_bfloat16_features_pool_close_to_float32(fast: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """With bf16 hardware the projection runs in bf16; without, the batch is upcast (exact float32)."""
    monkeypatch.setattr(pooling, "bf16_matmul_is_fast", lambda _device: fast)
    torch.manual_seed(0)
    pool = AttentionPooling(16, 8)
    x = torch.randn(4, 3, 16)
    mask = torch.ones(4, 3, dtype=torch.bool)
    full = pool(x, mask)
    half = pool(x.to(torch.bfloat16), mask)
    assert half.dtype == torch.float32
    torch.testing.assert_close(half, full, atol=3e-2, rtol=3e-2)
    if not fast:
        torch.testing.assert_close(half, pool(x.to(torch.bfloat16).float(), mask))


def _layer(aggr: str) -> RefineLayer:
    layer = RefineLayer(2, 2, aggregator=aggr)
    with torch.no_grad():
        layer.conv.lin_l.weight.copy_(torch.tensor([[1.0, 0.0], [1.0, 1.0]]))
        layer.conv.lin_l.bias.copy_(torch.tensor([0.5, 0.0]))
        layer.conv.lin_r.weight.copy_(torch.tensor([[2.0, 0.0], [0.0, -1.0]]))
    return layer


X4 = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, -1.0]])
# Undirected path 0-1, 1-2, 1-3 stored both ways: node 1 has neighbours {0, 2, 3}.
E4 = torch.tensor([[0, 1, 1, 2, 1, 3], [1, 0, 2, 1, 3, 1]])


@pytest.mark.parametrize("aggr", ["mean", "max"])
def test_sage_layer_matches_hand_computation_on_4_nodes(aggr: str) -> None:
    out = _layer(aggr)(X4, E4).detach().numpy()
    x = X4.numpy().astype(np.float64)
    nbrs = {0: [1], 1: [0, 2, 3], 2: [1], 3: [1]}
    wl, bl, wr = np.array([[1, 0], [1, 1.0]]), np.array([0.5, 0]), np.array([[2, 0], [0, -1.0]])
    for n, ns in nbrs.items():
        agg = x[ns].mean(axis=0) if aggr == "mean" else x[ns].max(axis=0)
        h = np.maximum(wl @ agg + bl + wr @ x[n], 0.0)  # sigma(W [h_n || AGG]) with W = [W_r W_l]
        h = h / np.linalg.norm(h)
        np.testing.assert_allclose(out[n], h, rtol=1e-6)


def test_sage_outputs_have_unit_norm() -> None:
    torch.manual_seed(1)
    out = RefineLayer(2, 16)(X4, E4)
    torch.testing.assert_close(out.norm(dim=1), torch.ones(4))


def test_loss_matches_eq_21_on_a_hand_example() -> None:
    logits = torch.tensor([[0.0, 0.0, 0.0], [math.log(0.5), math.log(0.25), math.log(0.25)]])
    labels = torch.tensor([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    # video 1: -log(1/3) twice; video 2: -log(1/4); averaged over |Z| = 2 videos.
    expected = (2 * math.log(3) + math.log(4)) / 2
    assert mishon_loss(logits, labels).item() == pytest.approx(expected, rel=1e-6)


def test_sparse_loss_matches_eq_21_on_a_hand_example() -> None:
    logits = torch.tensor(
        [[0.0, 0.0, 0.0, 0.0], [math.log(0.5), math.log(0.25), math.log(0.125), math.log(0.125)]]
    )
    labels = SparseLabels.from_lists([[0, 3], [1, 3]], 4)
    # video 1: -log(1/4) twice; video 2: -log(1/4) - log(1/8); averaged over |Z| = 2 videos.
    expected = (3 * math.log(4) + math.log(8)) / 2
    assert mishon_loss(logits, labels).item() == pytest.approx(expected, rel=1e-6)
    # Gradient (|G_i| softmax_i - 1[g in G_i]) / n.
    z = logits.clone().requires_grad_(True)
    mishon_loss(z, labels).backward()
    want = [[-0.25, 0.25, 0.25, -0.25], [0.5, -0.25, 0.125, -0.375]]
    torch.testing.assert_close(z.grad, torch.tensor(want), rtol=1e-6, atol=1e-7)


def _dense_eq21(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return -(labels * torch.log_softmax(logits, dim=-1)).sum() / logits.shape[0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sparse_loss_equals_the_dense_formula_on_random_cases(seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(37, 53, generator=gen) * 4
    labels = (torch.rand(37, 53, generator=gen) < 0.08).float()
    labels[5] = 0.0  # a video without labels contributes nothing
    a, b = logits.clone().requires_grad_(True), logits.clone().requires_grad_(True)
    sparse, dense = mishon_loss(a, SparseLabels.from_dense(labels)), _dense_eq21(b, labels)
    sparse.backward()
    dense.backward()
    assert sparse.item() == pytest.approx(dense.item(), rel=1e-6)
    torch.testing.assert_close(a.grad, b.grad, rtol=1e-5, atol=1e-7)
    assert mishon_loss(logits, labels).item() == sparse.item()  # the dense entry point converts


def test_sparse_loss_gradcheck_and_empty_batch() -> None:
    gen = torch.Generator().manual_seed(3)
    z = torch.randn(4, 5, generator=gen, dtype=torch.float64, requires_grad=True)
    labels = SparseLabels.from_lists([[0, 2], [], [4], [1, 2, 3]], 5)
    assert torch.autograd.gradcheck(lambda t: mishon_loss(t, labels), (z,))
    empty = torch.zeros(0, 5, requires_grad=True)
    assert mishon_loss(empty, SparseLabels.empty(0, 5)).item() == 0.0


def _inputs(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = {"visual": torch.randn(4, 3, 6, generator=g), "textual": torch.randn(4, 2, 5, generator=g)}
    mask = {m: torch.ones(t.shape[:2], dtype=torch.bool) for m, t in x.items()}
    user = torch.tensor([0, -1])
    ring = torch.tensor([[0, 1, 2, 3], [1, 2, 3, 0]])
    uses = torch.tensor([[0, 0, 1, 1], [0, 1, 2, 3]])
    edges = {
        PYG_EDGE_SIMILAR["visual"]: ring,
        PYG_EDGE_SIMILAR["textual"]: ring.flip(0),
        PYG_EDGE_USES["visual"]: uses,
        PYG_EDGE_USED_BY["visual"]: uses.flip(0),
    }
    return x, mask, user, edges, torch.tensor([0, 2]), torch.tensor([0, 1])


def _model(variant: str) -> MishonModel:
    torch.manual_seed(0)
    return MishonModel(
        {"visual": 6, "textual": 5}, num_users=1, num_hashtags=7, hidden_dim=8, dropout=0.0, variant=variant
    ).eval()


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_scores_all_hashtags(variant: str) -> None:
    out = _model(variant)(*_inputs())
    assert out.shape == (2, 7)
    assert bool(torch.isfinite(out).all())


def test_variants_use_only_their_edge_families() -> None:
    x, mask, user, edges, video, vu = _inputs()
    no_sim = {k: v for k, v in edges.items() if k[1] != "similar"}
    no_uses = {k: v for k, v in edges.items() if k[1] not in ("uses", "used_by")}
    m = _model("heterogeneous")
    assert torch.equal(m(x, mask, user, edges, video, vu), m(x, mask, user, no_sim, video, vu))
    m = _model("homogeneous")
    assert torch.equal(m(x, mask, user, edges, video, vu), m(x, mask, user, no_uses, video, vu))
    m = _model("no_refinement")
    assert torch.equal(m(x, mask, user, edges, video, vu), m(x, mask, user, {}, video, vu))
    m = _model("mishon")
    assert not torch.equal(m(x, mask, user, edges, video, vu), m(x, mask, user, no_sim, video, vu))
    assert _model("content_only").head.in_features == 2 * 8
    assert _model("mishon").head.in_features == 3 * 8


def test_new_users_start_from_the_shared_zero_vector() -> None:
    m = _model("mishon")
    x, mask, _, _, _, _ = _inputs()
    h = m.initial(x, mask, torch.tensor([-1, 0, -1]))
    assert torch.equal(h[PYG_USER][0], torch.zeros(8))
    assert torch.equal(h[PYG_USER][2], torch.zeros(8))
    assert torch.equal(h[PYG_USER][1], m.user_emb.weight[0])


def test_edge_types_and_errors() -> None:
    assert edge_types(("visual",), "heterogeneous") == [PYG_EDGE_USES["visual"], PYG_EDGE_USED_BY["visual"]]
    assert edge_types(("visual",), "no_refinement") == []
    with pytest.raises(MishonError, match="unknown variant"):
        MishonModel({"visual": 2}, 1, 2, variant="bogus")
    assert "variant=mishon" in repr(_model("mishon"))
    assert "AttentionPooling(6, 8, attention=True)" in repr(_model("mishon").pool["visual"])


def test_sample_in_edges_keeps_at_most_fanout_per_target() -> None:
    dst = torch.tensor([0, 0, 0, 1, 2, 2, 0, 2])
    torch.manual_seed(0)
    kept = sample_in_edges(dst, 4, 2)
    assert torch.bincount(dst[kept], minlength=4).tolist() == [2, 1, 2, 0]  # 4 in-edges of node 0 -> 2
    assert bool(sample_in_edges(dst, 4, 10).all())  # fewer than fanout: all kept
    assert sample_in_edges(torch.zeros(0, dtype=torch.long), 4, 2).numel() == 0


def _graph(n_videos: int, n_users: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    x = {
        "visual": torch.randn(n_videos, 3, 6, generator=g),
        "textual": torch.randn(n_videos, 2, 5, generator=g),
    }
    mask = {m: torch.ones(t.shape[:2], dtype=torch.bool) for m, t in x.items()}
    poster = torch.randint(0, n_users, (n_videos,), generator=g)
    sim = torch.randint(0, n_videos, (2, 4 * n_videos), generator=g)
    uses = torch.stack([poster, torch.arange(n_videos)])
    edges = {
        PYG_EDGE_SIMILAR["visual"]: sim,
        PYG_EDGE_SIMILAR["textual"]: sim.flip(0),
        PYG_EDGE_USES["visual"]: uses,
        PYG_EDGE_USED_BY["visual"]: uses.flip(0),
    }
    return x, mask, torch.arange(n_users), edges, poster


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_refining_only_the_needed_rows_equals_refining_every_node(depth: int) -> None:
    x, mask, user, edges, poster = _graph(40, 6, seed=depth)
    torch.manual_seed(0)
    dims = {"visual": 6, "textual": 5}
    m = MishonModel(dims, num_users=6, num_hashtags=5, hidden_dim=8, depth=depth).eval()
    h = m.initial(x, mask, user)
    rows = torch.tensor([3, 17, 17, 39])
    needed = {"visual": rows, "textual": rows, PYG_USER: poster[rows]}
    full, part = m.refine(h, edges), m.refine(h, edges, needed)
    for t, r in needed.items():
        torch.testing.assert_close(part[t][r], full[t][r], rtol=1e-6, atol=1e-6)
    assert not torch.equal(part["visual"][5], full["visual"][5])  # not needed: left unrefined
    logits = m(x, mask, user, edges, rows, poster[rows])
    torch.testing.assert_close(logits, m.readout(full, rows, poster[rows]))


def test_historical_embeddings_pool_only_the_scored_rows() -> None:
    x, mask, user, edges, poster = _graph(30, 5, seed=9)
    torch.manual_seed(0)
    m = MishonModel({"visual": 6, "textual": 5}, num_users=5, num_hashtags=5, hidden_dim=8).eval()
    rows = torch.tensor([2, 11])
    fresh = {k: m.pooled(x[k], mask[k], k) for k in x}
    exact = m(x, mask, user, edges, rows, poster[rows])
    # stale = the current pooled vectors: the same logits, whether the rows are pooled again or not
    part_x = {k: v[rows] for k, v in x.items()}
    part_mask = {k: v[rows] for k, v in mask.items()}
    torch.testing.assert_close(m(part_x, part_mask, user, edges, rows, poster[rows], fresh), exact)
    torch.testing.assert_close(m({}, {}, user, edges, rows, poster[rows], fresh), exact)
    # a stale vector of another video changes the scores; a stale vector of a scored row does not
    # (its units are pooled afresh)
    moved = {k: v.clone() for k, v in fresh.items()}
    moved["visual"][2] += 5.0
    torch.testing.assert_close(m(part_x, part_mask, user, edges, rows, poster[rows], moved), exact)
    neighbour = int(edges[PYG_EDGE_SIMILAR["visual"]][0][edges[PYG_EDGE_SIMILAR["visual"]][1] == 2][0])
    moved["visual"][neighbour] += 5.0
    assert not torch.allclose(m(part_x, part_mask, user, edges, rows, poster[rows], moved), exact)
    # a fanout no node reaches keeps every in-edge: exact; the graph's CSR index is built once
    torch.testing.assert_close(m(part_x, part_mask, user, edges, rows, poster[rows], fresh, 10_000), exact)
    index = m._csr_cache
    m({}, {}, user, edges, rows, poster[rows], fresh)
    assert m._csr_cache is index
    fewer = {k: v[:, : v.shape[1] // 2] for k, v in edges.items()}
    m({}, {}, user, fewer, rows, poster[rows], fresh)
    assert m._csr_cache is not index and m._csr_cache[2].numel() < index[2].numel()


def test_unit_pca_finds_the_directions_of_largest_variance() -> None:
    g = torch.Generator().manual_seed(0)
    # 3-d units spread mostly along (1, 1, 0), a little along (0, 0, 1), around (5, 0, 2)
    a, b = torch.randn(200, 1, generator=g) * 10, torch.randn(200, 1, generator=g)
    pts = torch.tensor([5.0, 0.0, 2.0]) + a * torch.tensor([1.0, 1.0, 0.0]) / math.sqrt(2) + b * torch.tensor(
        [0.0, 0.0, 1.0]
    )
    x = pts.reshape(50, 4, 3)
    mask = torch.ones(50, 4, dtype=torch.bool)
    mask[:, 3] = False  # padding is not a unit
    mean, basis = fit_unit_pca(x, mask, torch.arange(50), 2)
    real = x[:, :3].reshape(-1, 3)
    torch.testing.assert_close(mean, real.mean(dim=0))
    diagonal = torch.tensor([1.0, 1.0, 0.0]) / math.sqrt(2)
    torch.testing.assert_close(basis[:, 0].abs(), diagonal, atol=0.02, rtol=0)
    torch.testing.assert_close(basis[:, 1].abs(), torch.tensor([0.0, 0.0, 1.0]), atol=0.05, rtol=0)
    assert basis.shape == (3, 2)


def test_a_reduced_model_takes_raw_or_reduced_units() -> None:
    x, mask, user, edges, poster = _graph(20, 4, seed=3)
    torch.manual_seed(0)
    dims = {"visual": 6, "textual": 5}
    m = MishonModel(dims, num_users=4, num_hashtags=5, hidden_dim=8, reduce_dim=5).eval()
    assert set(m.reduce) == {"visual"}  # textual is already 5 wide
    mean, basis = fit_unit_pca(x["visual"], mask["visual"], torch.arange(20), 5)
    m.reduce["visual"].mean.copy_(mean)
    m.reduce["visual"].basis.copy_(basis)
    rows = torch.tensor([1, 7])
    raw = m(x, mask, user, edges, rows, poster[rows])
    pre = dict(x, visual=m.reduce["visual"](x["visual"]))
    torch.testing.assert_close(m(pre, mask, user, edges, rows, poster[rows]), raw)


def _per_edge(layer: RefineLayer, x, edge_index: torch.Tensor) -> torch.Tensor:
    """The layer with SAGEConv's per-edge messages (what the CSR product replaces)."""
    h = torch.relu(layer.conv(x, edge_index))
    return torch.nn.functional.normalize(h, p=2.0, dim=-1)


@pytest.mark.parametrize("aggr", ["mean", "sum", "max", "min"])
def test_csr_aggregation_equals_per_edge_messages(aggr: str) -> None:
    torch.manual_seed(3)
    layer = RefineLayer(6, 4, aggregator=aggr)
    src = torch.randn(9, 6, requires_grad=True)
    dst = torch.randn(5, 6)
    # unsorted edges, a repeated edge, and target 4 without in-edges
    e = torch.tensor([[8, 0, 3, 3, 7, 0, 1], [2, 3, 0, 0, 1, 2, 3]])
    out = layer((src, dst), e)
    ref = _per_edge(layer, (src, dst), e)
    torch.testing.assert_close(out, ref, rtol=0, atol=0)
    (grad,) = torch.autograd.grad(out.square().sum(), src)
    (ref_grad,) = torch.autograd.grad(ref.square().sum(), src)
    torch.testing.assert_close(grad, ref_grad, rtol=1e-6, atol=1e-6)
    same = torch.randn(9, 6)
    torch.testing.assert_close(layer(same, e), _per_edge(layer, same, e), rtol=0, atol=0)
    none = torch.zeros(2, 0, dtype=torch.long)
    torch.testing.assert_close(layer((src, dst), none), _per_edge(layer, (src, dst), none), rtol=0, atol=0)


def test_pooling_in_chunks_scores_as_one_pass() -> None:
    x, mask, user, edges, poster = _graph(30, 5, seed=4)
    torch.manual_seed(0)
    m = MishonModel({"visual": 6, "textual": 5}, num_users=5, num_hashtags=5, hidden_dim=8).eval()
    pooled = m.pooled_rows(x, mask, 7, torch.device("cpu"))  # 7 does not divide 30
    for k in x:
        torch.testing.assert_close(pooled[k], m.pooled(x[k], mask[k], k))
    rows = torch.tensor([0, 13, 29])
    torch.testing.assert_close(
        m({}, {}, user, edges, rows, poster[rows], pooled), m(x, mask, user, edges, rows, poster[rows])
    )
