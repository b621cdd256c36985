"""User-user Jaccard edges of training hashtag sets, computed in Cypher (paper 4.2.1).

Scaling: the users are processed in driver-side batches of ids; for each user Cypher only visits
the users that share at least one training hashtag and have a higher id, so each pair is computed
once and work grows with the co-occurrence pairs, not with the square of the user count.
"""

from __future__ import annotations

import time

from mishon_graph.config import Config
from mishon_graph.constants import TRAIN
from mishon_graph.db.runner import Runner
from mishon_graph.graph.family import FamilyResult, delete_family, progress_bar

BATCH_USERS = 500


def training_set_sizes(runner: Runner) -> dict[str, int]:
    """User id -> number of distinct hashtags on the user's training videos (users with none omitted)."""
    rows = runner.run_file("edges/jaccard_user_sizes", {"train": TRAIN})
    return {r["id"]: int(r["size"]) for r in rows}


def build_jaccard(
    runner: Runner, config: Config, *, progress: bool = False, batch_users: int = BATCH_USERS
) -> FamilyResult:
    """Replace every JACCARD edge: pairs of users with Jaccard >= ``config.gamma``.

    Cold-start users have no training video, so they get no Jaccard edge; users without any
    training hashtag are counted in ``details['users_without_training_hashtags']``.
    """
    t0 = time.perf_counter()
    delete_family(runner, "jaccard", config.batch_rows * 10)
    sizes = training_set_sizes(runner)
    ids = sorted(sizes)
    edges = 0
    with progress_bar(progress, "Jaccard edges", len(ids)) as advance:
        for start in range(0, len(ids), batch_users):
            batch = ids[start : start + batch_users]
            rows = runner.run_file(
                "edges/user_jaccard",
                {"ids": batch, "sizes": sizes, "gamma": config.gamma, "train": TRAIN},
                write=True,
            )
            edges += int(rows[0]["edges"]) if rows else 0
            advance(len(batch))
    n_users = int(runner.run_file("graph/node_counts")[0]["User"])
    return FamilyResult(
        "jaccard",
        edges,
        time.perf_counter() - t0,
        details={
            "users_with_training_hashtags": len(ids),
            "users_without_training_hashtags": n_users - len(ids),
        },
    )
