"""Fit a small tanh MLP with numpy (Adam on mean squared error) and write it as an ONNX graph.

Shared by the samples' ``make_onnx.py`` scripts. Input and output scaling are folded into the first
and last layers, so the ONNX graph is plain Concat/MatMul/Add/Tanh at opset 17 with a dynamic batch axis.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

Layers = list[tuple[np.ndarray, np.ndarray]]


def fit_mlp(x: np.ndarray, y: np.ndarray, hidden: tuple[int, ...] = (16,), steps: int = 4000,
            rate: float = 0.01, seed: int = 0) -> Layers:
    """Fit ``y ≈ mlp(x)`` (rows are samples); returns (weights, bias) per layer in original units."""
    rng = np.random.default_rng(seed)
    x_mean, x_std = x.mean(axis=0), x.std(axis=0) + 1e-12
    y_mean, y_std = y.mean(axis=0), y.std(axis=0) + 1e-12
    xs, ys = (x - x_mean) / x_std, (y - y_mean) / y_std
    sizes = [x.shape[1], *hidden, y.shape[1]]
    params = [p for a, b in zip(sizes, sizes[1:], strict=False)
              for p in (rng.normal(0.0, 1.0 / np.sqrt(a), (a, b)), np.zeros(b))]
    moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
    for step in range(1, steps + 1):
        grads = _gradients(params, xs, ys)
        for i, (param, grad) in enumerate(zip(params, grads, strict=True)):
            m, v = moments[i]
            m[:] = 0.9 * m + 0.1 * grad
            v[:] = 0.999 * v + 0.001 * grad * grad
            param -= rate * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    layers = [(params[i], params[i + 1]) for i in range(0, len(params), 2)]
    first_w, first_b = layers[0]
    layers[0] = (first_w / x_std[:, None], first_b - (x_mean / x_std) @ first_w)
    last_w, last_b = layers[-1]
    layers[-1] = (last_w * y_std, last_b * y_std + y_mean)
    return layers


def _gradients(params: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    """Gradients of the mean squared error for a tanh MLP given as [w0, b0, w1, b1, ...]."""
    activations = [x]
    for i in range(0, len(params) - 2, 2):
        activations.append(np.tanh(activations[-1] @ params[i] + params[i + 1]))
    error = (activations[-1] @ params[-2] + params[-1] - y) * (2.0 / len(x))
    grads: list[np.ndarray] = []
    for i in range(len(params) - 2, -1, -2):
        grads[:0] = [activations[i // 2].T @ error, error.sum(axis=0)]
        if i:
            error = (error @ params[i].T) * (1.0 - activations[i // 2] ** 2)
    return grads


def predict(layers: Layers, x: np.ndarray) -> np.ndarray:
    """Evaluate the fitted network in numpy (for checking the fit)."""
    for w, b in layers[:-1]:
        x = np.tanh(x @ w + b)
    w, b = layers[-1]
    return x @ w + b


def write_onnx(layers: Layers, path: Path, inputs: list[tuple[str, int]], outputs: list[tuple[str, int]],
               doc: str = "") -> None:
    """Write the network: named inputs of shape [batch, width] concatenated, outputs split by width."""
    nodes, initializers = [], []
    current = inputs[0][0]
    if len(inputs) > 1:
        nodes.append(helper.make_node("Concat", [name for name, _ in inputs], ["features"], axis=1))
        current = "features"
    for i, (w, b) in enumerate(layers):
        initializers += [numpy_helper.from_array(w.astype(np.float32), f"W{i}"),
                         numpy_helper.from_array(b.astype(np.float32), f"B{i}")]
        nodes += [helper.make_node("MatMul", [current, f"W{i}"], [f"mm{i}"]),
                  helper.make_node("Add", [f"mm{i}", f"B{i}"], [f"z{i}"])]
        current = f"z{i}"
        if i < len(layers) - 1:
            nodes.append(helper.make_node("Tanh", [current], [f"h{i}"]))
            current = f"h{i}"
    if len(outputs) == 1:
        nodes.append(helper.make_node("Identity", [current], [outputs[0][0]]))
    else:
        initializers.append(numpy_helper.from_array(np.array([w for _, w in outputs], np.int64), "split"))
        nodes.append(helper.make_node("Split", [current, "split"], [n for n, _ in outputs], axis=1))
    graph = helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["batch", w]) for n, w in inputs],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["batch", w]) for n, w in outputs],
        initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="salver",
                              doc_string=doc)
    model.ir_version = 8
    onnx.checker.check_model(model)
    path.write_bytes(model.SerializeToString())


def fit_and_write(x: np.ndarray, y: np.ndarray, path: Path, inputs: list[tuple[str, int]],
                  outputs: list[tuple[str, int]], doc: str, hidden: tuple[int, ...], steps: int,
                  seed: int, rate: float = 0.01) -> float:
    """Fit the network to ``(x, y)``, write it to ``path`` (see ``write_onnx``) and return the fit's RMSE."""
    layers = fit_mlp(x, y, hidden=hidden, steps=steps, rate=rate, seed=seed)
    write_onnx(layers, path, inputs=inputs, outputs=outputs, doc=doc)
    return float(np.sqrt(np.mean((predict(layers, x) - y) ** 2)))
