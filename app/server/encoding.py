"""Response bodies of inference answers: JSON (orjson over the numpy arrays) or Triton's binary tensor
extension (a JSON header, then the tensors' raw little-endian bytes).

Small answers are encoded at once; larger ones are produced in parts of ``CHUNK_VALUES`` values, which
the HTTP layer pulls from a thread and streams, so no event loop ever waits for a whole body.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import orjson

from app.server.protocol import DATATYPE, Answer
from app.server.runs import AsyncRun

INLINE_VALUES = 32_768  # up to this many values an answer is encoded in one go, on the event loop
CHUNK_VALUES = 32_768  # values per part of a streamed answer (about 0.6 MB of JSON)
_NUMPY = orjson.OPT_SERIALIZE_NUMPY


def head(answer: Answer) -> dict[str, Any]:
    """The answer's fields but its outputs."""
    fields: dict[str, Any] = {"model_name": answer.name, "model_version": answer.version}
    if answer.id is not None:
        fields["id"] = answer.id
    fields["parameters"] = answer.parameters
    return fields


def _values(values: np.ndarray) -> Iterator[bytes]:
    flat = np.ascontiguousarray(values, dtype="<f8").ravel()
    for start in range(0, max(1, flat.size), CHUNK_VALUES):
        part = orjson.dumps(flat[start:start + CHUNK_VALUES], option=_NUMPY)[1:-1]  # NaN, inf: null
        yield part if start == 0 else b"," + part


def json_parts(answer: Answer, binary: frozenset[str] = frozenset()) -> Iterator[bytes]:
    """The answer as KServe v2 JSON, in parts; outputs in ``binary`` carry ``binary_data_size`` instead."""
    yield orjson.dumps(head(answer))[:-1] + b',"outputs":['
    for index, (name, shape, values) in enumerate(answer.tensors()):
        tensor = orjson.dumps({"name": name, "datatype": DATATYPE, "shape": shape})[:-1]
        if index:
            tensor = b"," + tensor
        if name in binary:
            yield tensor + b',"parameters":{"binary_data_size":' + str(values.size * 8).encode() + b"}}"
            continue
        yield tensor + b',"data":['
        yield from _values(values)
        yield b"]}"
    yield b"]}"


def json_body(answer: Answer) -> bytes:
    """The whole JSON body of a small answer, in one encoder call: the bytes ``json_parts`` gives."""
    document = head(answer)
    document["outputs"] = [{"name": name, "datatype": DATATYPE, "shape": shape,
                            "data": np.ascontiguousarray(values, dtype="<f8").ravel()}
                           for name, shape, values in answer.tensors()]
    return orjson.dumps(document, option=_NUMPY)


def binary_parts(answer: Answer) -> tuple[bytes, list[np.ndarray]]:
    """Triton's binary extension: the JSON header and, in output order, the arrays sent raw after it."""
    header = b"".join(json_parts(answer, answer.binary))
    raw = [np.ascontiguousarray(values, dtype="<f8") for name, _, values in answer.tensors() if name in answer.binary]
    return header, raw


def run_parts(run: AsyncRun) -> Iterator[bytes]:
    """An asynchronous run's JSON: its state and, once completed, its result."""
    fields = orjson.dumps(run.head())
    if run.result is None:
        yield fields
        return
    yield fields[:-1] + b',"result":'
    yield from json_parts(run.result)
    yield b"}"
