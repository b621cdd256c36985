"""Which modalities a dataset has (a video lacking one simply has no node of it)."""

from __future__ import annotations

from mishon_graph.constants import MODALITIES
from mishon_graph.db.protocol import Runner


def present_modalities(runner: Runner) -> list[str]:
    """Modality names (``visual``, ``acoustic``, ``textual``) with at least one embedded node."""
    row = runner.run_file("graph/modality_present")[0]
    return [name for name in MODALITIES if row[name]]
