"""The KServe v2 gRPC protocol (``grpc_predict_v2.proto``, as KServe publishes it) and Salver's subset of
Triton's extension messages (``triton_extensions.proto``), compiled into the ``*_pb2`` modules beside.

The modules register their messages in ``POOL``, a descriptor pool of their own: a process that also
imports Triton's client (whose messages have the same full names) would otherwise fail on duplicates.
``make protos`` regenerates them with grpcio-tools (``generate``).
"""

from __future__ import annotations

import re
from pathlib import Path

from google.protobuf import descriptor_pool

POOL = descriptor_pool.DescriptorPool()
HERE = Path(__file__).resolve().parent
PROTOS = ("grpc_predict_v2.proto", "triton_extensions.proto")


def generate(out_dir: Path = HERE) -> list[Path]:
    """Compile the protos into ``out_dir`` with grpcio-tools, registering their messages in ``POOL``."""
    from grpc_tools import protoc

    args = ["protoc", f"-I{HERE}", f"--python_out={out_dir}", *(str(HERE / p) for p in PROTOS)]
    if protoc.main(args) != 0:
        raise RuntimeError(f"protoc failed: {' '.join(args)}")
    written = []
    for proto in PROTOS:
        path = out_dir / proto.replace(".proto", "_pb2.py")
        text = path.read_text(encoding="utf-8")
        text = text.replace("from google.protobuf import descriptor_pool as _descriptor_pool\n",
                            "from app.server.proto import POOL as _POOL\n")
        text = re.sub(r"_descriptor_pool\.Default\(\)", "_POOL", text)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
