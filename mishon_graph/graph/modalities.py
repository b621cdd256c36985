"""Which modalities a dataset has, and which videos lack one (they simply have no node of it)."""

from __future__ import annotations

from mishon_graph.constants import MODALITIES
from mishon_graph.db.runner import Runner


def present_modalities(runner: Runner) -> list[str]:
    """Modality names (``visual``, ``acoustic``, ``textual``) with at least one embedded node."""
    row = runner.run_file("graph/modality_present")[0]
    return [name for name in MODALITIES if row[name]]


def videos_missing_modalities(runner: Runner) -> dict[str, list[str]]:
    """For each modality the dataset has, the sorted ids of the videos without an embedded node of it.

    The learning step uses this to mask or zero-fill the missing modality of those videos.
    """
    return {
        name: [r["id"] for r in runner.run_file("graph/videos_missing_modality", {"label": MODALITIES[name]})]
        for name in present_modalities(runner)
    }
