"""The model repository: ``REPO/<model>/<version>/<file>`` plus an optional ``REPO/<model>/config.json``.

Versions are folders named by integers; the highest is the default. A folder that holds its model
file directly, and a model file lying in REPO itself, are served as version 1. A version is loaded on its first
request and unloaded after an idle time. A changed file or config is reloaded on the next request
while requests in flight finish on the version they started with.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from app.server.batcher import Batcher
from app.server.config import CONFIG_FILE, ConfigError, ModelConfig, ServerSettings, load_model_config
from app.server.modelinfo import ModelInfo
from app.server.workers import ModelSource
from metamodel.errors import SalverError

log = logging.getLogger("salver.server")

Describe = Callable[[str], ModelInfo]
MakeBatcher = Callable[[str, str, ModelSource, ModelConfig, ModelInfo], Batcher]


class NotFound(LookupError):
    """Unknown model or version (HTTP 404)."""


class Unavailable(RuntimeError):
    """A model version that exists but cannot be loaded; the message says why (HTTP 400)."""


@dataclass
class LoadedVersion:
    """A loaded model version: what it is, how it is served, and who is using it."""

    name: str
    version: str
    source: ModelSource
    config_stamp: tuple[int, int] | None
    config: ModelConfig
    info: ModelInfo
    batcher: Batcher
    last_used: float = field(default_factory=time.monotonic)
    in_flight: int = 0
    retired: bool = False


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def _numeric(names: list[str]) -> list[str]:
    return sorted((n for n in names if n.isdigit()), key=int)


class ModelRepository:
    """Index, lazy loading, reloading and idle unloading of the model versions under ``root``."""

    def __init__(self, root: str | os.PathLike[str], settings: ServerSettings, *, describe: Describe,
                 make_batcher: MakeBatcher, extensions: list[str]) -> None:
        self.root = Path(root)
        self._settings = settings
        self._describe = describe
        self._make_batcher = make_batcher
        self._extensions = {e.lower() for e in extensions}
        self._loaded: dict[tuple[str, str], LoadedVersion] = {}
        self._failed: dict[tuple[str, str], tuple[object, str]] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    # -- the folder ---------------------------------------------------------------------------------
    def _is_model_file(self, path: Path) -> bool:
        return path.is_file() and not path.name.startswith(".") and path.suffix.lower() in self._extensions

    def _entries(self) -> dict[str, Path]:
        """Model name -> its folder, or a model file lying directly in the repository (named by its stem)."""
        try:
            paths = sorted(p for p in self.root.iterdir() if not p.name.startswith("."))
        except OSError:
            return {}
        entries = {p.name: p for p in paths if p.is_dir()}
        for path in paths:
            if self._is_model_file(path):
                entries.setdefault(path.stem, path)
        return entries

    def models(self) -> list[str]:
        """Model names: the folders of the repository and the model files directly in it."""
        return sorted(self._entries())

    def _entry(self, name: str) -> Path:
        entry = self._entries().get(name)
        if entry is None:
            known = ", ".join(self.models()) or "none"
            raise NotFound(f"unknown model '{name}'; the repository has: {known}")
        return entry

    def versions(self, name: str) -> list[str]:
        """Versions of ``name``, ascending: its integer-named folders; "1" for a folder holding the
        model file itself or for a model file in the repository. NotFound for an unknown model."""
        entry = self._entry(name)
        if entry.is_file():
            return ["1"]
        folders = _numeric([p.name for p in entry.iterdir() if p.is_dir()])
        if folders:
            return folders
        return ["1"] if any(self._is_model_file(p) for p in entry.iterdir()) else []

    def resolve(self, name: str, version: str | None) -> str:
        """The version to serve: the given one (checked) or the highest; NotFound if there is none."""
        versions = self.versions(name)
        if version is None:
            if not versions:
                raise NotFound(f"model '{name}' has no version (expected {name}/1/<model file>)")
            return versions[-1]
        if version not in versions:
            known = ", ".join(versions) or "none"
            raise NotFound(f"model '{name}' has no version '{version}'; versions: {known}")
        return version

    def config_dir(self, name: str) -> Path | None:
        """The folder whose config.json configures ``name`` (None for a bare model file)."""
        entry = self._entry(name)
        return entry if entry.is_dir() else None

    def model_file(self, name: str, version: str) -> Path:
        """The one model file of a version (of several, the one named like the model); Unavailable if its
        folder holds none, or several of which none bears the model's name."""
        entry = self._entry(name)
        if entry.is_file():
            return entry
        folder = entry / version if (entry / version).is_dir() else entry
        try:
            files = sorted(p for p in folder.iterdir() if self._is_model_file(p))
        except OSError as exc:
            raise Unavailable(f"model '{name}' version {version}: cannot list {folder}: {exc}") from exc
        named = [p for p in files if p.stem == name]  # a model with its parts beside it: the one named so
        if len(files) > 1 and len(named) == 1:
            return named[0]
        if len(files) != 1:
            found = ", ".join(p.name for p in files) or "none"
            raise Unavailable(f"model '{name}' version {version} must hold exactly one model file "
                              f"({', '.join(sorted(self._extensions))}); found: {found}")
        return files[0]

    # -- loading ------------------------------------------------------------------------------------
    def loaded(self, name: str, version: str) -> LoadedVersion | None:
        return self._loaded.get((name, version))

    def loaded_versions(self) -> list[LoadedVersion]:
        return list(self._loaded.values())

    def live_keys(self) -> frozenset[str]:
        """Source keys of the loaded versions (worker processes drop the others)."""
        return frozenset(v.source.key for v in self._loaded.values())

    async def acquire(self, name: str, version: str | None) -> LoadedVersion:
        """The loaded version (loading or reloading it if needed), counted as in use until ``release``."""
        version = self.resolve(name, version)
        key = (name, version)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            path = self.model_file(name, version)
            config_dir = self.config_dir(name)
            config_stamp = _stamp(config_dir / CONFIG_FILE) if config_dir else None
            model_stamp = _stamp(path)
            if model_stamp is None:
                raise Unavailable(f"model '{name}' version {version}: {path.name} vanished")
            current = self._loaded.get(key)
            if current is None or (current.source.stamp, current.config_stamp) != (model_stamp, config_stamp):
                current = await self._load(key, path, model_stamp, config_stamp)
        current.in_flight += 1
        current.last_used = time.monotonic()
        return current

    def release(self, loaded: LoadedVersion) -> None:
        """End one use of ``loaded``; a retired version closes when its last request is done."""
        loaded.in_flight -= 1
        loaded.last_used = time.monotonic()
        if loaded.retired and loaded.in_flight == 0:
            asyncio.get_running_loop().create_task(loaded.batcher.close())

    async def _load(self, key: tuple[str, str], path: Path, model_stamp: tuple[int, int],
                    config_stamp: tuple[int, int] | None) -> LoadedVersion:
        stamps = (model_stamp, config_stamp)
        failed = self._failed.get(key)
        if failed is not None and failed[0] == stamps:
            raise Unavailable(failed[1])
        name, version = key
        try:
            config_dir = self.config_dir(name)
            defaults = self._settings.model_defaults
            config = load_model_config(config_dir, defaults) if config_dir else defaults
            started = time.perf_counter()
            info = await asyncio.get_running_loop().run_in_executor(None, self._describe, str(path))
        except (ConfigError, SalverError, OSError) as exc:
            reason = f"model '{name}' version {version} cannot be loaded: {exc}"
            self._failed[key] = (stamps, reason)
            log.warning("load failed", extra={"model": name, "version": version, "error": str(exc)})
            raise Unavailable(reason) from exc
        self._failed.pop(key, None)
        source = ModelSource(str(path), model_stamp)
        loaded = LoadedVersion(name, version, source, config_stamp, config, info,
                               self._make_batcher(name, version, source, config, info))
        self._retire(self._loaded.get(key))
        self._loaded[key] = loaded
        log.info("model loaded", extra={"model": name, "version": version, "file": path.name,
                                        "seconds": round(time.perf_counter() - started, 3)})
        return loaded

    def _retire(self, loaded: LoadedVersion | None) -> None:
        if loaded is None:
            return
        loaded.retired = True
        if self._loaded.get((loaded.name, loaded.version)) is loaded:
            del self._loaded[(loaded.name, loaded.version)]
        if loaded.in_flight == 0:
            asyncio.get_running_loop().create_task(loaded.batcher.close())
        log.info("model unloaded", extra={"model": loaded.name, "version": loaded.version})

    async def load(self, name: str) -> list[str]:
        """Load every version of ``name`` now (repository extension); returns the versions."""
        versions = self.versions(name)
        if not versions:
            raise NotFound(f"model '{name}' has no version folder (expected {name}/1/<model file>)")
        for version in versions:
            self.release(await self.acquire(name, version))
        return versions

    def unload(self, name: str) -> None:
        """Unload every version of ``name``; requests in flight finish first. A later request reloads it."""
        self.versions(name)
        for loaded in [v for v in self._loaded.values() if v.name == name]:
            self._retire(loaded)

    def unload_idle(self) -> list[LoadedVersion]:
        """Unload the versions unused for longer than the idle time (scale to zero); returns them."""
        limit = time.monotonic() - self._settings.idle_unload_s
        idle = [v for v in self._loaded.values() if v.in_flight == 0 and v.last_used < limit]
        for loaded in idle:
            self._retire(loaded)
        return idle

    def index(self) -> list[dict[str, str]]:
        """Triton's repository index: ``{name, version, state, reason}`` for every version folder."""
        rows = []
        for name in self.models():
            for version in self.versions(name):
                failed = self._failed.get((name, version))
                if (name, version) in self._loaded:
                    rows.append({"name": name, "version": version, "state": "READY", "reason": ""})
                else:
                    rows.append({"name": name, "version": version, "state": "UNAVAILABLE",
                                 "reason": failed[1] if failed else "not loaded (loads on first request)"})
        return rows

    async def close(self) -> None:
        """Finish queued requests of every loaded version and stop their batchers."""
        closing = [v.batcher.close() for v in self._loaded.values()]
        self._loaded.clear()
        await asyncio.gather(*closing, return_exceptions=True)
