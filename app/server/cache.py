"""Results cache: identical requests on the same model version are answered without running again.

Entries are the outputs' arrays; the cache is bounded by their bytes (least recently used go first) and
a model version's entries are dropped when it is unloaded or replaced.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

from app.server.batcher import RunRequest
from app.server.protocol import Answer
from app.server.workers import ModelSource


def request_key(source: ModelSource, request: RunRequest) -> str:
    """Hash of every input that shapes the result (the model version's content is the entry's owner)."""
    digest = hashlib.sha256()
    digest.update(repr((request.options, request.outputs, request.runs)).encode())
    for name in sorted(request.params):
        digest.update(name.encode() + b"\0")
        digest.update(request.params[name].tobytes())
    return digest.hexdigest()


@dataclass
class _Entry:
    owner: str
    answer: Answer
    nbytes: int


class ResultCache:
    """Least-recently-used map from (model version content, request key) to answers, bounded by bytes.

    An answer larger than an eighth of the capacity is not kept (it would flush everything else).
    """

    def __init__(self, capacity_bytes: int) -> None:
        self.capacity = capacity_bytes
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self.nbytes = 0
        self.evictions = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, source: ModelSource, key: str) -> Answer | None:
        entry = self._entries.get((source.key, key))
        if entry is None:
            return None
        self._entries.move_to_end((source.key, key))
        return entry.answer

    def put(self, source: ModelSource, key: str, answer: Answer) -> None:
        size = answer.nbytes + 256
        if size * 8 > self.capacity:
            return
        old = self._entries.pop((source.key, key), None)
        if old is not None:
            self.nbytes -= old.nbytes
        self._entries[(source.key, key)] = _Entry(source.key, answer, size)
        self.nbytes += size
        while self.nbytes > self.capacity:
            _, evicted = self._entries.popitem(last=False)
            self.nbytes -= evicted.nbytes
            self.evictions += 1

    def drop(self, source: ModelSource) -> None:
        """Forget every entry of ``source`` (its version was unloaded or replaced)."""
        for entry_key in [k for k, e in self._entries.items() if e.owner == source.key]:
            self.nbytes -= self._entries.pop(entry_key).nbytes
