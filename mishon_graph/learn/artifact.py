"""The saved model: ``torch.save`` of the state dict plus metadata (plain types only).

Loaded with ``weights_only=True`` so an artifact file cannot run code. The metadata records what is
needed to rebuild the model and to refuse a graph it does not fit: the hashtag vocabulary, the
users with learned embeddings, modality dims, hyper-parameters, the variant, the graph parameters
from ``(:GraphMeta {name: 'graph'})``, the encoders and the code version.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from mishon_graph.errors import MishonError
from mishon_graph.learn.data import ExportedGraph
from mishon_graph.learn.model import MishonModel

FORMAT = 1


@dataclass
class Artifact:
    """A trained model and its metadata."""

    state_dict: dict[str, torch.Tensor]
    meta: dict[str, Any]

    @property
    def hashtags(self) -> list[str]:
        return list(self.meta["hashtags"])

    @property
    def user_ids(self) -> list[str]:
        return list(self.meta["user_ids"])

    def build_model(self) -> MishonModel:
        """The model with the saved weights, in eval mode, on CPU."""
        m = self.meta
        model = MishonModel(
            in_dims=dict(m["in_dims"]),
            num_users=len(m["user_ids"]),
            num_hashtags=len(m["hashtags"]),
            hidden_dim=m["hidden_dim"],
            depth=m["depth"],
            aggregator=m["aggregator"],
            normalize=m["normalize"],
            dropout=m["dropout"],
            variant=m["variant"],
            reduce_dim=m.get("reduce_dim"),
        )
        model.load_state_dict(self.state_dict)
        return model.eval()

    def user_rows(self, user_ids: list[str]) -> torch.Tensor:
        """Embedding row per user id (-1 for users the model never trained: the "new user" vector)."""
        index = {u: i for i, u in enumerate(self.meta["user_ids"])}
        return torch.tensor([index.get(u, -1) for u in user_ids], dtype=torch.long)


def atomic_save(obj: Any, path: Path) -> None:
    """``torch.save`` to a temporary file, then rename: a kill never leaves a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    os.close(fd)
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def save_artifact(path: Path, model: MishonModel, meta: dict[str, Any]) -> Path:
    """Write the artifact; ``meta`` must hold plain Python values."""
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    atomic_save({"format": FORMAT, "state_dict": state, "meta": meta}, path)
    return path


def load_artifact(path: Path) -> Artifact:
    """Read an artifact written by :func:`save_artifact`; one-line errors when unusable."""
    path = Path(path)
    if not path.is_file():
        raise MishonError(f"no model artifact at {path}: run `mishon train` first")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a corrupt or foreign file
        raise MishonError(f"cannot read model artifact {path}: {str(exc).splitlines()[0]}") from exc
    if not isinstance(obj, dict) or obj.get("format") != FORMAT or "meta" not in obj:
        raise MishonError(f"{path} is not a mishon model artifact (format {FORMAT})")
    return Artifact(state_dict=obj["state_dict"], meta=obj["meta"])


def check_matches(artifact: Artifact, graph: ExportedGraph, *, source: str = "artifact") -> None:
    """Refuse a graph whose vocabulary, modalities or feature dims differ from the artifact's."""
    meta = artifact.meta
    mine, theirs = list(meta["hashtags"]), graph.hashtags
    if mine != theirs:
        extra = sorted(set(theirs) - set(mine))[:3]
        gone = sorted(set(mine) - set(theirs))[:3]
        raise MishonError(
            f"{source} vocabulary ({len(mine)} hashtags) does not match the graph's training hashtags "
            f"({len(theirs)}; new e.g. {extra}, missing e.g. {gone}): retrain with `mishon train`"
        )
    dims = graph.unit_dims()
    if set(dims) != set(meta["in_dims"]):
        raise MishonError(
            f"{source} modalities {sorted(meta['in_dims'])} do not match the graph's {sorted(dims)}"
        )
    for m, d in meta["in_dims"].items():
        if dims[m] != d:
            raise MishonError(
                f"{source} expects {m} features of dim {d}, the feature store has dim {dims[m]}"
            )
