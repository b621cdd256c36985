"""Learning stage: Neo4j subgraphs to PyG (export), the MISHON model, training and inference."""

import warnings

# torch_geometric 2.8 calls torch.jit.script at import, which torch 2.15 deprecates; not actionable here.
warnings.filterwarnings("ignore", message="`torch.jit.script` is deprecated", category=FutureWarning)
