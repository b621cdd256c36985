"""Learning stage: Neo4j subgraphs to PyG (export), the MISHON model, training and inference."""

import warnings

with warnings.catch_warnings():
    # torch_geometric 2.8 calls torch.jit.script at import, which torch 2.15 deprecates; not actionable
    # here. Silenced for that one import only: the process's warning filters stay as they were.
    warnings.filterwarnings("ignore", message="`torch.jit.script` is deprecated", category=FutureWarning)
    import torch_geometric  # noqa: F401
