"""The in-memory suggester scores a video of the graph exactly as ``mishon recommend`` (mishon+) did."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from recommend_graph import EMBEDDING, TEST
from serve_graph import seed_with_rules

from mishon_graph.db.runner import Runner
from mishon_graph.recommend.hybrid import recommend_hybrid
from mishon_graph.serve.suggester import BadUpload, Suggester, Upload


def _upload(video: str, **overrides: object) -> Upload:
    user, _ = TEST[video]
    fields = {
        "caption": f"video {video}",
        "user_id": user,
        "video_id": video,
        "units": {"textual": [EMBEDDING[video]]},
    }
    return Upload(**{**fields, **overrides})  # type: ignore[arg-type]


def test_graph_videos_score_as_recommend_scored_them(db: Runner, neo4j_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = neo4j_server.config(tmp_path, theta=0.5, knn_cap=2)
    seed_with_rules(db, config)
    _, result = recommend_hybrid(db, config, k=4, run_id="plus")
    suggester = Suggester.load(db, config)
    assert suggester.rules.knn_cap == 2 and suggester.model.cold is not None
    for row, target in enumerate(result.targets):
        got = suggester.suggest(_upload(target.video_id), k=4)
        np.testing.assert_array_equal(got.scores, result.scores[row])
        assert got.new_user == (target.user_id == "c1")
        assert [h.hashtag for h in got.hashtags] == [
            result.vocab[j] for j in np.argsort(-result.scores[row], kind="stable")[:4]
        ]
    # a poster the graph does not know is a new user: scored like the cold-start user's video
    y1 = result.targets.index(next(t for t in result.targets if t.video_id == "y1"))
    stranger = suggester.suggest(_upload("y1", user_id="stranger"), k=4)
    assert stranger.new_user and not stranger.known_user
    np.testing.assert_array_equal(stranger.scores, result.scores[y1])


def test_new_upload_gets_graph_edges_reasons_and_errors(db: Runner, neo4j_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = neo4j_server.config(tmp_path, theta=0.5, knn_cap=2)
    seed_with_rules(db, config)
    suggester = Suggester.load(db, config)
    got = suggester.suggest(Upload(caption="cute cat", user_id="u1", units={"textual": [[1.0, 0.02]]}), k=3)
    assert got.video_id.startswith("upload-") and got.modalities == ["textual"] and got.missing == []
    assert [v for v, _ in got.similar["textual"]][:2] == ["t1", "x1"]  # the graph's rule, all splits
    top = got.hashtags[0]
    assert top.hashtag == "cat" and top.rank == 1
    assert any(r.kind == "similar_video" and r.neighbour == "t1" for r in top.because)
    assert "similar video t1" in top.reason
    caption_only = suggester.suggest(Upload(caption="a dog in the park", user_id=None), k=2)
    assert caption_only.new_user and caption_only.missing == ["textual"]
    for bad, message in [
        ({"audio": [[1.0]]}, "unknown modality"),
        ({"visual": [[1.0, 2.0]]}, "no visual modality"),
        ({"textual": [[1.0, 2.0, 3.0]]}, r"\[units, 2\]"),
        ({"textual": []}, "units >= 1"),
        ({"textual": [[float("nan"), 1.0]]}, "NaN"),
        ({"textual": [["a", "b"]]}, "numbers"),
    ]:
        with pytest.raises(BadUpload, match=message):
            suggester.suggest(Upload(units=bad), k=1)
    with pytest.raises(BadUpload, match="k must be"):
        suggester.suggest(Upload(), k=0)
    assert len(suggester.suggest(Upload(), k=50).hashtags) == 4  # at most the vocabulary
