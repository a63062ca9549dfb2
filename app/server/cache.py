"""Results cache: identical requests on the same model version are answered without running again."""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any

from app.server.batcher import RunRequest
from app.server.workers import ModelSource


def request_key(source: ModelSource, request: RunRequest) -> str:
    """Hash of the model version (file and content stamp) and every input that shapes the result."""
    digest = hashlib.sha256()
    digest.update(repr((source.key, request.options, request.outputs, request.runs)).encode())
    for name in sorted(request.params):
        digest.update(name.encode() + b"\0")
        digest.update(request.params[name].tobytes())
    return digest.hexdigest()


class ResultCache:
    """Least-recently-used map from request keys to response bodies, bounded by entry count."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> dict[str, Any] | None:
        body = self._entries.get(key)
        if body is not None:
            self._entries.move_to_end(key)
        return body

    def put(self, key: str, body: dict[str, Any]) -> None:
        if self._capacity <= 0:
            return
        self._entries[key] = body
        self._entries.move_to_end(key)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)
