"""User-user Jaccard edges of training hashtag sets, computed in Cypher (paper 4.2.1).

Scaling: first the derived ``(:User)-[:USED {count}]->(:Hashtag)`` edges are materialised (one per
user and training hashtag, batched inside Neo4j), so the pair search never expands through the
videos again. Then users are processed in driver-side batches of ids; for each user Cypher visits
only the users with a higher id that share one of the user's rarest hashtags (an exact prefix
filter, see ``cypher/edges/user_jaccard.cypher``) and counts each candidate's overlap exactly, so
each pair is computed once and the work grows far slower than the co-occurrence pairs.
"""

from __future__ import annotations

import time

from mishon_graph.config import Config
from mishon_graph.constants import TRAIN
from mishon_graph.db.protocol import Runner
from mishon_graph.graph.family import FamilyResult, delete_family
from mishon_graph.progress import progress_bar

BATCH_USERS = 500


def build_used(runner: Runner, batch: int) -> dict[str, int]:
    """Create the derived USED edges (user -> training hashtag, ``{count}``), batched by user.

    Run after :func:`~mishon_graph.graph.family.delete_family` removed the old ones.

    Returns:
        User id -> number of distinct hashtags on the user's training videos, for every user
        (0 for users without any, e.g. cold-start users).
    """
    rows = runner.run_file_autocommit("edges/jaccard_used", {"train": TRAIN, "batch": batch})
    return {r["id"]: int(r["size"]) for r in rows}


def build_jaccard(
    runner: Runner, config: Config, *, progress: bool = False, batch_users: int = BATCH_USERS
) -> FamilyResult:
    """Replace every JACCARD edge (and the derived USED edges): pairs with Jaccard >= ``config.gamma``.

    Cold-start users have no training video, so they get no Jaccard edge; users without any
    training hashtag are counted in ``details['users_without_training_hashtags']``.
    """
    t0 = time.perf_counter()
    delete_family(runner, "jaccard", config.batch_rows * 10)  # JACCARD and USED
    sizes = build_used(runner, config.batch_rows)
    ids = sorted(uid for uid, size in sizes.items() if size > 0)
    edges = 0
    with progress_bar(progress, "Jaccard edges", len(ids)) as advance:
        for start in range(0, len(ids), batch_users):
            batch = ids[start : start + batch_users]
            rows = runner.run_file(
                "edges/user_jaccard",
                {"ids": batch, "gamma": config.gamma},
                write=True,
            )
            edges += int(rows[0]["edges"]) if rows else 0
            advance(len(batch))
    return FamilyResult(
        "jaccard",
        edges,
        time.perf_counter() - t0,
        details={
            "used_edges": sum(sizes.values()),
            "users_with_training_hashtags": len(ids),
            "users_without_training_hashtags": len(sizes) - len(ids),
        },
    )
