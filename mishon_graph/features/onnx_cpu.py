"""A torch module run on the CPU by ONNX Runtime: exported in memory when an encoder loads, no file.

On a CPU, ONNX Runtime runs the frame encoder (EfficientNet-Lite0: depthwise convolutions, batch
norm folded into them) about 3x faster than eager torch on one thread, with the same weights; its
outputs differ from torch's by float rounding only (largest difference 1.2e-5 on activations up to
5.7, measured on random frames). Encoders keep torch on a GPU.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

import numpy as np
import torch

from mishon_graph.errors import MishonError


def cpu_session(module: torch.nn.Module, example: torch.Tensor, threads: int | None = None) -> Any:
    """An ``onnxruntime.InferenceSession`` for ``module`` (eval mode), batch dimension dynamic.

    Args:
        module: Takes one float32 tensor ``x`` (batch first), returns one tensor ``y``.
        example: An input of the right shape (any batch size) to trace the export with.
        threads: Intra-op threads of the session; None: torch's current number (so a worker that
            set its share of the threads keeps to it).

    Raises:
        MishonError: onnxruntime or onnx is not installed, or the module cannot be exported.
    """
    try:
        import onnxruntime as ort
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise MishonError("the CPU encoders need onnxruntime and onnx: pip install -e .") from exc
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # the TorchScript exporter warns about its own deprecation
        warnings.simplefilter("ignore")
        try:
            torch.onnx.export(
                module.eval(), (example,), buffer, input_names=["x"], output_names=["y"],
                dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}}, dynamo=False,
            )
        except Exception as exc:  # noqa: BLE001 - any exporter failure is reported the same way
            raise MishonError(f"cannot export {type(module).__name__} to ONNX: {exc}") from exc
    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, threads if threads is not None else torch.get_num_threads())
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only
    return ort.InferenceSession(buffer.getvalue(), options, providers=["CPUExecutionProvider"])


def run(session: Any, x: np.ndarray) -> np.ndarray:
    """``y`` for a float32 batch ``x``.

    Raises:
        RuntimeError: the session refused the input. onnxruntime's own errors derive from
            ``Exception`` only; as a ``RuntimeError``, like torch's, the features step retries the
            batch video by video and marks only the bad one.
    """
    try:
        return session.run(["y"], {"x": np.ascontiguousarray(x, dtype=np.float32)})[0]
    except Exception as exc:  # noqa: BLE001 - re-raised as the error type encoders raise
        raise RuntimeError(f"onnxruntime: {str(exc).strip()}") from exc
