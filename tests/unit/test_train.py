"""Training on a synthetic in-memory graph: learning, reproducibility, resume, artifact checks."""

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from mishon_graph.config import Config
from mishon_graph.errors import MishonError
from mishon_graph.learn.artifact import check_matches, load_artifact
from mishon_graph.learn.batches import full_input
from mishon_graph.learn.data import build_graph
from mishon_graph.learn.labels import SparseLabels
from mishon_graph.learn.train import EpochStats, checkpoint_path, train_graph
from mishon_graph.learn.trainer import Trainer, recall_at_k
from mishon_graph.testing.learn_rows import legacy_rows

UNITS = {"visual": (3, 12), "textual": (4, 10)}


@pytest.fixture(scope="module")
def graph():
    rows, feats = legacy_rows(240, 12, 40, units=UNITS, n_topics=6, cold_users=2, seed=1)
    return build_graph(rows, feats)


def _config(tmp_path: Path, **kw) -> Config:
    base = dict(
        home=tmp_path, epochs=12, patience=50, hidden_dim=16, lr=1e-2, device="cpu", batch_size=64, k=3
    )
    return Config(**(base | kw))


def test_recall_at_k_exact() -> None:
    logits = torch.tensor([[3.0, 2.0, 1.0], [0.0, 1.0, 2.0]])
    labels = torch.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    assert recall_at_k(logits, labels, 1) == pytest.approx(0.0)
    assert recall_at_k(logits, labels, 2) == pytest.approx((0.5 + 0.0) / 2)
    sparse = SparseLabels.from_lists([[1, 2], [0], []], 3)
    logits3 = torch.cat([logits, torch.tensor([[9.0, 0.0, 0.0]])])
    assert recall_at_k(logits3, sparse, 1) == pytest.approx(0.0)  # the unlabeled row is skipped
    assert recall_at_k(logits3, sparse, 2) == pytest.approx((0.5 + 0.0) / 2)
    assert recall_at_k(logits3, sparse, 3) == pytest.approx(1.0)
    assert recall_at_k(logits3, SparseLabels.empty(3, 3), 2) == 0.0


# Recorded from the dense-label code (multi-hot matrix, -(labels * log_softmax).sum() / n) before
# labels became sparse: (train loss, valid loss, valid recall@3) per epoch.
DENSE_HISTORY = {
    False: [
        (14.631901741027832, 13.955531120300293, 0.22083334624767303),
        (14.104276657104492, 13.561129570007324, 0.4124999940395355),
    ],
    True: [
        (14.318185452052525, 13.302713394165039, 0.4749999940395355),
        (13.33071357182094, 12.493462562561035, 0.5583333373069763),
    ],
}


@pytest.mark.parametrize("minibatch", [False, True])
def test_sparse_labels_reproduce_the_dense_label_history(graph, tmp_path: Path, minibatch: bool) -> None:
    # the exact mini-batch path (every sampled video pooled in every batch), as recorded
    cfg = _config(tmp_path, epochs=2, fanout=3, minibatch_history=False)
    res = train_graph(graph, cfg, out=tmp_path / "m.pt", progress=False, minibatch=minibatch)
    got = [(h.train_loss, h.valid_loss, h.valid_recall) for h in res.history]
    for (tl, vl, vr), (etl, evl, evr) in zip(got, DENSE_HISTORY[minibatch], strict=True):
        assert tl == pytest.approx(etl, rel=1e-5) and vl == pytest.approx(evl, rel=1e-5)
        assert vr == pytest.approx(evr, abs=1e-6)


def test_training_lowers_validation_loss_and_beats_random(graph, tmp_path: Path) -> None:
    res = train_graph(graph, _config(tmp_path), out=tmp_path / "m.pt", progress=False)
    first, best = res.history[0].valid_loss, min(h.valid_loss for h in res.history)
    assert best < 0.8 * first
    trainer = Trainer(graph, _config(tmp_path), "mishon", False, torch.device("cpu"))
    trainer.model.load_state_dict(load_artifact(res.artifact).state_dict)
    test_rows = graph.split_index("valid")
    _, recall, _ = trainer.evaluate(test_rows)
    gen = torch.Generator().manual_seed(0)
    random_recall = recall_at_k(
        torch.rand(test_rows.numel(), len(graph.hashtags), generator=gen), graph.labels[test_rows], 3
    )
    assert recall > 3 * random_recall and recall > 0.3


def test_same_seed_gives_the_same_numbers(graph, tmp_path: Path) -> None:
    a = train_graph(graph, _config(tmp_path, epochs=3), out=tmp_path / "a.pt", progress=False)
    b = train_graph(graph, _config(tmp_path, epochs=3), out=tmp_path / "b.pt", progress=False)
    assert [h.valid_loss for h in a.history] == [h.valid_loss for h in b.history]
    sa, sb = load_artifact(a.artifact).state_dict, load_artifact(b.artifact).state_dict
    assert all(torch.equal(sa[k], sb[k]) for k in sa)


class Killed(Exception):
    pass


@pytest.mark.parametrize("minibatch", [False, True])
def test_resume_after_kill_ends_where_an_uninterrupted_run_ends(
    graph, tmp_path: Path, minibatch: bool
) -> None:
    cfg = _config(tmp_path, epochs=5, fanout=3)
    whole = train_graph(graph, cfg, out=tmp_path / "whole.pt", progress=False, minibatch=minibatch)

    def kill_after_2(es: EpochStats) -> None:
        if es.epoch == 2:
            raise Killed

    out = tmp_path / "killed.pt"
    with pytest.raises(Killed):
        train_graph(graph, cfg, out=out, progress=False, minibatch=minibatch, on_epoch=kill_after_2)
    assert checkpoint_path(out).is_file() and not out.exists()
    resumed = train_graph(graph, cfg, out=out, progress=False, minibatch=minibatch, resume=True)
    assert [h.epoch for h in resumed.history] == [1, 2, 3, 4, 5]
    assert [h.valid_loss for h in resumed.history] == [h.valid_loss for h in whole.history]
    sa, sb = load_artifact(whole.artifact).state_dict, load_artifact(resumed.artifact).state_dict
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    with pytest.raises(MishonError, match="other settings"):
        train_graph(
            graph,
            _config(tmp_path, epochs=5, lr=0.5),
            out=out,
            progress=False,
            minibatch=minibatch,
            resume=True,
        )


def test_artifact_records_metadata_and_refuses_other_graphs(graph, tmp_path: Path) -> None:
    res = train_graph(
        graph, _config(tmp_path, epochs=1), out=tmp_path / "m.pt", progress=False, variant="no_attention"
    )
    art = load_artifact(res.artifact)
    assert art.meta["variant"] == "no_attention" and art.meta["hashtags"] == graph.hashtags
    assert art.meta["in_dims"] == {"visual": 12, "textual": 10} and art.meta["version"]
    assert art.meta["graph_params"] == {"source": "synthetic"}
    check_matches(art, graph)
    rows, feats = legacy_rows(
        240, 12, 40, units={"visual": (3, 12), "textual": (4, 11)}, n_topics=6, cold_users=2, seed=1
    )
    with pytest.raises(MishonError, match="expects textual features of dim 10"):
        check_matches(art, build_graph(rows, feats))
    rows.hashtags = rows.hashtags[1:]
    with pytest.raises(MishonError, match="vocabulary"):
        check_matches(art, build_graph(rows, feats))
    with pytest.raises(MishonError, match="not a mishon model artifact|cannot read"):
        (tmp_path / "junk.pt").write_bytes(b"junk")
        load_artifact(tmp_path / "junk.pt")


def test_bad_variant_and_device(graph, tmp_path: Path) -> None:
    with pytest.raises(MishonError, match="unknown variant"):
        train_graph(graph, _config(tmp_path), out=tmp_path / "m.pt", variant="x", progress=False)
    if not torch.cuda.is_available():
        with pytest.raises(MishonError, match="no CUDA"):
            train_graph(graph, _config(tmp_path, device="cuda"), out=tmp_path / "m.pt", progress=False)


def test_model_selection_prefers_f1_then_loss() -> None:
    from mishon_graph.learn.train import better

    assert better(0.31, 9.0, 0.30, 8.0)  # higher F1 wins even with a higher loss
    assert not better(0.29, 7.0, 0.30, 8.0)
    assert better(0.30, 7.5, 0.30, 8.0)  # same F1: lower loss wins
    assert not better(0.30, 8.5, 0.30, 8.0)
    # a gain within 1% of the best is a plateau, not a better epoch
    assert not better(0.302, 7.0, 0.30, 8.0)
    assert better(0.3031, 9.0, 0.30, 8.0)


def test_f1_at_k_on_a_hand_example() -> None:
    from mishon_graph.learn.trainer import f1_at_k, precision_recall_at_k

    logits = torch.tensor([[3.0, 2.0, 1.0], [1.0, 2.0, 3.0]])
    labels = torch.tensor([[1.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    # top-2: row 0 {0, 1} hits 1 of 2; row 1 {2, 1} hits 0 of 1
    assert precision_recall_at_k(logits, labels, 2) == pytest.approx((0.25, 0.25))
    assert f1_at_k(logits, labels, 2) == pytest.approx(0.25)


def test_minibatch_with_historical_embeddings_learns_like_full_batch(graph, tmp_path: Path) -> None:
    cfg = _config(tmp_path, epochs=12, fanout=3)
    full = train_graph(graph, cfg, out=tmp_path / "full.pt", progress=False, minibatch=False)
    hist = train_graph(graph, cfg, out=tmp_path / "hist.pt", progress=False, minibatch=True)
    trainer = Trainer(graph, cfg, "mishon", True, torch.device("cpu"))
    assert trainer.use_history
    # more steps per epoch than full-batch's one: at least as good in as many epochs
    assert hist.best_valid_f1 >= full.best_valid_f1 - 0.02 and hist.best_valid_f1 > 0.6
    # the artifact scores like any other: same keys, and its evaluation is the exact layer-wise one
    assert load_artifact(hist.artifact).state_dict.keys() == load_artifact(full.artifact).state_dict.keys()


def test_unit_pca_is_fit_once_and_saved_with_the_model(graph, tmp_path: Path) -> None:
    cfg = _config(tmp_path, epochs=4, unit_pca=6)
    res = train_graph(graph, cfg, out=tmp_path / "pca.pt", progress=False, minibatch=False)
    art = load_artifact(res.artifact)
    assert art.meta["reduce_dim"] == 6 and art.meta["in_dims"] == graph.unit_dims()  # raw widths
    assert graph.data["visual"].x.shape[-1] == 12  # the caller's graph is not reduced
    model = art.build_model()
    # the saved model scores raw units as the trainer scored the reduced ones
    trainer = Trainer(graph, cfg, "mishon", False, torch.device("cpu"))
    trainer.model.load_state_dict(art.state_dict)
    rows = graph.split_index("valid")
    expected, _ = trainer.predict(rows)
    inp = trainer._full_input()
    raw_x = {m: graph.data[m].x for m in graph.modalities}
    got = model(raw_x, inp.mask, inp.user, inp.edge_index, rows, inp.video_user[rows])
    torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)
    assert res.best_valid_f1 > 0.5


def test_sampled_softmax_scores_its_columns_of_the_full_head_and_learns(graph, tmp_path: Path) -> None:
    cfg = _config(tmp_path, fanout=3, batch_size=16, sampled_negatives=4)
    trainer = Trainer(graph, cfg, "mishon", False, torch.device("cpu"))
    trainer.model.eval()
    inp = full_input(graph, trainer.user_rows, graph.split_index("valid"))
    columns = torch.tensor([0, 7, 19])
    with torch.no_grad():
        full = trainer.model(*inp.args())
        part = trainer.model(*inp.args(), columns=columns)
    torch.testing.assert_close(part, full[:, columns])
    plain = train_graph(graph, replace(cfg, sampled_negatives=0), out=tmp_path / "p.pt", progress=False,
                        minibatch=True)
    sampled = train_graph(graph, cfg, out=tmp_path / "s.pt", progress=False, minibatch=True)
    assert sampled.best_valid_f1 > 0.5 and sampled.best_valid_f1 >= plain.best_valid_f1 - 0.05
    assert sampled.history != plain.history  # the sampled loss was really used
