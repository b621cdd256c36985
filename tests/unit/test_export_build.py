"""The pure rows -> HeteroData builder, batches, sampling and inductive linking (no server)."""

import numpy as np
import pytest
import torch

from mishon_graph.constants import (
    PYG_EDGE_JACCARD,
    PYG_EDGE_POPULAR,
    PYG_EDGE_SIMILAR,
    PYG_EDGE_USED_BY,
    PYG_EDGE_USES,
)
from mishon_graph.errors import MishonError
from mishon_graph.learn.batches import NeighborSampler, full_input, induced_input
from mishon_graph.learn.data import GraphRows, build_graph, check_trainable, pad_units
from mishon_graph.learn.inductive import add_video, top_similar


class Feats:
    def __init__(self, arrays: dict[tuple[str, str], np.ndarray]) -> None:
        self.arrays = arrays

    def get(self, video_id: str, modality: str) -> np.ndarray:
        if (video_id, modality) not in self.arrays:
            raise MishonError(f"no {modality} features for video {video_id!r}")
        return self.arrays[(video_id, modality)]


def _rows() -> tuple[GraphRows, Feats]:
    videos = [
        {"id": "a", "user_id": "u1", "split": "train"},
        {"id": "b", "user_id": "u1", "split": "valid"},
        {"id": "c", "user_id": "u2", "split": "test"},
        {"id": "d", "user_id": "u2", "split": "train"},
    ]
    users = [
        {"id": "u1", "cold_start": False, "engagement": 0.5},
        {"id": "u2", "cold_start": False, "engagement": 0.1},
        {"id": "u3", "cold_start": True, "engagement": 0.0},
    ]
    feats = {
        (v["id"], "visual"): np.full((i + 1, 2), float(i), dtype=np.float32) for i, v in enumerate(videos)
    }
    feats |= {(v["id"], "textual"): np.ones((2, 3), dtype=np.float32) * i for i, v in enumerate(videos)}
    rows = GraphRows(
        videos=videos,
        users=users,
        modalities=("visual", "textual"),
        hashtags=["x", "y", "z"],
        labels={"a": ["x", "y"], "b": ["z", "unseen"], "c": ["x"], "d": ["y"]},
        similar={"visual": [("a", "b", 0.9), ("c", "d", 0.7), ("a", "zzz", 0.6)]},
        social=[("u1", "u2", "JACCARD", 0.5), ("u1", "u3", "POPULAR", 0.5)],
        uses=[(v["user_id"], v["id"], m) for v in videos for m in ("visual", "textual")],
    )
    return rows, Feats(feats)


def test_ids_round_trip_exactly() -> None:
    rows, feats = _rows()
    g = build_graph(rows, feats)
    assert g.video_ids == ["a", "b", "c", "d"]
    assert g.user_ids == ["u1", "u2", "u3"]
    assert g.hashtags == ["x", "y", "z"]
    assert all(g.video_ids[g.video_index[v]] == v for v in g.video_ids)
    assert all(g.user_ids[g.user_index[u]] == u for u in g.user_ids)
    assert [g.user_ids[i] for i in g.video_user.tolist()] == ["u1", "u1", "u2", "u2"]
    assert g.modalities == ("visual", "textual")


def test_features_are_padded_with_a_mask() -> None:
    g = build_graph(*_rows())
    x, mask = g.data["visual"].x, g.data["visual"].mask
    assert x.shape == (4, 4, 2)
    assert mask.sum(dim=1).tolist() == [1, 2, 3, 4]
    assert x[2, :3].eq(2.0).all() and x[2, 3].eq(0.0).all()
    assert g.unit_dims() == {"visual": 2, "textual": 3}


def test_edges_are_undirected_and_induced() -> None:
    g = build_graph(*_rows())
    sim = g.data[PYG_EDGE_SIMILAR["visual"]].edge_index.t().tolist()
    assert sorted(sim) == [[0, 1], [1, 0], [2, 3], [3, 2]]  # the edge to unknown "zzz" is dropped
    assert g.data[PYG_EDGE_SIMILAR["textual"]].edge_index.shape == (2, 0)
    assert sorted(g.data[PYG_EDGE_JACCARD].edge_index.t().tolist()) == [[0, 1], [1, 0]]
    assert sorted(g.data[PYG_EDGE_POPULAR].edge_index.t().tolist()) == [[0, 2], [2, 0]]
    uses = g.data[PYG_EDGE_USES["visual"]].edge_index
    assert torch.equal(g.data[PYG_EDGE_USED_BY["visual"]].edge_index, uses.flip(0))


def test_labels_never_include_test_hashtags() -> None:
    g = build_graph(*_rows())
    assert g.labels.to_dense().tolist() == [[1, 1, 0], [0, 0, 1], [0, 0, 0], [0, 1, 0]]
    assert g.labels.ptr.tolist() == [0, 2, 3, 3, 4] and g.labels.idx.tolist() == [0, 1, 2, 1]
    assert g.split.tolist() == [0, 1, 2, 0]
    assert g.user_cold.tolist() == [False, False, True]


def test_bad_inputs_give_one_line_errors() -> None:
    rows, feats = _rows()
    del feats.arrays[("c", "textual")]
    with pytest.raises(MishonError, match="no textual features for video 'c'"):
        build_graph(rows, feats)
    rows, feats = _rows()
    feats.arrays[("d", "visual")] = np.ones((1, 5), dtype=np.float32)
    with pytest.raises(MishonError, match="have dim 5"):
        build_graph(rows, feats)
    rows, feats = _rows()
    rows.videos = []
    with pytest.raises(MishonError, match="no videos"):
        build_graph(rows, feats)
    rows, feats = _rows()
    rows.hashtags = ["x"]
    with pytest.raises(MishonError, match="only one hashtag"):
        check_trainable(build_graph(rows, feats))
    rows.hashtags = []
    with pytest.raises(MishonError, match="no labels"):
        check_trainable(build_graph(rows, feats))


def test_pad_units_empty_and_shapes() -> None:
    x, mask = pad_units([np.ones((2, 3)), np.ones((1, 3))])
    assert x.shape == (2, 2, 3) and mask.tolist() == [[True, True], [True, False]]


def test_induced_input_remaps_nodes() -> None:
    g = build_graph(*_rows())
    rows = torch.arange(4)
    inp = induced_input(
        g, torch.tensor([0, 1, -1]), torch.tensor([2, 3]), torch.tensor([1]), torch.tensor([3])
    )
    assert inp.x["visual"].shape[0] == 2
    assert inp.video.tolist() == [1] and inp.video_user.tolist() == [0]
    assert sorted(inp.edge_index[PYG_EDGE_SIMILAR["visual"]].t().tolist()) == [[0, 1], [1, 0]]
    assert inp.user.tolist() == [1]
    full = full_input(g, torch.tensor([0, 1, -1]), rows)
    assert full.video_user.tolist() == [0, 0, 1, 1]


def test_sampler_with_large_fanout_is_the_k_hop_neighbourhood_and_seeded() -> None:
    g = build_graph(*_rows())
    s = NeighborSampler(g, {"similar"}, fanout=100, depth=1)
    videos, users = s.sample(torch.tensor([0]), torch.Generator().manual_seed(0))
    assert videos.tolist() == [0, 1] and users.tolist() == [0]
    s = NeighborSampler(g, {"similar", "uses", "used_by", "jaccard", "popular"}, fanout=1, depth=2)
    a = s.sample(torch.tensor([0]), torch.Generator().manual_seed(3))
    b = s.sample(torch.tensor([0]), torch.Generator().manual_seed(3))
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))


def test_top_similar_threshold_cap_and_ties() -> None:
    emb = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 0.0], [0.0, 0.0]])
    got = top_similar(np.array([1.0, 0.0]), ["p", "q", "r", "o", "z"], emb, theta=0.5, k=2)
    assert got == [("o", 1.0), ("p", 1.0)]
    assert [i for i, _ in top_similar(np.array([1.0, 0.0]), ["p", "q", "r", "o", "z"], emb, 0.5, None)] == [
        "o",
        "p",
        "r",
    ]


def test_add_video_links_a_new_user_to_popular_users() -> None:
    before = build_graph(*_rows())
    units = {"visual": np.ones((5, 2), dtype=np.float32), "textual": np.ones((1, 3), dtype=np.float32)}
    g, row, urow, new = add_video(before, "new", units, {"visual": [("a", 0.9)]}, None, popular=["u1"])
    assert before.num_videos == 4 and "new" not in before.video_index  # the exported graph is unchanged
    assert before.data["visual"].x.shape[0] == 4 and len(before.user_ids) == 3
    assert (row, urow, new) == (4, 3, True)
    assert g.video_ids[-1] == "new" and g.data["visual"].x.shape == (5, 5, 2)
    assert g.data["visual"].mask[4].sum() == 5 and g.data["visual"].mask[0].sum() == 1
    assert [4, 0] in g.data[PYG_EDGE_SIMILAR["visual"]].edge_index.t().tolist()
    assert [0, 3] in g.data[PYG_EDGE_POPULAR].edge_index.t().tolist()
    assert [3, 4] in g.data[PYG_EDGE_USES["textual"]].edge_index.t().tolist()
    assert g.user_cold[-1] and g.split[-1] == 2
    with pytest.raises(MishonError, match="already exists"):
        add_video(g, "a", units, {}, "u1")
