"""Answer bodies: the one-call JSON body of a small answer is the streamed parts' bytes."""

from __future__ import annotations

import json

import numpy as np

from app.server import encoding
from app.server.protocol import Answer


def answers() -> list[Answer]:
    """Answers of 0-2 variables, 1-3 runs, with non-finite values, denormals, signed zeros, values
    over hundreds of decades, Fortran-ordered and strided arrays, with and without an id."""
    rng = np.random.default_rng(7)
    made = []
    for case in range(200):
        runs, times = int(rng.integers(1, 4)), int(rng.integers(1, 40))
        outputs = {}
        for index in range(int(rng.integers(0, 3))):
            values = rng.normal(size=(runs, 2 * times)) * 10.0 ** rng.integers(-300, 300, size=(runs, 2 * times))
            values.flat[int(rng.integers(0, values.size))] = rng.choice([np.nan, np.inf, -np.inf, -0.0, 5e-324])
            values = values[:, ::2]  # strided, as a batch's share of a larger output can be
            outputs[f"v{index}"] = np.asfortranarray(values) if case % 3 == 0 else values
        made.append(Answer("m", "1", np.linspace(0.0, 1.0, times), outputs,
                           {"cached": False, "batch_runs": runs, "batch_requests": 1},
                           id=None if case % 2 else f'request "{case}" \u00e9'))
    return made


def test_the_json_body_is_the_joined_parts_and_non_finite_values_are_null() -> None:
    for answer in answers():
        body = encoding.json_body(answer)
        assert body == b"".join(encoding.json_parts(answer))
        document = json.loads(body)
        for tensor, (name, shape, values) in zip(document["outputs"], answer.tensors(), strict=True):
            assert tensor["name"] == name and tensor["shape"] == shape
            expected = [float(v) if np.isfinite(v) else None for v in np.asarray(values).ravel()]
            assert tensor["data"] == expected
