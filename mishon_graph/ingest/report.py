"""What an ingest did, and the rejects file."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mishon_graph.ingest.preprocess import PreprocessReport
from mishon_graph.ingest.records import Reject


@dataclass
class IngestReport:
    """Counts from loading to writing.

    Args:
        dataset: Dataset name (``source`` on nodes).
        loaded_users: Users the loader returned.
        loaded_posts: Posts the loader returned.
        rejects: Records the loader rejected.
        skipped: Records left out by design (e.g. photos), by kind.
        preprocess: The preprocessing report.
        splits: Videos per split.
        cold_start_users: Held-out users.
        valid_rule: How the validation posts were chosen (per-user cut or the global fallback).
        written: Rows written per step.
        removed: Stale nodes removed per kind (previous ingest no longer in this dataset).
        seconds: Wall time of the ingest (after loading).
        rejects_path: Where the rejects were written, if anywhere.
    """

    dataset: str
    loaded_users: int
    loaded_posts: int
    rejects: int
    skipped: dict[str, int]
    preprocess: PreprocessReport
    splits: dict[str, int] = field(default_factory=dict)
    cold_start_users: int = 0
    valid_rule: str = ""
    written: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    rejects_path: str | None = None

    @property
    def posts_per_second(self) -> float:
        return self.preprocess.posts_out / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["posts_per_second"] = round(self.posts_per_second, 1)
        return out

    def summary(self) -> list[tuple[str, str]]:
        """``(what, value)`` lines for the CLI table."""
        pre = self.preprocess
        lines = [
            ("dataset", self.dataset),
            ("loaded", f"{self.loaded_posts} posts, {self.loaded_users} users"),
            (
                "rejected records",
                f"{self.rejects}" + (f" (see {self.rejects_path})" if self.rejects_path else ""),
            ),
        ]
        lines += [(f"skipped: {k}", str(v)) for k, v in self.skipped.items()]
        lines.append(
            ("settings", f"min hashtag freq {pre.min_hashtag_freq}, min posts/user {pre.min_user_posts}")
        )
        lines += [(f"dropped posts: {k}", str(v)) for k, v in pre.dropped_posts.items()]
        lines += [(f"dropped users: {k}", str(v)) for k, v in pre.dropped_users.items()]
        lines += [(f"removed hashtags: {k}", str(v)) for k, v in pre.hashtags_removed.items()]
        lines.append(("kept", f"{pre.posts_out} videos, {pre.users_out} users, {pre.vocabulary} hashtags"))
        lines.append(("modalities", ", ".join(pre.modalities) or "none"))
        lines.append(("splits", ", ".join(f"{k} {v}" for k, v in self.splits.items())))
        if self.valid_rule:
            lines.append(("validation posts", self.valid_rule))
        lines.append(("cold-start users", str(self.cold_start_users)))
        lines += [(f"removed stale {k}", str(v)) for k, v in self.removed.items() if v]
        lines.append(("written", ", ".join(f"{k} {v}" for k, v in self.written.items())))
        lines.append(("time", f"{self.seconds:.1f} s ({self.posts_per_second:.0f} videos/s)"))
        return lines


def write_rejects(path: Path, rejects: Iterable[Reject]) -> int:
    """Write one JSON object per reject (origin, field, reason, record_id); returns the count.

    Text that is not valid Unicode (a lone surrogate in a rejected id) is written as its JSON
    escape (``\\ud800``), so the file stays valid UTF-8 JSON lines.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8", errors="backslashreplace") as fh:
        for reject in rejects:
            fh.write(json.dumps(dataclasses.asdict(reject), ensure_ascii=False) + "\n")
            n += 1
    return n
