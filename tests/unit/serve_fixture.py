"""A small in-memory :class:`Suggester` built without Neo4j (synthetic corpus, rankers fit for real)."""

from __future__ import annotations

import numpy as np

from mishon_graph.evaluation.baselines import Target
from mishon_graph.evaluation.signals import History, Post
from mishon_graph.graph.new_node import SimilarIndex
from mishon_graph.graph.similarity import similar_pairs
from mishon_graph.learn.evidence import Corpus
from mishon_graph.learn.hybrid import RankerSettings
from mishon_graph.recommend.hybrid import HybridInputs, HybridSettings, fit_hybrid
from mishon_graph.serve.suggester import GraphRules, Suggester

DIMS = {"visual": 6, "textual": 4}
TOPICS = 4


def build(seed: int = 0) -> tuple[Suggester, dict[str, np.ndarray]]:
    """The suggester and, per topic, a visual unit-feature centre (to make uploads of a topic)."""
    rng = np.random.default_rng(seed)
    centres = {m: rng.normal(size=(TOPICS, d)) * 2 for m, d in DIMS.items()}
    words = [f"word{i}" for i in range(40)]
    tags = [f"tag{t}{i}" for t in range(TOPICS) for i in range(5)]
    posts, texts, emb, valid, truth = [], {}, {m: {} for m in DIMS}, [], {}

    def video(vid: str, topic: int) -> tuple[str, ...]:
        texts[vid] = " ".join(rng.choice(words, 4)) + f" tag{topic}0"
        for m in DIMS:
            emb[m][vid] = (centres[m][topic] + rng.normal(size=DIMS[m])).tolist()
        return tuple(sorted({tags[topic * 5 + int(i)] for i in rng.integers(0, 5, 2)}))

    for i in range(240):
        user, topic = f"u{i % 12}", (i % 12) % TOPICS
        vid = f"t{i:03d}"
        posts.append(Post(vid, user, f"2024-01-01T{i % 24:02d}:{i % 60:02d}", video(vid, topic)))
    for i in range(60):
        user, topic = f"u{i % 12}", (i % 12) % TOPICS
        vid = f"v{i:03d}"
        truth[vid] = list(video(vid, topic))
        valid.append(Target(vid, user))
    vocab = sorted({h for p in posts for h in p.hashtags})
    jaccard = {f"u{i}": [(f"u{(i + 4) % 12}", 0.5)] for i in range(12)}
    corpus = Corpus(History(posts, vocab), texts, emb, {}, jaccard, [("u1", 0.9), ("u2", 0.5)])
    settings = HybridSettings(ranker=RankerSettings(max_iter=20, min_samples_leaf=5))
    model = fit_hybrid(HybridInputs(corpus, valid, truth, []), settings, k=3, cold=True)
    index = {}
    for m in DIMS:
        ids = sorted(emb[m])
        x = np.asarray([emb[m][v] for v in ids], dtype=np.float32)
        pairs = similar_pairs(ids, x, 0.5, 5)
        index[m] = SimilarIndex(
            ids, x, 0.5, 5, list(zip(pairs.a, pairs.b, pairs.weight.tolist(), strict=True))
        )
    users = {f"u{i}" for i in range(12)}
    suggester = Suggester(
        model, corpus, index, GraphRules(0.5, 5, 0.1), [("u1", 0.9)], users, info={"hashtags": len(vocab)}
    )
    suggester.warm()
    return suggester, centres["visual"]
